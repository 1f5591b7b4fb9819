import type { Weekday } from './schema.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: Weekday;
}

/** Wall-clock parts of an instant in an IANA time zone (pure: uses the runtime's tz database). */
export function localParts(ms: number, timeZone: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) parts[p.type] = p.value;
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second),
    weekday: (parts.weekday ?? 'Mon').slice(0, 3).toLowerCase() as Weekday,
  };
}

/** True when the zone is one the runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Offset (ms) of the zone from UTC at an instant. */
function offsetAt(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of a local wall time in a zone. A time skipped by a DST change (02:30 on a
 * spring-forward night) moves forward by the gap (03:30), as Temporal's 'compatible' does;
 * a repeated time (fall-back night) maps to its first occurrence.
 */
export function instantOf(y: number, mo: number, d: number, h: number, mi: number, timeZone: string): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  const candidates = [guess - offsetAt(guess - 86_400_000, timeZone), guess - offsetAt(guess + 86_400_000, timeZone)].sort((a, b) => a - b);
  for (const c of candidates) {
    const p = localParts(c, timeZone);
    if (p.year === y && p.month === mo && p.day === d && p.hour === h && p.minute === mi) return c;
  }
  return Math.max(...candidates);
}
