import type { Condition } from '../core/conditions/schema.js';
import type { AudienceDefinitions } from '../core/segments/audience.js';
import type { SegmentBody } from '../core/segments/definitions.js';
import { orderSegments } from '../core/segments/dependencies.js';
import type { ComputedTrait } from '../core/traits/computed.js';
import type { DefinitionStore } from '../ports/definitions.js';

const NONE: AudienceDefinitions = { segments: [], computed: [] };

/**
 * The segments (in dependency order) and computed traits of each workspace, as processing needs them:
 * loaded once, kept in memory, reloaded when the admin API changes a definition.
 */
export class AudienceDefinitionsCache {
  private readonly byWorkspace = new Map<string, { defs: AudienceDefinitions; names: Map<string, string> }>();

  constructor(private readonly store: DefinitionStore) {}

  private loaded = false;

  /** Loads every workspace's definitions, when a change made the cache stale. */
  async prepare(): Promise<void> {
    if (this.loaded) return;
    this.byWorkspace.clear();
    for (const ws of await this.store.workspaces()) this.byWorkspace.set(ws, await this.load(ws));
    this.loaded = true;
  }

  /** Synchronous: `prepare` must have run since the last change. */
  of(workspaceId: string): AudienceDefinitions {
    return this.byWorkspace.get(workspaceId)?.defs ?? NONE;
  }

  segmentName(workspaceId: string, segmentId: string): string {
    return this.byWorkspace.get(workspaceId)?.names.get(segmentId) ?? segmentId;
  }

  invalidate(): void {
    this.loaded = false;
  }

  private async load(ws: string): Promise<{ defs: AudienceDefinitions; names: Map<string, string> }> {
    const segments = (await this.store.list(ws, 'segment')).map((d) => ({ id: d.id, name: d.name, condition: (d.body as SegmentBody).condition as Condition }));
    const computed = (await this.store.list(ws, 'computedTrait')).map((d) => d.body as ComputedTrait);
    const ordered = orderSegments(segments);
    return {
      defs: { segments: ordered.ok ? ordered.value : segments, computed },
      names: new Map(segments.map((s) => [s.id, s.name])),
    };
  }
}
