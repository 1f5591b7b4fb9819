import type { z } from 'zod';
import { err, ok, type FieldError, type Result } from '../result.js';
import { BatchRequest, EventType, SegmentCall, type HubEvent } from './event.js';
import { correctedTimestamp } from './timestamps.js';

/** Segment's limits: 32 KB per event, 500 KB per batch request. */
export const EVENT_MAX_BYTES = 32 * 1024;
export const BATCH_MAX_BYTES = 500 * 1024;
/** Nesting levels an event may have: deeper JSON serves no purpose and would overflow recursive JSON code (stringify). */
export const EVENT_MAX_DEPTH = 64;

export interface Rejection {
  readonly status: 400 | 413;
  readonly errors: readonly FieldError[];
}

export interface Accepted {
  readonly events: readonly HubEvent[];
  readonly writeKey?: string;
}

export interface ValidationContext {
  readonly receivedAt: number;
  /** Used when a call carries no messageId. */
  readonly newMessageId: () => string;
}

type Envelope = { readonly context?: Record<string, unknown>; readonly integrations?: Record<string, unknown>; readonly sentAt?: string };

/** Validates one call sent to `/v1/{type}`; `type` comes from the path when the body has none. */
export function validateCall(body: unknown, type: EventType, ctx: ValidationContext): Result<Accepted, Rejection> {
  if (!isObject(body)) return err({ status: 400, errors: [{ path: '', message: 'body must be a JSON object' }] });
  if (body.type !== undefined && body.type !== type) {
    return err({ status: 400, errors: [{ path: 'type', message: `must be '${type}' on this endpoint` }] });
  }
  const one = validateOne({ ...body, type }, '', {}, stamped(ctx));
  if (!one.ok) return one;
  return ok({ events: [one.value], writeKey: typeof body.writeKey === 'string' ? body.writeKey : undefined });
}

/** Validates a `/v1/batch` request: all or nothing. */
export function validateBatch(body: unknown, ctx: ValidationContext): Result<Accepted, Rejection> {
  if (!isObject(body)) return err({ status: 400, errors: [{ path: '', message: 'body must be a JSON object' }] });
  const envelope = BatchRequest.safeParse(body);
  if (!envelope.success) return err({ status: 400, errors: zodErrors(envelope.error, '') });
  const env = envelope.data;
  if (tooDeep({ context: env.context, integrations: env.integrations })) {
    return err({ status: 400, errors: [{ path: '', message: `context or integrations nested deeper than ${EVENT_MAX_DEPTH} levels` }] });
  }
  const stamp = stamped(ctx);
  const events: HubEvent[] = [];
  const errors: FieldError[] = [];
  let tooLarge = false;
  env.batch.forEach((item, i) => {
    const one = validateOne(item, `batch[${i}]`, env, stamp);
    if (one.ok) events.push(one.value);
    else {
      errors.push(...one.error.errors);
      tooLarge ||= one.error.status === 413;
    }
  });
  if (errors.length > 0) return err({ status: tooLarge ? 413 : 400, errors: errors.slice(0, 50) });
  if (events.length === 0) return err({ status: 400, errors: [{ path: 'batch', message: 'must contain at least one event' }] });
  return ok({ events, writeKey: env.writeKey });
}

