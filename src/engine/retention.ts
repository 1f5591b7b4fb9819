import { durationMs } from '../core/conditions/compare.js';
import { ledgerHorizon } from '../core/arbitration/decision.js';
import { itemCapHorizon } from '../core/content/decide.js';
import type { ContentStore } from '../ports/content.js';
import type { ContactLedger } from '../ports/decisions.js';
import type { Workspaces } from '../ports/workspaces.js';
import type { PolicyCache } from './policies.js';

/** How often retention runs, and how many rows one transaction deletes. */
export const RETENTION_EVERY_MS = 3_600_000;
const CHUNK = 5_000;

/**
 * Decision traces are kept for the policy's `retention` (default 90 days); ledger entries as long as
 * that or as the policy or a catalogue item's caps look back, whichever is longest; unshown
 * reservations until they expire.
 */
export class Retention {
  private nextRun = 0;

  constructor(
    private readonly workspaces: Workspaces,
    private readonly ledger: ContactLedger,
    private readonly policies: PolicyCache,
    private readonly content: ContentStore,
  ) {}

  /** Runs when due (hourly); answers how many rows went. */
  async runDue(now: number): Promise<number> {
    if (now < this.nextRun) return 0;
    this.nextRun = now + RETENTION_EVERY_MS;
    await this.policies.prepare();
    let removed = 0;
    for (const ws of await this.workspaces.ids()) {
      const { policy } = this.policies.of(ws);
      const keep = durationMs(policy.retention);
      const items = (await this.content.list(ws)).map((c) => c.item);
      const contactsBefore = now - Math.max(keep, ledgerHorizon(policy, [itemCapHorizon(items)]));
      for (let n = CHUNK; n > 0; removed += n) n = await this.ledger.expire(ws, now - keep, contactsBefore, now, CHUNK);
    }
    return removed;
  }
}
