import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { zodErrors } from '../core/events/validate.js';
import { differences } from '../core/journeys/diff.js';
import { journeySchema } from '../core/journeys/json-schema.js';
import type { FieldError } from '../core/result.js';
import type { Hub } from '../engine/hub.js';
import { publishJourney, saveJourney, setJourneyStatus, validateJourney } from '../engine/journeys.js';
import type { JourneyStats, JourneyVersion, ProfileJourney, StoredJourney } from '../ports/journeys.js';
import { requireAdmin } from './admin-auth.js';
import { problem, sendProblem } from './problem.js';

/** The body of `POST /v1/journeys/{id}/publish`: optionally, where profiles of older versions move. */
export const PublishBody = z
  .strictObject({
    migrate: z
      .strictObject({ steps: z.record(z.string().min(1).max(64), z.string().min(1).max(64)).describe('step of an older version → wait or waitFor step of the new one') })
      .optional(),
  })
  .optional();

/** `GET /v1/journeys` and every answer that returns a journey. */
export function journeySummary(j: StoredJourney, versions: readonly JourneyVersion[]) {
  const live = versions.find((v) => v.version === j.liveVersion);
  return {
    id: j.id, name: j.name, ...(j.draft.description === undefined ? {} : { description: j.draft.description }), owner: j.draft.owner, team: j.draft.team,
    status: j.status, liveVersion: j.liveVersion ?? null, draftPublished: live !== undefined && differences(live.definition, j.draft).length === 0,
    createdAt: iso(j.createdAt), updatedAt: iso(j.updatedAt),
  };
}

const journeyView = (j: StoredJourney, versions: readonly JourneyVersion[]) => ({
  ...journeySummary(j, versions), draft: j.draft, versions: versions.map((v) => ({ version: v.version, publishedAt: iso(v.publishedAt) })),
});

export const statsView = (s: JourneyStats) => ({ ...s, conversionRate: s.entered > 0 ? s.goalReached / s.entered : null });

export const profileJourneyView = (p: ProfileJourney) => ({
  journeyId: p.journeyId, name: p.name, version: p.version, status: p.status, step: p.step, since: iso(p.since), enteredAt: iso(p.enteredAt), entries: p.entries,
  nextTimer: isoOrNull(p.nextTimer), goalAt: isoOrNull(p.goalAt), exitedAt: isoOrNull(p.exitedAt), exitReason: p.exitReason ?? null,
});

type Req = { Params: { id: string } };

/** What the route groups share: the store, a journey or a 404, and a journey's full view. */
function helpers(hub: Hub) {
  const store = hub.store.journeys;
  const found = async (ws: string, id: string, reply: FastifyReply): Promise<StoredJourney | undefined> => {
    const j = await store.get(ws, id);
    if (!j) sendProblem(reply, problem(404, `no journey ${id}`));
    return j;
  };
  const view = async (ws: string, j: StoredJourney) => journeyView(j, await store.versions(ws, j.id));
  return { store, found, view };
}

/** Journeys (admin): drafts, publish with migration, pause / resume / archive, versions, stats, per-profile state. */
export function journeyRoutes(app: FastifyInstance, hub: Hub): void {
  requireAdmin(app, hub);
  draftRoutes(app, hub);
  lifecycleRoutes(app, hub);
  readRoutes(app, hub);
}

/** List, create, read, replace and delete drafts; the JSON Schema of a definition. */
function draftRoutes(app: FastifyInstance, hub: Hub): void {
  const { store, found, view } = helpers(hub);

  app.get('/v1/journeys', async (req) => {
    const all = await store.list(req.workspaceId);
    return { items: await Promise.all(all.map(async (j) => journeySummary(j, await store.versions(req.workspaceId, j.id)))), nextCursor: null };
  });

  const schema = journeySchema();
  app.get('/v1/journeys/schema', () => schema);

  app.post('/v1/journeys', async (req, reply) => {
    const parsed = await validateJourney(hub, req.workspaceId, req.body);
    if (!parsed.ok) return invalid(reply, parsed.error);
    const { id } = parsed.value;
    if (id === 'schema') return invalid(reply, [{ path: 'id', message: '"schema" is reserved (GET /v1/journeys/schema)' }]);
    if (await store.get(req.workspaceId, id)) return sendProblem(reply, problem(409, `journey ${id} exists; change its draft with PUT /v1/journeys/${id}`));
    return reply.code(201).send(await view(req.workspaceId, await store.save(req.workspaceId, parsed.value, hub.clock.now())));
  });

  app.get<Req>('/v1/journeys/:id', async (req, reply) => {
    const j = await found(req.workspaceId, req.params.id, reply);
    return j ? view(req.workspaceId, j) : reply;
  });

  app.put<Req>('/v1/journeys/:id', async (req, reply) => {
    const j = await found(req.workspaceId, req.params.id, reply);
    if (!j) return reply;
    if (j.status === 'archived') return archived(reply, j.id);
    const saved = await saveJourney(hub, req.workspaceId, req.body, j.id);
    if (!saved.ok) return invalid(reply, saved.error);
    return view(req.workspaceId, saved.value);
  });

  app.delete<Req>('/v1/journeys/:id', async (req, reply) => {
    const j = await found(req.workspaceId, req.params.id, reply);
    if (!j) return reply;
    if (j.liveVersion !== undefined) return sendProblem(reply, problem(409, `journey ${j.id} was published; archive it instead (POST /v1/journeys/${j.id}/archive)`));
    if (!(await store.removeDraft(req.workspaceId, j.id))) return sendProblem(reply, problem(409, `journey ${j.id} was published meanwhile; archive it instead`));
    return reply.code(204).send();
  });
}

