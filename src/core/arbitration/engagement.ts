import { isTimeZone, localParts } from '../conditions/time.js';
import { DELIVERED_RECEIPTS, ENGAGED_RECEIPTS } from '../events/receipts.js';
import { Channel } from '../journeys/definition.js';

/** A profile's history on one channel: messages delivered, engaged with, and engagements by local hour (24 counts). */
export interface Engagement {
  readonly delivered: number;
  readonly engaged: number;
  readonly hours: readonly number[];
}

export type EngagementByChannel = Readonly<Partial<Record<Channel, Engagement>>>;

/** One stored count: a profile's receipts on a channel in one local hour (0–23). */
export interface EngagementRow {
  readonly channel: Channel;
  readonly hour: number;
  readonly delivered: number;
  readonly engaged: number;
}

/** A receipt event as read from the log. */
export interface ReceiptInput {
  readonly event: string;
  readonly ts: number;
  readonly properties: Readonly<Record<string, unknown>>;
}

const isHour = (h: number): boolean => Number.isInteger(h) && h >= 0 && h < 24;
const count = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);

/** The engagement map of a profile from its stored rows; rows with an unknown channel or hour are left out. */
export function engagementOf(rows: readonly { readonly channel: string; readonly hour: number; readonly delivered: number; readonly engaged: number }[]): EngagementByChannel {
  const out: Partial<Record<Channel, { delivered: number; engaged: number; hours: number[] }>> = {};
  for (const r of rows) {
    const channel = Channel.safeParse(r.channel);
    if (!channel.success || !isHour(r.hour)) continue;
    const e = (out[channel.data] ??= { delivered: 0, engaged: 0, hours: Array.from({ length: 24 }, () => 0) });
    e.delivered += count(r.delivered);
    e.engaged += count(r.engaged);
    e.hours[r.hour] = (e.hours[r.hour] ?? 0) + count(r.engaged);
  }
  return out;
}

/**
 * The rows to add for a batch of events: each delivered or engaged receipt with a valid `channel`
 * counts once in the local hour (profile's time zone, default UTC) of its timestamp. Other events,
 * and receipts that are neither (bounced, complained, unsubscribed), count nothing. Summed per channel and hour.
 */
export function engagementIncrements(events: readonly ReceiptInput[], timezone?: string): EngagementRow[] {
  const tz = timezone !== undefined && isTimeZone(timezone) ? timezone : 'UTC';
  const rows = new Map<string, { channel: Channel; hour: number; delivered: number; engaged: number }>();
  for (const e of events) {
    const delivered = DELIVERED_RECEIPTS.has(e.event) ? 1 : 0;
    const engaged = ENGAGED_RECEIPTS.has(e.event) ? 1 : 0;
    const channel = Channel.safeParse(e.properties.channel);
    if (delivered + engaged === 0 || !channel.success || !Number.isFinite(e.ts)) continue;
    const hour = localParts(e.ts, tz).hour;
    const key = `${channel.data}:${hour}`;
    const row = rows.get(key) ?? { channel: channel.data, hour, delivered: 0, engaged: 0 };
    rows.set(key, { ...row, delivered: row.delivered + delivered, engaged: row.engaged + engaged });
  }
  return [...rows.values()];
}
