import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { zodErrors } from '../core/events/validate.js';
import type { Hub } from '../engine/hub.js';
import { recordReceipt } from '../engine/receipts.js';
import { visitorProfile } from '../engine/visitor.js';
import { WRITE_KEY_ROUTE } from './cors.js';
import { writeKeyWorkspace } from './decide-routes.js';
import { problem, sendProblem } from './problem.js';

const Visitor = {
  userId: z.string().min(1).max(1024).optional(),
  anonymousId: z.string().min(1).max(1024).optional(),
};
const needsOne = (r: { userId?: string; anonymousId?: string }, ctx: z.RefinementCtx): void => {
  if (r.userId === undefined && r.anonymousId === undefined) ctx.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required' });
};
export const InboxQuery = z.strictObject({ ...Visitor, limit: z.coerce.number().int().min(1).max(100).default(20), writeKey: z.string().optional() }).superRefine(needsOne);
export const InboxMark = z.strictObject({ ...Visitor, writeKey: z.string().optional() }).superRefine(needsOne);

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The in-app inbox, for apps and web pages with the write key (CORS as ingestion): a visitor's
 * messages (`GET /v1/inbox`), marked read (a `Message Opened` receipt) or dismissed.
 */
export function inboxRoutes(app: FastifyInstance, hub: Hub): void {
  app.get('/v1/inbox', WRITE_KEY_ROUTE, async (req, reply) => {
    const q = InboxQuery.safeParse(req.query);
    if (!q.success) return sendProblem(reply, problem(400, 'invalid query', zodErrors(q.error, '')));
    const ws = await writeKeyWorkspace(hub, req, reply);
    if (ws === undefined) return reply;
    const p = await visitorProfile(hub, ws, q.data);
    const items = p ? await hub.store.inbox.list(ws, p.id, q.data.limit) : [];
    return { items: items.map((m) => ({ key: m.key, payload: m.payload, status: m.status, createdAt: iso(m.createdAt) })) };
  });

  for (const status of ['read', 'dismissed'] as const) {
    app.post<{ Params: { key: string } }>(`/v1/inbox/:key/${status === 'read' ? 'read' : 'dismiss'}`, WRITE_KEY_ROUTE, async (req, reply) => {
      const body = InboxMark.safeParse(req.body ?? {});
      if (!body.success) return sendProblem(reply, problem(400, 'invalid request; nothing was marked', zodErrors(body.error, '')));
      const ws = await writeKeyWorkspace(hub, req, reply);
      if (ws === undefined) return reply;
      const p = await visitorProfile(hub, ws, body.data);
      const message = p && (await hub.store.inbox.get(ws, req.params.key));
      if (!p || message?.profileId !== p.id) return sendProblem(reply, problem(404, `no inbox message ${req.params.key} for this visitor`));
      await hub.store.inbox.mark(ws, p.id, message.key, status, hub.clock.now());
      const sent = await hub.store.outbox.get(ws, message.key);
      if (sent && message.status !== status) await recordReceipt(hub, sent.message, status === 'read' ? 'Message Opened' : 'Message Dismissed', { via: 'inbox' });
      return { key: message.key, status };
    });
  }
}
