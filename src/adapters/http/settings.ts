import { z } from 'zod';
import type { ContributorSettings } from '../../ports/delivery.js';
import { err, ok } from '../../core/result.js';
import type { Result } from '../../core/result.js';

/** An http or https URL. */
export const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' });

/** How long one attempt may take, in milliseconds (default {@link DEFAULT_TIMEOUT_MS}). */
export const TimeoutMs = z.number().int().min(1, 'must be at least 1 ms').max(120_000, 'must be at most 120000 ms (2 minutes)');
export const DEFAULT_TIMEOUT_MS = 10_000;

/** An HTTP header name (RFC 9110 token). */
export const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');

/** `invalid webhook settings: url: must be an http or https URL; secrets: …` (each bad field named). */
export function describeSettingsError(adapter: string, error: z.ZodError): string {
  const fields = error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(settings)'}: ${i.message}`);
  return `invalid ${adapter} settings: ${fields.join('; ')}`;
}

/**
 * Validates a contributor's settings against an adapter's schema and prepares them (signers, URLs,
 * headers) once: remembered per settings object and per content (the registry may hand a fresh object,
 * with the same settings, for every message).
 */
export class SettingsParser<T, U> {
  private readonly byObject = new WeakMap<object, Result<U, string>>();
  private readonly byContent = new Map<string, Result<U, string>>();

  constructor(
    private readonly adapter: string,
    private readonly schema: z.ZodType<T>,
    private readonly prepare: (settings: T) => U,
  ) {}

  parse(settings: ContributorSettings): Result<U, string> {
    let parsed = this.byObject.get(settings);
    if (parsed !== undefined) return parsed;
    const key = contentKey(settings);
    parsed = key === undefined ? undefined : this.byContent.get(key);
    if (parsed === undefined) {
      parsed = this.validate(settings);
      if (key !== undefined) {
        if (this.byContent.size >= 256) this.byContent.clear();
        this.byContent.set(key, parsed);
      }
    }
    this.byObject.set(settings, parsed);
    return parsed;
  }

  private validate(settings: ContributorSettings): Result<U, string> {
    const r = this.schema.safeParse(settings);
    return r.success ? ok(this.prepare(r.data)) : err(describeSettingsError(this.adapter, r.error));
  }
}

function contentKey(settings: ContributorSettings): string | undefined {
  try {
    return JSON.stringify(settings);
  } catch {
    return undefined;
  }
}
