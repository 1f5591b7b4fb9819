import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'xhub-cli-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const xhub = (...args: string[]) => run('node', ['dist/cli/main.js', ...args], { timeout: 30_000, env: { ...process.env, XHUB_LOG_LEVEL: 'warn' } });
const failed = (...args: string[]) => xhub(...args).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

describe('xhub policy and xhub why', () => {
  it('validates a policy file with FILE:LINE:COL errors, deploys versions, and explains decisions', async () => {
    const data = join(dir, 'data');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'optIn: [marketing]\ncaps:\n  - id: weekly\n    limit: lots\n    window: { amount: 7, unit: days }\n');
    const v = await failed('policy', 'validate', bad);
    expect(v.code).toBe(1);
    expect(v.stderr.trim()).toBe(`${bad}:4:5 caps[0].limit: Invalid input: expected number, received string`);
    const d = await failed('policy', 'deploy', bad, '--data', data);
    expect(d.code).toBe(1);
    expect((await xhub('policy', 'show', '--data', data)).stdout).toContain('version 0: the default');

    expect((await xhub('policy', 'validate', 'examples/policy/contact-policy.yaml')).stdout).toContain('valid contact policy');
    expect((await xhub('policy', 'deploy', 'examples/policy/contact-policy.yaml', '--data', data)).stdout).toContain('deployed contact policy version 1');
    expect((await xhub('policy', 'show', '--data', data)).stdout).toContain('"id": "marketing-weekly"');

    // A journey and an event for a profile with no consent: the decision is explained.
    const journeys = join(dir, 'journeys');
    rmSync(journeys, { recursive: true, force: true });
    await run('mkdir', ['-p', journeys]);
    writeFileSync(join(journeys, 'promo.yaml'), 'id: promo\nname: Promo\nowner: ada@example.com\nteam: CRM\nentry: { event: Browsed }\nstart: send\nsteps:\n  send: { kind: action, channel: email, template: promo-1, next: end }\n  end: { kind: exit }\n');
    await xhub('journeys', 'deploy', journeys, '--data', data);
    const events = join(dir, 'events.jsonl');
    const ts = new Date().toISOString();
    writeFileSync(events, `${JSON.stringify({ type: 'track', userId: 'ada', event: 'Browsed', timestamp: ts, messageId: 'b1' })}\n`);
    await xhub('import', events, '--data', data);
    const why = await xhub('why', 'userId', 'ada', '--data', data, '--journey', 'promo');
    expect(why.stdout).toContain('✗ promo v1 / send (email, marketing, template promo-1)');
    expect(why.stdout).toContain('rejected: no consent to marketing messages on email (consent null, an opt-in is required) [consent:marketing:email]');
    expect(why.stdout).toContain('(policy v1)');
    expect((await failed('why', 'userId', 'nobody', '--data', data)).stderr).toContain('no profile with identifier userId=nobody');
  }, 90_000);
});
