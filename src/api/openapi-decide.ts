import { z } from 'zod';
import { ContentItemInput } from '../core/content/item.js';
import { DecideRequest, ShownRequest } from '../engine/decide.js';
import { ContentQuery } from './content-routes.js';
import { content, json, problems, type Schema } from './openapi-parts.js';

const ContentView = ContentItemInput.extend({ createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() });
const DecideAnswer = z.object({
  decisionId: z.string().describe('dec_…: report shown items under it; its trace (every item, why chosen or not) is stored'),
  items: z.array(z.object({ id: z.string(), placement: z.string(), content: z.unknown(), rank: z.number().int().describe('1 for the best'), score: z.number().describe('priority × propensity × value') })),
});

const sec = [{ adminKey: [] }];
const writeKey = [{ writeKey: [] }, {}];
const id = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
const ok = (s: Schema, code = '200') => ({ [code]: { description: 'ok', ...content(s) } });
const body = (s: Schema) => ({ required: true, ...content(s) });
const query = Object.entries(ContentQuery.shape).map(([name, s]) => ({ name, in: 'query', required: false, schema: json(s) }));

/** The content catalogue and the decision API in the OpenAPI document. */
export function decidePaths(): Record<string, unknown> {
  return {
    '/v1/content': {
      get: { tags: ['content'], summary: 'List catalogue items', security: sec, parameters: query, responses: { ...ok(z.object({ items: z.array(ContentView), nextCursor: z.null() })), ...problems(400, 401) } },
      post: { tags: ['content'], summary: 'Create a catalogue item', security: sec, requestBody: body(ContentItemInput), responses: { ...ok(ContentView, '201'), ...problems(400, 401, 409) } },
    },
    '/v1/content/{id}': {
      get: { tags: ['content'], summary: 'A catalogue item', security: sec, parameters: id, responses: { ...ok(ContentView), ...problems(401, 404) } },
      put: {
        tags: ['content'], summary: 'Replace a catalogue item (the body may leave out id)', security: sec, parameters: id,
        requestBody: body(ContentItemInput), responses: { ...ok(ContentView), ...problems(400, 401, 404) },
      },
      delete: { tags: ['content'], summary: 'Delete a catalogue item', security: sec, parameters: id, responses: { '204': { description: 'deleted' }, ...problems(401, 404) } },
    },
    '/v1/decide': {
      post: {
        tags: ['decisions'], summary: 'The best items of a placement for a visitor, now', security: writeKey,
        description:
          'Items of the placement valid now whose condition holds are arbitrated under the contact policy (consent, suppression, caps, ' +
          'the items\' own caps, cool-down, quiet hours), at most `limit`, best score first. Their contacts are reserved (they count towards caps) ' +
          'until reported shown, or until the policy\'s `reservation` has passed. An unknown visitor is decided for with no traits under a key of its own, ' +
          'whose contacts do not carry over to the profile its events later create. Auth and CORS as the ingestion endpoints.',
        requestBody: body(DecideRequest), responses: { ...ok(DecideAnswer), ...problems(400, 401, 403) },
      },
    },
    '/v1/decisions/{id}/shown': {
      post: {
        tags: ['decisions'], summary: 'Report the items of a decision that were shown (their contacts then count for good)', security: writeKey, parameters: id,
        requestBody: body(ShownRequest), responses: { ...ok(z.object({ shown: z.number().int().describe('reserved contacts marked shown') })), ...problems(400, 401, 403, 404) },
      },
    },
  };
}
