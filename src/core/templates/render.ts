import { err, ok, type FieldError, type Result } from '../result.js';
import { liquidMessage, renderLiquid } from './liquid.js';
import type { Template } from './template.js';

/** What a template sees: `{{ profile.first_name }}`, `{{ event.sku }}`, `{{ journey.id }}`, `{{ message.key }}`. */
export interface RenderContext {
  /** The profile's traits. */
  readonly profile: Readonly<Record<string, unknown>>;
  /** The properties of the event that brought the profile into the journey (or triggered the message). */
  readonly event?: Readonly<Record<string, unknown>>;
  /** The journey and step proposing the message, and anything else about it. */
  readonly journey?: Readonly<{ id: string; step: string } & Record<string, unknown>>;
  /** The message itself: its idempotency key (for links that identify it). */
  readonly message: Readonly<{ key: string } & Record<string, unknown>>;
}

/** A template's fields after Liquid: the content of an `OutboundMessage`. */
export interface RenderedTemplate {
  readonly subject?: string;
  readonly html?: string;
  readonly text?: string;
  readonly body?: string;
  readonly payload?: Readonly<Record<string, unknown>>;
}

/** Longest rendered output (characters) of one field; a subject is also folded onto one line. */
export const RENDERED_MAX = { subject: 2_000, field: 2 * 1024 * 1024 } as const;

type TextField = 'subject' | 'html' | 'text' | 'body';

/**
 * Renders each content field of a (validated) template. Missing variables render empty; a render that
 * fails (a limit reached, a filter's error, an output too long) is an error naming the field.
 */
export function renderTemplate(template: Template, context: RenderContext): Result<RenderedTemplate, FieldError[]> {
  const scope = { profile: context.profile, event: context.event ?? {}, journey: context.journey ?? {}, message: context.message };
  const errors: FieldError[] = [];
  const out: { -readonly [K in keyof RenderedTemplate]: RenderedTemplate[K] } = {};
  for (const field of ['subject', 'html', 'text', 'body'] as const satisfies readonly TextField[]) {
    const source = template[field];
    if (source === undefined) continue;
    const rendered = renderField(field, source, scope);
    if (rendered.ok) out[field] = rendered.value;
    else errors.push(rendered.error);
  }
  if (template.payload !== undefined) {
    const payload = renderPayload(template.payload, scope, errors);
    if (payload !== undefined) out.payload = payload;
  }
  return errors.length > 0 ? err(errors) : ok(out);
}

function renderField(field: TextField, source: string, scope: object): Result<string, FieldError> {
  const rendered = renderString(field === 'html' ? 'html' : 'plain', source, scope, field);
  if (!rendered.ok || field !== 'subject') return rendered;
  const line = rendered.value.replace(/\s+/g, ' ').trim();
  return line.length > RENDERED_MAX.subject ? err({ path: field, message: `rendered to ${line.length} characters; at most ${RENDERED_MAX.subject}` }) : ok(line);
}

function renderString(mode: 'html' | 'plain', source: string, scope: object, path: string): Result<string, FieldError> {
  try {
    const out = renderLiquid(mode, source, scope);
    return out.length > RENDERED_MAX.field ? err({ path, message: `rendered to ${out.length} characters; at most ${RENDERED_MAX.field}` }) : ok(out);
  } catch (e) {
    return err({ path, message: `Liquid: ${liquidMessage(e)}` });
  }
}

/** A payload with each string value (at any depth) rendered as plain Liquid; keys and other values are kept. */
function renderPayload(payload: Readonly<Record<string, unknown>>, scope: object, errors: FieldError[]): Record<string, unknown> | undefined {
  const before = errors.length;
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') {
      const r = renderString('plain', value, scope, path);
      if (r.ok) return r.value;
      errors.push(r.error);
      return '';
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}[${i}]`));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, `${path}.${k}`)]));
    }
    return value;
  };
  const out = walk(payload, 'payload') as Record<string, unknown>;
  return errors.length > before ? undefined : out;
}
