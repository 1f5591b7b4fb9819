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

/** Admin routes take `Authorization: Bearer <admin key>`; the key decides the workspace. Their POSTs honour `Idempotency-Key`. */
export function requireAdmin(app: FastifyInstance, hub: Hub): void {
  app.decorateRequest('workspaceId', '');
  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    const token = bearerOf(req);
    const workspaceId = token === undefined ? undefined : await hub.keys.workspaceOf(token, 'admin');
    if (workspaceId === undefined) {
      return sendProblem(reply, problem(401, token === undefined ? 'missing admin key: send Authorization: Bearer <admin key>' : 'invalid admin key'));
    }
    req.workspaceId = workspaceId;
  });
  idempotentPosts(app, hub);
}
