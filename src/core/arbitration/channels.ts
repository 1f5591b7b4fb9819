import { localParts } from '../conditions/time.js';
import type { Candidate } from '../journeys/candidate.js';
import type { Channel } from '../journeys/definition.js';
import { nextLocalTime } from '../journeys/schedule.js';
import type { Engagement, EngagementByChannel } from './engagement.js';

/** A channel's engagement rate counts once the profile has had this many messages delivered on it. */
export const MIN_HISTORY = 3;
/** A best hour to send counts once the profile has engaged this many times on the channel. */
export const MIN_ENGAGEMENTS = 3;

/** One channel a candidate allows, with the history that placed it in the order tried. */
export interface ChannelChoice {
  readonly channel: Channel;
  readonly delivered: number;
  readonly engaged: number;
  /** engaged / delivered; null without enough history (fewer than MIN_HISTORY delivered). */
  readonly rate: number | null;
}

/** The channels a candidate allows, in the journey's order: its first choice, then its alternatives. */
function allowedChannels(c: Candidate): Channel[] {
  return c.alternatives && c.alternatives.length > 0 ? [...new Set([c.channel, ...c.alternatives])] : [c.channel];
}

/**
 * The order in which to try a candidate's channels: those with a history by engagement rate
 * (highest first, ties in the journey's order), then the others in the journey's order.
 */
export function channelOrder(c: Candidate, engagement: EngagementByChannel | undefined): ChannelChoice[] {
  const choices = allowedChannels(c).map((channel) => choiceOf(channel, engagement?.[channel]));
  if (choices.length === 1) return choices;
  const known = choices.filter((x) => x.rate !== null).sort((a, b) => (b.rate as number) - (a.rate as number));
  return [...known, ...choices.filter((x) => x.rate === null)];
}

function choiceOf(channel: Channel, e: Engagement | undefined): ChannelChoice {
  const delivered = e?.delivered ?? 0;
  const engaged = e?.engaged ?? 0;
  return { channel, delivered, engaged, rate: delivered >= MIN_HISTORY ? engaged / delivered : null };
}

/** The local hour (0–23) in which the profile engaged most on the channel (ties: the earliest); undefined without enough engagements. */
export function bestHour(e: Engagement | undefined): number | undefined {
  if (!e) return undefined;
  const hours = Array.from({ length: 24 }, (_, h) => Math.max(0, e.hours[h] ?? 0));
  if (hours.reduce((s, n) => s + n, 0) < MIN_ENGAGEMENTS) return undefined;
  return hours.reduce((best, n, h) => (n > (hours[best] as number) ? h : best), 0);
}

/**
 * Send time: a candidate with `sendWithin` waits for the profile's best local hour on its channel
 * when that hour next starts within the window; it goes now when it is that hour already, when the
 * hour is further off, or without enough history. DST-correct (the hour's next start in the zone).
 */
export function sendTimeDeferral(c: Candidate, e: Engagement | undefined, timezone: string, now: number): { readonly until: number; readonly hour: number } | undefined {
  if (c.sendWithin === undefined) return undefined;
  const hour = bestHour(e);
  if (hour === undefined || localParts(now, timezone).hour === hour) return undefined;
  const until = nextLocalTime(now, `${String(hour).padStart(2, '0')}:00`, undefined, timezone);
  return until > now && until <= now + c.sendWithin ? { until, hour } : undefined;
}
