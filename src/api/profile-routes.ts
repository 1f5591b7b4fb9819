import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { zodErrors } from '../core/events/validate.js';
import { normalizeIdentifier } from '../core/identity/identifier.js';
import type { Hub } from '../engine/hub.js';
import { timelineItems } from '../engine/timeline.js';
import type { TimelinePosition } from '../ports/profile-reader.js';
import { requireAdmin } from './admin-auth.js';
import { problem, sendProblem } from './problem.js';

export const TimelineQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

/** Profiles and timelines (admin). */
export function profileRoutes(app: FastifyInstance, hub: Hub): void {
  requireAdmin(app, hub);
  const { reader } = hub.store;
  const notFound = (what: string) => problem(404, `no profile ${what}`);

  app.get<{ Params: { type: string; value: string } }>('/v1/profiles/by/:type/:value', async (req, reply) => {
    const { type, value } = req.params;
    const p = await reader.byIdentifier(req.workspaceId, normalizeIdentifier({ type, value }, hub.config.identity));
    return p ?? sendProblem(reply, notFound(`with identifier ${type}=${value}`));
  });

  app.get<{ Params: { id: string } }>('/v1/profiles/:id', async (req, reply) => {
    const p = await reader.byId(req.workspaceId, req.params.id);
    return p ?? sendProblem(reply, notFound(`with id ${req.params.id}`));
  });

  app.get<{ Params: { id: string } }>('/v1/profiles/:id/timeline', async (req, reply) => {
    const q = TimelineQuery.safeParse(req.query);
    if (!q.success) return sendProblem(reply, problem(400, 'invalid query', zodErrors(q.error, '')));
    const before = q.data.cursor === undefined ? undefined : decodeCursor(q.data.cursor);
    if (before === null) return sendProblem(reply, problem(400, 'invalid query', [{ path: 'cursor', message: 'not a cursor this API returned' }]));
    const p = await reader.byId(req.workspaceId, req.params.id);
    if (!p) return sendProblem(reply, notFound(`with id ${req.params.id}`));
    const positions = await reader.timeline(req.workspaceId, p.id, q.data.limit + 1, before);
    const page = positions.slice(0, q.data.limit);
    const last = page.at(-1);
    return { items: await timelineItems(hub.store, page), nextCursor: positions.length > q.data.limit && last ? encodeCursor(last) : null };
  });
}

const encodeCursor = (t: TimelinePosition): string => Buffer.from(`${t.ts}.${t.seq}`).toString('base64url');

function decodeCursor(cursor: string): TimelinePosition | null {
  const m = /^(-?\d+)\.(-?\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? { ts: Number(m[1]), seq: Number(m[2]) } : null;
}
