import { parseSegment, type SegmentBody } from '../core/segments/definitions.js';
import { err, ok, type FieldError, type Result } from '../core/result.js';
import type { DefinitionKind, StoredDefinition } from '../ports/definitions.js';
import type { Hub } from './hub.js';
import { newId } from './ids.js';

/**
 * Saves a definition (a new version when `previous` is given) and starts its backfill over the
 * workspace's existing profiles; the processor runs it in the background, in chunks.
 */
export async function saveDefinition(
  hub: Pick<Hub, 'store' | 'clock' | 'processor'>,
  def: { workspaceId: string; kind: DefinitionKind; id: string; name: string; body: unknown },
  previous?: StoredDefinition,
): Promise<StoredDefinition> {
  const now = hub.clock.now();
  const total = await hub.store.audiences.liveProfiles(def.workspaceId);
  const saved: StoredDefinition = {
    ...def, version: (previous?.version ?? 0) + 1, createdAt: previous?.createdAt ?? now, updatedAt: now,
    backfill: { status: total === 0 ? 'done' : 'running', processed: 0, total },
  };
  await hub.store.definitions.put(saved);
  hub.processor.changed();
  return saved;
}

/** Creates a segment from its JSON input, validated as the admin API does (`parseSegment`); names are unique. */
export async function createSegment(
  hub: Pick<Hub, 'store' | 'clock' | 'processor'>,
  workspaceId: string,
  input: unknown,
): Promise<Result<StoredDefinition, FieldError[]>> {
  const id = newId('seg', hub.clock.now());
  const others = (await hub.store.definitions.list(workspaceId, 'segment')).map((d) => ({ id: d.id, condition: (d.body as SegmentBody).condition }));
  const parsed = parseSegment(input, id, others);
  if (!parsed.ok) return err(parsed.error);
  const { name, body } = parsed.value;
  if (await hub.store.definitions.byName(workspaceId, 'segment', name)) return err([{ path: 'name', message: `a segment named '${name}' exists` }]);
  return ok(await saveDefinition(hub, { workspaceId, kind: 'segment', id, name, body }));
}

/** Starts a definition's backfill again from the first profile (e.g. after profiles were imported). */
export async function restartBackfill(hub: Pick<Hub, 'store' | 'processor'>, def: StoredDefinition): Promise<void> {
  const total = await hub.store.audiences.liveProfiles(def.workspaceId);
  await hub.store.definitions.setBackfill(def.id, { status: total === 0 ? 'done' : 'running', processed: 0, total });
  hub.processor.changed();
}
