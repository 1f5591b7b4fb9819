import { z } from 'zod';
import { Problem, Success } from './schemas.js';

/** Building blocks of the OpenAPI document, from the zod schemas that validate requests. */
export type Schema = z.ZodType;
export const json = (s: Schema): unknown => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
export const content = (s: Schema, type = 'application/json') => ({ content: { [type]: { schema: json(s) } } });
export const problems = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: 'problem details (RFC 9457)', ...content(Problem, 'application/problem+json') }]));

export function ingestion(summary: string, body: Schema, extra = '') {
  return {
    post: {
      tags: ['ingestion'],
      summary,
      security: [{ writeKey: [] }, {}],
      description:
        'Segment HTTP tracking API. Auth: HTTP Basic with the write key as user name, or `writeKey` in the body. ' +
        'Any content type is read as JSON; `Content-Encoding: gzip` is accepted. Answered only after the events are committed. ' +
        'Web pages may call it cross-origin from the origins the workspace allows (CORS; a request from another origin is refused with 403 and nothing is written).' +
        extra,
      requestBody: { required: true, ...content(body) },
      responses: { '200': { description: 'committed', ...content(Success) }, ...problems(400, 401, 403, 413, 429) },
    },
  };
}
