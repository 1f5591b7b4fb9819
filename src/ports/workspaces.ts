import type { WorkspaceSettings } from '../core/workspaces/settings.js';

export type KeyKind = 'write' | 'admin';

/** Workspaces and their API keys (stored as SHA-256 hashes, never in clear). */
export interface Workspaces {
  ensureWorkspace(id: string, name: string): Promise<void>;
  ids(): Promise<readonly string[]>;
  addKey(hash: string, workspaceId: string, kind: KeyKind): Promise<void>;
  hasKeys(kind: KeyKind): Promise<boolean>;
  /** The workspace a key hash belongs to, when it is a key of that kind. */
  workspaceOf(hash: string, kind: KeyKind): Promise<string | undefined>;
  /** A workspace's settings (defaults where never set); undefined for an unknown workspace. */
  settingsOf(workspaceId: string): Promise<WorkspaceSettings | undefined>;
  /** Replaces a workspace's settings; false for an unknown workspace. */
  updateSettings(workspaceId: string, settings: WorkspaceSettings): Promise<boolean>;
  /** The allowed origins of every workspace, one list per workspace (answers CORS preflights, which carry no key). */
  allowedOriginsOfAll(): Promise<readonly (readonly string[])[]>;
}
