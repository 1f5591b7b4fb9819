import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import cliProgress from 'cli-progress';
import { pino } from 'pino';
import type { HubEvent } from '../core/events/event.js';
import { validateBatch } from '../core/events/validate.js';
import type { FieldError } from '../core/result.js';
import { loadConfig } from '../config.js';
import { startHub, type Hub } from '../engine/hub.js';
import { DEFAULT_WORKSPACE } from '../engine/keys.js';

interface ImportOptions {
  data?: string;
  config?: string;
  skipInvalid?: boolean;
}

export async function importCommand(file: string, opts: ImportOptions): Promise<void> {
  const config = loadConfig({ dataDir: opts.data, config: opts.config }, process.env);
  const hub = await startHub(config, pino({ level: 'warn' }));
  try {
    const loaded = await importFile(hub, file, { skipInvalid: opts.skipInvalid ?? false, quiet: false });
    const profiles = await hub.store.reader.counts();
    console.log(`imported ${loaded} events from ${file}; ${profiles.profiles} profiles in ${config.dataDir}`);
  } catch (e) {
    process.exitCode = 1;
    console.error((e as Error).message);
  } finally {
    await hub.close();
  }
}

type Line = { readonly line: number; readonly event?: HubEvent; readonly errors?: readonly FieldError[] };

/**
 * Loads a JSON Lines file with the API's validation (each line is a call with its type) and its
 * idempotency (messageId). Invalid lines abort before anything is written, unless `skipInvalid`.
 * Returns the number of valid lines; waits until they are processed.
 */
export async function importFile(hub: Hub, file: string, opts: { skipInvalid: boolean; quiet: boolean }): Promise<number> {
  if (!opts.skipInvalid) {
    const bad: string[] = [];
    for await (const l of lines(hub, file)) if (l.errors) bad.push(...l.errors.map((e) => `line ${l.line}: ${e.path || '(line)'}: ${e.message}`));
    if (bad.length > 0) throw new Error(`nothing imported: ${bad.length} invalid field(s)\n  ${bad.slice(0, 20).join('\n  ')}`);
  }
  const bar = opts.quiet ? undefined : new cliProgress.SingleBar({ format: 'importing [{bar}] {percentage}% | {value}/{total} bytes | {events} events' }, cliProgress.Presets.shades_classic);
  bar?.start(statSync(file).size, 0, { events: 0 });
  let chunk: HubEvent[] = [];
  let count = 0;
  let head = 0;
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    head = (await hub.store.log.append(chunk.map((event) => ({ workspaceId: DEFAULT_WORKSPACE, event })))).head;
    hub.processor.notify(head);
    chunk = [];
  };
  for await (const l of lines(hub, file, (bytes) => bar?.update(bytes, { events: count }))) {
    if (!l.event) {
      if (!opts.quiet) console.error(`skipped line ${l.line}: ${l.errors?.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
      continue;
    }
    chunk.push(l.event);
    count++;
    if (chunk.length >= 5_000) await flush();
  }
  await flush();
  bar?.stop();
  await hub.processor.processed(head);
  return count;
}

async function* lines(hub: Hub, file: string, progress?: (bytes: number) => void): AsyncGenerator<Line> {
  const stream = createReadStream(file);
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n++;
    if (n % 1000 === 0) progress?.(stream.bytesRead);
    if (text.trim() === '') continue;
    yield parseLine(hub, text, n);
  }
  progress?.(stream.bytesRead);
}

function parseLine(hub: Hub, text: string, line: number): Line {
  let call: unknown;
  try {
    call = JSON.parse(text);
  } catch (e) {
    return { line, errors: [{ path: '', message: `not valid JSON: ${(e as Error).message}` }] };
  }
  const checked = validateBatch({ batch: [call] }, { receivedAt: hub.clock.now(), newMessageId: hub.newMessageId });
  if (checked.ok) return { line, event: checked.value.events[0] as HubEvent };
  return { line, errors: checked.error.errors.map((e) => ({ ...e, path: e.path.replace(/^batch\[0\]\.?/, '') })) };
}
