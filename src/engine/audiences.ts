import { contextKey, type ContextValue } from '../core/conditions/evaluate.js';
import type { Condition } from '../core/conditions/schema.js';
import type { AudienceDefinitions } from '../core/segments/audience.js';
import type { AudienceInput } from '../core/segments/batch.js';
import type { SegmentBody } from '../core/segments/definitions.js';
import { orderSegments } from '../core/segments/dependencies.js';
import type { ComputedTrait } from '../core/traits/computed.js';
import type { ContextStore } from '../ports/context.js';
import type { ChangeCount, DefinitionStore } from '../ports/definitions.js';

const NONE: AudienceDefinitions = { segments: [], computed: [] };
const EMPTY = new Map<string, ContextValue>();

interface Workspace {
  readonly defs: AudienceDefinitions;
  readonly names: ReadonlyMap<string, string>;
  readonly context: ReadonlyMap<string, ContextValue>;
}

/**
 * What processing evaluates audiences with, per workspace: segments (in dependency order), computed
 * traits and context signals. Loaded once, kept in memory, reloaded after any change (see `ChangeCount`).
 */
export class AudienceDefinitionsCache {
  private readonly byWorkspace = new Map<string, Workspace>();
  /** The count of changes it was loaded at. */
  private loaded: number | undefined;

  constructor(
    private readonly store: DefinitionStore,
    private readonly contexts: ContextStore,
    private readonly changes: ChangeCount,
  ) {}

  /** Loads every workspace's definitions and context, when a change made the cache stale. */
  async prepare(): Promise<void> {
    const changes = await this.changes.changes();
    if (this.loaded === changes) return;
    this.byWorkspace.clear();
    for (const ws of await this.store.workspaces()) this.byWorkspace.set(ws, await this.load(ws));
    this.loaded = changes;
  }

  /** Synchronous: `prepare` must have run since the last change. */
  of(workspaceId: string): AudienceDefinitions {
    return this.byWorkspace.get(workspaceId)?.defs ?? NONE;
  }

  /** The inputs of a pure audience step at `now`. */
  input(now: number): Pick<AudienceInput, 'definitions' | 'segmentNames' | 'context' | 'now'> {
    return {
      definitions: (ws) => this.of(ws),
      segmentNames: (ws, id) => this.byWorkspace.get(ws)?.names.get(id) ?? id,
      context: (ws) => this.byWorkspace.get(ws)?.context ?? EMPTY,
      now,
    };
  }

  private async load(ws: string): Promise<Workspace> {
    const segments = (await this.store.list(ws, 'segment')).map((d) => ({ id: d.id, name: d.name, condition: (d.body as SegmentBody).condition as Condition }));
    const computed = (await this.store.list(ws, 'computedTrait')).map((d) => d.body as ComputedTrait);
    const ordered = orderSegments(segments);
    return {
      defs: { segments: ordered.ok ? ordered.value : segments, computed },
      names: new Map(segments.map((s) => [s.id, s.name])),
      context: new Map((await this.contexts.all(ws)).map((v) => [contextKey(v.dimension, v.key), v])),
    };
  }
}
