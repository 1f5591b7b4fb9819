import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Random bytes drawn from the CSPRNG in blocks: one call per 256 ids instead of one per id. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = POOL_BYTES;

function random16(): Buffer {
  if (used + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const out = pool.subarray(used, used + 16);
  used += 16;
  return out;
}

/** A time-sortable id (ULID layout: 48-bit ms time + 80 random bits) with a type prefix, e.g. `prof_01J…`. */
export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = random16();
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD[(rnd[i] as number) % 32];
  return `${prefix}_${time}${tail}`;
}

let lastTime = -1;
let lastTail: number[] = [];

/**
 * Like `newId`, but strictly increasing within the process (ULID's monotonic mode: an id made in the
 * same millisecond as the previous one is that one plus 1), so rows keyed by it append at the end of
 * their index instead of landing at random places (decisions: one per action).
 */
export function monotonicId(prefix: string, now = Date.now()): string {
  const t = Math.max(now, lastTime);
  if (t === lastTime) {
    let i = lastTail.length - 1;
    while (i >= 0 && lastTail[i] === 31) lastTail[i--] = 0;
    if (i >= 0) lastTail[i] = (lastTail[i] as number) + 1;
  } else {
    lastTime = t;
    const rnd = random16();
    // The first character stays below 16, leaving room to count up within the millisecond.
    lastTail = Array.from({ length: 16 }, (_, i) => (rnd[i] as number) % (i === 0 ? 16 : 32));
  }
  let time = '';
  let x = t;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[x % 32] + time;
    x = Math.floor(x / 32);
  }
  return `${prefix}_${time}${lastTail.map((d) => CROCKFORD[d]).join('')}`;
}
