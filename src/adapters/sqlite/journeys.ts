import type Database from 'better-sqlite3';
import type { JourneyDefinition, JourneyStatus } from '../../core/journeys/definition.js';
import type { JourneyState, RunnableJourney } from '../../core/journeys/state.js';
import { changeCounter } from './changes.js';
import { writeAtOnce, type ApiWrites } from './write-gate.js';
import { COUNT_SQL } from './journey-states.js';
import type { JourneyStats, JourneyStore, JourneyVersion, Migration, ProfileJourney, StoredJourney } from '../../ports/journeys.js';

interface JourneyRow {
  workspace_id: string;
  id: string;
  name: string;
  status: JourneyStatus;
  draft: string;
  live_version: number | null;
  resumed_at: number | null;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: JourneyRow): StoredJourney => ({
  id: r.id, workspaceId: r.workspace_id, name: r.name, status: r.status, draft: JSON.parse(r.draft) as JourneyDefinition,
  createdAt: r.created_at, updatedAt: r.updated_at, ...(r.live_version === null ? {} : { liveVersion: r.live_version }),
});

/** Journey definitions and versions in `state.db`; profile states are written by processing (see journey-states.ts). */
export class SqliteJourneys implements JourneyStore {
  private readonly s;
  private readonly publishUnit;
  private readonly changed;

  constructor(
    private readonly db: Database.Database,
    private readonly writes: ApiWrites = writeAtOnce,
  ) {
    this.s = statements(db);
    this.changed = changeCounter(db);
    this.publishUnit = db.transaction((ws: string, id: string, now: number, migration?: Migration): number => {
      const row = this.s.get.get(ws, id) as JourneyRow | undefined;
      if (!row) throw new Error(`no journey ${id}`);
      const version = ((this.s.maxVersion.get(ws, id) as number | null) ?? 0) + 1;
      this.s.insertVersion.run(ws, id, version, row.draft, now);
      this.s.setLive.run(version, now, row.status === 'paused' ? now : row.resumed_at, ws, id);
      // Publishing makes a paused journey live again: its held timers re-check now.
      this.s.rearm.run(now, ws, id);
      for (const [from, to] of Object.entries(migration?.steps ?? {})) this.migrate(ws, id, version, from, to, now);
      this.changed();
      return version;
    });
  }

  /** Moves the active profiles at `from` (older versions) to `to` of `version`, and who-is-where counts with them. */
  private migrate(ws: string, id: string, version: number, from: string, to: string, now: number): void {
    const moving = this.s.atStep.all(ws, id, version, from) as { version: number; n: number }[];
    for (const m of moving) {
      this.s.count.run(ws, id, m.version, `active:${from}`, -m.n);
      this.s.count.run(ws, id, version, `active:${to}`, m.n);
    }
    this.s.migrate.run(version, to, now, version, to, ws, id, version, from);
  }

  list(workspaceId: string): Promise<readonly StoredJourney[]> {
    return Promise.resolve((this.s.list.all(workspaceId) as JourneyRow[]).map(fromRow));
  }

  get(workspaceId: string, id: string): Promise<StoredJourney | undefined> {
    const row = this.s.get.get(workspaceId, id) as JourneyRow | undefined;
    return Promise.resolve(row && fromRow(row));
  }

  versions(workspaceId: string, id: string): Promise<readonly JourneyVersion[]> {
    const rows = this.s.versions.all(workspaceId, id) as { version: number; definition: string; published_at: number }[];
    return Promise.resolve(rows.map((r) => ({ version: r.version, definition: JSON.parse(r.definition) as JourneyDefinition, publishedAt: r.published_at })));
  }

  async save(workspaceId: string, definition: JourneyDefinition, now: number): Promise<StoredJourney> {
    await this.writes(() => this.s.save.run({ workspace_id: workspaceId, id: definition.id, name: definition.name, draft: JSON.stringify(definition), now }));
    return (await this.get(workspaceId, definition.id)) as StoredJourney;
  }

  publish(workspaceId: string, id: string, now: number, migration?: Migration): Promise<number> {
    return this.writes(() => this.publishUnit.immediate(workspaceId, id, now, migration));
  }

  /** Paused: profiles' timers are cleared (the machine ignores inputs); resumed or archived: every timer is due now (archive exits them). */
  setStatus(workspaceId: string, id: string, status: 'live' | 'paused' | 'archived', now: number): Promise<void> {
    const unit = this.db.transaction(() => {
      this.s.setStatus.run(status, now, status, now, workspaceId, id);
      this.s.setDue.run(status === 'paused' ? null : now, workspaceId, id);
      this.changed();
    });
    return this.writes(() => unit.immediate());
  }

  removeDraft(workspaceId: string, id: string): Promise<boolean> {
    return this.writes(() => this.s.removeDraft.run(workspaceId, id).changes > 0);
  }

  runnable(): Promise<readonly RunnableJourney[]> {
    const versions = new Map<string, Map<number, JourneyDefinition>>();
    for (const v of this.s.allVersions.all() as { workspace_id: string; journey_id: string; version: number; definition: string }[]) {
      const key = `${v.workspace_id}\u0000${v.journey_id}`;
      versions.set(key, (versions.get(key) ?? new Map<number, JourneyDefinition>()).set(v.version, JSON.parse(v.definition) as JourneyDefinition));
    }
    return Promise.resolve(
      (this.s.published.all() as JourneyRow[]).map((r) => ({
        id: r.id, workspaceId: r.workspace_id, name: r.name, status: r.status, liveVersion: r.live_version as number,
        ...(r.resumed_at === null ? {} : { resumedAt: r.resumed_at }),
        versions: versions.get(`${r.workspace_id}\u0000${r.id}`) ?? new Map<number, JourneyDefinition>(),
      })),
    );
  }

