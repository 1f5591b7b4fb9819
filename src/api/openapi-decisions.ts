import { z } from 'zod';
import { ContactPolicy } from '../core/arbitration/policy.js';
import { Suppression } from '../core/arbitration/suppression.js';
import { Channel, Purpose } from '../core/journeys/definition.js';
import { DecisionsQuery } from './decision-routes.js';
import { content, json, problems, type Schema } from './openapi-parts.js';

const Ranking = z.object({
  priority: z.number(), propensity: z.number(), propensitySource: z.string().describe('`default` (1) or `score:NAME`'), value: z.number(),
  score: z.number().describe('priority × propensity × value'),
});
const Candidate = z.object({
  candidateId: z.string(), journeyId: z.string(), version: z.number().int(), step: z.string(), item: z.string().optional().describe('catalogue item (decision API)'),
  channel: Channel.describe('the channel sent on, or decided on'), template: z.string(), purpose: Purpose,
  channels: z.array(z.object({ channel: Channel, delivered: z.number(), engaged: z.number(), rate: z.number().nullable(), refusal: z.string().optional() })).optional()
    .describe('when the step allowed several channels: each tried, best engagement first'),
  outcome: z.enum(['sent', 'deferred', 'rejected']),
  rule: z.string().nullable().describe('the rule that decided: consent:PURPOSE:CHANNEL, suppression:CHANNEL, conflict:GROUP, cap:ID, cap:item:ID, cooldown, quietHours, slots:CHANNEL, sendTime, …'),
  until: z.iso.datetime().nullable().describe('when a deferred candidate is proposed again'),
  detail: z.record(z.string(), z.unknown()).optional().describe('the numbers of the rule (count and limit of a cap, the quiet hours and time zone, …)'),
  ranking: Ranking,
  why: z.string().describe('the same, as a sentence'),
});
const Decision = z.object({
  id: z.string(), profileId: z.string(), at: z.iso.datetime(), source: z.enum(['journey', 'decide']),
  policyVersion: z.number().int().describe('0: the default policy (none deployed)'), placement: z.string().optional(), candidates: z.array(Candidate),
});
const Policy = z.object({ version: z.number().int(), createdAt: z.iso.datetime().nullable(), policy: ContactPolicy });
const SuppressionEntry = z.object({ type: z.string(), value: z.string(), channel: z.string(), reason: z.string(), createdAt: z.iso.datetime() });
const page = (item: Schema) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

const security = [{ adminKey: [] }];
const ok = (s: Schema, code = '200') => ({ [code]: { description: 'ok', ...content(s) } });
const param = (name: string, where: 'path' | 'query', schema: Schema, required = where === 'path') => ({ name, in: where, required, schema: json(schema) });
const queryOf = (q: z.ZodObject) => Object.entries(q.shape as Record<string, Schema>).map(([name, s]) => param(name, 'query', s));

/** Decision traces, the contact policy and suppression lists in the OpenAPI document. */
export function decisionPaths(): Record<string, unknown> {
  const decisions = { tags: ['decisions'], security };
  const policy = { tags: ['policy'], security };
  const suppressions = { tags: ['suppressions'], security };
  return {
    '/v1/profiles/{id}/decisions': {
      get: {
        ...decisions, summary: "A profile's decisions, newest first: every candidate with its outcome, the rule and numbers that decided, and the ranking inputs",
        parameters: [param('id', 'path', z.string()), ...queryOf(DecisionsQuery)], responses: { ...ok(page(Decision)), ...problems(400, 401, 404) },
      },
    },
    '/v1/decisions/{id}': { get: { ...decisions, summary: 'One decision with its trace', parameters: [param('id', 'path', z.string())], responses: { ...ok(Decision), ...problems(401, 404) } } },
    '/v1/policy': {
      get: { ...policy, summary: 'The contact policy in force (version 0: the default, until one is deployed)', responses: { ...ok(Policy), ...problems(401) } },
      put: {
        ...policy, summary: 'Deploy a contact policy as a new version; decisions use it from their next unit of work',
        description: '400 names each bad field; nothing is deployed. A deployed policy needs an opt-in for marketing unless `optIn` says otherwise.',
        requestBody: { required: true, ...content(ContactPolicy) }, responses: { ...ok(Policy), ...problems(400, 401) },
      },
    },
    '/v1/policy/validate': {
      post: { ...policy, summary: 'Validate a contact policy without deploying it', requestBody: { required: true, ...content(ContactPolicy) }, responses: { ...ok(z.object({ valid: z.literal(true), policy: ContactPolicy })), ...problems(400, 401) } },
    },
    '/v1/policy/versions': { get: { ...policy, summary: 'Every deployed version, newest first', responses: { ...ok(z.object({ items: z.array(Policy), nextCursor: z.null() })), ...problems(401) } } },
    '/v1/policy/versions/{version}': { get: { ...policy, summary: 'One deployed version', parameters: [param('version', 'path', z.number().int().min(1))], responses: { ...ok(Policy), ...problems(401, 404) } } },
    '/v1/suppressions': {
      get: { ...suppressions, summary: 'The suppression list', parameters: queryOf(DecisionsQuery.omit({ journey: true })), responses: { ...ok(page(SuppressionEntry)), ...problems(400, 401) } },
      post: {
        ...suppressions, summary: 'Suppress an address (an identifier) on a channel or on all (`*`), whatever its consent', requestBody: { required: true, ...content(Suppression) },
        responses: { ...ok(Suppression, '201'), ...problems(400, 401) },
      },
      delete: {
        ...suppressions, summary: 'Lift a suppression', parameters: [param('type', 'query', z.string(), true), param('value', 'query', z.string(), true), param('channel', 'query', z.string())],
        responses: { '204': { description: 'lifted' }, ...problems(400, 401, 404) },
      },
    },
  };
}
