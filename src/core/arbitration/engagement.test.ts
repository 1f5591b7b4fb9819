import { describe, expect, it } from 'vitest';
import { DELIVERED_RECEIPTS, ENGAGED_RECEIPTS, RECEIPT, RECEIPT_EVENTS, isReceipt } from '../events/receipts.js';
import { engagementIncrements, engagementOf } from './engagement.js';

const T0 = Date.parse('2026-03-02T12:00:00.000Z'); // 13:00 in Paris
const receipt = (event: string, ts: number, properties: Record<string, unknown> = { channel: 'email' }) => ({ event, ts, properties });
const zeros = (): number[] => Array.from({ length: 24 }, () => 0);

describe('receipts', () => {
  it('names the nine receipts; delivered counts as delivered, opened/clicked/replied/converted as engaged', () => {
    expect([...RECEIPT_EVENTS]).toHaveLength(9);
    expect(isReceipt('Message Bounced')).toBe(true);
    expect(isReceipt('Order Completed')).toBe(false);
    expect([...DELIVERED_RECEIPTS]).toEqual([RECEIPT.delivered]);
    expect([...ENGAGED_RECEIPTS].sort()).toEqual(['Message Clicked', 'Message Converted', 'Message Opened', 'Message Replied']);
  });
});

describe('engagementIncrements', () => {
  it('counts delivered and engaged receipts per channel and local hour, summed; other events count nothing', () => {
    const rows = engagementIncrements([
      receipt(RECEIPT.delivered, T0),
      receipt(RECEIPT.opened, T0 + 60_000),
      receipt(RECEIPT.clicked, T0 + 120_000),
      receipt(RECEIPT.delivered, T0, { channel: 'sms', decisionId: 'd1' }),
      receipt(RECEIPT.bounced, T0),
      receipt(RECEIPT.unsubscribed, T0),
      receipt('Order Completed', T0),
    ]);
    expect(rows).toEqual([
      { channel: 'email', hour: 12, delivered: 1, engaged: 2 },
      { channel: 'sms', hour: 12, delivered: 1, engaged: 0 },
    ]);
  });

  it('uses the profile time zone for the hour (DST-correct), UTC by default or for an unknown zone', () => {
    const summer = Date.parse('2026-07-01T06:30:00.000Z');
    expect(engagementIncrements([receipt(RECEIPT.converted, T0), receipt(RECEIPT.replied, summer)], 'Europe/Paris').map((r) => r.hour)).toEqual([13, 8]);
    expect(engagementIncrements([receipt(RECEIPT.opened, T0)], 'Mars/Olympus')[0]?.hour).toBe(12);
  });

  it('ignores receipts without a valid channel', () => {
    expect(engagementIncrements([receipt(RECEIPT.opened, T0, {}), receipt(RECEIPT.opened, T0, { channel: 'fax' }), receipt(RECEIPT.opened, T0, { channel: 3 })])).toEqual([]);
  });
});

describe('engagementOf', () => {
  it('builds each channel history from its rows: totals, and engagements by hour', () => {
    const e = engagementOf([
      { channel: 'email', hour: 9, delivered: 3, engaged: 2 },
      { channel: 'email', hour: 18, delivered: 1, engaged: 1 },
      { channel: 'email', hour: 9, delivered: 1, engaged: 1 },
      { channel: 'push', hour: 0, delivered: 2, engaged: 0 },
    ]);
    const hours = zeros();
    hours[9] = 3;
    hours[18] = 1;
    expect(e).toEqual({ email: { delivered: 5, engaged: 4, hours }, push: { delivered: 2, engaged: 0, hours: zeros() } });
  });

  it('leaves out rows with an unknown channel or an hour outside 0–23, and counts negative numbers as none', () => {
    expect(engagementOf([{ channel: 'fax', hour: 1, delivered: 1, engaged: 1 }, { channel: 'sms', hour: 24, delivered: 1, engaged: 1 }, { channel: 'sms', hour: -1, delivered: 1, engaged: 1 }])).toEqual({});
    expect(engagementOf([{ channel: 'sms', hour: 3, delivered: -2, engaged: Number.NaN }])).toEqual({ sms: { delivered: 0, engaged: 0, hours: zeros() } });
  });

  it('round-trips what engagementIncrements produces', () => {
    const e = engagementOf(engagementIncrements([receipt(RECEIPT.delivered, T0), receipt(RECEIPT.opened, T0)], 'Europe/Paris'));
    expect(e.email).toMatchObject({ delivered: 1, engaged: 1 });
    expect(e.email?.hours[13]).toBe(1);
  });
});