/** Publish (with a migration), pause, resume, archive. */
function lifecycleRoutes(app: FastifyInstance, hub: Hub): void {
  const { store, found, view } = helpers(hub);
  app.post<Req>('/v1/journeys/:id/publish', async (req, reply) => {
    const body = PublishBody.safeParse(req.body);
    if (!body.success) return sendProblem(reply, problem(400, 'invalid publish request; nothing was published', zodErrors(body.error, '')));
    const j = await found(req.workspaceId, req.params.id, reply);
    if (!j) return reply;
    if (j.status === 'archived') return archived(reply, j.id);
    const migrate = body.data?.migrate;
    const published = await publishJourney(hub, req.workspaceId, j.id, migrate && { steps: migrate.steps });
    if (!published.ok) return sendProblem(reply, problem(400, 'the journey cannot be published as it is; nothing was published', published.error));
    return { version: published.value };
  });

  for (const [action, status] of [['pause', 'paused'], ['resume', 'live'], ['archive', 'archived']] as const) {
    app.post<Req>(`/v1/journeys/:id/${action}`, async (req, reply) => {
      const j = await found(req.workspaceId, req.params.id, reply);
      if (!j) return reply;
      if (j.liveVersion === undefined) return sendProblem(reply, problem(409, `journey ${j.id} was never published; publish it first`));
      if (j.status === 'archived') return archived(reply, j.id);
      const r = await setJourneyStatus(hub, req.workspaceId, j.id, status);
      if (!r.ok) return sendProblem(reply, problem(409, `journey ${j.id} cannot be set ${status}`, r.error));
      const after = await store.get(req.workspaceId, j.id);
      return after ? view(req.workspaceId, after) : sendProblem(reply, problem(404, `no journey ${j.id}`));
    });
  }
}

/** Published versions, stats, and where a profile is in each journey. */
function readRoutes(app: FastifyInstance, hub: Hub): void {
  const { store, found } = helpers(hub);
  app.get<{ Params: { id: string; version: string } }>('/v1/journeys/:id/versions/:version', async (req, reply) => {
    const n = Number(req.params.version);
    if (!Number.isSafeInteger(n) || n < 1) return sendProblem(reply, problem(400, 'invalid version', [{ path: 'version', message: 'must be a positive integer' }]));
    const j = await found(req.workspaceId, req.params.id, reply);
    if (!j) return reply;
    const v = (await store.versions(req.workspaceId, j.id)).find((x) => x.version === n);
    return v ? v.definition : sendProblem(reply, problem(404, `journey ${j.id} has no version ${n}`));
  });

  app.get<Req>('/v1/journeys/:id/stats', async (req, reply) => {
    const j = await found(req.workspaceId, req.params.id, reply);
    return j ? statsView(await store.stats(req.workspaceId, j.id)) : reply;
  });

  app.get<Req>('/v1/profiles/:id/journeys', async (req, reply) => {
    // A merged-away id answers with its survivor, as the other profile routes do.
    const p = await hub.store.reader.byId(req.workspaceId, req.params.id);
    if (!p) return sendProblem(reply, problem(404, `no profile with id ${req.params.id}`));
    return { items: (await store.ofProfile(p.id)).map(profileJourneyView), nextCursor: null };
  });
}

const invalid = (reply: FastifyReply, errors: readonly FieldError[]) => sendProblem(reply, problem(400, 'invalid journey; nothing was saved', errors));
const archived = (reply: FastifyReply, id: string) => sendProblem(reply, problem(409, `journey ${id} is archived; it cannot change any more`));
const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | undefined): string | null => (ms === undefined ? null : iso(ms));
