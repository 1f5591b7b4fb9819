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
  readonly context: Map<string, ContextValue>;
}

/**
 * What processing evaluates audiences with, per workspace: segments (in dependency order), computed
 * traits and context signals. Loaded once, kept in memory, reloaded after any change to definitions
 * (see `ChangeCount`); a change to context values brings in only the values that changed.
 */
export class AudienceDefinitionsCache {
  private readonly byWorkspace = new Map<string, Workspace>();
  /** The count of changes to definitions it was loaded at, and to context values it is current with. */
  private loaded: number | undefined;
  private contextAt = 0;

  constructor(
    private readonly store: DefinitionStore,
    private readonly contexts: ContextStore,
    private readonly changes: ChangeCount,
  ) {}

  /** Loads every workspace's definitions and context when a change made the cache stale, or the context values changed since. */
  async prepare(): Promise<void> {
    const changes = await this.changes.changes();
    if (this.loaded !== changes) {
      // Counted first: a value changed while the workspaces load is applied again by the next call.
      const contextAt = await this.contexts.changes();
      this.byWorkspace.clear();
      for (const ws of await this.store.workspaces()) this.byWorkspace.set(ws, await this.load(ws));
      this.loaded = changes;
      this.contextAt = contextAt;
      return;
    }
    if ((await this.contexts.changes()) === this.contextAt) return;
    const since = await this.contexts.changedSince(this.contextAt);
    if (since === undefined) {
      this.loaded = undefined; // too far behind: everything again
      return this.prepare();
    }
    for (const c of since.changed) {
      const context = this.byWorkspace.get(c.workspaceId)?.context;
      if (c.value) context?.set(contextKey(c.dimension, c.key), c.value);
      else context?.delete(contextKey(c.dimension, c.key));
    }
    this.contextAt = since.changes;
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
