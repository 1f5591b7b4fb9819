import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { zodErrors } from '../core/events/validate.js';
import { decide, DecideRequest, markShown, ShownRequest } from '../engine/decide.js';
import type { Hub } from '../engine/hub.js';
import { writeKeyOf } from './auth.js';
import { originAllowedFor, originRefusal, WRITE_KEY_ROUTE } from './cors.js';
import { problem, sendProblem } from './problem.js';

/**
 * The real-time decision API, called by apps and web pages with a write key (CORS as ingestion):
 * `POST /v1/decide` answers the best items of a placement for a visitor; `POST /v1/decisions/{id}/shown`
 * reports which of them were shown.
 */
export function decideRoutes(app: FastifyInstance, hub: Hub): void {
  app.post('/v1/decide', WRITE_KEY_ROUTE, async (req, reply) => {
    const workspaceId = await writeKeyWorkspace(hub, req, reply);
    if (workspaceId === undefined) return reply;
    const body = DecideRequest.safeParse(req.body ?? {});
    if (!body.success) return sendProblem(reply, problem(400, 'invalid decision request; nothing was decided', zodErrors(body.error, '')));
    return decide(hub, workspaceId, body.data);
  });

  app.post<{ Params: { id: string } }>('/v1/decisions/:id/shown', WRITE_KEY_ROUTE, async (req, reply) => {
    const workspaceId = await writeKeyWorkspace(hub, req, reply);
    if (workspaceId === undefined) return reply;
    const body = ShownRequest.safeParse(req.body ?? {});
    if (!body.success) return sendProblem(reply, problem(400, 'invalid request; nothing was marked shown', zodErrors(body.error, '')));
    const shown = await markShown(hub, workspaceId, req.params.id, body.data.items);
    return shown === undefined ? sendProblem(reply, problem(404, `no decision ${req.params.id}`)) : { shown };
  });
}

/** The workspace of the request's write key (HTTP Basic or `writeKey` in the body), from an origin it allows; else the problem is sent. */
export async function writeKeyWorkspace(hub: Hub, req: FastifyRequest, reply: FastifyReply): Promise<string | undefined> {
  const refuse = (status: number, detail: string): undefined => void sendProblem(reply, problem(status, detail));
  const key = writeKeyOf(req, req.body);
  if (key === undefined) return refuse(401, 'missing write key: send it as the HTTP Basic user name (empty password) or as writeKey in the body');
  const workspaceId = await hub.keys.workspaceOf(key, 'write');
  if (workspaceId === undefined) return refuse(401, 'invalid write key');
  if (!(await originAllowedFor(hub, req, workspaceId))) return refuse(403, originRefusal(req.headers.origin));
  return workspaceId;
}
