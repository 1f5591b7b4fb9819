import { z } from 'zod';
import { EventSchemaInput } from '../core/events/event-schema.js';
import { content, problems } from './openapi-parts.js';

const EventSchema = EventSchemaInput.extend({
  event: z.string().describe('the event name (a track call\'s `event`)'),
  version: z.number().int(), createdAt: z.iso.datetime(), updatedAt: z.iso.datetime(),
});

const tags = ['event schemas'];
const security = [{ adminKey: [] }];
const parameters = [{ name: 'event', in: 'path', required: true, description: 'the event name, URL-encoded (e.g. `Order%20Completed`)', schema: { type: 'string', minLength: 1, maxLength: 256 } }];
const ok = (code: string) => ({ [code]: { description: code === '201' ? 'created' : 'ok', ...content(EventSchema) } });

/** Event schemas (the tracking plan) in the OpenAPI document. */
export function eventSchemaPaths(): Record<string, unknown> {
  return {
    '/v1/event-schemas': {
      get: {
        tags, summary: 'List the workspace\'s event schemas (its tracking plan)', security,
        responses: { '200': { description: 'ok', ...content(z.object({ items: z.array(EventSchema), nextCursor: z.null() })) }, ...problems(401) },
      },
    },
    '/v1/event-schemas/{event}': {
      get: { tags, summary: 'The schema of an event', security, parameters, responses: { ...ok('200'), ...problems(401, 404) } },
      put: {
        tags, summary: 'Create (201) or replace (200, a new version) the schema of an event', security, parameters,
        description: 'Opt-in: once a workspace has an event schema, journeys saved or published there may name only declared events ' +
          '(or the hub\'s own: Segment Entered/Exited, Journey …, Page Viewed, Screen Viewed) and only their declared properties. 400 names each bad field; nothing is saved.',
        requestBody: { required: true, ...content(EventSchemaInput) }, responses: { ...ok('200'), ...ok('201'), ...problems(400, 401) },
      },
      delete: { tags, summary: 'Delete the schema of an event', security, parameters, responses: { '204': { description: 'deleted' }, ...problems(401, 404) } },
    },
  };
}
