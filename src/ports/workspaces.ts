export type KeyKind = 'write' | 'admin';

/** Workspaces and their API keys (stored as SHA-256 hashes, never in clear). */
export interface Workspaces {
  ensureWorkspace(id: string, name: string): Promise<void>;
  addKey(hash: string, workspaceId: string, kind: KeyKind): Promise<void>;
  hasKeys(kind: KeyKind): Promise<boolean>;
  /** The workspace a key hash belongs to, when it is a key of that kind. */
  workspaceOf(hash: string, kind: KeyKind): Promise<string | undefined>;
}
