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
