import { createHash, randomBytes } from 'node:crypto';
import type { KeyKind, Workspaces } from '../ports/workspaces.js';

export const DEFAULT_WORKSPACE = 'ws_default';

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export interface GeneratedKeys {
  writeKey?: string;
  adminKey?: string;
}

/**
 * Makes sure the default workspace and its keys exist. Keys given in configuration are added;
 * on a first start without them, fresh keys are generated and returned once (so they can be printed).
 */
export async function bootstrapKeys(ws: Workspaces, given: { writeKey?: string; adminKey?: string }): Promise<GeneratedKeys> {
  await ws.ensureWorkspace(DEFAULT_WORKSPACE, 'Default');
  const generated: GeneratedKeys = {};
  const ensure = async (kind: KeyKind, key: string | undefined, prefix: string): Promise<string | undefined> => {
    if (key !== undefined) return void (await ws.addKey(hashKey(key), DEFAULT_WORKSPACE, kind));
    if (await ws.hasKeys(kind)) return undefined;
    const fresh = `${prefix}_${randomBytes(24).toString('base64url')}`;
    await ws.addKey(hashKey(fresh), DEFAULT_WORKSPACE, kind);
    return fresh;
  };
  const writeKey = await ensure('write', given.writeKey, 'wk');
  const adminKey = await ensure('admin', given.adminKey, 'xa');
  if (writeKey) generated.writeKey = writeKey;
  if (adminKey) generated.adminKey = adminKey;
  return generated;
}

/** Resolves keys to workspaces, remembering the keys it has seen valid. */
export class KeyResolver {
  private readonly known = new Map<string, string>();

  constructor(private readonly ws: Workspaces) {}

  async workspaceOf(key: string, kind: KeyKind): Promise<string | undefined> {
    const hash = hashKey(key);
    const cacheKey = `${kind}:${hash}`;
    const hit = this.known.get(cacheKey);
    if (hit !== undefined) return hit;
    const found = await this.ws.workspaceOf(hash, kind);
    if (found !== undefined) this.known.set(cacheKey, found);
    return found;
  }
}
