import { z } from 'zod';
import { Condition } from '../core/conditions/schema.js';
import { SegmentInput } from '../core/segments/definitions.js';
import { ComputedTrait } from '../core/traits/computed.js';
import { content, problems, type Schema } from './openapi-parts.js';
import { ContextInput } from './context-routes.js';
import { MembersQuery } from './segment-routes.js';

const Backfill = z.object({ status: z.enum(['running', 'done']), processed: z.number().int(), total: z.number().int(), after: z.string().optional() }).nullable();
const Segment = z.object({
  id: z.string().describe('seg_…'), name: z.string(), description: z.string().optional(), condition: Condition,
  version: z.number().int(), createdAt: z.iso.datetime(), updatedAt: z.iso.datetime(), backfill: Backfill,
});
const ComputedTraitView = z.object({ id: z.string().describe('ctr_…'), version: z.number().int(), backfill: Backfill });
const Members = z.object({ items: z.array(z.object({ profileId: z.string(), since: z.iso.datetime() })), nextCursor: z.string().nullable() });
const Count = z.object({ count: z.number().int(), backfill: Backfill });
const Preview = z.object({ estimate: z.number().int(), sampled: z.number().int(), matched: z.number().int(), total: z.number().int() });
const list = (item: Schema) => z.object({ items: z.array(item), nextCursor: z.null() });

const sec = [{ adminKey: [] }];
const dim = { name: 'dimension', in: 'path', required: true, schema: { type: 'string' } };
const key = { name: 'key', in: 'path', required: true, schema: { type: 'string' } };
const ContextView = z.object({
  dimension: z.string(), key: z.string(), value: z.record(z.string(), z.unknown()), validUntil: z.iso.datetime().nullable(), updatedAt: z.iso.datetime(),
});
const id = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
const ok = (s: Schema, code = '200') => ({ [code]: { description: 'ok', ...content(s) } });

function crud(tag: string, what: string, input: Schema, view: Schema) {
  return {
    collection: {
      get: { tags: [tag], summary: `List ${what}s`, security: sec, responses: { ...ok(list(view)), ...problems(401) } },
      post: {
        tags: [tag], summary: `Create a ${what} (backfilled over existing profiles in the background)`, security: sec,
        requestBody: { required: true, ...content(input) }, responses: { ...ok(view, '201'), ...problems(400, 401) },
      },
    },
    item: {
      get: { tags: [tag], summary: `A ${what}, with its backfill progress`, security: sec, parameters: id, responses: { ...ok(view), ...problems(401, 404) } },
      put: {
        tags: [tag], summary: `Change a ${what} (a new version, backfilled)`, security: sec, parameters: id,
        requestBody: { required: true, ...content(input) }, responses: { ...ok(view), ...problems(400, 401, 404) },
      },
      delete: { tags: [tag], summary: `Delete a ${what}`, security: sec, parameters: id, responses: { '204': { description: 'deleted' }, ...problems(401, 404, 409) } },
    },
  };
}

/** Segments and computed traits in the OpenAPI document. */
export function segmentPaths(): Record<string, unknown> {
  const segments = crud('segments', 'segment', SegmentInput.extend({ condition: Condition }), Segment);
  const traits = crud('segments', 'computed trait', ComputedTrait, ComputedTraitView);
  const query = Object.entries(MembersQuery.shape).map(([name]) => ({ name, in: 'query', required: false, schema: { type: name === 'limit' ? 'integer' : 'string' } }));
  return {
    '/v1/segments': segments.collection,
    '/v1/segments/{id}': segments.item,
    '/v1/segments/{id}/members': { get: { tags: ['segments'], summary: 'Members, in profile id order', security: sec, parameters: [...id, ...query], responses: { ...ok(Members), ...problems(400, 401, 404) } } },
    '/v1/segments/{id}/count': { get: { tags: ['segments'], summary: 'Number of members', security: sec, parameters: id, responses: { ...ok(Count), ...problems(401, 404) } } },
    '/v1/segments/preview': {
      post: {
        tags: ['segments'], summary: 'Estimate the size of a condition from a sample of profiles, before saving it', security: sec,
        requestBody: { required: true, ...content(z.object({ condition: Condition })) }, responses: { ...ok(Preview), ...problems(400, 401) },
      },
    },
    '/v1/computed-traits': traits.collection,
    '/v1/computed-traits/{id}': traits.item,
    '/v1/context/{dimension}': { get: { tags: ['context'], summary: 'Context values of a dimension', security: sec, parameters: [dim], responses: { ...ok(list(ContextView)), ...problems(401) } } },
    '/v1/context/{dimension}/{key}': {
      put: {
        tags: ['context'], summary: 'Publish a context value (re-evaluates the segments that read it)', security: sec, parameters: [dim, key],
        requestBody: { required: true, ...content(ContextInput) }, responses: { ...ok(ContextView.extend({ reevaluated: z.number().int() })), ...problems(400, 401) },
      },
      get: { tags: ['context'], summary: 'A context value', security: sec, parameters: [dim, key], responses: { ...ok(ContextView), ...problems(401, 404) } },
      delete: { tags: ['context'], summary: 'Withdraw a context value', security: sec, parameters: [dim, key], responses: { '204': { description: 'withdrawn' }, ...problems(401, 404) } },
    },
    '/v1/profiles/{id}/segments': { get: { tags: ['segments'], summary: 'Segments a profile is in', security: sec, parameters: id, responses: { ...ok(list(z.object({ segmentId: z.string(), since: z.iso.datetime() }))), ...problems(401, 404) } } },
  };
}
