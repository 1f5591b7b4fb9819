import { originAllowed, type WorkspaceSettings } from '../core/workspaces/settings.js';
import type { Workspaces } from '../ports/workspaces.js';

/** How long (monotonic ms) a cached list of allowed origins is trusted; changes made through this hub apply at once. */
const CACHE_MS = 5_000;

interface Cached<T> {
  readonly value: T;
  readonly at: number;
}

/**
 * Decides which web origins may send events with a workspace's write keys (CORS). Lists are cached
 * briefly so that a browser request costs no store read; `changed()` drops the cache after an update,
 * and the short lifetime bounds how stale another hub process can be.
 */
export class OriginGate {
  private readonly perWorkspace = new Map<string, Cached<readonly string[]>>();
  private union: Cached<readonly (readonly string[])[]> | undefined;

  constructor(private readonly ws: Workspaces) {}

  /** Whether `origin` may send with a key of this workspace. */
  async allows(workspaceId: string, origin: string): Promise<boolean> {
    const hit = this.perWorkspace.get(workspaceId);
    const now = performance.now();
    let allowed = hit && now - hit.at < CACHE_MS ? hit.value : undefined;
    if (allowed === undefined) {
      allowed = (await this.ws.settingsOf(workspaceId))?.allowedOrigins ?? [];
      this.perWorkspace.set(workspaceId, { value: allowed, at: now });
    }
    return originAllowed(origin, allowed);
  }

  /** Whether any workspace allows `origin`: the answer to a preflight or a keyless request, whose workspace is unknown. */
  async anyAllows(origin: string): Promise<boolean> {
    const now = performance.now();
    if (!this.union || now - this.union.at >= CACHE_MS) this.union = { value: await this.ws.allowedOriginsOfAll(), at: now };
    return this.union.value.some((list) => originAllowed(origin, list));
  }

  /** Stores a workspace's new settings and applies them at once. */
  async update(workspaceId: string, settings: WorkspaceSettings): Promise<boolean> {
    const done = await this.ws.updateSettings(workspaceId, settings);
    this.perWorkspace.delete(workspaceId);
    this.union = undefined;
    return done;
  }
}
