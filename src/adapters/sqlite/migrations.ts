/** Numbered, forward-only schema migrations of `log.db`. Never edit one that has shipped: add one. */
export const LOG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     seq INTEGER PRIMARY KEY,
     workspace_id TEXT NOT NULL,
     message_id TEXT NOT NULL,
     received_at INTEGER NOT NULL,
     body TEXT NOT NULL
   );
   CREATE UNIQUE INDEX events_message ON events (workspace_id, message_id);`,
];

/** Numbered, forward-only schema migrations of `state.db`. */
export const STATE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE workspaces (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE api_keys (
     hash TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces (id),
     kind TEXT NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE cursors (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
   INSERT INTO cursors VALUES ('profiles', 0);
   CREATE TABLE profiles (
     id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, v INTEGER NOT NULL,
     traits TEXT NOT NULL, trait_stamps TEXT NOT NULL, groups TEXT NOT NULL, merged_from TEXT NOT NULL,
     merged_into TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
   CREATE INDEX profiles_merged_into ON profiles (merged_into) WHERE merged_into IS NOT NULL;
   CREATE TABLE identifiers (
     workspace_id TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, profile_id TEXT NOT NULL,
     PRIMARY KEY (workspace_id, type, value)) WITHOUT ROWID;
   CREATE INDEX identifiers_profile ON identifiers (profile_id);
   CREATE TABLE timeline (
     profile_id TEXT NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL, workspace_id TEXT NOT NULL,
     PRIMARY KEY (profile_id, ts, seq)) WITHOUT ROWID;
   CREATE TABLE groups (
     workspace_id TEXT NOT NULL, group_id TEXT NOT NULL, v INTEGER NOT NULL,
     traits TEXT NOT NULL, trait_stamps TEXT NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (workspace_id, group_id)) WITHOUT ROWID;
   CREATE TABLE merges (
     id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, winner_id TEXT NOT NULL, loser_id TEXT NOT NULL,
     message_id TEXT NOT NULL, via_type TEXT NOT NULL, via_value TEXT NOT NULL, at INTEGER NOT NULL);
   CREATE INDEX merges_winner ON merges (winner_id);
   CREATE TABLE identity_decisions (
     id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, kind TEXT NOT NULL, message_id TEXT NOT NULL,
     profile_id TEXT NOT NULL, id_type TEXT NOT NULL, id_value TEXT NOT NULL, other_profile_id TEXT,
     rule TEXT NOT NULL, at INTEGER NOT NULL);
   CREATE INDEX identity_decisions_profile ON identity_decisions (profile_id);`,
  // 2: a workspace's own settings (JSON with a version; '{}' = defaults), e.g. the origins allowed to send events.
  `ALTER TABLE workspaces ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';`,
  // 3: segments and computed traits (definitions), each profile's audience state with its next due
  // instant (the durable timer, indexed by due time), memberships, and the hub's own timeline events.
  `CREATE TABLE definitions (
     id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
     body TEXT NOT NULL, version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     backfill TEXT);
   CREATE UNIQUE INDEX definitions_name ON definitions (workspace_id, kind, name);
   CREATE TABLE audiences (
     profile_id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, v INTEGER NOT NULL, state TEXT NOT NULL, next_due INTEGER);
   CREATE INDEX audiences_due ON audiences (next_due) WHERE next_due IS NOT NULL;
   CREATE TABLE segment_members (
     segment_id TEXT NOT NULL, profile_id TEXT NOT NULL, workspace_id TEXT NOT NULL, since INTEGER NOT NULL,
     PRIMARY KEY (segment_id, profile_id)) WITHOUT ROWID;
   CREATE INDEX segment_members_profile ON segment_members (profile_id);
   CREATE TABLE hub_events (
     id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, profile_id TEXT NOT NULL, ts INTEGER NOT NULL, body TEXT NOT NULL);`,
  // 4: context signals: values published for a dimension and key (weather by city, stock by sku), valid until a time.
  `CREATE TABLE context_values (
     workspace_id TEXT NOT NULL, dimension TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
     valid_until INTEGER, updated_at INTEGER NOT NULL,
     PRIMARY KEY (workspace_id, dimension, key)) WITHOUT ROWID;`,
  // 5: journeys: definitions (the draft), published versions, each profile's state per journey with
  // its next due instant (the durable timer, indexed by due time), and stats counters.
  `CREATE TABLE journeys (
     workspace_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, draft TEXT NOT NULL,
     live_version INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (workspace_id, id)) WITHOUT ROWID;
   CREATE TABLE journey_versions (
     workspace_id TEXT NOT NULL, journey_id TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL,
     published_at INTEGER NOT NULL, PRIMARY KEY (workspace_id, journey_id, version)) WITHOUT ROWID;
   CREATE TABLE journey_states (
     profile_id TEXT NOT NULL, journey_id TEXT NOT NULL, workspace_id TEXT NOT NULL, v INTEGER NOT NULL,
     version INTEGER NOT NULL, step TEXT NOT NULL, status TEXT NOT NULL, state TEXT NOT NULL, next_due INTEGER,
     PRIMARY KEY (profile_id, journey_id)) WITHOUT ROWID;
   CREATE INDEX journey_states_due ON journey_states (next_due) WHERE next_due IS NOT NULL;
   -- Only insertions and deletions touch this index (a profile's moves do not): who is where is counted in journey_stats.
   CREATE INDEX journey_states_journey ON journey_states (workspace_id, journey_id);
   CREATE TABLE journey_stats (
     workspace_id TEXT NOT NULL, journey_id TEXT NOT NULL, version INTEGER NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,
     PRIMARY KEY (workspace_id, journey_id, version, key)) WITHOUT ROWID;
   -- The hub's own timeline events move from seq = -id to HUB_SEQ (2^40) + id: after the events that caused them.
   UPDATE timeline SET seq = 1099511627776 - seq WHERE seq < 0;`,
  // 6: answers to admin POSTs sent with an Idempotency-Key (kept 24 hours), to answer their retries.
  `CREATE TABLE idempotency_keys (
     workspace_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
     content_type TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
     PRIMARY KEY (workspace_id, key)) WITHOUT ROWID;
   CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);`,
  // 7: when a journey was last resumed: timers held by a pause fire as of then, not back-dated into the pause.
  `ALTER TABLE journeys ADD COLUMN resumed_at INTEGER;`,
  // 8: central decisions. Contact policies (versioned per workspace); the contact ledger (what was sent,
  // shown or is reserved, per profile, in time order: what caps, cool-downs and conflict groups count);
  // decision traces (every candidate of every decision, why it won or lost); engagement per profile,
  // channel and local hour (best channel, send time); suppression lists; the content catalogue.
  `CREATE TABLE policies (
     workspace_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
     PRIMARY KEY (workspace_id, version)) WITHOUT ROWID;
   CREATE TABLE contacts (
     profile_id TEXT NOT NULL, at INTEGER NOT NULL, candidate_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
     channel TEXT NOT NULL, purpose TEXT NOT NULL, journey_id TEXT NOT NULL, item_id TEXT, decision_id TEXT NOT NULL,
     status TEXT NOT NULL, expires_at INTEGER,
     PRIMARY KEY (profile_id, at, candidate_id)) WITHOUT ROWID;
   CREATE INDEX contacts_decision ON contacts (decision_id);
   CREATE INDEX contacts_at ON contacts (at);
   CREATE INDEX contacts_reserved ON contacts (expires_at) WHERE status = 'reserved';
   CREATE TABLE decisions (
     id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, profile_id TEXT NOT NULL, at INTEGER NOT NULL, source TEXT NOT NULL,
     policy_version INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
   CREATE INDEX decisions_profile ON decisions (profile_id, at, id);
   CREATE INDEX decisions_at ON decisions (at);
   CREATE TABLE engagement (
     profile_id TEXT NOT NULL, channel TEXT NOT NULL, hour INTEGER NOT NULL, workspace_id TEXT NOT NULL,
     delivered INTEGER NOT NULL, engaged INTEGER NOT NULL,
     PRIMARY KEY (profile_id, channel, hour)) WITHOUT ROWID;
   CREATE TABLE suppressions (
     workspace_id TEXT NOT NULL, channel TEXT NOT NULL, address TEXT NOT NULL, reason TEXT NOT NULL, created_at INTEGER NOT NULL,
     PRIMARY KEY (workspace_id, address, channel)) WITHOUT ROWID;
   CREATE TABLE content_items (
     workspace_id TEXT NOT NULL, id TEXT NOT NULL, placement TEXT NOT NULL, body TEXT NOT NULL,
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (workspace_id, id)) WITHOUT ROWID;
   CREATE INDEX content_items_placement ON content_items (workspace_id, placement);`,
  // 9: contributors (credentials encrypted), message templates, the outbox of decided actions (the
  // dispatcher's queue, its retries and dead letters), delivery health per contributor, and the local
  // mailbox of the built-in capture contributor.
  `CREATE TABLE contributors (
     workspace_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, credentials TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (workspace_id, id)) WITHOUT ROWID;
   CREATE TABLE templates (
     workspace_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (workspace_id, id)) WITHOUT ROWID;
   CREATE TABLE outbox (
     key TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, profile_id TEXT NOT NULL, channel TEXT NOT NULL, contributor TEXT,
     body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER, last_error TEXT,
     created_at INTEGER NOT NULL, done_at INTEGER) WITHOUT ROWID;
   CREATE INDEX outbox_due ON outbox (next_at) WHERE status = 'pending';
   CREATE INDEX outbox_dead ON outbox (workspace_id, created_at) WHERE status = 'dead';
   CREATE TABLE contributor_health (
     workspace_id TEXT NOT NULL, contributor TEXT NOT NULL, attempts INTEGER NOT NULL, failures INTEGER NOT NULL,
     last_success_at INTEGER, last_error TEXT, last_error_at INTEGER,
     PRIMARY KEY (workspace_id, contributor)) WITHOUT ROWID;
   CREATE TABLE mailbox (
     key TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX mailbox_at ON mailbox (workspace_id, at);`,
  // 10: the in-app inbox: messages for a profile that the app fetches, then marks read or dismisses.
  `CREATE TABLE inbox (
     key TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, profile_id TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX inbox_profile ON inbox (profile_id, created_at);`,
  // 11: how many transactions have written profiles: a cache of profiles is good while it saw the last.
  `INSERT INTO cursors VALUES ('profile_writes', 0);`,
  // 12: how many changes to definitions (segments, computed traits, context, journeys, policies): caches of them are good while they saw the last.
  `INSERT INTO cursors VALUES ('definitions', 0);`,
  // 13: pending outbox rows by due time, with what picks their contributor, so that the dispatcher
  // passes over the rows of contributors at capacity in the index, without reading them.
  `DROP INDEX outbox_due;
   CREATE INDEX outbox_pending ON outbox (next_at, workspace_id, channel, contributor) WHERE status = 'pending';`,
  // 14: context values are counted apart from definitions, each with the count at its last change, and
  // withdrawn keys are remembered the same way: caches apply what changed since they last looked.
  `ALTER TABLE context_values ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX context_values_changed ON context_values (changed);
   CREATE TABLE context_withdrawn (changed INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, dimension TEXT NOT NULL, key TEXT NOT NULL);
   INSERT INTO cursors VALUES ('context', 0);`,
  // 15: retention deletes old contacts and decisions per workspace (each has its own retention), so they are indexed so.
  `DROP INDEX contacts_at;
   CREATE INDEX contacts_workspace_at ON contacts (workspace_id, at);
   DROP INDEX decisions_at;
   CREATE INDEX decisions_workspace_at ON decisions (workspace_id, at);`,
  // 16: the queue depth of each contributor (count and oldest of its pending rows) read from an index alone.
  `CREATE INDEX outbox_depth ON outbox (workspace_id, contributor, channel, created_at) WHERE status = 'pending';`,
  // 17: a workspace's live profiles in id order, from an index alone: pages of backfills, counts and samples of previews.
  `CREATE INDEX profiles_live ON profiles (workspace_id, id) WHERE merged_into IS NULL;`,
  // 18: a profile's memberships are those its audience state names (`members`): found by their primary key from it, not by an index of their own to write at every change.
  `DROP INDEX segment_members_profile;`,
  // 19: decisions become a rowid table. Their bodies (about 2 KB for a decision of 40 items) are far
  // over what a WITHOUT ROWID table keeps well: each row took an overflow page of its own, and its
  // key b-tree held four rows a page, so every decision wrote several fresh pages. Rows now go in
  // order at the end of the table, two or more a page, found by id through the primary key's index.
  `CREATE TABLE decisions_by_rowid (
     id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, profile_id TEXT NOT NULL, at INTEGER NOT NULL, source TEXT NOT NULL,
     policy_version INTEGER NOT NULL, body TEXT NOT NULL);
   INSERT INTO decisions_by_rowid SELECT id, workspace_id, profile_id, at, source, policy_version, body FROM decisions ORDER BY id;
   DROP TABLE decisions;
   ALTER TABLE decisions_by_rowid RENAME TO decisions;
   CREATE INDEX decisions_profile ON decisions (profile_id, at, id);
   CREATE INDEX decisions_workspace_at ON decisions (workspace_id, at);`,
  // 20: an impression finds its decision's reserved contacts by primary key from the decision (its profile, its instant, its item), not by an index of their own to write at every decision.
  `DROP INDEX contacts_decision;`,
];
