import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'xhub-cli-jrn-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const xhub = (...args: string[]) => run('node', ['dist/cli/main.js', ...args], { timeout: 20_000, env: { ...process.env, XHUB_LOG_LEVEL: 'warn' } });
const failed = (...args: string[]) => xhub(...args).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

const EXAMPLES = 'examples/journeys';
const IDS = ['abandoned-cart', 'post-purchase-review', 'renewal-reminder', 'welcome-onboarding', 'win-back'];

/** A copy of the examples that a test may change. */
const examplesCopy = (): string => {
  const d = tmp();
  cpSync(EXAMPLES, d, { recursive: true });
  return d;
};

interface Diff {
  items: { id: string; file: string | null; status: string; changes: string[]; liveVersion: number | null }[];
  errors: unknown[];
}
const diff = async (dir: string, data: string): Promise<Diff> => JSON.parse((await xhub('journeys', 'diff', dir, '--data', data, '--json')).stdout) as Diff;

const BROKEN_KIND = `# a step of an unknown kind
id: broken-kind
name: Broken kind
owner: someone@example.com
team: Lifecycle
entry:
  event: Signed Up
start: first
steps:
  first:
    kind: teleport
    next: done
  done:
    kind: exit
`;

const DANGLING = `id: dangling
name: Dangling next
owner: someone@example.com
team: Lifecycle
entry: { event: Signed Up }
start: first
steps:
  first:
    kind: wait
    for: { amount: 1, unit: days }
    next: remind
  done:
    kind: exit
`;

