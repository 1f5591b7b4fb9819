import type { HubEvent } from '../events/event.js';

/** `(type, value)`: userId, anonymousId, email, phone, a device id or a custom type. */
export interface Identifier {
  readonly type: string;
  readonly value: string;
}

/** How one identifier type is found in events, normalised, and limited per profile. */
export interface IdentifierRule {
  readonly type: string;
  /** Dotted paths into the event where values of this type are found, e.g. `context.device.id`. */
  readonly paths: readonly string[];
  /** At most this many distinct values of the type on one profile; a link that would exceed it is dropped. */
  readonly limit?: number;
  readonly normalize?: 'none' | 'email' | 'phone';
}

/** Rules in priority order: an event belongs to the profile of its highest-priority identifier. */
export interface IdentityRules {
  readonly identifiers: readonly IdentifierRule[];
}

export const DEFAULT_IDENTITY_RULES: IdentityRules = {
  identifiers: [
    { type: 'userId', paths: ['userId'], limit: 1 },
    { type: 'email', paths: ['traits.email', 'context.traits.email'], normalize: 'email' },
    { type: 'phone', paths: ['traits.phone', 'context.traits.phone'], normalize: 'phone' },
    { type: 'anonymousId', paths: ['anonymousId'] },
  ],
};

export const identifierKey = (id: Identifier): string => `${id.type}\u0000${id.value}`;

/** The identifiers an event carries, in priority order, without duplicates. */
export function identifiersOf(event: HubEvent, rules: IdentityRules): Identifier[] {
  const out: Identifier[] = [];
  for (const rule of compiled(rules)) {
    for (const path of rule.paths) {
      const value = normalizeValue(valueAt(event, path), rule.normalize);
      if (value === undefined) continue;
      // A linear scan: an event carries a handful of identifiers.
      if (!out.some((id) => id.type === rule.type && id.value === value)) out.push({ type: rule.type, value });
    }
  }
  return out;
}

interface CompiledRule {
  readonly type: string;
  readonly paths: readonly (readonly string[])[];
  readonly normalize: 'none' | 'email' | 'phone';
}

/** Rules with their paths split once (memoised per rules object: identifiersOf runs for every event). */
const compiledRules = new WeakMap<IdentityRules, readonly CompiledRule[]>();

function compiled(rules: IdentityRules): readonly CompiledRule[] {
  let c = compiledRules.get(rules);
  if (c === undefined) {
    c = rules.identifiers.map((r) => ({ type: r.type, paths: r.paths.map((p) => p.split('.')), normalize: r.normalize ?? 'none' }));
    compiledRules.set(rules, c);
  }
  return c;
}

/** The identifiers an `alias` call's previousId may name, most specific first. */
export function aliasCandidates(previousId: string): Identifier[] {
  return [
    { type: 'userId', value: previousId },
    { type: 'anonymousId', value: previousId },
  ];
}

function valueAt(event: HubEvent, path: readonly string[]): unknown {
  let cur: unknown = event;
  for (const part of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function normalizeValue(v: unknown, how: 'none' | 'email' | 'phone'): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
  if (typeof v !== 'string') return undefined;
  let s = v.trim();
  if (how === 'email') s = s.toLowerCase();
  if (how === 'phone') s = s.replace(/[\s\-().]/g, '');
  return s === '' || s.length > 1024 ? undefined : s;
}

/** An identifier as a lookup names it, normalised as the rules store it (e.g. e-mail lower-cased). */
export function normalizeIdentifier(id: Identifier, rules: IdentityRules): Identifier {
  const rule = rules.identifiers.find((r) => r.type === id.type);
  return { type: id.type, value: normalizeValue(id.value, rule?.normalize ?? 'none') ?? id.value };
}
