import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'xhub-cli-seg-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const xhub = (...args: string[]) => run('node', ['dist/cli/main.js', ...args], { timeout: 20_000, env: { ...process.env, XHUB_LOG_LEVEL: 'warn' } });
const failed = (...args: string[]) => xhub(...args).then(() => undefined, (e: { code: number; stdout: string; stderr: string }) => e);

/** `n` users; every third one ordered (revenue 100 + i), the others only identified. */
function events(n: number, from = 0): string {
  const t = Date.parse('2026-03-01T12:00:00.000Z');
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const userId = `u${String(i).padStart(3, '0')}`;
    return JSON.stringify(i % 3 === 0
      ? { type: 'track', userId, event: 'Order Completed', properties: { revenue: 100 + i }, messageId: `o-${i}`, timestamp: new Date(t - i * 60_000).toISOString() }
      : { type: 'identify', userId, traits: { plan: 'free' }, messageId: `i-${i}`, timestamp: new Date(t).toISOString() });
  }).join('\n');
}

const file = (dir: string, name: string, content: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

interface Listed {
  items: { id: string; name: string; version: number; members: number; backfill: { status: string; processed: number; total: number } | null; condition: unknown }[];
}
const list = async (data: string): Promise<Listed['items']> => (JSON.parse((await xhub('segments', 'list', '--data', data, '--json')).stdout) as Listed).items;

// Each `xhub` call starts a hub on the data directory: allow for a loaded machine.
describe('xhub segments', { timeout: 60_000 }, () => {
  it('creates a segment from a file, backfills it with --wait, lists it, and backfills again on demand', async () => {
    const data = tmp();
    await xhub('import', file(data, 'a.jsonl', events(60)), '--data', data);
    const condition = { kind: 'event', event: 'Order Completed', where: [{ property: 'revenue', op: 'gte', value: 100 }] };
    const created = await xhub('segments', 'create', file(data, 'big.json', { name: 'Big spenders', condition }), '--data', data, '--wait');
    const id = /created segment (seg_\w+) "Big spenders"/.exec(created.stdout)?.[1] as string;
    expect(id, created.stdout).toBeDefined();
    expect(created.stdout).toMatch(/backfill running 0\/60 profiles/);
    expect(created.stdout).toMatch(new RegExp(`segment ${id} "Big spenders": backfilled 60 profiles; 20 members`));
    expect(await list(data)).toEqual([{ id, name: 'Big spenders', version: 1, members: 20, backfill: { status: 'done', processed: 60, total: 60, after: expect.any(String) as unknown }, condition }]);
    const table = (await xhub('segments', 'list', '--data', data)).stdout.split('\n');
    expect(table[0]).toMatch(/^ID\s+NAME\s+MEMBERS\s+BACKFILL$/);
    expect(table[1]).toMatch(new RegExp(`^${id}\\s+Big spenders\\s+20\\s+done 60/60$`));

    // Already done: says so and reports; --restart walks every profile again (60 + 30 imported since).
    expect((await xhub('segments', 'backfill', id, '--data', data)).stdout).toMatch(/already done[\s\S]*backfilled 60 profiles; 20 members/);
    await xhub('import', file(data, 'b.jsonl', events(30, 60)), '--data', data);
    const again = await xhub('segments', 'backfill', id, '--data', data, '--restart');
    expect(again.stdout).toMatch(/backfilled 90 profiles; 30 members/);
    expect((await list(data))[0]?.backfill).toMatchObject({ status: 'done', processed: 90, total: 90 });
  });

  it('a segment created without --wait is backfilled by `xhub segments backfill ID`, which exits when done', async () => {
    const data = tmp();
    await xhub('import', file(data, 'a.jsonl', events(450)), '--data', data);
    const created = await xhub('segments', 'create', file(data, 'free.json', { name: 'Free', condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'free' } }), '--data', data);
    const id = /created segment (seg_\w+)/.exec(created.stdout)?.[1] as string;
    expect(created.stdout).toMatch(new RegExp(`xhub segments backfill ${id}`));
    const done = await xhub('segments', 'backfill', id, '--data', data);
    expect(done.stdout).toMatch(/backfilled 450 profiles; 300 members/);
    expect((await list(data))[0]).toMatchObject({ members: 300, backfill: { status: 'done', processed: 450, total: 450 } });
  });

  it('refuses invalid files with the path of each error, saves nothing, and names unknown segments', async () => {
    const data = tmp();
    const bad = await failed('segments', 'create', file(data, 'bad.json', {
      name: 'Bad',
      condition: { kind: 'and', of: [{ kind: 'trait', name: 'plan', op: 'like', value: 'p' }, { kind: 'trait', name: 'seenAt', op: 'withinLast', value: { amount: 1, unit: 'weeks' } }] },
    }), '--data', data);
    expect(bad?.code).toBe(1);
    expect(bad?.stderr).toMatch(/invalid segment in .*bad\.json; nothing was saved/);
    expect(bad?.stderr).toMatch(/^ {2}condition\.of\[0\]\.op: /m);
    expect(bad?.stderr).toMatch(/^ {2}condition\.of\[1\]\.value\.unit: /m);
    const noName = await failed('segments', 'create', file(data, 'noname.json', { condition: { kind: 'trait', name: 'plan', op: 'exists' } }), '--data', data);
    expect(noName?.stderr).toMatch(/^ {2}name: /m);
    const notJson = await failed('segments', 'create', file(data, 'broken.json', '{"name": '), '--data', data);
    expect(notJson?.code).toBe(1);
    expect(notJson?.stderr).toMatch(/broken\.json: not valid JSON/);
    const unknown = await failed('segments', 'create', file(data, 'in.json', { name: 'In', condition: { kind: 'inSegment', segment: 'seg_nope' } }), '--data', data);
    expect(unknown?.stderr).toMatch(/condition: .*unknown segment seg_nope/);
    expect(await list(data)).toEqual([]);
    expect((await xhub('segments', 'list', '--data', data)).stdout).toMatch(/no segments in workspace ws_default/);
  });

  it('refuses a second segment of the same name and an unknown segment id', async () => {
    const data = tmp();
    await xhub('segments', 'create', file(data, 'ok.json', { name: 'Pro', condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'pro' } }), '--data', data);
    const twice = await failed('segments', 'create', join(data, 'ok.json'), '--data', data);
    expect(twice?.stderr).toMatch(/name: a segment named 'Pro' exists/);
    const missing = await failed('segments', 'backfill', 'seg_nope', '--data', data);
    expect(missing?.code).toBe(1);
    expect(missing?.stderr).toMatch(/no segment seg_nope in workspace ws_default/);
  });
});
