import type { ContentItem } from '../core/content/item.js';

/** A catalogue item as stored, with when it was created and last replaced. */
export interface StoredContent {
  readonly item: ContentItem;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The content catalogue per workspace: what the decision API chooses among. */
export interface ContentStore {
  /** A workspace's items (of one placement when given), in id order. */
  list(workspaceId: string, placement?: string): Promise<readonly StoredContent[]>;
  get(workspaceId: string, id: string): Promise<StoredContent | undefined>;
  /** Undefined when an item of that id exists already (nothing written). */
  create(workspaceId: string, item: ContentItem, now: number): Promise<StoredContent | undefined>;
  /** Undefined when there is no item of that id (nothing written). */
  replace(workspaceId: string, item: ContentItem, now: number): Promise<StoredContent | undefined>;
  /** Answers whether it was there. */
  remove(workspaceId: string, id: string): Promise<boolean>;
}
