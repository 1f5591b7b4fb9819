import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { SegmentBody } from '../core/segments/definitions.js';
import type { Hub } from '../engine/hub.js';
import { createSegment, restartBackfill } from '../engine/segments.js';
import type { StoredDefinition } from '../ports/definitions.js';
import { withHub, type HubOptions } from './with-hub.js';

const fail = (message: string): void => {
  process.exitCode = 1;
  console.error(message);
};

const progress = (d: StoredDefinition): string => (d.backfill ? `${d.backfill.status} ${d.backfill.processed}/${d.backfill.total}` : '-');

export async function segmentsListCommand(opts: HubOptions & { json?: boolean }): Promise<void> {
  await withHub(opts, async (hub) => {
    const defs = await hub.store.definitions.list(opts.workspace, 'segment');
    const rows = await Promise.all(defs.map(async (d) => ({ d, members: await hub.store.audiences.count(d.id) })));
    if (opts.json) {
      const items = rows.map(({ d, members }) => ({
        id: d.id, name: d.name, version: d.version, members, backfill: d.backfill ?? null, condition: (d.body as SegmentBody).condition,
      }));
      return console.log(JSON.stringify({ items }, null, 2));
    }
    if (rows.length === 0) return console.log(`no segments in workspace ${opts.workspace}`);
    const table = [['ID', 'NAME', 'MEMBERS', 'BACKFILL'], ...rows.map(({ d, members }) => [d.id, d.name, String(members), progress(d)])];
    const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? [];
    for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  });
}

export async function segmentsCreateCommand(file: string, opts: HubOptions & { wait?: boolean }): Promise<void> {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return fail(`${file}: ${e instanceof SyntaxError ? 'not valid JSON: ' : ''}${(e as Error).message}`);
  }
  await withHub(opts, async (hub) => {
    const created = await createSegment(hub, opts.workspace, input);
    if (!created.ok) {
      return fail(`invalid segment in ${file}; nothing was saved:\n${created.error.map((e) => `  ${e.path || '(segment)'}: ${e.message}`).join('\n')}`);
    }
    const d = created.value;
    console.log(`created segment ${d.id} "${d.name}"; backfill ${progress(d)} profiles`);
    if (opts.wait) await report(hub, await follow(hub, d));
    else if (d.backfill?.status === 'running') console.log(`the backfill runs whenever a hub runs on this data directory (xhub serve); run it now with: xhub segments backfill ${d.id}`);
  });
}

export async function segmentsBackfillCommand(id: string, opts: HubOptions & { restart?: boolean }): Promise<void> {
  await withHub(opts, async (hub) => {
    const def = await hub.store.definitions.get(opts.workspace, id);
    if (def?.kind !== 'segment') return fail(`no segment ${id} in workspace ${opts.workspace}`);
    if (opts.restart) await restartBackfill(hub, def);
    else if (def.backfill?.status !== 'running') console.log(`the backfill of ${id} is already done (--restart runs it again)`);
    await report(hub, await follow(hub, def));
  });
}

async function report(hub: Hub, d: StoredDefinition): Promise<void> {
  console.log(`segment ${d.id} "${d.name}": backfilled ${d.backfill?.processed ?? 0} profiles; ${await hub.store.audiences.count(d.id)} members`);
}

/** Shows the backfill's progress (a bar on a terminal) while the processor runs it; answers the definition once done. */
async function follow(hub: Hub, def: StoredDefinition): Promise<StoredDefinition> {
  const bar = new cliProgress.SingleBar(
    { format: `backfilling ${def.name} [{bar}] {percentage}% | {value}/{total} profiles | ETA {eta_formatted}`, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  let d = (await hub.store.definitions.get(def.workspaceId, def.id)) ?? def;
  bar.start(d.backfill?.total ?? 0, d.backfill?.processed ?? 0);
  try {
    while (d.backfill?.status === 'running') {
      await new Promise((r) => setTimeout(r, 50));
      const next = await hub.store.definitions.get(def.workspaceId, def.id);
      if (!next) throw new Error(`segment ${def.id} was deleted during its backfill`);
      d = next;
      if (d.backfill) {
        bar.setTotal(d.backfill.total);
        bar.update(d.backfill.processed);
      }
    }
  } finally {
    bar.stop();
  }
  return d;
}
