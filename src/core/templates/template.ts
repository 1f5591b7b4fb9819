import { z } from 'zod';
import { isObject, zodErrors } from '../events/validate.js';
import { Channel } from '../journeys/definition.js';
import { err, ok, type FieldError, type Result } from '../result.js';
import { liquidSyntaxError, type LiquidMode } from './liquid.js';

/** Longest source (characters) of each Liquid field, and the bounds of a webhook payload. */
export const TEMPLATE_LIMITS = {
  subject: 2_000,
  html: 512 * 1024,
  text: 256 * 1024,
  body: 4_000,
  payloadBytes: 64 * 1024,
  payloadDepth: 16,
} as const;

/** Which fields each channel's templates use: `required` (all of), `oneOf` (at least one of), `optional`. */
export const CHANNEL_FIELDS = {
  email: { required: ['subject'], oneOf: ['html', 'text'], optional: [] },
  sms: { required: ['body'], oneOf: [], optional: [] },
  push: { required: ['body'], oneOf: [], optional: ['subject', 'payload'] },
  inApp: { required: ['payload'], oneOf: [], optional: [] },
  webhook: { required: ['payload'], oneOf: [], optional: [] },
} as const satisfies Record<Channel, { required: readonly ContentField[]; oneOf: readonly ContentField[]; optional: readonly ContentField[] }>;

type ContentField = 'subject' | 'html' | 'text' | 'body' | 'payload';
const CONTENT_FIELDS: readonly ContentField[] = ['subject', 'html', 'text', 'body', 'payload'];

/** A string field holding Liquid: its syntax is checked (with the mode it renders in), errors name the field. */
const liquid = (mode: LiquidMode, max: number) =>
  z.string().max(max).superRefine((source, ctx) => {
    const problem = liquidSyntaxError(mode, source);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `Liquid: ${problem}` });
  });

const payload = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  for (const issue of payloadIssues(value)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});

/**
 * A message template: Liquid in every content field, rendered with `{ profile, event, journey, message }`.
 * `html` escapes its outputs for HTML (`| raw` opts out); `subject`, `text`, `body` and the string values of
 * `payload` (at any depth; keys are not templated) render as they are. Templates cannot load files.
 */
export const Template = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 letters, digits or _.:-'),
    channel: Channel,
    subject: liquid('plain', TEMPLATE_LIMITS.subject).optional().describe('e-mail subject, push title'),
    html: liquid('html', TEMPLATE_LIMITS.html).optional().describe('e-mail HTML part (outputs HTML-escaped)'),
    text: liquid('plain', TEMPLATE_LIMITS.text).optional().describe('e-mail text part'),
    body: liquid('plain', TEMPLATE_LIMITS.body).optional().describe('SMS text, push body'),
    payload: payload.optional().describe('webhook / in-app JSON: its string values are Liquid'),
  })
  .superRefine((t, ctx) => {
    for (const issue of channelIssues(t)) ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
  });
export type Template = z.output<typeof Template>;

/** Validates a template; every error names its field (`payload.items[0].name` inside a payload). */
export function parseTemplate(input: unknown): Result<Template, FieldError[]> {
  if (!isObject(input)) return err([{ path: '', message: 'must be a JSON object' }]);
  const parsed = Template.safeParse(input);
  if (parsed.success) return ok(parsed.data);
  const errors = zodErrors(parsed.error, '');
  // zod skips the channel's rules while a field is invalid: report them too, so one answer names every problem
  const channel = Channel.safeParse(input.channel);
  if (channel.success) {
    for (const issue of channelIssues({ ...input, channel: channel.data })) if (!errors.some((e) => e.path === issue.path)) errors.push(issue);
  }
  return err(errors);
}

function channelIssues(t: Partial<Record<ContentField, unknown>> & { channel: Channel }): FieldError[] {
  const rule = CHANNEL_FIELDS[t.channel];
  const used: readonly ContentField[] = [...rule.required, ...rule.oneOf, ...rule.optional];
  const issues: FieldError[] = [];
  for (const field of rule.required) if (t[field] === undefined) issues.push({ path: field, message: `is required on ${t.channel} templates` });
  const [first, second] = rule.oneOf;
  if (first !== undefined && second !== undefined && rule.oneOf.every((f) => t[f] === undefined)) {
    issues.push({ path: first, message: `${t.channel} templates need ${first} or ${second} (or both)` });
  }
  for (const field of CONTENT_FIELDS) {
    if (t[field] !== undefined && !used.includes(field)) issues.push({ path: field, message: `is not used by ${t.channel} templates` });
  }
  return issues;
}

interface PayloadIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Depth, size and Liquid syntax of each string value of a payload (iterative: safe on any input). */
function payloadIssues(root: Record<string, unknown>): PayloadIssue[] {
  const strings: { source: string; path: (string | number)[] }[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: root, path: [] }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { value, path } = top;
    if (typeof value === 'string') strings.push({ source: value, path });
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= TEMPLATE_LIMITS.payloadDepth) return [{ path, message: `is nested deeper than ${TEMPLATE_LIMITS.payloadDepth} levels` }];
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [k, v] of entries.reverse()) stack.push({ value: v, path: [...path, k] });
  }
  const bytes = new TextEncoder().encode(JSON.stringify(root)).length;
  if (bytes > TEMPLATE_LIMITS.payloadBytes) return [{ path: [], message: `is ${bytes} bytes of JSON; at most ${TEMPLATE_LIMITS.payloadBytes}` }];
  return strings.flatMap(({ source, path }) => {
    const problem = liquidSyntaxError('plain', source);
    return problem === undefined ? [] : [{ path, message: `Liquid: ${problem}` }];
  });
}
