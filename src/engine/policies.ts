import { DEFAULT_POLICY, ledgerHorizon, type PolicyVersion } from '../core/arbitration/decision.js';
import { validatePolicy } from '../core/arbitration/policy.js';
import { ok, type FieldError, type Result } from '../core/result.js';
import type { PolicyStore, StoredPolicy } from '../ports/decisions.js';
import type { ChangeCount } from '../ports/definitions.js';
import type { Hub } from './hub.js';

/** The contact policy in force in each workspace, as decisions use it; reloaded after a deploy (see `ChangeCount`). */
export class PolicyCache {
  private byWorkspace = new Map<string, PolicyVersion>();
  private longest = 0;
  /** The count of changes it was loaded at. */
  private loaded: number | undefined;

  constructor(
    private readonly store: PolicyStore,
    private readonly changes: ChangeCount,
  ) {}

  async prepare(): Promise<void> {
    const changes = await this.changes.changes();
    if (this.loaded === changes) return;
    const all = await this.store.allCurrent();
    this.byWorkspace = new Map(all.map((p) => [p.workspaceId, { version: p.version, policy: p.policy }]));
    this.longest = all.reduce((m, p) => Math.max(m, ledgerHorizon(p.policy)), 0);
    this.loaded = changes;
  }

  /** Synchronous: `prepare` must have run since the last change. */
  of(workspaceId: string): PolicyVersion {
    return this.byWorkspace.get(workspaceId) ?? DEFAULT_POLICY;
  }

  /** The longest look back into the ledger of any workspace's policy (ms). */
  get horizon(): number {
    return this.longest;
  }
}

/** Deploys a policy as the workspace's new version; decisions use it from their next unit of work. */
export async function deployPolicy(hub: Pick<Hub, 'store' | 'clock' | 'processor'>, workspaceId: string, input: unknown): Promise<Result<StoredPolicy, FieldError[]>> {
  const v = validatePolicy(input);
  if (!v.ok) return v;
  const stored = await hub.store.policies.deploy(workspaceId, v.value, hub.clock.now());
  hub.processor.changed();
  return ok(stored);
}
