import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { durationMs } from '../core/conditions/compare.js';
import { Duration } from '../core/conditions/schema.js';
import { zodErrors } from '../core/events/validate.js';
import { publishContext } from '../engine/context.js';
import type { Hub } from '../engine/hub.js';
import type { StoredContextValue } from '../ports/context.js';
import { requireAdmin } from './admin-auth.js';
import { problem, sendProblem } from './problem.js';

const segment = z.string().min(1).max(200);
export const ContextParams = z.strictObject({ dimension: segment, key: segment });
/** A context value: its fields, valid until an instant or for a duration (default: until replaced). */
export const ContextInput = z
  .strictObject({
    value: z.record(z.string(), z.unknown()).refine((v) => JSON.stringify(v).length <= 16_384, 'must be at most 16 KB'),
    validUntil: z.iso.datetime({ offset: true }).optional(),
    validFor: Duration.optional(),
  })
  .refine((c) => !(c.validUntil && c.validFor), { message: 'give validUntil or validFor, not both', path: ['validFor'] });

const view = (v: StoredContextValue) => ({
  dimension: v.dimension, key: v.key, value: v.value,
  validUntil: v.validUntil === undefined ? null : new Date(v.validUntil).toISOString(), updatedAt: new Date(v.updatedAt).toISOString(),
});

/** Context signals (admin): weather by city, stock by SKU, … that conditions compare with a profile's trait. */
export function contextRoutes(app: FastifyInstance, hub: Hub): void {
  // Publishing a value checks nothing first: a feed's values, sent at once, share one write.
  requireAdmin(app, hub, { serialChanges: false });

  app.put<{ Params: { dimension: string; key: string } }>('/v1/context/:dimension/:key', async (req, reply) => {
    const params = ContextParams.safeParse(req.params);
    const body = ContextInput.safeParse(req.body);
    if (!params.success || !body.success) {
      const errors = [...(params.success ? [] : zodErrors(params.error, '')), ...(body.success ? [] : zodErrors(body.error, ''))];
      return sendProblem(reply, problem(400, 'invalid context value; nothing was stored', errors));
    }
    const now = hub.clock.now();
    const { value, validUntil, validFor } = body.data;
    const until = validUntil ? Date.parse(validUntil) : validFor ? now + durationMs(validFor) : undefined;
    const stored: StoredContextValue = { ...params.data, value, updatedAt: now, ...(until === undefined ? {} : { validUntil: until }) };
    const reevaluated = await publishContext(hub, req.workspaceId, params.data.dimension, params.data.key, stored);
    return { ...view(stored), reevaluated };
  });

  app.get<{ Params: { dimension: string; key: string } }>('/v1/context/:dimension/:key', async (req, reply) => {
    const v = await hub.store.context.get(req.workspaceId, req.params.dimension, req.params.key);
    return v ? view(v) : sendProblem(reply, problem(404, `no context value for ${req.params.dimension}/${req.params.key}`));
  });

  app.get<{ Params: { dimension: string } }>('/v1/context/:dimension', async (req) => ({
    items: (await hub.store.context.list(req.workspaceId, req.params.dimension)).map(view),
    nextCursor: null,
  }));

  app.delete<{ Params: { dimension: string; key: string } }>('/v1/context/:dimension/:key', async (req, reply) => {
    if (!(await hub.store.context.get(req.workspaceId, req.params.dimension, req.params.key))) {
      return sendProblem(reply, problem(404, `no context value for ${req.params.dimension}/${req.params.key}`));
    }
    await publishContext(hub, req.workspaceId, req.params.dimension, req.params.key, undefined);
    return reply.code(204).send();
  });
}
