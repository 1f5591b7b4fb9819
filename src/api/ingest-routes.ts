import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EventType } from '../core/events/event.js';
import { validateBatch, validateCall, type Accepted, type Rejection, type ValidationContext } from '../core/events/validate.js';
import type { Result } from '../core/result.js';
import type { Hub } from '../engine/hub.js';
import { writeKeyOf } from './auth.js';
import { originAllowedFor, originRefusal, WRITE_KEY_ROUTE } from './cors.js';
import { problem, sendProblem } from './problem.js';

export type Validate = (body: unknown, ctx: ValidationContext) => Result<Accepted, Rejection>;

/** Segment's HTTP tracking API: `/v1/{track,identify,page,screen,group,alias}` and `/v1/batch`. */
export function ingestRoutes(app: FastifyInstance, hub: Hub): void {
  for (const type of EventType.options) {
    app.post(`/v1/${type}`, WRITE_KEY_ROUTE, (req, reply) => ingest(hub, req, reply, (body, ctx) => validateCall(body, type, ctx)));
  }
  app.post('/v1/batch', WRITE_KEY_ROUTE, (req, reply) => ingest(hub, req, reply, validateBatch));
  app.post('/v1/import', WRITE_KEY_ROUTE, (req, reply) => ingest(hub, req, reply, validateBatch));
}

/**
 * One ingestion request: write key (HTTP Basic, `writeKey` in the body, or `keyOf`), the origin that
 * workspace allows, validation, then a group commit; answered only once the events are durable.
 */
export async function ingest(
  hub: Hub,
  req: FastifyRequest,
  reply: FastifyReply,
  validate: Validate,
  keyOf: (req: FastifyRequest) => string | undefined = (r) => writeKeyOf(r, r.body),
): Promise<unknown> {
  const reject = (reason: string, status: number, detail: string, errors?: Rejection['errors']): FastifyReply => {
    hub.metrics.rejected.inc({ reason });
    return sendProblem(reply, problem(status, detail, errors));
  };
  const key = keyOf(req);
  if (key === undefined) {
    return reject('unauthorized', 401, 'missing write key: send it as the HTTP Basic user name (empty password) or as writeKey in the body');
  }
  const workspaceId = await hub.keys.workspaceOf(key, 'write');
  if (workspaceId === undefined) return reject('unauthorized', 401, 'invalid write key');
  if (!(await originAllowedFor(hub, req, workspaceId))) return reject('origin', 403, originRefusal(req.headers.origin));
  const checked = validate(req.body, { receivedAt: hub.clock.now(), newMessageId: hub.newMessageId });
  if (!checked.ok) {
    const { status, errors } = checked.error;
    const detail = status === 413 ? 'an event is larger than 32 KB (Segment\'s event limit)' : 'the request has invalid fields; nothing was stored';
    return reject(status === 413 ? 'too_large' : 'invalid', status, detail, errors);
  }
  const outcome = await hub.ingestor.submit(workspaceId, checked.value.events);
  if (outcome.kind === 'overloaded') {
    reply.header('retry-after', String(outcome.retryAfterSeconds));
    return reject('overloaded', 429, `${outcome.reason}; retry after ${outcome.retryAfterSeconds} s`);
  }
  return { success: true };
}