  stats(workspaceId: string, id: string): Promise<JourneyStats> {
    const counts = new Map<string, number>();
    for (const r of this.s.counters.all(workspaceId, id) as { key: string; n: number }[]) counts.set(r.key, r.n);
    const byPrefix = (prefix: string): Record<string, number> =>
      Object.fromEntries([...counts].filter(([k]) => k.startsWith(prefix)).map(([k, n]) => [k.slice(prefix.length), n]));
    const arms: Record<string, Record<string, number>> = {};
    for (const [k, n] of Object.entries(byPrefix('arm:'))) {
      const [step, arm] = k.split(':') as [string, string];
      arms[step] = { ...arms[step], [arm]: n };
    }
    return Promise.resolve({
      entered: counts.get('entered') ?? 0,
      goalReached: counts.get('goal') ?? 0,
      active: this.s.active.all(workspaceId, id) as JourneyStats['active'],
      exited: byPrefix('exited:'),
      actions: byPrefix('action:'),
      arms,
    });
  }

  ofProfile(profileId: string): Promise<readonly ProfileJourney[]> {
    const rows = this.s.ofProfile.all(profileId) as { journey_id: string; name: string; state: string; next_due: number | null }[];
    return Promise.resolve(
      rows.map((r) => {
        const s = JSON.parse(r.state) as JourneyState;
        return {
          journeyId: r.journey_id, name: r.name, version: s.version, status: s.status, step: s.step, since: s.since, enteredAt: s.enteredAt, entries: s.entries,
          ...(r.next_due === null ? {} : { nextTimer: r.next_due }),
          ...(s.goalAt === undefined ? {} : { goalAt: s.goalAt }),
          ...(s.exitedAt === undefined ? {} : { exitedAt: s.exitedAt }),
          ...(s.exitReason === undefined ? {} : { exitReason: s.exitReason }),
        };
      }),
    );
  }
}

function statements(db: Database.Database) {
  return {
    list: db.prepare('SELECT * FROM journeys WHERE workspace_id = ? ORDER BY created_at, id'),
    get: db.prepare('SELECT * FROM journeys WHERE workspace_id = ? AND id = ?'),
    published: db.prepare('SELECT * FROM journeys WHERE live_version IS NOT NULL'),
    versions: db.prepare('SELECT version, definition, published_at FROM journey_versions WHERE workspace_id = ? AND journey_id = ? ORDER BY version'),
    allVersions: db.prepare('SELECT workspace_id, journey_id, version, definition FROM journey_versions'),
    maxVersion: db.prepare('SELECT max(version) FROM journey_versions WHERE workspace_id = ? AND journey_id = ?').pluck(),
    save: db.prepare(
      `INSERT INTO journeys (workspace_id, id, name, status, draft, live_version, created_at, updated_at)
       VALUES (@workspace_id, @id, @name, 'draft', @draft, NULL, @now, @now)
       ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, draft = excluded.draft, updated_at = excluded.updated_at`,
    ),
    insertVersion: db.prepare('INSERT INTO journey_versions (workspace_id, journey_id, version, definition, published_at) VALUES (?, ?, ?, ?, ?)'),
    setLive: db.prepare("UPDATE journeys SET live_version = ?, status = 'live', updated_at = ?, resumed_at = ? WHERE workspace_id = ? AND id = ?"),
    // Profiles moved to a new version's waiting step re-check their timer now (the machine recomputes it from `since`).
    migrate: db.prepare(
      `UPDATE journey_states SET version = ?, step = ?, next_due = ?,
         state = json_remove(json_set(state, '$.version', ?, '$.step', ?), '$.pending', '$.deferredUntil')
       WHERE workspace_id = ? AND journey_id = ? AND status = 'active' AND version < ? AND step = ?`,
    ),
    // Resuming a paused journey notes when (the expressions read the row as it was).
    setStatus: db.prepare(
      "UPDATE journeys SET status = ?, updated_at = ?, resumed_at = CASE WHEN ? = 'live' AND status = 'paused' THEN ? ELSE resumed_at END WHERE workspace_id = ? AND id = ?",
    ),
    setDue: db.prepare("UPDATE journey_states SET next_due = ? WHERE workspace_id = ? AND journey_id = ? AND status = 'active'"),
    rearm: db.prepare("UPDATE journey_states SET next_due = ? WHERE workspace_id = ? AND journey_id = ? AND status = 'active' AND next_due IS NULL"),
    removeDraft: db.prepare('DELETE FROM journeys WHERE workspace_id = ? AND id = ? AND live_version IS NULL'),
    counters: db.prepare('SELECT key, sum(count) AS n FROM journey_stats WHERE workspace_id = ? AND journey_id = ? GROUP BY key'),
    active: db.prepare(
      `SELECT version, substr(key, 8) AS step, count AS profiles FROM journey_stats
       WHERE workspace_id = ? AND journey_id = ? AND key LIKE 'active:%' AND count > 0 ORDER BY version, step`,
    ),
    atStep: db.prepare(
      `SELECT version, count(*) AS n FROM journey_states
       WHERE workspace_id = ? AND journey_id = ? AND status = 'active' AND version < ? AND step = ? GROUP BY version`,
    ),
    count: db.prepare(COUNT_SQL),
    ofProfile: db.prepare(
      `SELECT s.journey_id, j.name, s.state, s.next_due FROM journey_states s
       JOIN journeys j ON j.workspace_id = s.workspace_id AND j.id = s.journey_id WHERE s.profile_id = ? ORDER BY s.journey_id`,
    ),
  };
}
