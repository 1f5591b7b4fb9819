import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EventType } from '../core/events/event.js';
import { validateBatch, validateCall } from '../core/events/validate.js';
import type { Hub } from '../engine/hub.js';
import { writeKeyOf } from './auth.js';
import { WRITE_KEY_ROUTE } from './cors.js';
import { ingest } from './ingest-routes.js';
import { rudderSourceConfig, segmentSettings } from './web-config.js';

/** `/v1/t` → track, `/v1/i` → identify, … as Segment's analytics.js posts them (first letter of the type). */
export const SHORT_PATHS: ReadonlyArray<readonly [string, EventType]> = EventType.options.map((type) => [`/v1/${type.charAt(0)}`, type]);

/**
 * What browser SDKs call besides the long Segment paths: analytics.js's short paths (`/v1/{t,p,i,g,a,s}`,
 * batches on `/v1/b`, metrics on `/v1/m`) and settings; RudderStack's source config, beacon batches and
 * metrics. Events go through the same `ingest` as `/v1/track`: same validation, idempotency and commit.
 */
export function webRoutes(app: FastifyInstance, hub: Hub): void {
  for (const [path, type] of SHORT_PATHS) {
    app.post(path, WRITE_KEY_ROUTE, (req, reply) => ingest(hub, req, reply, (body, ctx) => validateCall(body, type, ctx)));
  }
  app.post('/v1/b', WRITE_KEY_ROUTE, (req, reply) => ingest(hub, req, reply, validateBatch));
  // navigator.sendBeacon cannot set headers: the write key comes in the query string.
  app.post('/beacon/v1/batch', WRITE_KEY_ROUTE, (req, reply) => ingest(hub, req, reply, validateBatch, (r) => writeKeyOf(r, r.body) ?? queryKey(r)));
  // The SDKs' own telemetry (analytics.js `/v1/m`, RudderStack `/rsaMetrics`): accepted and dropped.
  for (const path of ['/v1/m', '/rsaMetrics']) app.post(path, WRITE_KEY_ROUTE, () => ({ success: true }));

  app.get<{ Params: { writeKey: string } }>('/v1/projects/:writeKey/settings', WRITE_KEY_ROUTE, (req, reply) => segmentSettings(hub, req, reply));
  for (const path of ['/sourceConfig', '/sourceConfig/']) {
    app.get(path, WRITE_KEY_ROUTE, (req, reply) => rudderSourceConfig(hub, req, reply, writeKeyOf(req, undefined) ?? queryKey(req)));
  }
}

function queryKey(req: FastifyRequest): string | undefined {
  const key = (req.query as Record<string, unknown> | undefined)?.writeKey;
  return typeof key === 'string' && key !== '' ? key : undefined;
}
