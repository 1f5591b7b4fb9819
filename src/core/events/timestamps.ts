/**
 * Segment's clock-skew correction: when the client says when it sent the request (`sentAt`),
 * the event time is moved by the difference between the client's clock and the hub's:
 * `timestamp = receivedAt - (sentAt - originalTimestamp)`. Without `sentAt` the client's
 * timestamp is kept; without any timestamp the event happened when it was received.
 */
export function correctedTimestamp(
  call: { readonly timestamp?: string; readonly originalTimestamp?: string },
  sentAt: string | undefined,
  receivedAt: number,
): string {
  const original = call.originalTimestamp ?? call.timestamp;
  if (original === undefined) return new Date(receivedAt).toISOString();
  const originalMs = Date.parse(original);
  if (sentAt === undefined) return new Date(originalMs).toISOString();
  return new Date(receivedAt - (Date.parse(sentAt) - originalMs)).toISOString();
}
