import { z } from 'zod';
import { AliasCall, BatchRequest, GroupCall, IdentifyCall, PageCall, ScreenCall, TrackCall } from '../core/events/event.js';
import { TimelineQuery } from './profile-routes.js';
import { content, ingestion, json, problems, type Schema } from './openapi-parts.js';
import { decidePaths } from './openapi-decide.js';
import { decisionPaths } from './openapi-decisions.js';
import { deliveryPaths } from './openapi-delivery.js';
import { eventSchemaPaths } from './openapi-event-schemas.js';
import { journeyPaths } from './openapi-journeys.js';
import { segmentPaths } from './openapi-segments.js';
import { webPaths } from './openapi-web.js';
import { Health, Profile, Timeline } from './schemas.js';

function admin(summary: string, response: Schema, params: string[], query?: Schema) {
  const parameters = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  if (query instanceof z.ZodObject) {
    for (const [name, s] of Object.entries(query.shape as Record<string, Schema>)) parameters.push({ name, in: 'query', required: false, schema: json(s) as { type: string } });
  }
  return {
    get: { tags: ['profiles'], summary, security: [{ adminKey: [] }], parameters, responses: { '200': { description: 'ok', ...content(response) }, ...problems(400, 401, 404) } },
  };
}

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 255 },
  description: 'A retry with the same key and request gets the first answer (kept 24 h, header Idempotent-Replayed: true) instead of acting twice; the same key with another request is a 422.',
};

/** Every admin POST (bearer security) takes an Idempotency-Key header. */
function withIdempotencyKeys(paths: Record<string, object>): Record<string, object> {
  for (const ops of Object.values(paths)) {
    const post = (ops as { post?: { security?: object[]; parameters?: unknown[] } }).post;
    if (post?.security?.some((s) => 'adminKey' in s)) post.parameters = [...(post.parameters ?? []), IDEMPOTENCY_KEY];
  }
  return paths;
}

/** The OpenAPI 3.1 document, generated from the zod schemas that validate requests. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Experience Hub API', version: '0.1.0', description: 'Segment-compatible ingestion and the hub\'s own API.' },
    components: {
      securitySchemes: {
        writeKey: { type: 'http', scheme: 'basic', description: 'write key as user name, empty password' },
        adminKey: { type: 'http', scheme: 'bearer' },
      },
    },
    paths: withIdempotencyKeys({
      '/v1/track': ingestion('Record an action', TrackCall),
      '/v1/identify': ingestion('Identify a user and set traits', IdentifyCall),
      '/v1/page': ingestion('Record a page view', PageCall),
      '/v1/screen': ingestion('Record a screen view', ScreenCall),
      '/v1/group': ingestion('Associate a user with a group (account)', GroupCall),
      '/v1/alias': ingestion('Link a previous id to a user id', AliasCall),
      '/v1/batch': ingestion('Send up to 500 KB of calls at once (all or nothing)', BatchRequest),
      '/v1/import': ingestion('Alias of /v1/batch', BatchRequest),
      '/v1/profiles/by/{type}/{value}': admin('Profile by identifier', Profile, ['type', 'value']),
      '/v1/profiles/{id}': admin('Profile by id', Profile, ['id']),
      '/v1/profiles/{id}/timeline': admin('Timeline, newest first', Timeline, ['id'], TimelineQuery),
      '/health': { get: { tags: ['operations'], summary: 'Liveness and processing position', responses: { '200': { description: 'ok', ...content(Health) } } } },
      '/metrics': { get: { tags: ['operations'], summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
      ...webPaths(),
      ...segmentPaths(),
      ...journeyPaths(),
      ...eventSchemaPaths(),
      ...decidePaths(),
      ...decisionPaths(),
      ...deliveryPaths(),
    }),
  };
}
