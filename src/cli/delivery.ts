import { readFileSync } from 'node:fs';
import { outboxView } from '../api/delivery-routes.js';
import { parseJourneyFile } from './journey-files.js';
import { withHub, type HubOptions } from './with-hub.js';

/** `xhub contributors list`: each contributor with its role, channels and health (never its credentials). */
export async function contributorsListCommand(opts: HubOptions & { json?: boolean }): Promise<void> {
  await withHub(opts, async (hub) => {
    const all = await hub.contributors.withHealth(opts.workspace, hub.store.outbox, hub.clock.now());
    if (opts.json) return console.log(JSON.stringify(all, null, 2));
    for (const c of all) {
      const h = c.health;
      const rate = h.errorRate === null ? '–' : `${(h.errorRate * 100).toFixed(1)} %`;
      console.log(`${c.id}  ${c.provider}  ${c.role}  ${c.channels.join(',')}${c.default ? ' (default)' : ''}  queue ${h.queueDepth}, errors ${rate}, last success ${h.lastSuccessAt ?? 'never'}`);
    }
  });
}

/** `xhub contributors add FILE`: a contributor from a YAML or JSON file, validated as the API does (credentials sealed). */
export async function contributorsAddCommand(file: string, opts: HubOptions): Promise<void> {
  const parsed = parseJourneyFile(file, readFileSync(file, 'utf8'));
  if (!parsed.ok) {
    process.exitCode = 1;
    for (const e of parsed.error) console.error(`${e.file}:${e.line}:${e.col} ${e.message}`);
    return;
  }
  await withHub(opts, async (hub) => {
    const r = await hub.contributors.save(opts.workspace, parsed.value.input, hub.clock.now());
    if (!r.ok) throw new Error(r.error.map((e) => `${file}:${parsed.value.locate(e.path).line} ${e.path}: ${e.message}`).join('\n'));
    console.log(`saved contributor ${r.value.id} (${r.value.provider}, ${r.value.channels.join(', ')})`);
  });
}

/** `xhub outbox dlq list|retry|drop`: the dead-letter queue. */
export async function dlqCommand(action: 'list' | 'retry' | 'drop', key: string | undefined, opts: HubOptions & { all?: boolean; json?: boolean }): Promise<void> {
  await withHub(opts, async (hub) => {
    if (action === 'list') {
      const dead = (await hub.store.outbox.dead(opts.workspace, 1000)).map(outboxView);
      if (opts.json) return console.log(JSON.stringify(dead, null, 2));
      if (dead.length === 0) console.log('the dead-letter queue is empty');
      for (const d of dead) console.log(`${d.key}  ${d.channel}  ${d.template}  ${d.attempts} attempt(s)  ${d.lastError ?? ''}`);
      return;
    }
    if (key === undefined && !opts.all) throw new Error(`name a message key, or --all`);
    const n = action === 'retry' ? await hub.store.outbox.retry(opts.workspace, key, hub.clock.now()) : await hub.store.outbox.drop(opts.workspace, key);
    if (n === 0) throw new Error(key === undefined ? 'the dead-letter queue is empty' : `no dead message ${key}`);
    console.log(`${action === 'retry' ? 'queued again' : 'dropped'}: ${n} message(s)${action === 'retry' ? ' (a running hub delivers them)' : ''}`);
  });
}

/** `xhub mailbox [--to ADDRESS]`: what the built-in capture contributor received. */
export async function mailboxCommand(opts: HubOptions & { to?: string; limit: number; json?: boolean }): Promise<void> {
  await withHub(opts, async (hub) => {
    const items = await hub.store.mailbox.list(opts.workspace, { limit: opts.limit, ...(opts.to === undefined ? {} : { to: opts.to }) });
    if (opts.json) return console.log(JSON.stringify(items, null, 2));
    if (items.length === 0) console.log('the mailbox is empty');
    for (const m of items) {
      console.log(`\n${new Date(m.at).toISOString()}  ${m.channel} to ${m.to}  (${m.key})`);
      if (m.subject !== undefined) console.log(`  Subject: ${m.subject}`);
      const text = m.text ?? m.body;
      if (text !== undefined) console.log(text.split('\n').map((l) => `  ${l}`).join('\n'));
    }
  });
}
