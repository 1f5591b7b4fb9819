import type Database from 'better-sqlite3';
import type { LedgerEntry } from '../../core/arbitration/arbitrate.js';
import type { ContactFacts, ContactWrite, DecisionRecord, EngagementWrite } from '../../core/arbitration/decision.js';
import { engagementOf, type EngagementRow } from '../../core/arbitration/engagement.js';
import type { Channel, Purpose } from '../../core/journeys/definition.js';
import { itemCandidateId } from '../../core/content/decide.js';
import { encodeDecision } from './decision-body.js';
import { suppressionAddresses } from '../../core/arbitration/suppression.js';
import type { ContactLedger, ContactSubject } from '../../ports/decisions.js';
import type { ApiWrites } from './write-gate.js';

interface ContactRow {
  at: number;
  channel: Channel;
  purpose: Purpose;
  journey_id: string;
  candidate_id: string;
  item_id: string | null;
}

/** The ledger window a unit of work reads: entries after `since`, without those whose reservation expired by `now`. */
export interface LedgerWindow {
  readonly since: number;
  readonly now: number;
}

/**
 * The decision side of `state.db`, written in the transaction of the decision: the contact ledger
 * (what caps count, so they hold exactly), the decision traces, and what arbitration reads of a
 * profile's contacts (its ledger, its suppressed addresses).
 */