function validateOne(item: unknown, at: string, env: Envelope, ctx: Stamped): Result<HubEvent, Rejection> {
  const path = (p: string): string => (at && p ? `${at}.${p}` : at || p);
  if (!isObject(item)) return err({ status: 400, errors: [{ path: at, message: 'must be a JSON object' }] });
  if (tooDeep(item)) return err({ status: 400, errors: [{ path: at, message: `event nested deeper than ${EVENT_MAX_DEPTH} levels` }] });
  if (utf8LongerThan(JSON.stringify(item), EVENT_MAX_BYTES)) {
    return err({ status: 413, errors: [{ path: at, message: `event is larger than ${EVENT_MAX_BYTES} bytes (32 KB)` }] });
  }
  if (!EventType.safeParse(item.type).success) {
    const message = `unknown type ${JSON.stringify(item.type ?? null)}; expected one of ${EventType.options.join(', ')}`;
    return err({ status: 400, errors: [{ path: path('type'), message }] });
  }
  const parsed = SegmentCall.safeParse(item);
  if (!parsed.success) return err({ status: 400, errors: zodErrors(parsed.error, at) });
  const call = parsed.data;
  if (call.type === 'alias' ? call.userId === undefined : call.userId === undefined && call.anonymousId === undefined) {
    const message = call.type === 'alias' ? 'userId is required for alias' : 'userId or anonymousId is required';
    return err({ status: 400, errors: [{ path: path('userId'), message }] });
  }
  return ok(toHubEvent(call, env, ctx));
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The stored event, field by field in a fixed order (its JSON is the same whatever the call held):
 * what the call left undefined is not set, rather than set and stripped (this runs for every event).
 */
function toHubEvent(call: SegmentCall, env: Envelope, ctx: Stamped): HubEvent {
  const sentAt = call.sentAt ?? env.sentAt;
  const context = env.context ? { ...env.context, ...call.context } : call.context;
  const integrations = env.integrations ? { ...env.integrations, ...call.integrations } : call.integrations;
  const e = { v: 1, type: call.type, messageId: call.messageId ?? ctx.newMessageId() } as Writable<HubEvent>;
  if (call.userId !== undefined) e.userId = call.userId;
  if (call.anonymousId !== undefined) e.anonymousId = call.anonymousId;
  if (context !== undefined) e.context = context;
  if (integrations !== undefined) e.integrations = integrations;
  e.timestamp = correctedTimestamp(call, sentAt, ctx.receivedAt);
  const originalTimestamp = call.originalTimestamp ?? call.timestamp;
  if (originalTimestamp !== undefined) e.originalTimestamp = originalTimestamp;
  if (sentAt !== undefined) e.sentAt = sentAt;
  e.receivedAt = ctx.receivedAtIso;
  switch (call.type) {
    case 'track':
      e.event = call.event;
      if (call.properties !== undefined) e.properties = call.properties;
      break;
    case 'identify': {
      // RudderStack's browser SDK sends identify traits as context.traits only.
      const traits = call.traits ?? (isObject(context?.traits) ? context.traits : undefined);
      if (traits !== undefined) e.traits = traits;
      break;
    }
    case 'page':
    case 'screen':
      if (call.name !== undefined && call.name !== null) e.name = call.name;
      if (call.category !== undefined && call.category !== null) e.category = call.category;
      if (call.properties !== undefined) e.properties = call.properties;
      break;
    case 'group':
      e.groupId = call.groupId;
      if (call.traits !== undefined) e.traits = call.traits;
      break;
    case 'alias':
      e.previousId = call.previousId;
      break;
  }
  return e;
}

/** The context with its `receivedAt` as text, made once per request (every event of it shares the instant). */
type Stamped = ValidationContext & { readonly receivedAtIso: string };
const stamped = (ctx: ValidationContext): Stamped => ({ ...ctx, receivedAtIso: new Date(ctx.receivedAt).toISOString() });

export function zodErrors(error: z.ZodError, at: string): FieldError[] {
  return error.issues.slice(0, 20).flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: formatPath(at, [...issue.path, key]), message: 'unknown field' }))
      : [{ path: formatPath(at, issue.path), message: issue.message }],
  );
}

function formatPath(at: string, path: readonly PropertyKey[]): string {
  let out = at;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether a JSON value has containers nested deeper than EVENT_MAX_DEPTH (iterative: safe on any input). */
function tooDeep(root: unknown): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 1 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (typeof top.value !== 'object' || top.value === null) continue;
    if (top.depth > EVENT_MAX_DEPTH) return true;
    for (const value of Object.values(top.value)) stack.push({ value, depth: top.depth + 1 });
  }
  return false;
}

/** Whether a text is longer than `max` bytes in UTF-8 (one of at most max / 3 UTF-16 units never is: no need to count). */
function utf8LongerThan(s: string, max: number): boolean {
  if (s.length * 3 <= max) return false;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n > max;
}
