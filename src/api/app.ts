import Fastify, { type FastifyInstance } from 'fastify';
import type { Hub } from '../engine/hub.js';
import { registerBodyParser, tooLarge } from './body.js';
import { contentRoutes } from './content-routes.js';
import { contextRoutes } from './context-routes.js';
import { registerCors } from './cors.js';
import { decideRoutes } from './decide-routes.js';
import { decisionRoutes } from './decision-routes.js';
import { deliveryRoutes } from './delivery-routes.js';
import { inboxRoutes } from './inbox-routes.js';
import { receiptRoutes } from './receipt-routes.js';
import { linkRoutes } from './link-routes.js';
import { eventSchemaRoutes } from './event-schema-routes.js';
import { ingestRoutes } from './ingest-routes.js';
import { journeyRoutes } from './journey-routes.js';
import { openApiDocument } from './openapi.js';
import { problem, ProblemError, sendProblem } from './problem.js';
import { profileRoutes } from './profile-routes.js';
import { sdkRoutes } from './sdk-routes.js';
import { segmentRoutes } from './segment-routes.js';
import { webRoutes } from './web-routes.js';
import { workspaceRoutes } from './workspace-routes.js';

/** The HTTP API of one hub. */
export function buildApp(hub: Hub, logLevel?: string): FastifyInstance {
  // Path parameters up to 1024 characters (decoded): an event schema's name may have 256, and a longer one gets a 400 naming it rather than a 414.
  const app = Fastify({ logger: logLevel === undefined ? false : { level: logLevel }, trustProxy: true, routerOptions: { maxParamLength: 1024 } });
  registerBodyParser(app);
  app.setErrorHandler((error, req, reply) => {
    if (error instanceof ProblemError) return sendProblem(reply, error.problem);
    const code = (error as { code?: string }).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendProblem(reply, tooLarge().problem);
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendProblem(reply, problem(status, (error as Error).message));
    req.log.error({ err: error }, 'request failed');
    return sendProblem(reply, problem(503, 'the hub could not complete this request; it is safe to retry'));
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, problem(404, `no route ${req.method} ${req.url.split('?')[0]}`)));

  registerCors(app, hub);
  ingestRoutes(app, hub);
  webRoutes(app, hub);
  sdkRoutes(app);
  decideRoutes(app, hub);
  void app.register(async (scope) => profileRoutes(scope, hub));
  void app.register(async (scope) => workspaceRoutes(scope, hub));
  void app.register(async (scope) => segmentRoutes(scope, hub));
  void app.register(async (scope) => contextRoutes(scope, hub));
  void app.register(async (scope) => journeyRoutes(scope, hub));
  void app.register(async (scope) => eventSchemaRoutes(scope, hub));
  void app.register(async (scope) => contentRoutes(scope, hub));
  void app.register(async (scope) => decisionRoutes(scope, hub));
  void app.register(async (scope) => deliveryRoutes(scope, hub));
  void app.register(async (scope) => linkRoutes(scope, hub));
  inboxRoutes(app, hub);
  void app.register(async (scope) => receiptRoutes(scope, hub));

  const doc = openApiDocument();
  app.get('/openapi.json', () => doc);
  app.get('/health', () => {
    const { cursor, head } = hub.processor.position;
    return { status: 'ok', log: { head, processed: cursor, lag: Math.max(0, head - cursor) } };
  });
  app.get('/metrics', async (_req, reply) => reply.type(hub.metrics.registry.contentType).send(await hub.metrics.registry.metrics()));
  return app;
}
