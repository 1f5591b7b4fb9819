import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AudienceReader } from '../../ports/audience-reader.js';
import type { ContentStore } from '../../ports/content.js';
import type { ContextStore } from '../../ports/context.js';
import type { ContactLedger, DecisionReader, PolicyStore, SuppressionStore } from '../../ports/decisions.js';
import type { ChangeCount, DefinitionStore } from '../../ports/definitions.js';
import type { ContributorStore, InboxStore, MailboxStore, OutboxStore, TemplateStore } from '../../ports/outbox.js';
import type { EventLog } from '../../ports/event-log.js';
import type { IdempotencyStore } from '../../ports/idempotency.js';
import type { JourneyStore } from '../../ports/journeys.js';
import type { ProfileReader } from '../../ports/profile-reader.js';
import type { StateStore } from '../../ports/state-store.js';
import type { Workspaces } from '../../ports/workspaces.js';
import { SqliteAudienceReader } from './audience-reader.js';
import { startCheckpointer } from './checkpointer.js';
import { SqliteChangeCount } from './changes.js';
import { SqliteContent } from './content.js';
import { SqliteContext } from './context.js';
import { migrate, openDatabase, type Durability } from './database.js';
import { SqliteContributors } from './contributors.js';
import { SqliteDecisionReader } from './decision-reader.js';
import { SqliteContactLedger } from './decisions.js';
import { SqliteDefinitions } from './definitions.js';
import { SqliteEventLog } from './event-log.js';
import { SqliteIdempotency } from './idempotency.js';
import { SqliteJourneys } from './journeys.js';
import { LOG_MIGRATIONS, STATE_MIGRATIONS } from './migrations.js';
import { SqliteInbox } from './inbox.js';
import { SqliteMailbox } from './mailbox.js';
import { SqliteOutbox } from './outbox.js';
import { groupedWrites, writeAtOnce, WriteGate, type ApiWrites } from './write-gate.js';
import { SqlitePolicies } from './policies.js';
import { SqliteProfileReader } from './profile-reader.js';
import { SqliteStateStore } from './state-store.js';
import { SqliteSuppressions } from './suppressions.js';
import { SqliteTemplates } from './templates.js';
import { SqliteWorkspaces } from './workspaces.js';

export interface Store {
  readonly log: EventLog;
  readonly state: StateStore;
  readonly reader: ProfileReader;
  readonly workspaces: Workspaces;
  readonly definitions: DefinitionStore;
  /** Changes to definitions, context, journeys and policies, counted (caches of them check it). */
  readonly changes: ChangeCount;
  readonly audiences: AudienceReader;
  readonly context: ContextStore;
  readonly journeys: JourneyStore;
  readonly idempotency: IdempotencyStore;
  readonly policies: PolicyStore;
  readonly decisions: DecisionReader;
  readonly ledger: ContactLedger;
  readonly suppressions: SuppressionStore;
  readonly outbox: OutboxStore;
  readonly contributors: ContributorStore;
  readonly mailbox: SqliteMailbox & MailboxStore;
  readonly templates: TemplateStore;
  readonly inbox: SqliteInbox & InboxStore;
  readonly content: ContentStore;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Whether the log keeps its appends for processing on this connection to read back (default true); not when processing runs on another thread. */
  readonly readBack?: boolean;
  /** Whether this store runs the checkpoint thread (default true); a second store over the same files in the same process does not. */
  readonly checkpoints?: boolean;
  /** With processing on a thread of its own: the turns at `state.db`'s write lock, and which side this store is on. */
  readonly gate?: { readonly gate: WriteGate; readonly side: 'processing' | 'api' };
}

/**
 * The embedded store: `log.db` (append-only events) and `state.db` (profiles, identifiers,
 * timeline, processing cursor) in one data directory. Separate files keep ingestion appends
 * from waiting on the processing transaction; the cursor stays atomic with the state it produced.
 */
export function openSqliteStore(dataDir: string, durability: Durability, options: StoreOptions = {}): Store {
  mkdirSync(dataDir, { recursive: true });
  const logDb = openDatabase(join(dataDir, 'log.db'), durability);
  migrate(logDb, LOG_MIGRATIONS);
  const stateDb = openDatabase(join(dataDir, 'state.db'), durability);
  migrate(stateDb, STATE_MIGRATIONS);
  const readDb = openDatabase(join(dataDir, 'state.db'), durability, true);
  const checkpointer = options.checkpoints === false ? undefined : startCheckpointer([join(dataDir, 'log.db'), join(dataDir, 'state.db')]);
  const log = new SqliteEventLog(logDb, options.readBack ?? true);
  const gate = options.gate;
  const api: ApiWrites = gate?.side === 'api' ? groupedWrites(stateDb, gate.gate) : writeAtOnce;
  // Decisions are group-committed either way: without processing's gate, through one of their own.
  const decisions = gate?.side === 'api' ? api : groupedWrites(stateDb, new WriteGate());
  return {
    log,
    state: new SqliteStateStore(stateDb, gate?.side === 'processing' ? gate.gate : undefined),
    reader: new SqliteProfileReader(readDb),
    workspaces: new SqliteWorkspaces(stateDb, api),
    definitions: new SqliteDefinitions(stateDb, api),
    changes: new SqliteChangeCount(stateDb),
    audiences: new SqliteAudienceReader(readDb),
    context: new SqliteContext(stateDb, api),
    journeys: new SqliteJourneys(stateDb, api),
    idempotency: new SqliteIdempotency(stateDb, api),
    policies: new SqlitePolicies(stateDb, api),
    decisions: new SqliteDecisionReader(readDb),
    ledger: new SqliteContactLedger(stateDb, decisions),
    suppressions: new SqliteSuppressions(stateDb, api),
    outbox: new SqliteOutbox(stateDb, api),
    contributors: new SqliteContributors(stateDb, api),
    mailbox: new SqliteMailbox(stateDb, api),
    templates: new SqliteTemplates(stateDb, api),
    inbox: new SqliteInbox(stateDb, api),
    content: new SqliteContent(stateDb, api),
    close: async () => {
      await checkpointer?.stop();
      await log.close();
      for (const db of [stateDb, readDb]) db.close();
    },
  };
}
