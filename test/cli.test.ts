import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'xhub-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const xhub = (...args: string[]) => run('node', ['dist/cli/main.js', ...args], { timeout: 20_000, env: { ...process.env, XHUB_LOG_LEVEL: 'warn' } });

describe('xhub import and xhub profile', () => {
  it('loads the demo data set, is idempotent on a second import, and prints the merged profile', async () => {
    const data = tmp();
    const first = await xhub('import', 'examples/demo/events.jsonl', '--data', data);
    expect(first.stdout).toMatch(/imported 14 events/);
    expect(first.stdout).toMatch(/3 profiles/);
    const again = await xhub('import', 'examples/demo/events.jsonl', '--data', data);
    expect(again.stdout).toMatch(/3 profiles/);
    const { stdout } = await xhub('profile', 'email', 'ADA@example.com ', '--data', data, '--json');
    const shown = JSON.parse(stdout) as { profile: { identifiers: { type: string; value: string }[]; traits: Record<string, unknown> }; timeline: unknown[] };
    expect(shown.profile.identifiers.map((i) => `${i.type}=${i.value}`)).toEqual([
      'anonymousId=anon-ada-laptop', 'anonymousId=anon-ada-phone', 'email=ada@example.com', 'phone=+33612345678', 'userId=u-ada',
    ]);
    expect(shown.profile.traits).toMatchObject({ plan: 'member', city: 'Lyon' });
    expect(shown.timeline).toHaveLength(10);
  });

  it('refuses a file with an invalid line, names the line and field, and writes nothing', async () => {
    const data = tmp();
    const file = join(data, 'bad.jsonl');
    writeFileSync(file, [
      JSON.stringify({ type: 'track', userId: 'u1', event: 'A', messageId: 'ok-1' }),
      JSON.stringify({ type: 'track', userId: 'u1', event: 'B', timestamp: 'yesterday' }),
      '{not json',
    ].join('\n'));
    const failed = await xhub('import', file, '--data', data).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/line 2: timestamp: must be an ISO 8601 date-time/);
    expect(failed?.stderr).toMatch(/line 3: \(line\): not valid JSON/);
    const missing = await xhub('profile', 'userId', 'u1', '--data', data).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(missing?.code).toBe(1);
    expect(missing?.stderr).toMatch(/no profile with identifier userId=u1/);
    const skipped = await xhub('import', file, '--data', data, '--skip-invalid');
    expect(skipped.stdout).toMatch(/imported 1 events/);
    expect(skipped.stderr).toMatch(/skipped line 2/);
  });
});
