// Dispatch benchmark: a backlog of decided e-mails in the outbox, worked by the dispatcher to the
// built-in mailbox contributor (each one rendered with Liquid, stored, marked delivered, its `Message
// Delivered` receipt ingested). Messages/s for two backlog sizes, so that a cost growing with the
// backlog shows, against raw better-sqlite3 doing each message's reads and writes one by one (the row
// read by key, the mailbox row, the outbox row marked, a receipt appended), measured in the same run.
// Run: `npm run build && node bench/dispatch.js [--small 1000] [--large 5000]`.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { validateBatch } from '../dist/core/events/validate.js';
import { parseTemplate } from '../dist/core/templates/template.js';
import { deploy, ingest, openHub } from './journeys.js';
import { WORKSPACE, fmt, isMain, pct, tempDir } from './lib.js';

const TEMPLATE = { id: 'welcome', channel: 'email', subject: 'Welcome, {{ profile.name }}', text: 'Hello {{ profile.name }}. Unsubscribe: {{ message.unsubscribe_url }}', html: '<p>Hello {{ profile.name }}</p>' };
const JOURNEY = {
  id: 'welcome', name: 'Welcome', owner: 'bench@example.com', team: 'Bench', entry: { event: 'Signed Up' }, start: 'mail',
  steps: { mail: { kind: 'action', channel: 'email', template: 'welcome', purpose: 'transactional', next: 'end' }, end: { kind: 'exit' } },
};

/** Messages/s of the dispatcher working a backlog of `n` e-mails. */
async function dispatcherRate(n) {
  const { hub, close } = await openHub('dispatch');
  try {
    const template = parseTemplate(TEMPLATE);
    if (!template.ok) throw new Error(JSON.stringify(template.error));
    await hub.store.templates.put(WORKSPACE, template.value, Date.now());
    await deploy(hub, JOURNEY);
    await ingest(hub, people(n));
    const pending = (await hub.store.outbox.depth(WORKSPACE)).reduce((s, d) => s + d.pending, 0);
    if (pending !== n) throw new Error(`expected ${n} pending messages, found ${pending}`);
    const started = performance.now();
    hub.dispatcher.start();
    await hub.dispatcher.whenIdle();
    const seconds = (performance.now() - started) / 1000;
    const sent = (await hub.store.mailbox.list(WORKSPACE, { limit: 2 * n })).length;
    if (sent !== n) throw new Error(`expected ${n} messages in the mailbox, found ${sent}`);
    return n / seconds;
  } finally {
    await close();
  }
}

/** Identify (e-mail, name) and Signed Up for `n` people, validated as the API does: one e-mail each in the outbox. */
function people(n) {
  const receivedAt = Date.UTC(2026, 0, 2);
  const timestamp = new Date(receivedAt).toISOString();
  const events = [];
  for (let i = 0; i < n; i += 250) {
    const batch = Array.from({ length: Math.min(250, n - i) }, (_, j) => [
      { type: 'identify', messageId: `id-${i + j}`, userId: `u${i + j}`, timestamp, traits: { email: `u${i + j}@example.com`, name: `User ${i + j}` } },
      { type: 'track', messageId: `su-${i + j}`, userId: `u${i + j}`, timestamp, event: 'Signed Up' },
    ]).flat();
    const r = validateBatch({ batch }, { receivedAt, newMessageId: () => 'unused' });
    if (!r.ok) throw new Error(JSON.stringify(r.error.errors.slice(0, 3)));
    events.push(...r.value.events);
  }
  return events;
}

/** The same per-message reads and writes in raw better-sqlite3, each statement its own transaction. */
function rawRate(n) {
  const tmp = tempDir('dispatch-raw');
  const db = new Database(join(tmp.dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE outbox (key TEXT PRIMARY KEY, body TEXT NOT NULL, status TEXT NOT NULL, next_at INTEGER, done_at INTEGER) WITHOUT ROWID;
      CREATE INDEX outbox_due ON outbox (next_at) WHERE status = 'pending';
      CREATE TABLE mailbox (key TEXT PRIMARY KEY, recipient TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE log (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);`);
    const insert = db.prepare("INSERT INTO outbox (key, body, status, next_at) VALUES (?, ?, 'pending', ?)");
    db.transaction(() => {
      for (let i = 0; i < n; i++) insert.run(`k${i}`, JSON.stringify({ key: `k${i}`, profileId: `p${i}`, channel: 'email', template: 'welcome' }), i);
    })();
    const read = db.prepare('SELECT body FROM outbox WHERE key = ?').pluck();
    const put = db.prepare('INSERT INTO mailbox (key, recipient, body, at) VALUES (?, ?, ?, ?)');
    const mark = db.prepare("UPDATE outbox SET status = 'delivered', next_at = NULL, done_at = ? WHERE key = ? AND status = 'pending'");
    const append = db.prepare('INSERT INTO log (body) VALUES (?)');
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const m = JSON.parse(read.get(`k${i}`));
      put.run(m.key, `u${i}@example.com`, JSON.stringify({ ...m, subject: `Welcome, User ${i}`, text: `Hello User ${i}` }), Date.now());
      mark.run(Date.now(), m.key);
      append.run(JSON.stringify({ type: 'track', event: 'Message Delivered', properties: { key: m.key } }));
    }
    return n / ((performance.now() - started) / 1000);
  } finally {
    db.close();
    tmp.remove();
  }
}

export async function runDispatch({ small = 1_000, large = 5_000 } = {}) {
  console.log(`\n== Dispatch: a backlog of e-mails worked to the mailbox contributor ==`);
  const raw = rawRate(large);
  const rates = [];
  for (const n of [small, large]) {
    const rate = await dispatcherRate(n);
    rates.push(rate);
    console.log(`  backlog ${fmt(n).padStart(6)}: ${fmt(rate)} messages/s (${pct(rate / raw)} of raw better-sqlite3, ${fmt(raw)} messages/s)`);
  }
  console.log(`  a ${fmt(large / small)}× larger backlog is worked at ${pct(rates[1] / rates[0])} of the smaller one's rate per message`);
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { small: { type: 'string' }, large: { type: 'string' } } });
  await runDispatch({ small: Number(values.small ?? 1_000), large: Number(values.large ?? 5_000) });
}