// Each `xhub` call starts a hub on the data directory: allow for a loaded machine.
describe('xhub journeys', { timeout: 90_000 }, () => {
  it('validates the example journeys', async () => {
    const { stdout } = await xhub('journeys', 'validate', EXAMPLES, '--data', tmp());
    for (const id of IDS) expect(stdout).toContain(`ok ${join(EXAMPLES, `${id}.yaml`)} (${id})`);
    expect(stdout).toMatch(/5 journeys valid/);
  });

  it('reports each error of a broken file as FILE:LINE:COL PATH: MESSAGE and exits 1', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'broken.yaml'), BROKEN_KIND);
    writeFileSync(join(dir, 'dangling.yml'), DANGLING);
    writeFileSync(join(dir, 'syntax.yaml'), 'id: x\nname: [unclosed\nowner: me\n');
    writeFileSync(join(dir, 'segment.json'), JSON.stringify({ id: 'in-segment', name: 'S', owner: 'o', team: 't', entry: { segment: 'seg_nope' }, start: 'a', steps: { a: { kind: 'exit' } } }, null, 2));
    writeFileSync(join(dir, 'notes.txt'), 'not a journey file: ignored');
    const r = await failed('journeys', 'validate', dir, '--data', tmp());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'broken.yaml')}:11:5 steps.first.kind: `);
    expect(r.stderr).toContain(`${join(dir, 'dangling.yml')}:11:5 steps.first.next: names unknown step "remind"`);
    expect(r.stderr).toMatch(new RegExp(`${join(dir, 'syntax.yaml')}:\\d+:\\d+ \\(syntax\\): `));
    expect(r.stderr).toContain(`${join(dir, 'segment.json')}:7:5 entry.segment: names unknown segment "seg_nope"`);
    expect(r.stderr).toMatch(/4 of 4 journey files invalid/);
    expect(r.stdout).not.toMatch(/^ok /m);
  });

  it("checks segment references against the data directory's segments", async () => {
    const data = tmp();
    const dir = tmp();
    writeFileSync(join(data, 'vip.json'), JSON.stringify({ name: 'VIP', condition: { kind: 'trait', name: 'plan', op: 'equals', value: 'vip' } }));
    const created = await xhub('segments', 'create', join(data, 'vip.json'), '--data', data);
    const segment = /created segment (seg_\w+)/.exec(created.stdout)?.[1] as string;
    expect(segment, created.stdout).toBeDefined();
    writeFileSync(join(dir, 'vip-welcome.yaml'), `id: vip-welcome\nname: VIP welcome\nowner: o@example.com\nteam: VIP\nentry:\n  segment: ${segment}\nstart: hello\nsteps:\n  hello:\n    kind: action\n    channel: email\n    template: vip-welcome\n    next: done\n  done:\n    kind: exit\n`);
    expect((await xhub('journeys', 'validate', dir, '--data', data)).stdout).toContain(`ok ${join(dir, 'vip-welcome.yaml')} (vip-welcome)`);
    const elsewhere = await failed('journeys', 'validate', dir, '--data', tmp());
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`${join(dir, 'vip-welcome.yaml')}:6:3 entry.segment: names unknown segment "${segment}"`);
  });

  it('refuses two files with the same id', async () => {
    const dir = examplesCopy();
    writeFileSync(join(dir, 'zz-copy.yaml'), readFileSync(join(EXAMPLES, 'win-back.yaml'), 'utf8'));
    const r = await failed('journeys', 'validate', dir, '--data', tmp());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`zz-copy\\.yaml:\\d+:1 id: journey "win-back" is also defined in .*win-back\\.yaml`));
  });

  it('deploys all or nothing, then only what changed, as a new version', async () => {
    const data = tmp();
    const dir = examplesCopy();
    writeFileSync(join(dir, 'dangling.yaml'), DANGLING);
    const refused = await failed('journeys', 'deploy', dir, '--data', data);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/dangling\.yaml:11:5 steps\.first\.next: names unknown step "remind"/);
    expect(refused.stderr).toMatch(/nothing deployed: 1 of 6 journey files invalid/);
    expect(refused.stdout).not.toMatch(/deployed \S+ v/);
    rmSync(join(dir, 'dangling.yaml'));
    expect((await diff(dir, data)).items.map((i) => [i.id, i.status])).toEqual(IDS.map((id) => [id, 'new']));
    expect((await xhub('journeys', 'diff', dir, '--data', data)).stdout).toMatch(/^\+ abandoned-cart \(new\)$/m);

    const first = await xhub('journeys', 'deploy', dir, '--data', data);
    for (const id of IDS) expect(first.stdout).toMatch(new RegExp(`^deployed ${id} v1$`, 'm'));
    const same = await xhub('journeys', 'diff', dir, '--data', data);
    for (const id of IDS) expect(same.stdout).toMatch(new RegExp(`^= ${id} \\(unchanged\\)$`, 'm'));

    const file = join(dir, 'post-purchase-review.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('amount: 7, unit: days', 'amount: 10, unit: days').replace('name: Post-purchase review request', 'name: Review request'));
    rmSync(join(dir, 'win-back.yaml'));
    const changed = (await xhub('journeys', 'diff', dir, '--data', data)).stdout;
    expect(changed).toMatch(/^~ post-purchase-review \(changed: name, steps\.one-week\)$/m);
    expect(changed).toMatch(/^= abandoned-cart \(unchanged\)$/m);
    expect(changed).toMatch(/^\? win-back \(on the hub, not in .*; left alone\)$/m);
    const second = await xhub('journeys', 'deploy', dir, '--data', data);
    expect(second.stdout).toMatch(/^deployed post-purchase-review v2$/m);
    expect(second.stdout).toMatch(/^unchanged abandoned-cart \(v1\)$/m);
    expect(second.stdout).not.toMatch(/win-back/);
    const after = await diff(dir, data);
    expect(after.items.find((i) => i.id === 'post-purchase-review')).toMatchObject({ status: 'unchanged', liveVersion: 2 });
    expect(after.items.find((i) => i.id === 'win-back')).toMatchObject({ status: 'notInDir', file: null, liveVersion: 1 });
  });

  it('prints the JSON Schema that schemas/journey.schema.json holds', async () => {
    expect((await xhub('journeys', 'schema')).stdout).toBe(readFileSync('schemas/journey.schema.json', 'utf8'));
  });
});
