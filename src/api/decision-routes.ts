import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DEFAULT_POLICY, type DecisionRecord } from '../core/arbitration/decision.js';
import { explain } from '../core/arbitration/explain.js';
import { Suppression } from '../core/arbitration/suppression.js';
import { zodErrors } from '../core/events/validate.js';
import { normalizeIdentifier } from '../core/identity/identifier.js';
import type { Hub } from '../engine/hub.js';
import { deployPolicy } from '../engine/policies.js';
import { validatePolicy, type ContactPolicy } from '../core/arbitration/policy.js';
import type { StoredPolicy } from '../ports/decisions.js';
import { requireAdmin } from './admin-auth.js';
import { problem, sendProblem } from './problem.js';

export const DecisionsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  journey: z.string().min(1).max(64).optional().describe('only decisions with a candidate of this journey'),
});

const iso = (ms: number): string => new Date(ms).toISOString();

/** A decision as the API shows it: each candidate with its outcome, the rule that decided and the ranking inputs. */
export const decisionView = (d: DecisionRecord) => ({
  id: d.id, profileId: d.profileId, at: iso(d.at), source: d.source, policyVersion: d.policyVersion, ...(d.placement === undefined ? {} : { placement: d.placement }),
  candidates: d.candidates.map(({ candidate: c, outcome: o, trace: t }) => ({
    candidateId: c.id, journeyId: c.journeyId, version: c.version, step: c.stepId, ...(c.item ? { item: c.item.id } : {}),
    channel: t.channel ?? c.channel, ...(t.channels === undefined ? {} : { channels: t.channels }), template: c.template, purpose: c.purpose,
    outcome: o.outcome, rule: 'rule' in o ? o.rule : null, until: o.outcome === 'deferred' ? iso(o.until) : null,
    ...(t.detail === undefined ? {} : { detail: t.detail }), ranking: t.ranking, why: explain(t),
  })),
});

const policyView = (p: StoredPolicy | { version: 0; policy: ContactPolicy; createdAt?: undefined }) => ({
  version: p.version, createdAt: p.createdAt === undefined ? null : iso(p.createdAt), policy: p.policy,
});

/** Decision traces ("why did / didn't this customer get it"), the contact policy and suppression lists (admin). */
export function decisionRoutes(app: FastifyInstance, hub: Hub): void {
  requireAdmin(app, hub);
  const bad = (what: string, error: z.ZodError) => problem(400, `invalid ${what}`, zodErrors(error, ''));

  app.get<{ Params: { id: string } }>('/v1/profiles/:id/decisions', async (req, reply) => {
    const q = DecisionsQuery.safeParse(req.query);
    if (!q.success) return sendProblem(reply, bad('query', q.error));
    if (q.data.cursor !== undefined && !hub.store.decisions.isCursor(q.data.cursor)) {
      return sendProblem(reply, problem(400, 'invalid query', [{ path: 'cursor', message: 'not a cursor this API returned' }]));
    }
    const p = await hub.store.reader.byId(req.workspaceId, req.params.id);
    if (!p) return sendProblem(reply, problem(404, `no profile with id ${req.params.id}`));
    const page = await hub.store.decisions.ofProfile(req.workspaceId, p.id, { limit: q.data.limit, ...(q.data.cursor === undefined ? {} : { cursor: q.data.cursor }) });
    const items = page.decisions.filter((d) => q.data.journey === undefined || d.candidates.some((c) => c.candidate.journeyId === q.data.journey));
    return { items: items.map(decisionView), nextCursor: page.next ?? null };
  });

  app.get<{ Params: { id: string } }>('/v1/decisions/:id', async (req, reply) => {
    const d = await hub.store.decisions.get(req.workspaceId, req.params.id);
    return d ? decisionView(d) : sendProblem(reply, problem(404, `no decision ${req.params.id}`));
  });

  app.get('/v1/policy', async (req) => {
    const p = await hub.store.policies.current(req.workspaceId);
    return policyView(p ?? { version: 0, policy: DEFAULT_POLICY.policy });
  });
  app.put('/v1/policy', async (req, reply) => {
    const r = await deployPolicy(hub, req.workspaceId, req.body);
    if (!r.ok) return sendProblem(reply, problem(400, 'invalid contact policy; nothing was deployed', r.error));
    return policyView(r.value);
  });
  app.post('/v1/policy/validate', async (req, reply) => {
    const r = validatePolicy(req.body);
    return r.ok ? { valid: true, policy: r.value } : sendProblem(reply, problem(400, 'invalid contact policy', r.error));
  });
  app.get('/v1/policy/versions', async (req) => ({ items: (await hub.store.policies.versions(req.workspaceId)).map(policyView), nextCursor: null }));
  app.get<{ Params: { version: string } }>('/v1/policy/versions/:version', async (req, reply) => {
    const n = Number(req.params.version);
    if (!/^\d{1,9}$/.test(req.params.version) || n < 1) return sendProblem(reply, problem(400, 'invalid path', [{ path: 'version', message: 'must be a version number (1, 2, …)' }]));
    const p = await hub.store.policies.version(req.workspaceId, n);
    return p ? policyView(p) : sendProblem(reply, problem(404, `no policy version ${n}`));
  });

  app.get('/v1/suppressions', async (req, reply) => {
    const q = DecisionsQuery.omit({ journey: true }).safeParse(req.query);
    if (!q.success) return sendProblem(reply, bad('query', q.error));
    const page = await hub.store.suppressions.list(req.workspaceId, { limit: q.data.limit, ...(q.data.cursor === undefined ? {} : { cursor: q.data.cursor }) });
    return { items: page.entries.map((e) => ({ ...e, createdAt: iso(e.createdAt) })), nextCursor: page.next ?? null };
  });
  app.post('/v1/suppressions', async (req, reply) => {
    const s = Suppression.safeParse(req.body);
    if (!s.success) return sendProblem(reply, bad('suppression; nothing was added', s.error));
    const entry = { ...s.data, value: normalizeIdentifier(s.data, hub.config.identity).value };
    await hub.store.suppressions.add(req.workspaceId, entry, hub.clock.now());
    return reply.code(201).send(entry);
  });
  app.delete('/v1/suppressions', async (req, reply) => {
    const s = Suppression.pick({ type: true, value: true, channel: true }).safeParse(req.query);
    if (!s.success) return sendProblem(reply, bad('query', s.error));
    const removed = await hub.store.suppressions.remove(req.workspaceId, { ...s.data, value: normalizeIdentifier(s.data, hub.config.identity).value });
    return removed ? reply.code(204).send() : sendProblem(reply, problem(404, `${s.data.type} ${s.data.value} is not suppressed on ${s.data.channel}`));
  });
}
