// eslint-disable-next-line no-restricted-imports -- the test compares the committed files; the module itself does no I/O
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { JourneyDefinition } from './definition.js';
import { journeySchema, journeySchemaText } from './json-schema.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const examples = readdirSync(new URL('examples/journeys/', root)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A small JSON Schema check covering the keywords the generated schema uses (no validator
 * dependency): enough to see that the schema accepts what the zod schema accepts, and refuses
 * what it refuses, for the cases below.
 */
function accepts(schema: Schema, v: unknown, defs: Record<string, Schema>): boolean {
  if (typeof schema.$ref === 'string') return accepts(defs[schema.$ref.replace('#/$defs/', '')] as Schema, v, defs);
  const sub = (s: unknown, x: unknown): boolean => accepts(s as Schema, x, defs);
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => sub(s, v))) return false;
  if (Array.isArray(schema.oneOf) && schema.oneOf.filter((s) => sub(s, v)).length !== 1) return false;
  if ('const' in schema && schema.const !== v) return false;
  if (Array.isArray(schema.enum) && !schema.enum.includes(v)) return false;
  if (typeof schema.type === 'string' && !hasType(schema.type, v)) return false;
  if (typeof v === 'string') return stringOk(schema, v);
  if (typeof v === 'number') return (typeof schema.minimum !== 'number' || v >= schema.minimum) && (typeof schema.maximum !== 'number' || v <= schema.maximum);
  if (Array.isArray(v)) return arrayOk(schema, v, sub);
  if (isObject(v)) return objectOk(schema, v, sub);
  return true;
}

function hasType(type: string, v: unknown): boolean {
  if (type === 'integer') return Number.isInteger(v);
  if (type === 'array') return Array.isArray(v);
  if (type === 'object') return isObject(v);
  if (type === 'null') return v === null;
  return typeof v === type;
}

function stringOk(schema: Schema, v: string): boolean {
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v)) return false;
  return (typeof schema.minLength !== 'number' || v.length >= schema.minLength) && (typeof schema.maxLength !== 'number' || v.length <= schema.maxLength);
}

function arrayOk(schema: Schema, v: readonly unknown[], sub: (s: unknown, x: unknown) => boolean): boolean {
  if ((typeof schema.minItems === 'number' && v.length < schema.minItems) || (typeof schema.maxItems === 'number' && v.length > schema.maxItems)) return false;
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  return v.every((x, i) => (i < prefix.length ? sub(prefix[i], x) : schema.items === undefined || sub(schema.items, x)));
}

function objectOk(schema: Schema, v: Record<string, unknown>, sub: (s: unknown, x: unknown) => boolean): boolean {
  const properties = isObject(schema.properties) ? schema.properties : {};
  if (Array.isArray(schema.required) && !schema.required.every((k) => typeof k === 'string' && k in v)) return false;
  return Object.entries(v).every(([k, x]) => {
    if (schema.propertyNames !== undefined && !sub(schema.propertyNames, k)) return false;
    if (k in properties) return sub(properties[k], x);
    if (schema.additionalProperties === false) return false;
    return schema.additionalProperties === undefined || sub(schema.additionalProperties, x);
  });
}

const schema = journeySchema();
const defs = schema.$defs as Record<string, Schema>;
const example = (name: string): Record<string, unknown> => parse(read(`examples/journeys/${name}`)) as Record<string, unknown>;

describe('the JSON Schema of a journey file', () => {
  it('is the committed schemas/journey.schema.json (regenerate with npm run schemas)', () => {
    expect(read('schemas/journey.schema.json')).toBe(journeySchemaText());
  });

  it('requires exactly the fields the zod schema requires, and names its shared parts', () => {
    const required = Object.entries(JourneyDefinition.shape).filter(([, s]) => !s.safeParse(undefined).success).map(([k]) => k);
    expect([...(schema.required as string[])].sort()).toEqual(required.sort());
    expect(Object.keys(defs)).toEqual(expect.arrayContaining(['Condition', 'Duration', 'EventMatch', 'PropertyFilter', 'Step', 'WaitStep', 'WaitForStep', 'BranchStep', 'SplitStep', 'ActionStep', 'UpdateStep', 'GoalStep', 'ExitStep']));
    // The recursive condition refers to itself instead of being inlined without end.
    expect(JSON.stringify(defs.Condition)).toContain('"$ref":"#/$defs/Condition"');
  });

  it.each(examples)('accepts the example %s, which the zod schema accepts too', (name) => {
    expect(read(`examples/journeys/${name}`).startsWith('# yaml-language-server: $schema=../../schemas/journey.schema.json\n')).toBe(true);
    const input = example(name);
    expect(JourneyDefinition.safeParse(input).success).toBe(true);
    expect(accepts(schema, input, defs)).toBe(true);
  });

  it('refuses what the zod schema refuses', () => {
    const good = example('abandoned-cart.yaml');
    const steps = good.steps as Record<string, Record<string, unknown>>;
    const bad: Record<string, unknown>[] = [
      { ...good, owner: undefined },
      { ...good, colour: 'blue' },
      { ...good, id: 'Not An Id' },
      { ...good, steps: { ...steps, x: { kind: 'teleport', next: 'done' } } },
      { ...good, steps: { ...steps, 'wait-for-order': { ...steps['wait-for-order'], timeout: { amount: 1, unit: 'weeks' } } } },
      { ...good, goal: { within: { amount: 3, unit: 'days' }, event: { event: 'Order Completed', where: [{ property: 'total', op: 'like', value: 1 }] } } },
    ].map((j) => JSON.parse(JSON.stringify(j)) as Record<string, unknown>);
    for (const j of bad) {
      expect(JourneyDefinition.safeParse(j).success, JSON.stringify(j)).toBe(false);
      expect(accepts(schema, j, defs), JSON.stringify(j)).toBe(false);
    }
  });
});
