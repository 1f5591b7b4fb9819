import type { JourneyDefinition } from '../core/journeys/definition.js';
import { differences } from '../core/journeys/diff.js';
import { journeySchemaText } from '../core/journeys/json-schema.js';
import type { Hub } from '../engine/hub.js';
import { publishJourney, saveJourney, setJourneyStatus, validateJourney } from '../engine/journeys.js';
import { err, ok, type Result } from '../core/result.js';
import type { StoredJourney } from '../ports/journeys.js';
import { atLines, formatFileError, loadJourneyDir, type FileError, type JourneyFile } from './journey-files.js';
import { withHub, type HubOptions } from './with-hub.js';

/**
 * Journeys as code: `xhub journeys validate | diff | deploy DIR` over the journey files of a
 * directory, against the journeys of a data directory's workspace.
 */

type Status = 'new' | 'changed' | 'unchanged';

/** One valid file compared with the hub. `publish`: a new version is needed (else only the draft differs). */
interface Planned {
  readonly file: string;
  readonly id: string;
  readonly definition: JourneyDefinition;
  readonly status: Status;
  readonly changes: readonly string[];
  readonly publish: boolean;
  readonly stored?: StoredJourney;
}

interface Plan {
  readonly items: readonly Planned[];
  /** Journeys of the workspace that no file names (archived ones left out). */
  readonly others: readonly StoredJourney[];
  readonly errors: readonly FileError[];
  /** How many files were read (valid or not). */
  readonly files: number;
}

/** Validates every file of `dir` (schema, graph, the workspace's segments, one file per id) and compares each valid one with the hub. */
async function plan(hub: Hub, workspaceId: string, dir: string): Promise<Plan | undefined> {
  const loaded = loadJourneyDir(dir);
  if (!loaded.ok) {
    process.exitCode = 1;
    console.error(loaded.error);
    return undefined;
  }
  const errors: FileError[] = [...loaded.value.errors];
  const items: Planned[] = [];
  const seen = new Map<string, string>();
  for (const file of loaded.value.files) {
    const checked = await check(hub, workspaceId, file, seen);
    if (checked.ok) items.push(checked.value);
    else errors.push(...checked.error);
  }
  const others = (await hub.store.journeys.list(workspaceId)).filter((j) => j.status !== 'archived' && !seen.has(j.id));
  return { items, others: [...others].sort((a, b) => a.id.localeCompare(b.id)), errors, files: loaded.value.files.length + loaded.value.errors.length };
}

async function check(hub: Hub, workspaceId: string, file: JourneyFile, seen: Map<string, string>): Promise<Result<Planned, FileError[]>> {
  const valid = await validateJourney(hub, workspaceId, file.input);
  if (!valid.ok) return err(atLines(file, valid.error));
  const definition = valid.value;
  const twin = seen.get(definition.id);
  if (twin !== undefined) return err(atLines(file, [{ path: 'id', message: `journey "${definition.id}" is also defined in ${twin}` }]));
  seen.set(definition.id, file.file);
  const stored = await hub.store.journeys.get(workspaceId, definition.id);
  if (stored?.status === 'archived') {
    return err(atLines(file, [{ path: 'id', message: `journey "${definition.id}" is archived on the hub; it cannot change any more (give the file a new id)` }]));
  }
  const live = stored?.liveVersion === undefined ? undefined : (await hub.store.journeys.versions(workspaceId, definition.id)).find((v) => v.version === stored.liveVersion);
  return ok({ file: file.file, id: definition.id, definition, stored, ...compare(definition, stored, live?.definition) });
}

/** New, changed (against the live version, else against the draft) or unchanged. */
function compare(def: JourneyDefinition, stored: StoredJourney | undefined, live: JourneyDefinition | undefined): Pick<Planned, 'status' | 'changes' | 'publish'> {
  if (!stored) return { status: 'new', changes: [], publish: true };
  if (!live) return { status: 'changed', changes: ['never published', ...differences(stored.draft, def)], publish: true };
  const vsLive = differences(live, def);
  if (vsLive.length > 0) return { status: 'changed', changes: vsLive, publish: true };
  const vsDraft = differences(stored.draft, def);
  if (vsDraft.length > 0) return { status: 'changed', changes: [`the hub's unpublished draft differs in ${vsDraft.join(', ')}`], publish: false };
  return { status: 'unchanged', changes: [], publish: false };
}

function reportErrors(errors: readonly FileError[]): void {
  const byFile = [...errors].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const e of byFile) console.error(formatFileError(e));
  if (errors.length > 0) process.exitCode = 1;
}

