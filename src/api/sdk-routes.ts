import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AssetCatalog, rudderstackFiles, segmentFiles } from './sdk-assets.js';
import { problem, sendProblem } from './problem.js';

type FileRequest = FastifyRequest<{ Params: { file: string } }>;

/**
 * Both browser SDKs, served from the hub's own origin out of node_modules (not copied code):
 * - `/sdk/segment/{file}`: analytics.js (`standalone.js` for the snippet, `index.js` for `AnalyticsNext`);
 *   `/analytics-next/bundles/{file}` is where it loads its lazy chunks from (`{cdn}/analytics-next/bundles/`),
 *   and `/analytics.js/v1/{writeKey}/analytics.min.js` is Segment's CDN path for the snippet's script;
 * - `/sdk/rudderstack/rsa.js` (and `rsa-legacy.js`): RudderStack's bundled UMD build.
 */
export function sdkRoutes(app: FastifyInstance): void {
  const segment = new AssetCatalog(segmentFiles());
  const rudderstack = new AssetCatalog(rudderstackFiles());
  app.get('/sdk/segment/:file', (req: FileRequest, reply) => serve(segment, req.params.file, req, reply));
  app.get('/analytics-next/bundles/:file', (req: FileRequest, reply) => serve(segment, req.params.file, req, reply));
  app.get('/analytics.js/v1/:writeKey/analytics.min.js', (req, reply) => serve(segment, 'standalone.js', req, reply));
  app.get('/sdk/rudderstack/:file', (req: FileRequest, reply) => serve(rudderstack, req.params.file, req, reply));
}

function serve(catalog: AssetCatalog, name: string, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const asset = catalog.get(name);
  if (!asset) return sendProblem(reply, problem(404, `no SDK file ${JSON.stringify(name)}`));
  reply
    .header('content-type', asset.contentType)
    .header('cache-control', asset.cacheControl)
    .header('etag', asset.etag)
    .header('vary', 'Accept-Encoding')
    .header('x-content-type-options', 'nosniff')
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('access-control-allow-origin', '*');
  if (matches(req.headers['if-none-match'], asset.etag)) return reply.code(304).send();
  if (!acceptsGzip(req.headers['accept-encoding'])) return reply.send(asset.body);
  return reply.header('content-encoding', 'gzip').send(asset.gzip);
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === etag);
}

function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  return acceptEncoding.split(',').some((part) => {
    const [coding = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}
