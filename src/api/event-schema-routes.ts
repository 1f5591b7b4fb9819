import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseEventSchema, type EventSchemaBody } from '../core/events/event-schema.js';
import type { Hub } from '../engine/hub.js';
import { newId } from '../engine/ids.js';
import type { StoredDefinition } from '../ports/definitions.js';
import { requireAdmin } from './admin-auth.js';
import { problem, sendProblem } from './problem.js';

type Req = { Params: { event: string } };

/** `GET /v1/event-schemas` and every answer that returns an event schema. */
export function eventSchemaView(d: StoredDefinition) {
  const { description, properties } = d.body as EventSchemaBody;
  return {
    event: d.name, ...(description === undefined ? {} : { description }), properties,
    version: d.version, createdAt: new Date(d.createdAt).toISOString(), updatedAt: new Date(d.updatedAt).toISOString(),
  };
}

const notFound = (reply: FastifyReply, event: string) => sendProblem(reply, problem(404, `no event schema for "${event}"`));

/**
 * Event schemas (admin): the workspace's tracking plan, one schema per event name (which may hold
 * spaces: the path segment is URL-decoded). Once a workspace has one, journeys are checked against them.
 */
export function eventSchemaRoutes(app: FastifyInstance, hub: Hub): void {
  requireAdmin(app, hub);
  const { definitions } = hub.store;

  app.get('/v1/event-schemas', async (req) => ({ items: (await definitions.list(req.workspaceId, 'eventSchema')).map(eventSchemaView), nextCursor: null }));

  app.get<Req>('/v1/event-schemas/:event', async (req, reply) => {
    const d = await definitions.byName(req.workspaceId, 'eventSchema', req.params.event);
    return d ? eventSchemaView(d) : notFound(reply, req.params.event);
  });

  app.put<Req>('/v1/event-schemas/:event', async (req, reply) => {
    const parsed = parseEventSchema(req.params.event, req.body);
    if (!parsed.ok) return sendProblem(reply, problem(400, 'invalid event schema; nothing was saved', parsed.error));
    const { event, body } = parsed.value;
    const previous = await definitions.byName(req.workspaceId, 'eventSchema', event);
    const saved = await put(hub, req.workspaceId, event, body, previous);
    return reply.code(saved.version === 1 ? 201 : 200).send(eventSchemaView(saved));
  });

  app.delete<Req>('/v1/event-schemas/:event', async (req, reply) => {
    const d = await definitions.byName(req.workspaceId, 'eventSchema', req.params.event);
    if (!d) return notFound(reply, req.params.event);
    await definitions.remove(req.workspaceId, d.id);
    return reply.code(204).send();
  });
}

/** Creates or replaces (a new version); a concurrent create of the same name turns this into a replace. */
async function put(hub: Hub, workspaceId: string, event: string, body: EventSchemaBody, previous: StoredDefinition | undefined): Promise<StoredDefinition> {
  const { definitions } = hub.store;
  const now = hub.clock.now();
  const next = (p: StoredDefinition | undefined): StoredDefinition => ({
    id: p?.id ?? newId('evs', now), workspaceId, kind: 'eventSchema', name: event, body,
    version: (p?.version ?? 0) + 1, createdAt: p?.createdAt ?? now, updatedAt: now,
  });
  const saved = next(previous);
  try {
    await definitions.put(saved);
    return saved;
  } catch (e) {
    const raced = previous ? undefined : await definitions.byName(workspaceId, 'eventSchema', event);
    if (!raced) throw e;
    const replaced = next(raced);
    await definitions.put(replaced);
    return replaced;
  }
}
