/**
 * Segment's clock-skew correction: when the client says when it sent the request (`sentAt`),
 * the event time is moved by the difference between the client's clock and the hub's:
 * `timestamp = receivedAt - (sentAt - original)`. The original time is the call's explicit
 * `timestamp` when it has one (server libraries, backfills; RudderStack's SDK sends both and
 * sets `originalTimestamp` to the send time), else its `originalTimestamp`. Without `sentAt`
 * the client's time is kept; without any, the event happened when it was received.
 */
export function correctedTimestamp(
  call: { readonly timestamp?: string; readonly originalTimestamp?: string },
  sentAt: string | undefined,
  receivedAt: number,
): string {
  const original = call.timestamp ?? call.originalTimestamp;
  if (original === undefined) return new Date(receivedAt).toISOString();
  const originalMs = Date.parse(original);
  if (sentAt === undefined) return new Date(originalMs).toISOString();
  return new Date(receivedAt - (Date.parse(sentAt) - originalMs)).toISOString();
}
