import { z } from 'zod';
import { Condition, Duration, PropertyFilter } from '../conditions/schema.js';
import { JourneyDefinition, JourneyEventMatch, Step } from './definition.js';

/**
 * The JSON Schema of a journey file, generated from the zod schema that validates it (so it cannot
 * drift): editors use it for completion and inline errors (`schemas/journey.schema.json`, regenerated
 * by `npm run schemas`). It describes the input: fields with defaults may be left out. The graph and
 * references (dangling `next`, unknown segments) are checked by `xhub journeys validate`, not by it.
 */

/** What each top-level field means, shown by editors on hover. */
const FIELDS: Readonly<Record<string, string>> = {
  id: 'stable id of the journey in its workspace (lower-case letters, digits, _ or -); a file deploys to the journey of this id',
  name: 'human name, shown in the dashboard',
  description: 'what the journey is for',
  owner: 'who answers for the journey (a person or an e-mail address)',
  team: 'the team that owns the journey',
  goal: 'the KPI: an event or a condition reached within a duration of entering (holdouts are measured against it too)',
  entry: 'what enters a profile: an event (with property filters) or entering a segment',
  reentry: 'whether a profile that left may enter again: once (default), after a cooldown, or always',
  exit: 'events or a condition that make a profile leave the journey at once, wherever it is',
  start: 'the id of the first step',
  steps: 'the steps by id; each names the next step(s)',
};

const KINDS: Readonly<Record<string, string>> = {
  wait: 'wait for a duration, until a local time of day, or until a date trait (before / after it)',
  waitFor: 'wait for an event until a timeout: next when it comes, onTimeout when it does not',
  branch: 'the first branch whose condition is true, else default',
  split: 'experiment arms by weight (sticky per profile); a holdout weight leaves the journey',
  action: 'propose a message to arbitration (it may be sent, deferred or not sent)',
  update: 'set or increment profile traits',
  goal: 'mark the goal reached; leaves the journey unless it has a next',
  exit: 'leave the journey',
};

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Names the shared parts of the schema so that they appear once, under `$defs`, with a readable name. */
function named(): z.core.$ZodRegistry<{ id?: string; description?: string }> {
  const registry = z.registry<{ id?: string; description?: string }>();
  registry.add(Condition, { id: 'Condition', description: 'the condition language (docs/conditions.md)' });
  registry.add(Duration, { id: 'Duration' });
  registry.add(PropertyFilter, { id: 'PropertyFilter' });
  registry.add(JourneyEventMatch, { id: 'EventMatch' });
  registry.add(Step, { id: 'Step' });
  for (const option of Step.options) {
    const kind = option.shape.kind.value;
    registry.add(option, { id: `${pascal(kind)}Step`, description: `${kind}: ${KINDS[kind] ?? ''}` });
  }
  return registry;
}

/** The JSON Schema (draft 2020-12) of a journey definition as a file or request may hold it. */
export function journeySchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(JourneyDefinition, {
    io: 'input',
    metadata: named(),
    // Descriptions given with `.describe()` live in the global registry: keep them.
    override: ({ zodSchema, jsonSchema }) => {
      const description = z.globalRegistry.get(zodSchema)?.description;
      if (description !== undefined && jsonSchema.description === undefined) jsonSchema.description = description;
    },
  }) as Record<string, unknown>;
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  for (const [field, description] of Object.entries(FIELDS)) {
    const p = properties[field];
    if (p) properties[field] = { description, ...p };
  }
  const { $schema, ...rest } = schema;
  return { $schema, title: 'Experience Hub journey', ...rest };
}

/** The schema as the committed file holds it (two-space indentation, a final newline). */
export function journeySchemaText(): string {
  return `${JSON.stringify(journeySchema(), null, 2)}\n`;
}
