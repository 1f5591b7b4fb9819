import { z } from 'zod';
import { JourneyDefinition, JourneyStatus } from '../core/journeys/definition.js';
import { PublishBody } from './journey-routes.js';
import { content, problems, type Schema } from './openapi-parts.js';

const JourneySummary = z.object({
  id: z.string(), name: z.string(), description: z.string().optional(), owner: z.string(), team: z.string(), status: JourneyStatus,
  liveVersion: z.number().int().nullable().describe('the version new entries get; null until the first publish'),
  draftPublished: z.boolean().describe('true when the draft is the live version (nothing left to publish)'),
  createdAt: z.iso.datetime(), updatedAt: z.iso.datetime(),
});
const Journey = JourneySummary.extend({
  draft: JourneyDefinition.describe('the latest saved definition, published or not'),
  versions: z.array(z.object({ version: z.number().int(), publishedAt: z.iso.datetime() })),
});
const Stats = z.object({
  entered: z.number().int(), goalReached: z.number().int(),
  conversionRate: z.number().nullable().describe('goalReached / entered; null before anyone entered'),
  active: z.array(z.object({ version: z.number().int(), step: z.string(), profiles: z.number().int() })).describe('profiles in the journey now, by version and step'),
  exited: z.record(z.string(), z.number().int()).describe('exit reason (completed, exitEvent, exitCondition, holdout, archived) → profiles'),
  actions: z.record(z.string(), z.number().int()).describe('action outcome (sent, rejected, deferred) → count'),
  arms: z.record(z.string(), z.record(z.string(), z.number().int())).describe('split step → arm (or holdout) → profiles'),
});
const ProfileJourney = z.object({
  journeyId: z.string(), name: z.string(), version: z.number().int(), status: z.enum(['active', 'done']),
  step: z.string().describe('the step the profile is at, or left from'), since: z.iso.datetime(), enteredAt: z.iso.datetime(), entries: z.number().int(),
  nextTimer: z.iso.datetime().nullable(), goalAt: z.iso.datetime().nullable(), exitedAt: z.iso.datetime().nullable(),
  exitReason: z.enum(['completed', 'exitEvent', 'exitCondition', 'holdout', 'archived']).nullable(),
});
const list = (item: Schema) => z.object({ items: z.array(item), nextCursor: z.null() });

const tags = ['journeys'];
const security = [{ adminKey: [] }];
const path = (...names: string[]) => names.map((name) => ({ name, in: 'path', required: true, schema: name === 'version' ? { type: 'integer', minimum: 1 } : { type: 'string' } }));
const ok = (s: Schema, code = '200') => ({ [code]: { description: 'ok', ...content(s) } });
const get = (summary: string, response: Schema, params: string[], codes = [401, 404]) =>
  ({ get: { tags, summary, security, parameters: path(...params), responses: { ...ok(response), ...problems(...codes) } } });
const statusChange = (summary: string) =>
  ({ post: { tags, summary, security, parameters: path('id'), responses: { ...ok(Journey), ...problems(401, 404, 409) } } });

/** Journeys in the OpenAPI document. */
export function journeyPaths(): Record<string, unknown> {
  const definition = { required: true, ...content(JourneyDefinition) };
  return {
    '/v1/journeys': {
      get: { tags, summary: 'List journeys', security, responses: { ...ok(list(JourneySummary)), ...problems(401) } },
      post: {
        tags, summary: 'Create a journey from its definition (saved as a draft; publish to make it live)', security, requestBody: definition,
        description: '400 names each bad field (schema, graph: dangling edges, unreachable steps, cycles without a wait that takes time; unknown segments and contributors; events or properties missing from the workspace event schemas, when it has any); nothing is saved. 409 when the id exists: change it with PUT.',
        responses: { ...ok(Journey, '201'), ...problems(400, 401, 409) },
      },
    },
    '/v1/journeys/schema': {
      get: { tags, summary: 'The JSON Schema of a journey definition (a journey file)', security, responses: { '200': { description: 'JSON Schema (draft 2020-12)', content: { 'application/json': { schema: { type: 'object' } } } }, ...problems(401) } },
    },
    '/v1/journeys/{id}': {
      ...get('A journey with its draft and its published versions', Journey, ['id']),
      put: {
        tags, summary: 'Replace the draft (the live version is unchanged until publish); the body\'s id must be the journey\'s', security, parameters: path('id'),
        requestBody: definition, responses: { ...ok(Journey), ...problems(400, 401, 404, 409) },
      },
      delete: { tags, summary: 'Delete a journey that was never published (409 otherwise: archive it)', security, parameters: path('id'), responses: { '204': { description: 'deleted' }, ...problems(401, 404, 409) } },
    },
    '/v1/journeys/{id}/publish': {
      post: {
        tags, summary: 'Publish the draft as a new version and make the journey live', security, parameters: path('id'),
        description: 'Profiles already in the journey finish on their version, unless `migrate.steps` maps their step to a wait or waitFor step of the new version.',
        requestBody: { required: false, ...content(PublishBody.unwrap()) },
        responses: { ...ok(z.object({ version: z.number().int() })), ...problems(400, 401, 404, 409) },
      },
    },
    '/v1/journeys/{id}/pause': statusChange('Pause a live journey: no entries, timers held until resumed'),
    '/v1/journeys/{id}/resume': statusChange('Resume a paused journey'),
    '/v1/journeys/{id}/archive': statusChange('Archive a journey: its profiles exit (reason archived); it cannot change any more'),
    '/v1/journeys/{id}/versions/{version}': get('The definition of a published version', JourneyDefinition, ['id', 'version'], [400, 401, 404]),
    '/v1/journeys/{id}/stats': get('Entries, goal conversions, profiles by step, exits, action outcomes and split arms', Stats, ['id']),
    '/v1/profiles/{id}/journeys': get('The journeys a profile is or was in, where and until when (a merged-away id answers for its survivor)', list(ProfileJourney), ['id']),
  };
}
