import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Hub } from '../engine/hub.js';
import { originAllowedFor, originRefusal } from './cors.js';
import { problem, sendProblem } from './problem.js';

/** Browsers may keep SDK settings this long; they hold nothing that changes often. */
const SETTINGS_CACHE = 'private, max-age=300';

/** The hub as a browser reaches it (behind a proxy: `X-Forwarded-Proto` / `X-Forwarded-Host`). */
function publicHost(req: FastifyRequest): { protocol: 'http' | 'https'; host: string } {
  return { protocol: req.protocol === 'https' ? 'https' : 'http', host: req.host };
}

/**
 * analytics.js settings (Segment's CDN `/v1/projects/{writeKey}/settings`), pointing the SDK back at
 * this hub: events go to `{protocol}://{host}/v1/{t,p,i,…}` with `keepalive`, so a call made while the
 * page unloads still arrives; no device-mode destinations, remote plugins or middleware; telemetry off.
 */
export async function segmentSettings(hub: Hub, req: FastifyRequest<{ Params: { writeKey: string } }>, reply: FastifyReply): Promise<unknown> {
  const { writeKey } = req.params;
  const workspaceId = await hub.keys.workspaceOf(writeKey, 'write');
  if (workspaceId === undefined) return sendProblem(reply, problem(404, 'no source with this write key'));
  if (!(await originAllowedFor(hub, req, workspaceId))) return sendProblem(reply, problem(403, originRefusal(req.headers.origin)));
  const { protocol, host } = publicHost(req);
  reply.header('cache-control', SETTINGS_CACHE);
  return {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost: `${host}/v1`,
        protocol,
        deliveryStrategy: { strategy: 'standard', config: { keepalive: true } },
        addBundledMetadata: true,
        unbundledIntegrations: [],
        maybeBundledConfigIds: {},
        versionSettings: { componentTypes: ['browser'] },
      },
    },
    plan: {},
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    metrics: { sampleRate: 0, host: `${host}/v1`, protocol },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  };
}

/**
 * RudderStack's source configuration (`{configUrl}/sourceConfig/?writeKey=…`, HTTP Basic with the write
 * key): an enabled source with no device-mode destinations and the SDK's error and metrics reporting off,
 * so the SDK loads nothing beyond its own bundle and sends events only to its data plane (this hub).
 */
export async function rudderSourceConfig(hub: Hub, req: FastifyRequest, reply: FastifyReply, writeKey: string | undefined): Promise<unknown> {
  if (writeKey === undefined) return sendProblem(reply, problem(401, 'missing write key: send it as the HTTP Basic user name or as ?writeKey='));
  const workspaceId = await hub.keys.workspaceOf(writeKey, 'write');
  if (workspaceId === undefined) return sendProblem(reply, problem(401, 'invalid write key'));
  if (!(await originAllowedFor(hub, req, workspaceId))) return sendProblem(reply, problem(403, originRefusal(req.headers.origin)));
  reply.header('cache-control', SETTINGS_CACHE);
  return {
    isHosted: true,
    source: {
      id: workspaceId,
      name: 'Experience Hub',
      writeKey,
      workspaceId,
      enabled: true,
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations: [],
    },
  };
}
