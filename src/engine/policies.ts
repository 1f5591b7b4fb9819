import { DEFAULT_POLICY, ledgerHorizon, type PolicyVersion } from '../core/arbitration/decision.js';
import { validatePolicy } from '../core/arbitration/policy.js';
import { ok, type FieldError, type Result } from '../core/result.js';
import type { PolicyStore, StoredPolicy } from '../ports/decisions.js';
import type { Hub } from './hub.js';

/** The contact policy in force in each workspace, as decisions use it; reloaded after a deploy. */
export class PolicyCache {
  private byWorkspace = new Map<string, PolicyVersion>();
  private longest = 0;
  private loaded = false;

  constructor(private readonly store: PolicyStore) {}

  async prepare(): Promise<void> {
    if (this.loaded) return;
    const all = await this.store.allCurrent();
    this.byWorkspace = new Map(all.map((p) => [p.workspaceId, { version: p.version, policy: p.policy }]));
    this.longest = all.reduce((m, p) => Math.max(m, ledgerHorizon(p.policy)), 0);
    this.loaded = true;
  }

  /** Synchronous: `prepare` must have run since the last change. */
  of(workspaceId: string): PolicyVersion {
    return this.byWorkspace.get(workspaceId) ?? DEFAULT_POLICY;
  }

  /** The longest look back into the ledger of any workspace's policy (ms). */
  get horizon(): number {
    return this.longest;
  }

  invalidate(): void {
    this.loaded = false;
  }
}

/** Deploys a policy as the workspace's new version; decisions use it from their next unit of work. */
export async function deployPolicy(hub: Pick<Hub, 'store' | 'clock' | 'policies' | 'processor'>, workspaceId: string, input: unknown): Promise<Result<StoredPolicy, FieldError[]>> {
  const v = validatePolicy(input);
  if (!v.ok) return v;
  const stored = await hub.store.policies.deploy(workspaceId, v.value, hub.clock.now());
  hub.policies.invalidate();
  hub.processor.changed();
  return ok(stored);
}
