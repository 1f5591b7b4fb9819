import { itemCapHorizon } from '../core/content/decide.js';
import type { ContentItem } from '../core/content/item.js';
import type { ContentStore, StoredContent } from '../ports/content.js';

/** The items of one placement as decisions use them, and how far back their own caps look (ms). */
export interface Placement {
  readonly items: readonly ContentItem[];
  readonly horizon: number;
}

const EMPTY: Placement = { items: [], horizon: 0 };

/**
 * The content catalogue per workspace, parsed and grouped by placement, kept in memory so a decision
 * reads no row of it; loaded on first use. Writes go through it and drop the workspace's copy, so the
 * next decision sees them. (One process: a second one writing the same store would not invalidate this.)
 */
export class ContentCatalogue {
  private readonly byWorkspace = new Map<string, Promise<ReadonlyMap<string, Placement>>>();

  constructor(private readonly store: ContentStore) {}

  async placement(workspaceId: string, placement: string): Promise<Placement> {
    let loading = this.byWorkspace.get(workspaceId);
    if (!loading) {
      loading = this.load(workspaceId);
      this.byWorkspace.set(workspaceId, loading);
      loading.catch(() => this.byWorkspace.delete(workspaceId));
    }
    return (await loading).get(placement) ?? EMPTY;
  }

  async create(workspaceId: string, item: ContentItem, now: number): Promise<StoredContent | undefined> {
    return this.changed(workspaceId, await this.store.create(workspaceId, item, now));
  }

  async replace(workspaceId: string, item: ContentItem, now: number): Promise<StoredContent | undefined> {
    return this.changed(workspaceId, await this.store.replace(workspaceId, item, now));
  }

  async remove(workspaceId: string, id: string): Promise<boolean> {
    return this.changed(workspaceId, await this.store.remove(workspaceId, id));
  }

  invalidate(workspaceId: string): void {
    this.byWorkspace.delete(workspaceId);
  }

  private changed<T>(workspaceId: string, outcome: T): T {
    this.invalidate(workspaceId);
    return outcome;
  }

  private async load(workspaceId: string): Promise<ReadonlyMap<string, Placement>> {
    const grouped = new Map<string, ContentItem[]>();
    for (const { item } of await this.store.list(workspaceId)) {
      const list = grouped.get(item.placement);
      if (list) list.push(item);
      else grouped.set(item.placement, [item]);
    }
    return new Map([...grouped].map(([placement, items]) => [placement, { items, horizon: itemCapHorizon(items) }]));
  }
}
