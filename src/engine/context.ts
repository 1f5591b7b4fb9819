import type { Condition } from '../core/conditions/schema.js';
import type { SegmentBody } from '../core/segments/definitions.js';
import { dependenciesOf } from '../core/segments/dependencies.js';
import type { StoredContextValue } from '../ports/context.js';
import type { Hub } from './hub.js';

/**
 * Publishes (or, with `undefined`, withdraws) a context value, then re-evaluates the profiles it
 * concerns: those whose keying trait equals the key, in workspaces' segments that read the dimension.
 * They are re-evaluated by setting their audience timer to now (the same durable path as windows).
 */
export async function publishContext(hub: Hub, ws: string, dimension: string, key: string, value: StoredContextValue | undefined): Promise<number> {
  if (value) await hub.store.context.put(ws, value);
  else await hub.store.context.remove(ws, dimension, key);
  const traits = new Set<string>();
  for (const d of await hub.store.definitions.list(ws, 'segment')) {
    for (const t of dependenciesOf((d.body as SegmentBody).condition as Condition).contexts.get(dimension) ?? []) traits.add(t);
  }
  let touched = 0;
  for (const trait of traits) touched += await hub.store.context.touchProfiles(ws, trait, key, hub.clock.now());
  hub.processor.changed();
  return touched;
}
