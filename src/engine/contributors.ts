import { BUILT_IN, Contributor, contributorFor } from '../core/contributors/contributor.js';
import { durationMs } from '../core/conditions/compare.js';
import type { Channel } from '../core/journeys/definition.js';
import { zodErrors } from '../core/events/validate.js';
import { err, ok, type FieldError, type Result } from '../core/result.js';
import type { ContributorSettings } from '../ports/delivery.js';
import type { ContributorStore, OutboxStore } from '../ports/outbox.js';
import type { Secrets } from './secrets.js';

/** Contributors as dispatch uses them, per workspace (cached; credentials opened only when sending). */
export class ContributorRegistry {
  private readonly cache = new Map<string, readonly Contributor[]>();

  constructor(
    private readonly store: ContributorStore,
    private readonly secrets: Secrets,
  ) {}

  async of(workspaceId: string): Promise<readonly Contributor[]> {
    const hit = this.cache.get(workspaceId);
    if (hit) return hit;
    const all = (await this.store.list(workspaceId)).map((s) => s.contributor as Contributor);
    this.cache.set(workspaceId, all);
    return all;
  }

  /** Settings with the credentials opened (never leave the hub). */
  async settingsOf(workspaceId: string, c: Contributor): Promise<ContributorSettings> {
    if (BUILT_IN.includes(c)) return {};
    const stored = await this.store.get(workspaceId, c.id);
    const secret = stored?.sealed === undefined ? {} : (this.secrets.open(stored.sealed) as Record<string, unknown>);
    return { ...c.settings, ...secret };
  }

  /** Validates and saves a contributor; credentials are sealed, and kept as they were when the input has none. */
  async save(workspaceId: string, input: unknown, now: number, id?: string): Promise<Result<Contributor, FieldError[]>> {
    const parsed = Contributor.safeParse(input);
    if (!parsed.success) return err(zodErrors(parsed.error, ''));
    const { credentials, ...contributor } = parsed.data;
    if (id !== undefined && contributor.id !== id) return err([{ path: 'id', message: `must be "${id}", the contributor being changed` }]);
    if (BUILT_IN.some((b) => b.id === contributor.id)) return err([{ path: 'id', message: `"${contributor.id}" is a built-in contributor` }]);
    await this.store.put(workspaceId, contributor, credentials === undefined ? undefined : this.secrets.seal(credentials), now);
    this.cache.delete(workspaceId);
    return ok(parsed.data);
  }

  async remove(workspaceId: string, id: string): Promise<boolean> {
    this.cache.delete(workspaceId);
    return this.store.remove(workspaceId, id);
  }

  recordAttempt(workspaceId: string, contributor: string, error: string | undefined, now: number): Promise<void> {
    return this.store.recordAttempt(workspaceId, contributor, error, now);
  }

  /** Every contributor (the built-in mailbox too) with its health: queue depth, error rate, last success; never the credentials. */
  async withHealth(workspaceId: string, outbox: OutboxStore, now: number): Promise<readonly ContributorView[]> {
    const [stored, health, depth, all] = [await this.store.list(workspaceId), await this.store.health(workspaceId), await outbox.depth(workspaceId), await this.of(workspaceId)];
    const rows = [...stored.map((s) => ({ contributor: s.contributor, hasCredentials: s.sealed !== undefined })), ...BUILT_IN.map((c) => ({ contributor: c, hasCredentials: false }))];
    return rows.map(({ contributor: c, hasCredentials }) => {
      const h = health.get(c.id);
      const mine = depth.filter((d) => contributorFor(d.channel as Channel, d.contributor, all)?.id === c.id);
      const queueDepth = mine.reduce((n, d) => n + d.pending, 0);
      const oldest = mine.reduce((m, d) => Math.min(m, d.oldest), Infinity);
      // The SLA is breached while a message has waited longer than the delivery delay it promises.
      const slaBreached = c.sla !== undefined && oldest !== Infinity && now - oldest > durationMs(c.sla.maxDelay);
      return {
        ...c, hasCredentials,
        health: {
          queueDepth, oldestPendingAt: oldest === Infinity ? null : iso(oldest), slaBreached, attempts: h?.attempts ?? 0, errorRate: h && h.attempts > 0 ? h.failures / h.attempts : null,
          lastSuccessAt: iso(h?.lastSuccessAt), lastError: h?.lastError ?? null, lastErrorAt: iso(h?.lastErrorAt),
        },
      };
    });
  }
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export type ContributorView = Omit<Contributor, 'credentials'> & {
  readonly hasCredentials: boolean;
  readonly health: { queueDepth: number; oldestPendingAt: string | null; slaBreached: boolean; attempts: number; errorRate: number | null; lastSuccessAt: string | null; lastError: string | null; lastErrorAt: string | null };
};
