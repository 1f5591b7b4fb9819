/**
 * Receipts (DESIGN §2): what a contributor sends back about a message, as `track` events of these
 * names. Their properties carry the `channel` and, when known, the `decisionId`, `candidateId` and
 * `journeyId` of the message.
 */
export const RECEIPT = {
  delivered: 'Message Delivered',
  opened: 'Message Opened',
  clicked: 'Message Clicked',
  bounced: 'Message Bounced',
  complained: 'Message Complained',
  unsubscribed: 'Message Unsubscribed',
  replied: 'Message Replied',
  converted: 'Message Converted',
  dismissed: 'Message Dismissed',
} as const;
export type ReceiptEvent = (typeof RECEIPT)[keyof typeof RECEIPT];

export const RECEIPT_EVENTS: ReadonlySet<string> = new Set<string>(Object.values(RECEIPT));

/** Receipts that count as a message delivered (the denominator of a channel's engagement rate). */
export const DELIVERED_RECEIPTS: ReadonlySet<string> = new Set<string>([RECEIPT.delivered]);

/** Receipts that count as the customer engaging with a message (the numerator). */
export const ENGAGED_RECEIPTS: ReadonlySet<string> = new Set<string>([RECEIPT.opened, RECEIPT.clicked, RECEIPT.replied, RECEIPT.converted]);

export const isReceipt = (event: string): event is ReceiptEvent => RECEIPT_EVENTS.has(event);
