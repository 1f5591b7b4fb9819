import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Hub } from '../engine/hub.js';
import { bearerOf } from './auth.js';
import { idempotentPosts } from './idempotency.js';
import { problem, sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    workspaceId: string;
  }
}

/**
 * Admin routes take `Authorization: Bearer <admin key>`; the key decides the workspace. Their POSTs
 * honour `Idempotency-Key`; their changes run one at a time, unless `serialChanges` is false (routes
 * whose changes check nothing first).
 */
export function requireAdmin(app: FastifyInstance, hub: Hub, { serialChanges = true } = {}): void {
  app.decorateRequest('workspaceId', '');
  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    const token = bearerOf(req);
    const workspaceId = token === undefined ? undefined : await hub.keys.workspaceOf(token, 'admin');
    if (workspaceId === undefined) {
      return sendProblem(reply, problem(401, token === undefined ? 'missing admin key: send Authorization: Bearer <admin key>' : 'invalid admin key'));
    }
    req.workspaceId = workspaceId;
  });
  if (serialChanges) oneChangeAtATime(app, hub);
  idempotentPosts(app, hub);
}

/** Per hub: each workspace's admin change in progress, or waiting (the last of the queue). */
const changesOf = new WeakMap<Hub, Map<string, Promise<void>>>();

/**
 * A workspace's admin changes (any method but GET and HEAD) run one at a time, from their checks to
 * their answer: a handler's writes wait for their turn at the write lock, and no other change may
 * act meanwhile on what it checked (a segment named by one being deleted, a name taken twice).
 */
function oneChangeAtATime(app: FastifyInstance, hub: Hub): void {
  const changes = changesOf.get(hub) ?? new Map<string, Promise<void>>();
  changesOf.set(hub, changes);
  const releases = new WeakMap<FastifyRequest, () => void>();
  app.addHook('preHandler', async (req: FastifyRequest, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const ws = req.workspaceId;
    const before = changes.get(ws) ?? Promise.resolve();
    let resolve = (): void => undefined;
    const mine = new Promise<void>((r) => (resolve = r));
    changes.set(ws, mine);
    const release = (): void => {
      resolve();
      if (changes.get(ws) === mine) changes.delete(ws);
    };
    releases.set(req, release);
    // When the answer is sent, or the client went away before it (onResponse does not run then).
    reply.raw.once('close', () => void before.then(release));
    await before;
  });
  app.addHook('onResponse', async (req: FastifyRequest) => releases.get(req)?.());
}
