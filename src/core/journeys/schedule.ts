import { asInstant, durationMs } from '../conditions/compare.js';
import type { ConditionFacts } from '../conditions/evaluate.js';
import { valueAt } from '../conditions/evaluate.js';
import type { Weekday } from '../conditions/schema.js';
import { instantOf, localParts } from '../conditions/time.js';
import type { StepOf } from './definition.js';

const HOUR = 3_600_000;
const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * When a `wait` step that began at `since` ends, for this profile: after a duration; at the next
 * local time of day (in the profile's time zone, DST-correct); or relative to a date trait. A date
 * already past (or a missing trait) ends the wait at once.
 */
export function wakeAt(step: StepOf<'wait'>, since: number, facts: ConditionFacts): number {
  if (step.for) return since + durationMs(step.for);
  if (step.untilLocalTime) return nextLocalTime(since, step.untilLocalTime.time, step.untilLocalTime.days, facts.timezone ?? 'UTC');
  const t = step.untilTrait;
  const date = t ? asInstant(valueAt(facts.traits, t.trait)) : undefined;
  if (!t || date === undefined) return since;
  const at = date - (t.before ? durationMs(t.before) : 0) + (t.after ? durationMs(t.after) : 0);
  return Math.max(since, at);
}

/**
 * The first instant after `from` whose wall time in `tz` is `hhmm`, on one of `days` (any day when
 * absent): a wait reached at 09:00 sharp for 09:00 waits for the next day's (so a daily loop runs once a day).
 */
export function nextLocalTime(from: number, hhmm: string, days: readonly Weekday[] | undefined, tz: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const p = localParts(from, tz);
  for (let d = 0; d <= 8; d++) {
    const day = new Date(Date.UTC(p.year, p.month - 1, p.day + d));
    if (days && !days.includes(WEEKDAYS[day.getUTCDay()] as Weekday)) continue;
    const at = instantOf(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), h, m, tz);
    if (at > from) return at;
    // A wall time repeated on a fall-back night: its second occurrence may still be ahead.
    const again = localParts(at + HOUR, tz);
    if (at + HOUR > from && again.hour === h && again.minute === m) return at + HOUR;
  }
  // Unreachable for valid input (a week always holds each weekday), kept total.
  return from;
}
