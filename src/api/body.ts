import { gunzipSync, inflateSync } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BATCH_MAX_BYTES } from '../core/events/validate.js';
import { problem, ProblemError } from './problem.js';

/**
 * One body parser for every content type: SDKs post JSON as `application/json`, `text/plain`
 * (browsers) or form-encoded (axios with a gzip buffer). `Content-Encoding: gzip` (or deflate)
 * is undone first, bounded so a small compressed body cannot expand beyond the request limit.
 */
export function registerBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BATCH_MAX_BYTES }, (req, body, done) => {
    try {
      done(null, parseBody(req, body as Buffer));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}

function parseBody(req: FastifyRequest, raw: Buffer): unknown {
  const text = decode(raw, String(req.headers['content-encoding'] ?? 'identity').toLowerCase()).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ProblemError(problem(400, 'request body is not valid JSON', [{ path: '', message: (e as Error).message }]));
  }
}

function decode(raw: Buffer, encoding: string): Buffer {
  if (encoding === 'identity' || encoding === '') return raw;
  const inflate = encoding === 'gzip' || encoding === 'x-gzip' ? gunzipSync : encoding === 'deflate' ? inflateSync : undefined;
  if (!inflate) throw new ProblemError(problem(415, `unsupported Content-Encoding '${encoding}'; use gzip, deflate or none`));
  try {
    return inflate(raw, { maxOutputLength: BATCH_MAX_BYTES });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new ProblemError(problem(400, `request body is not valid ${encoding}`, [{ path: '', message: (e as Error).message }]));
  }
}

export const tooLarge = (): ProblemError =>
  new ProblemError(problem(413, `request body is larger than ${BATCH_MAX_BYTES / 1024} KB (Segment's batch limit)`));
