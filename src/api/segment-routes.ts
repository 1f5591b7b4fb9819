import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { parseCondition } from '../core/conditions/validate.js';
import { parseComputedTrait, parseSegment, type SegmentBody } from '../core/segments/definitions.js';
import type { FieldError } from '../core/result.js';
import type { Hub } from '../engine/hub.js';
import { newId } from '../engine/ids.js';
import { previewCondition } from '../engine/preview.js';
import { saveDefinition } from '../engine/segments.js';
import type { DefinitionKind, StoredDefinition } from '../ports/definitions.js';
import { requireAdmin } from './admin-auth.js';
import { problem, sendProblem } from './problem.js';

export const MembersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});

const invalid = (reply: FastifyReply, errors: readonly FieldError[]) => sendProblem(reply, problem(400, 'invalid definition; nothing was saved', errors));

/** Segments and computed traits (admin): CRUD, members, count, preview, backfill progress. */
export function segmentRoutes(app: FastifyInstance, hub: Hub): void {
  requireAdmin(app, hub);
  const { definitions, audiences } = hub.store;
  const view = (d: StoredDefinition) => {
    const body = d.body as SegmentBody & Record<string, unknown>;
    const base = { id: d.id, name: d.name, version: d.version, createdAt: new Date(d.createdAt).toISOString(), updatedAt: new Date(d.updatedAt).toISOString() };
    return d.kind === 'segment'
      ? { ...base, description: body.description, condition: body.condition, backfill: d.backfill ?? null }
      : { ...base, ...body, backfill: d.backfill ?? null };
  };
  const notFound = (reply: FastifyReply, id: string) => sendProblem(reply, problem(404, `no segment or computed trait ${id}`));

  const save = (ws: string, kind: DefinitionKind, id: string, name: string, body: unknown, previous?: StoredDefinition) =>
    saveDefinition(hub, { workspaceId: ws, kind, id, name, body }, previous);

  const others = async (ws: string) =>
    (await definitions.list(ws, 'segment')).map((d) => ({ id: d.id, condition: (d.body as SegmentBody).condition }));

  for (const [path, kind] of [['/v1/segments', 'segment'], ['/v1/computed-traits', 'computedTrait']] as const) {
    app.get(path, async (req) => ({ items: (await definitions.list(req.workspaceId, kind)).map(view), nextCursor: null }));

    app.post(path, async (req, reply) => {
      const id = newId(kind === 'segment' ? 'seg' : 'ctr', hub.clock.now());
      const parsed = kind === 'segment' ? parseSegment(req.body, id, await others(req.workspaceId)) : parseComputedTrait(req.body);
      if (!parsed.ok) return invalid(reply, parsed.error);
      const name = parsed.value.name;
      if (await definitions.byName(req.workspaceId, kind, name)) return invalid(reply, [{ path: 'name', message: `a ${kind === 'segment' ? 'segment' : 'computed trait'} named '${name}' exists` }]);
      const body = 'body' in parsed.value ? parsed.value.body : parsed.value;
      return reply.code(201).send(view(await save(req.workspaceId, kind, id, name, body)));
    });

    app.get<{ Params: { id: string } }>(`${path}/:id`, async (req, reply) => {
      const d = await definitions.get(req.workspaceId, req.params.id);
      return d?.kind === kind ? view(d) : notFound(reply, req.params.id);
    });

    app.put<{ Params: { id: string } }>(`${path}/:id`, async (req, reply) => {
      const previous = await definitions.get(req.workspaceId, req.params.id);
      if (previous?.kind !== kind) return notFound(reply, req.params.id);
      const parsed = kind === 'segment' ? parseSegment(req.body, previous.id, await others(req.workspaceId)) : parseComputedTrait(req.body);
      if (!parsed.ok) return invalid(reply, parsed.error);
      const name = parsed.value.name;
      const clash = await definitions.byName(req.workspaceId, kind, name);
      if (clash && clash.id !== previous.id) return invalid(reply, [{ path: 'name', message: `'${name}' is taken` }]);
      const body = 'body' in parsed.value ? parsed.value.body : parsed.value;
      return view(await save(req.workspaceId, kind, previous.id, name, body, previous));
    });

    app.delete<{ Params: { id: string } }>(`${path}/:id`, async (req, reply) => {
      const d = await definitions.get(req.workspaceId, req.params.id);
      if (d?.kind !== kind) return notFound(reply, req.params.id);
      if (kind === 'segment') {
        const users = (await others(req.workspaceId)).filter((o) => o.id !== d.id && JSON.stringify(o.condition).includes(`"${d.id}"`));
        if (users.length > 0) return sendProblem(reply, problem(409, `segment ${d.id} is used by ${users.map((u) => u.id).join(', ')}`));
      }
      await definitions.remove(req.workspaceId, d.id);
      hub.processor.changed();
      return reply.code(204).send();
    });
  }

  app.get<{ Params: { id: string } }>('/v1/segments/:id/members', async (req, reply) => {
    const q = MembersQuery.safeParse(req.query);
    if (!q.success) return sendProblem(reply, problem(400, 'invalid query', q.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))));
    const d = await definitions.get(req.workspaceId, req.params.id);
    if (d?.kind !== 'segment') return notFound(reply, req.params.id);
    const after = q.data.cursor === undefined ? undefined : Buffer.from(q.data.cursor, 'base64url').toString('utf8');
    const rows = await audiences.members(d.id, q.data.limit + 1, after);
    const page = rows.slice(0, q.data.limit);
    const last = page.at(-1);
    return {
      items: page.map((m) => ({ profileId: m.profileId, since: new Date(m.since).toISOString() })),
      nextCursor: rows.length > q.data.limit && last ? Buffer.from(last.profileId).toString('base64url') : null,
    };
  });

  app.get<{ Params: { id: string } }>('/v1/segments/:id/count', async (req, reply) => {
    const d = await definitions.get(req.workspaceId, req.params.id);
    if (d?.kind !== 'segment') return notFound(reply, req.params.id);
    return { count: await audiences.count(d.id), backfill: d.backfill ?? null };
  });

  app.post('/v1/segments/preview', async (req, reply) => {
    const body = (req.body ?? {}) as { condition?: unknown };
    const condition = parseCondition(body.condition, 'condition');
    if (!condition.ok) return invalid(reply, condition.error);
    return previewCondition(hub, req.workspaceId, condition.value);
  });

  app.get<{ Params: { id: string } }>('/v1/profiles/:id/segments', async (req, reply) => {
    const p = await hub.store.reader.byId(req.workspaceId, req.params.id);
    if (!p) return sendProblem(reply, problem(404, `no profile with id ${req.params.id}`));
    const items = await audiences.segmentsOf(p.id);
    return { items: items.map((s) => ({ segmentId: s.segmentId, since: new Date(s.since).toISOString() })), nextCursor: null };
  });
}
