import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { parseContentItem } from '../core/content/item.js';
import { zodErrors } from '../core/events/validate.js';
import type { FieldError } from '../core/result.js';
import type { Hub } from '../engine/hub.js';
import type { StoredContent } from '../ports/content.js';
import { requireAdmin } from './admin-auth.js';
import { problem, sendProblem } from './problem.js';

export const ContentQuery = z.strictObject({ placement: z.string().min(1).max(64).optional().describe('only the items of this placement') });

/** An item as the API shows it. */
export const contentView = (c: StoredContent) => ({ ...c.item, createdAt: new Date(c.createdAt).toISOString(), updatedAt: new Date(c.updatedAt).toISOString() });

const invalid = (reply: FastifyReply, errors: readonly FieldError[]) => sendProblem(reply, problem(400, 'invalid content item; nothing was saved', errors));
const notFound = (reply: FastifyReply, id: string) => sendProblem(reply, problem(404, `no content item ${id}`));

type Req = { Params: { id: string } };

/** The content catalogue (admin): what the decision API chooses among, per placement. */
export function contentRoutes(app: FastifyInstance, hub: Hub): void {
  requireAdmin(app, hub);

  app.get('/v1/content', async (req, reply) => {
    const q = ContentQuery.safeParse(req.query);
    if (!q.success) return sendProblem(reply, problem(400, 'invalid query', zodErrors(q.error, '')));
    return { items: (await hub.store.content.list(req.workspaceId, q.data.placement)).map(contentView), nextCursor: null };
  });

  app.post('/v1/content', async (req, reply) => {
    const parsed = parseContentItem(req.body);
    if (!parsed.ok) return invalid(reply, parsed.error);
    const created = await hub.content.create(req.workspaceId, parsed.value, hub.clock.now());
    if (!created) return sendProblem(reply, problem(409, `content item ${parsed.value.id} exists; replace it with PUT /v1/content/${parsed.value.id}`));
    return reply.code(201).send(contentView(created));
  });

  app.get<Req>('/v1/content/:id', async (req, reply) => {
    const c = await hub.store.content.get(req.workspaceId, req.params.id);
    return c ? contentView(c) : notFound(reply, req.params.id);
  });

  app.put<Req>('/v1/content/:id', async (req, reply) => {
    const parsed = parseContentItem(req.body, req.params.id);
    if (!parsed.ok) return invalid(reply, parsed.error);
    const replaced = await hub.content.replace(req.workspaceId, parsed.value, hub.clock.now());
    return replaced ? contentView(replaced) : notFound(reply, req.params.id);
  });

  app.delete<Req>('/v1/content/:id', async (req, reply) => {
    if (!(await hub.content.remove(req.workspaceId, req.params.id))) return notFound(reply, req.params.id);
    return reply.code(204).send();
  });
}
