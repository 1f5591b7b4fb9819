/** The first answer to an admin POST sent with an `Idempotency-Key`, kept to answer its retries. */
export interface IdempotentAnswer {
  /** Method, path and body of the request, hashed: a retry must be the same request. */
  readonly fingerprint: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly createdAt: number;
}

export interface IdempotencyStore {
  get(workspaceId: string, key: string): Promise<IdempotentAnswer | undefined>;
  /** Keeps the answer, and forgets answers created before `forgetBefore`. */
  put(workspaceId: string, key: string, answer: IdempotentAnswer, forgetBefore: number): Promise<void>;
}