const invalidFiles = (p: Plan): number => new Set(p.errors.map((e) => e.file)).size;

export async function journeysValidateCommand(dir: string, opts: HubOptions): Promise<void> {
  await withHub(opts, async (hub) => {
    const p = await plan(hub, opts.workspace, dir);
    if (!p) return;
    for (const item of p.items) console.log(`ok ${item.file} (${item.id})`);
    reportErrors(p.errors);
    if (p.errors.length > 0) console.error(`${invalidFiles(p)} of ${p.files} journey files invalid`);
    else console.log(`${p.items.length} journeys valid`);
  });
}

const diffLine = (i: Planned): string =>
  i.status === 'new' ? `+ ${i.id} (new)` : i.status === 'changed' ? `~ ${i.id} (changed: ${i.changes.join(', ')})` : `= ${i.id} (unchanged)`;

export async function journeysDiffCommand(dir: string, opts: HubOptions & { json?: boolean }): Promise<void> {
  await withHub(opts, async (hub) => {
    const p = await plan(hub, opts.workspace, dir);
    if (!p) return;
    if (opts.json) {
      if (p.errors.length > 0) process.exitCode = 1;
      return console.log(JSON.stringify(diffJson(p), null, 2));
    }
    for (const item of p.items) console.log(diffLine(item));
    for (const j of p.others) console.log(`? ${j.id} (on the hub, not in ${dir}; left alone)`);
    reportErrors(p.errors);
  });
}

function diffJson(p: Plan) {
  return {
    items: [
      ...p.items.map((i) => ({ id: i.id, file: i.file, status: i.status, changes: i.changes, publish: i.publish, liveVersion: i.stored?.liveVersion ?? null })),
      ...p.others.map((j) => ({ id: j.id, file: null, status: 'notInDir' as const, changes: [], publish: false, liveVersion: j.liveVersion ?? null })),
    ],
    errors: p.errors,
  };
}

/** Validates every file first (nothing is deployed when one is invalid), then saves and publishes the new and changed ones. */
export async function journeysDeployCommand(dir: string, opts: HubOptions): Promise<void> {
  await withHub(opts, async (hub) => {
    const p = await plan(hub, opts.workspace, dir);
    if (!p) return;
    if (p.errors.length > 0) {
      reportErrors(p.errors);
      return console.error(`nothing deployed: ${invalidFiles(p)} of ${p.files} journey files invalid`);
    }
    for (const item of p.items) {
      const line = await deployOne(hub, opts.workspace, item);
      if (line === undefined) return;
      console.log(line);
    }
    const published = p.items.filter((i) => i.publish).length;
    const reset = p.items.filter((i) => i.status === 'changed' && !i.publish).length;
    console.log(`${published} deployed, ${p.items.length - published - reset} unchanged${reset > 0 ? `, ${reset} drafts reset` : ''}`);
  });
}

/** Deploys one planned journey; answers the line to print, or undefined after reporting a failure. */
async function deployOne(hub: Hub, workspaceId: string, item: Planned): Promise<string | undefined> {
  if (item.status === 'unchanged') return `unchanged ${item.id} (v${item.stored?.liveVersion ?? '?'})`;
  const failed = (errors: readonly { path: string; message: string }[]): undefined => {
    process.exitCode = 1;
    console.error(`deploying ${item.id} (${item.file}) failed; the journeys above were deployed:\n${errors.map((e) => `  ${e.path || '(journey)'}: ${e.message}`).join('\n')}`);
    return undefined;
  };
  const saved = await saveJourney(hub, workspaceId, item.definition, item.id);
  if (!saved.ok) return failed(saved.error);
  if (!item.publish) return `reset draft of ${item.id} to the file (live v${item.stored?.liveVersion ?? '?'} unchanged)`;
  const published = await publishJourney(hub, workspaceId, item.id);
  if (!published.ok) return failed(published.error);
  if (item.stored?.status === 'paused') {
    const paused = await setJourneyStatus(hub, workspaceId, item.id, 'paused');
    if (!paused.ok) return failed(paused.error);
    return `deployed ${item.id} v${published.value} (paused, as it was)`;
  }
  return `deployed ${item.id} v${published.value}`;
}

/** `xhub journeys schema`: the JSON Schema of a journey file (what `npm run schemas` writes to schemas/journey.schema.json). */
export function journeysSchemaCommand(): void {
  process.stdout.write(journeySchemaText());
}
