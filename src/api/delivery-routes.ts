import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OutboxRow } from '../ports/outbox.js';
import { parseTemplate } from '../core/templates/template.js';
import type { Hub } from '../engine/hub.js';
import { requireAdmin } from './admin-auth.js';
import { problem, sendProblem } from './problem.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
export const outboxView = (r: OutboxRow) => ({
  key: r.message.key, status: r.status, attempts: r.attempts, nextAt: iso(r.nextAt), lastError: r.lastError ?? null, doneAt: iso(r.doneAt),
  profileId: r.message.profileId, channel: r.message.channel, contributor: r.message.contributor ?? null, template: r.message.template,
  journeyId: r.message.journeyId, decisionId: r.message.decisionId, createdAt: iso(r.message.at),
});
export const MailboxQuery = z.strictObject({ to: z.string().min(1).max(512).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) });

/** Contributors, templates, the outbox's dead-letter queue and the local mailbox (admin). */
export function deliveryRoutes(app: FastifyInstance, hub: Hub): void {
  requireAdmin(app, hub);
  const { store, contributors } = hub;
  const invalid = (what: string, errors: readonly { path: string; message: string }[]) => problem(400, `invalid ${what}; nothing was saved`, errors);

  app.get('/v1/contributors', async (req) => ({ items: await contributors.withHealth(req.workspaceId, store.outbox, hub.clock.now()), nextCursor: null }));
  app.post('/v1/contributors', async (req, reply) => {
    const id = (req.body as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && (await store.contributors.get(req.workspaceId, id))) return sendProblem(reply, problem(409, `contributor ${id} exists; change it with PUT /v1/contributors/${id}`));
    const r = await contributors.save(req.workspaceId, req.body, hub.clock.now());
    if (!r.ok) return sendProblem(reply, invalid('contributor', r.error));
    return reply.code(201).send(await viewOf(req.workspaceId, r.value.id));
  });
  app.get<{ Params: { id: string } }>('/v1/contributors/:id', async (req, reply) => (await viewOf(req.workspaceId, req.params.id)) ?? sendProblem(reply, problem(404, `no contributor ${req.params.id}`)));
  app.put<{ Params: { id: string } }>('/v1/contributors/:id', async (req, reply) => {
    const r = await contributors.save(req.workspaceId, req.body, hub.clock.now(), req.params.id);
    if (!r.ok) return sendProblem(reply, invalid('contributor', r.error));
    return viewOf(req.workspaceId, r.value.id);
  });
  app.delete<{ Params: { id: string } }>('/v1/contributors/:id', async (req, reply) =>
    (await contributors.remove(req.workspaceId, req.params.id)) ? reply.code(204).send() : sendProblem(reply, problem(404, `no contributor ${req.params.id}`)));
  const viewOf = async (ws: string, id: string) => (await contributors.withHealth(ws, store.outbox, hub.clock.now())).find((c) => c.id === id);

  app.get('/v1/templates', async (req) => ({ items: await store.templates.list(req.workspaceId), nextCursor: null }));
  app.put<{ Params: { id: string } }>('/v1/templates/:id', async (req, reply) => {
    const r = parseTemplate({ ...(req.body as object), id: req.params.id });
    if (!r.ok) return sendProblem(reply, invalid('template', r.error));
    const existed = (await store.templates.get(req.workspaceId, r.value.id)) !== undefined;
    await store.templates.put(req.workspaceId, r.value, hub.clock.now());
    return reply.code(existed ? 200 : 201).send(r.value);
  });
  app.get<{ Params: { id: string } }>('/v1/templates/:id', async (req, reply) => (await store.templates.get(req.workspaceId, req.params.id)) ?? sendProblem(reply, problem(404, `no template ${req.params.id}`)));
  app.delete<{ Params: { id: string } }>('/v1/templates/:id', async (req, reply) =>
    (await store.templates.remove(req.workspaceId, req.params.id)) ? reply.code(204).send() : sendProblem(reply, problem(404, `no template ${req.params.id}`)));

  app.get<{ Params: { key: string } }>('/v1/outbox/:key', async (req, reply) => {
    const r = await store.outbox.get(req.workspaceId, req.params.key);
    return r ? outboxView(r) : sendProblem(reply, problem(404, `no outbox message ${req.params.key}`));
  });
  app.get('/v1/outbox/dlq', async (req) => ({ items: (await store.outbox.dead(req.workspaceId, 500)).map(outboxView), nextCursor: null }));
  app.post<{ Params: { key: string } }>('/v1/outbox/dlq/:key/retry', async (req, reply) => {
    const n = await store.outbox.retry(req.workspaceId, req.params.key, hub.clock.now());
    if (n === 0) return sendProblem(reply, problem(404, `no dead message ${req.params.key}`));
    hub.dispatcher.kick();
    return { retried: n };
  });
  app.delete<{ Params: { key: string } }>('/v1/outbox/dlq/:key', async (req, reply) =>
    (await store.outbox.drop(req.workspaceId, req.params.key)) > 0 ? reply.code(204).send() : sendProblem(reply, problem(404, `no dead message ${req.params.key}`)));

  app.get('/v1/mailbox', async (req, reply) => {
    const q = MailboxQuery.safeParse(req.query);
    if (!q.success) return sendProblem(reply, problem(400, 'invalid query', q.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))));
    return { items: await store.mailbox.list(req.workspaceId, { limit: q.data.limit, ...(q.data.to === undefined ? {} : { to: q.data.to }) }) };
  });
}
