import type { Channel } from '../core/journeys/definition.js';

/**
 * One message, rendered, on its way to a contributor (an e-mail provider, an SMS gateway, a partner's
 * webhook). `key` is its idempotency key: the same action re-sent after a fault or a crash carries the
 * same key (Message-ID, `webhook-id`, …), so a well-behaved receiver sees it once.
 */
export interface OutboundMessage {
  readonly key: string;
  readonly channel: Channel;
  /** The address on that channel: an e-mail address, a phone number (E.164), or empty for a webhook. */
  readonly to: string;
  /** E-mail: subject, HTML and text parts (rendered, with tracking applied). */
  readonly subject?: string;
  readonly html?: string;
  readonly text?: string;
  /** SMS: the text. */
  readonly body?: string;
  /** Webhook: the JSON payload. */
  readonly payload?: Readonly<Record<string, unknown>>;
  /** One-click unsubscribe (RFC 8058) for this recipient, when the message is marketing. */
  readonly unsubscribeUrl?: string;
  /** Where it comes from, for receipts and the receiver's bookkeeping. */
  readonly meta: {
    readonly workspaceId: string;
    readonly profileId: string;
    readonly journeyId?: string;
    readonly decisionId?: string;
    readonly candidateId?: string;
  };
}

/** What a delivery attempt answered: delivered, or failed (retryable faults are tried again with back-off; the others go to the dead-letter queue). */
export type DeliveryResult =
  | { readonly ok: true; readonly providerId?: string }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      readonly error: string;
      readonly retryAfterMs?: number;
      /** The receiver refused this recipient for good (a hard bounce: SMTP 5xx to RCPT TO): the address is suppressed. */
      readonly recipientRejected?: boolean;
    };

/** A contributor's connection settings, credentials decrypted (they never leave the hub). */
export type ContributorSettings = Readonly<Record<string, unknown>>;

/** A channel adapter: delivers messages to one kind of contributor. */
export interface DeliveryAdapter {
  send(message: OutboundMessage, settings: ContributorSettings): Promise<DeliveryResult>;
  close?(): Promise<void>;
}
