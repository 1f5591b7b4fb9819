import { z } from 'zod';
import { AliasCall, BatchRequest, GroupCall, IdentifyCall, PageCall, ScreenCall, TrackCall } from '../core/events/event.js';
import { WorkspaceSettings } from '../core/workspaces/settings.js';
import { content, ingestion, problems, type Schema } from './openapi-parts.js';
import { Success } from './schemas.js';

const CALLS: Record<string, readonly [string, Schema]> = {
  t: ['track', TrackCall],
  i: ['identify', IdentifyCall],
  p: ['page', PageCall],
  s: ['screen', ScreenCall],
  g: ['group', GroupCall],
  a: ['alias', AliasCall],
};

const param = (name: string, where: 'path' | 'query', required = true, description?: string) => ({
  name, in: where, required, schema: { type: 'string' }, ...(description ? { description } : {}),
});

const ignored = (summary: string) => ({
  post: { tags: ['web'], summary, description: 'Accepted and dropped: the hub keeps no SDK telemetry.', responses: { '200': { description: 'ignored', ...content(Success) }, ...problems(400, 403) } },
});

function sdkFile(summary: string, params: ReturnType<typeof param>[]) {
  return {
    get: {
      tags: ['web'],
      summary,
      description: 'JavaScript from the npm package the hub depends on; gzip when accepted, `ETag` / `If-None-Match`, cache headers (content-hashed chunks are immutable).',
      parameters: params,
      responses: { '200': { description: 'the file', content: { 'text/javascript': {} } }, '304': { description: 'not modified' }, ...problems(404) },
    },
  };
}

const SourceConfig = z.object({
  source: z.object({ id: z.string(), name: z.string(), writeKey: z.string(), workspaceId: z.string(), enabled: z.boolean(), config: z.record(z.string(), z.unknown()), destinations: z.array(z.unknown()) }),
});
const SegmentSettings = z.looseObject({
  integrations: z.object({ 'Segment.io': z.looseObject({ apiKey: z.string(), apiHost: z.string().describe('host[:port]/v1 of this hub'), protocol: z.enum(['http', 'https']) }) }),
});

/** The paths browser SDKs use, and the workspace settings that allow their origins. */
export function webPaths(): Record<string, unknown> {
  const short = Object.fromEntries(
    Object.entries(CALLS).map(([letter, [type, schema]]) => [`/v1/${letter}`, ingestion(`analytics.js short path of /v1/${type}`, schema)]),
  );
  return {
    ...short,
    '/v1/b': ingestion('analytics.js short path of /v1/batch', BatchRequest),
    '/beacon/v1/batch': ingestion('RudderStack beacon batch (navigator.sendBeacon)', BatchRequest, ' The write key may also come as `?writeKey=`, since a beacon cannot set headers.'),
    '/v1/m': ignored('analytics.js metrics'),
    '/rsaMetrics': ignored('RudderStack SDK metrics and error reports'),
    '/v1/projects/{writeKey}/settings': {
      get: {
        tags: ['web'],
        summary: 'analytics.js settings (as Segment\'s CDN serves them), pointing the SDK at this hub',
        parameters: [param('writeKey', 'path')],
        responses: { '200': { description: 'settings', ...content(SegmentSettings) }, ...problems(403, 404) },
      },
    },
    '/sourceConfig/': {
      get: {
        tags: ['web'],
        summary: 'RudderStack JavaScript SDK source configuration (also at /sourceConfig)',
        security: [{ writeKey: [] }, {}],
        parameters: [param('writeKey', 'query', false, 'when not sent as HTTP Basic')],
        responses: { '200': { description: 'source configuration', ...content(SourceConfig) }, ...problems(401, 403) },
      },
    },
    '/sdk/segment/{file}': sdkFile('Segment analytics.js browser bundle (standalone.js, index.js, chunks, maps)', [param('file', 'path')]),
    '/analytics-next/bundles/{file}': sdkFile('analytics.js lazily loaded chunks (its `{cdn}/analytics-next/bundles/` path)', [param('file', 'path')]),
    '/analytics.js/v1/{writeKey}/analytics.min.js': sdkFile('analytics.js at Segment\'s CDN path (standalone.js)', [param('writeKey', 'path')]),
    '/sdk/rudderstack/{file}': sdkFile('RudderStack JavaScript SDK, bundled UMD build (rsa.js, rsa-legacy.js)', [param('file', 'path')]),
    '/v1/workspace/settings': workspaceSettings(),
  };
}

function workspaceSettings() {
  const security = [{ adminKey: [] }];
  const ok = { '200': { description: 'the settings', ...content(WorkspaceSettings) } };
  return {
    get: { tags: ['workspace'], summary: 'This workspace\'s settings', security, responses: { ...ok, ...problems(401, 404) } },
    put: {
      tags: ['workspace'],
      summary: 'Replace this workspace\'s settings (e.g. the web origins allowed to send events)',
      security,
      requestBody: { required: true, ...content(WorkspaceSettings) },
      responses: { ...ok, ...problems(400, 401, 404) },
    },
  };
}
