import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Hub } from '../engine/hub.js';
import { problem, sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `write-key`: a route web pages call with a write key; it answers cross-origin requests from allowed origins. */
    cors?: 'write-key';
  }
  interface FastifyRequest {
    /** The cross-origin `Origin` this request's response grants (set only on write-key routes, for allowed origins). */
    corsOrigin: string | undefined;
  }
}

/** Route options of every endpoint a web page calls with a write key (ingestion, SDK settings, later decisions and inbox). */
export const WRITE_KEY_ROUTE = { config: { cors: 'write-key' } } as const;

const METHODS = 'GET, HEAD, POST';
const MAX_AGE_SECONDS = 600;
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/**
 * CORS, as web SDKs need it and no more. Write-key routes answer allowed origins (per workspace,
 * default any) with `Access-Control-Allow-Origin: <origin>` and never with credentials. A request from
 * an origin that is not allowed gets a 403 with no CORS headers, before anything is written: a
 * `text/plain` POST is a "simple request" that a browser sends without asking first, so the server
 * refuses it itself. Admin routes never carry CORS headers, so no other site can call them from a browser.
 */
export function registerCors(app: FastifyInstance, hub: Hub): void {
  const writeKeyPaths: RegExp[] = [];
  app.decorateRequest('corsOrigin', undefined);
  app.addHook('onRoute', (route) => {
    if (route.config?.cors === 'write-key') writeKeyPaths.push(pathPattern(route.url ?? route.path));
  });
  // Callback-style hooks: a request without a cross-origin `Origin` (every server-side SDK) costs no promise.
  app.addHook('onRequest', (req, reply, done) => {
    const origin = req.routeOptions.config.cors === 'write-key' ? crossOrigin(req) : undefined;
    if (origin === undefined) return done();
    hub.origins.anyAllows(origin).then((allowed) => {
      if (allowed) return void ((req.corsOrigin = origin), done());
      hub.metrics.rejected.inc({ reason: 'origin' });
      refuse(reply, origin);
    }, done);
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    if (req.routeOptions.config.cors === 'write-key') {
      addVary(reply, 'Origin');
      if (req.corsOrigin !== undefined) reply.header('access-control-allow-origin', req.corsOrigin).header('access-control-expose-headers', 'Retry-After');
    }
    done(null, payload);
  });
  app.options('*', (req, reply) => preflight(hub, writeKeyPaths, req, reply));
}

/**
 * Once the write key has named the workspace: whether the request's origin is one that workspace allows.
 * When it is not, the response loses its CORS grant and the caller must refuse (nothing written).
 */
export async function originAllowedFor(hub: Hub, req: FastifyRequest, workspaceId: string): Promise<boolean> {
  const origin = req.corsOrigin;
  if (origin === undefined || (await hub.origins.allows(workspaceId, origin))) return true;
  req.corsOrigin = undefined;
  return false;
}

export const originRefusal = (origin: string | undefined): string =>
  `origin ${origin ?? '(none)'} may not send with this write key; a workspace admin can allow it (PUT /v1/workspace/settings, allowedOrigins)`;

async function preflight(hub: Hub, writeKeyPaths: readonly RegExp[], req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = req.url.split('?')[0] ?? '';
  const isPreflight = req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
  if (!writeKeyPaths.some((p) => p.test(path))) {
    return isPreflight
      ? sendProblem(reply, problem(403, `${path} takes no cross-origin requests (only endpoints called with a write key do)`))
      : sendProblem(reply, problem(404, `no route OPTIONS ${path}`));
  }
  if (!isPreflight) return reply.code(204).header('allow', `${METHODS}, OPTIONS`).send();
  const origin = crossOrigin(req);
  if (origin !== undefined && !(await hub.origins.anyAllows(origin))) return refuse(reply, origin);
  reply.code(204).header('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  if (origin === undefined) return reply.send();
  const requested = req.headers['access-control-request-headers'];
  if (typeof requested === 'string' && requested.length <= 1024 && HEADER_LIST.test(requested)) reply.header('access-control-allow-headers', requested);
  if (req.headers['access-control-request-private-network'] === 'true') reply.header('access-control-allow-private-network', 'true');
  return reply
    .header('access-control-allow-origin', origin)
    .header('access-control-allow-methods', METHODS)
    .header('access-control-max-age', String(MAX_AGE_SECONDS))
    .send();
}

/** The request's `Origin` when it is another origin than the hub's own (a same-origin request needs no CORS). */
function crossOrigin(req: FastifyRequest): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined || origin === '') return undefined;
  return origin.toLowerCase() === `${req.protocol}://${req.host}`.toLowerCase() ? undefined : origin;
}

function refuse(reply: FastifyReply, origin: string): FastifyReply {
  return sendProblem(reply, problem(403, originRefusal(origin)));
}

function addVary(reply: FastifyReply, value: string): void {
  const current = reply.getHeader('vary');
  if (current === undefined || current === '') reply.header('vary', value);
  else if (!String(current).split(',').some((v) => v.trim().toLowerCase() === value.toLowerCase())) reply.header('vary', `${String(current)}, ${value}`);
}

/** `/v1/projects/:writeKey/settings` → a pattern for concrete paths. */
function pathPattern(url: string): RegExp {
  const escaped = url.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${escaped.join('/')}$`);
}
