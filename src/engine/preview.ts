import { evaluate } from '../core/conditions/evaluate.js';
import type { Condition } from '../core/conditions/schema.js';
import { facts, factEvent, factSelection } from '../core/segments/batch.js';
import { dependenciesOf } from '../core/segments/dependencies.js';
import { byTime, type StoredEvent } from '../core/segments/audience.js';
import { isHubSeq } from '../ports/profile-reader.js';
import type { Hub } from './hub.js';

export const PREVIEW_SAMPLE = 1000;
const YIELD_EVERY = 25;

/** Evaluates a condition over a sample of a workspace's profiles (their whole timelines) and extrapolates. */
export async function previewCondition(hub: Hub, workspaceId: string, condition: Condition): Promise<{ estimate: number; sampled: number; matched: number; total: number }> {
  const { audiences, reader, log } = hub.store;
  const total = await audiences.liveProfiles(workspaceId);
  const ids = await audiences.sample(workspaceId, PREVIEW_SAMPLE);
  const now = hub.clock.now();
  const selection = factSelection(dependenciesOf(condition).events.keys());
  let matched = 0;
  for (const [i, id] of ids.entries()) {
    // A sample reads a thousand timelines on the main thread: HTTP gets its turns in between.
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((r) => setImmediate(r));
    const profile = await reader.byId(workspaceId, id);
    if (!profile) continue;
    const positions = await reader.timeline(workspaceId, id, 10_000);
    const events = (await log.getSelected(positions.filter((p) => !isHubSeq(p.seq)).map((p) => p.seq), selection))
      .map((l) => factEvent(l.event))
      .filter((e): e is StoredEvent => e !== undefined)
      .sort(byTime);
    const segments = new Set((await audiences.segmentsOf(id)).map((s) => s.segmentId));
    if (evaluate(condition, { ...facts(profile.traits), events, segments }, now).value) matched++;
  }
  return { estimate: ids.length === 0 ? 0 : Math.round((matched / ids.length) * total), sampled: ids.length, matched, total };
}