export class SqliteDecisionWrites {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      ledger: db.prepare(
        `SELECT at, channel, purpose, journey_id, candidate_id, item_id FROM contacts
         WHERE profile_id = ? AND at > ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY at`,
      ),
      anySuppression: db.prepare('SELECT 1 FROM suppressions WHERE workspace_id = ? LIMIT 1').pluck(),
      suppressed: db.prepare('SELECT channel FROM suppressions WHERE workspace_id = ? AND address = ?').pluck(),
      contact: db.prepare(
        `INSERT OR IGNORE INTO contacts (profile_id, at, candidate_id, workspace_id, channel, purpose, journey_id, item_id, decision_id, status, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      decision: db.prepare('INSERT INTO decisions (id, workspace_id, profile_id, at, source, policy_version, body) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      moveContacts: db.prepare('UPDATE OR IGNORE contacts SET profile_id = ? WHERE profile_id = ?'),
      dropContacts: db.prepare('DELETE FROM contacts WHERE profile_id = ?'),
      moveDecisions: db.prepare('UPDATE decisions SET profile_id = ? WHERE profile_id = ?'),
      mergeEngagement: db.prepare(
        `INSERT INTO engagement (profile_id, channel, hour, workspace_id, delivered, engaged)
         SELECT ?, channel, hour, workspace_id, delivered, engaged FROM engagement WHERE profile_id = ? AND true
         ON CONFLICT (profile_id, channel, hour) DO UPDATE SET delivered = delivered + excluded.delivered, engaged = engaged + excluded.engaged`,
      ),
      dropEngagement: db.prepare('DELETE FROM engagement WHERE profile_id = ?'),
      moveInbox: db.prepare('UPDATE inbox SET profile_id = ? WHERE profile_id = ?'),
      engagement: db.prepare('SELECT channel, hour, delivered, engaged FROM engagement WHERE profile_id = ?'),
      addEngagement: db.prepare(
        `INSERT INTO engagement (profile_id, channel, hour, workspace_id, delivered, engaged) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (profile_id, channel, hour) DO UPDATE SET delivered = delivered + excluded.delivered, engaged = engaged + excluded.engaged`,
      ),
    };
  }

  /** What arbitration reads of each profile's contacts. */
  contacts(profiles: readonly ContactSubject[], window: LedgerWindow | undefined): Map<string, ContactFacts> {
    const out = new Map<string, ContactFacts>();
    const anyByWorkspace = new Map<string, boolean>();
    for (const p of profiles) {
      let any = anyByWorkspace.get(p.workspaceId);
      if (any === undefined) anyByWorkspace.set(p.workspaceId, (any = this.s.anySuppression.get(p.workspaceId) !== undefined));
      const suppressed = new Set<string>();
      if (any) for (const a of suppressionAddresses(p.identifiers)) for (const ch of this.s.suppressed.all(p.workspaceId, a) as string[]) suppressed.add(ch);
      const ledger = window ? (this.s.ledger.all(p.id, window.since, window.now) as ContactRow[]).map(entryOf) : [];
      const rows = this.s.engagement.all(p.id) as EngagementRow[];
      out.set(p.id, { ledger, suppressed, ...(rows.length > 0 ? { engagement: engagementOf(rows) } : {}) });
    }
    return out;
  }

  write(decisions: readonly DecisionRecord[], contacts: readonly ContactWrite[]): void {
    for (const d of decisions) {
      this.s.decision.run(d.id, d.workspaceId, d.profileId, d.at, d.source, d.policyVersion, encodeDecision(d));
    }
    for (const c of contacts) {
      this.s.contact.run(c.profileId, c.at, c.candidateId, c.workspaceId, c.channel, c.purpose, c.journeyId, c.item ?? null, c.decisionId, c.status, c.expiresAt ?? null);
    }
  }

  /** Adds a batch's receipts to its profiles' engagement counts. */
  engage(writes: readonly EngagementWrite[]): void {
    for (const w of writes) for (const r of w.rows) this.s.addEngagement.run(w.profileId, r.channel, r.hour, w.workspaceId, r.delivered, r.engaged);
  }

  /** A merged-away profile's contacts, decisions, engagement and in-app messages go to the survivor (its caps count both). */
  merged(winnerId: string, loserId: string): void {
    this.s.moveContacts.run(winnerId, loserId);
    this.s.dropContacts.run(loserId);
    this.s.moveDecisions.run(winnerId, loserId);
    this.s.mergeEngagement.run(winnerId, loserId);
    this.s.dropEngagement.run(loserId);
    this.s.moveInbox.run(winnerId, loserId);
  }
}

function entryOf(r: ContactRow): LedgerEntry {
  return { at: r.at, channel: r.channel, purpose: r.purpose, journeyId: r.journey_id, candidateId: r.candidate_id, ...(r.item_id === null ? {} : { item: r.item_id }) };
}

interface Pending {
  readonly subject: ContactSubject;
  readonly window: LedgerWindow;
  readonly decide: Parameters<ContactLedger['decide']>[2];
}

/** The decision API's transactions on the ledger (on the writer connection, so they serialize with processing). */
export class SqliteContactLedger implements ContactLedger {
  private readonly writes: SqliteDecisionWrites;
  private readonly s;
  private readonly one;

  /** `turn`: grouped writes (see `groupedWrites`), so that decisions are group-committed in an immediate transaction. */
  constructor(
    db: Database.Database,
    private readonly turn: ApiWrites,
  ) {
    this.writes = new SqliteDecisionWrites(db);
    this.s = {
      mergedInto: db.prepare('SELECT merged_into FROM profiles WHERE id = ?').pluck(),
      // A decision's reserved contacts are its profile's, at its instant, each its item's candidate: found by primary key.
      shown: db.prepare(
        `UPDATE contacts SET status = 'shown', expires_at = NULL
         WHERE (profile_id, at) = (SELECT profile_id, at FROM decisions WHERE id = @decision AND workspace_id = @workspace)
           AND candidate_id = @candidate AND workspace_id = @workspace AND item_id = @item AND status = 'reserved' AND expires_at > @now`,
      ),
      expireDecisions: db.prepare('DELETE FROM decisions WHERE id IN (SELECT id FROM decisions WHERE workspace_id = ? AND at < ? LIMIT ?)'),
      expireContacts: db.prepare(
        'DELETE FROM contacts WHERE (profile_id, at, candidate_id) IN (SELECT profile_id, at, candidate_id FROM contacts WHERE workspace_id = ? AND at < ? LIMIT ?)',
      ),
      expireReservations: db.prepare(
        `DELETE FROM contacts WHERE (profile_id, at, candidate_id) IN
           (SELECT profile_id, at, candidate_id FROM contacts WHERE status = 'reserved' AND expires_at < ? AND workspace_id = ? LIMIT ?)`,
      ),
    };
    // One decision, in a transaction of its own (a savepoint of the group's, when grouped).
    // A profile merged away since the request looked it up is decided, and written, as its survivor.
    this.one = db.transaction((r: Pending) => {
      const subject = this.live(r.subject);
      const contact = this.writes.contacts([subject], r.window).get(subject.id) as ContactFacts;
      const d = r.decide(contact);
      const moved = subject.id !== r.subject.id;
      this.writes.write(
        [moved ? { ...d.decision, profileId: subject.id } : d.decision],
        moved ? d.contacts.map((c) => ({ ...c, profileId: subject.id })) : d.contacts,
      );
      return d.answer;
    });
  }

  private live(subject: ContactSubject): ContactSubject {
    let id = subject.id;
    for (let hops = 0; hops < 16; hops++) {
      const next = this.s.mergedInto.get(id) as string | null | undefined;
      if (next === undefined || next === null) break;
      id = next;
    }
    return id === subject.id ? subject : { ...subject, id };
  }

  /** Decisions asked for together are made one after another (each sees the ledger as the previous ones left it). */
  decide<T>(subject: ContactSubject, window: LedgerWindow, decide: Parameters<ContactLedger['decide']>[2]): Promise<T> {
    return this.turn(() => this.one({ subject, window, decide }) as T);
  }

  shown(workspaceId: string, decisionId: string, items: readonly string[], now: number): Promise<number> {
    return this.turn(() => items.reduce((n, item) => n + this.s.shown.run({ decision: decisionId, workspace: workspaceId, item, candidate: itemCandidateId(decisionId, item), now }).changes, 0));
  }

  expire(workspaceId: string, decisionsBefore: number, contactsBefore: number, now: number, limit: number): Promise<number> {
    const d = this.s.expireDecisions.run(workspaceId, decisionsBefore, limit).changes;
    const c = this.s.expireContacts.run(workspaceId, contactsBefore, limit).changes;
    const r = this.s.expireReservations.run(now, workspaceId, limit).changes;
    return Promise.resolve(d + c + r);
  }
}
