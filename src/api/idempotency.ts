import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Hub } from '../engine/hub.js';
import { problem, sendProblem } from './problem.js';

/** How long an answer is kept for retries (as Stripe does). */
const KEPT_MS = 24 * 3_600_000;
const HEADER = 'idempotency-key';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { readonly key: string; readonly fingerprint: string };
  }
}

const fingerprintOf = (req: FastifyRequest): string =>
  createHash('sha256').update(`${req.method} ${req.url}\n${JSON.stringify(req.body ?? null)}`).digest('base64url');

/**
 * Admin POSTs honour an `Idempotency-Key` header (DESIGN §5b, as Stripe's API): the first answer
 * (any status below 500) is kept for 24 hours and a retry of the same request gets it again, with
 * `Idempotent-Replayed: true`, instead of acting twice. The same key with another request is a 422;
 * while the first is still running, a retry is a 409.
 */
/** Keys of requests still running, per hub (shared by every admin scope of its app). */
const runningOf = new WeakMap<Hub, Set<string>>();

export function idempotentPosts(app: FastifyInstance, hub: Hub): void {
  const running = runningOf.get(hub) ?? new Set<string>();
  runningOf.set(hub, running);
  const slot = (req: FastifyRequest, key: string): string => `${req.workspaceId}\u0000${key}`;
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const key = req.headers[HEADER];
    if (req.method !== 'POST' || key === undefined) return;
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      return sendProblem(reply, problem(400, 'invalid Idempotency-Key', [{ path: 'Idempotency-Key', message: 'must be one header of 1 to 255 characters' }]));
    }
    const fingerprint = fingerprintOf(req);
    const first = await hub.store.idempotency.get(req.workspaceId, key);
    if (first && first.fingerprint !== fingerprint) {
      return sendProblem(reply, problem(422, 'this Idempotency-Key was used with a different request', [{ path: 'Idempotency-Key', message: 'already used for another request' }]));
    }
    if (first) return reply.code(first.status).header('idempotent-replayed', 'true').type(first.contentType).send(first.body);
    if (running.has(slot(req, key))) return sendProblem(reply, problem(409, 'a request with this Idempotency-Key is still running; retry later'));
    running.add(slot(req, key));
    req.idempotency = { key, fingerprint };
    // When the answer is sent, or the client went away before it (onResponse does not run then).
    reply.raw.once('close', () => running.delete(slot(req, key)));
  });
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const i = req.idempotency;
    if (!i || reply.statusCode >= 500 || typeof payload !== 'string') return payload;
    const now = hub.clock.now();
    const contentType = String(reply.getHeader('content-type') ?? 'application/json');
    await hub.store.idempotency.put(req.workspaceId, i.key, { fingerprint: i.fingerprint, status: reply.statusCode, contentType, body: payload, createdAt: now }, now - KEPT_MS);
    return payload;
  });
  app.addHook('onResponse', async (req: FastifyRequest) => {
    if (req.idempotency) running.delete(slot(req, req.idempotency.key));
  });
}
