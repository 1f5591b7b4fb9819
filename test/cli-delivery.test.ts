import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { client, killAll, sleep, startServer } from './xhub-process.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'xhub-cli-dlv-'));
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});
const KEYS = { writeKey: 'cli-dlv-write', adminKey: 'cli-dlv-admin' };
const xhub = (...args: string[]) => run('node', ['dist/cli/main.js', ...args], { timeout: 30_000, env: { ...process.env, XHUB_LOG_LEVEL: 'warn' } });
const failed = (...args: string[]) => xhub(...args).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

describe('xhub contributors, outbox dlq and mailbox beside a running hub', () => {
  it('adds and lists contributors, lists, retries and drops dead messages, and shows the mailbox', async () => {
    const data = join(dir, 'data');
    const good = join(dir, 'mailer.yaml');
    writeFileSync(good, 'id: mailer\nname: Mailer\nrole: engagementEnhancer\nkind: email\nprovider: smtp\nchannels: [email]\nsettings: { host: 127.0.0.1, port: 2525, from: hub@example.com }\ncredentials: { password: s3cret }\n');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'id: bad\nname: Bad\nrole: boss\nkind: email\nprovider: smtp\nchannels: [email]\n');
    expect((await xhub('contributors', 'add', good, '--data', data)).stdout).toContain('saved contributor mailer (smtp, email)');
    const refused = await failed('contributors', 'add', bad, '--data', data);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${bad}:3 role:`);
    const listed = (await xhub('contributors', 'list', '--data', data)).stdout;
    expect(listed).toMatch(/^mailer {2}smtp {2}engagementEnhancer {2}email {2}queue 0/m);
    expect(listed).toMatch(/^mailbox {2}mailbox/m);
    expect(listed).toMatch(/^inbox {2}inbox/m);
    expect(listed).not.toContain('s3cret');

    const server = await startServer(data, KEYS);
    const api = client(server, KEYS);
    await api.admin('POST', '/v1/journeys', {
      id: 'hello', name: 'Hello', owner: 'ada@example.com', team: 'CRM', entry: { event: 'Signed Up' }, start: 'mail',
      steps: { mail: { kind: 'action', channel: 'email', template: 'hello', contributor: 'mailbox', next: 'end' }, end: { kind: 'exit' } },
    });
    await api.admin('POST', '/v1/journeys/hello/publish');
    await api.send([{ type: 'identify', userId: 'ada', traits: { email: 'ada@example.com' } }, { type: 'track', userId: 'ada', event: 'Signed Up' }]);
    const dead = async () => (await api.admin<{ items: { key: string; attempts: number }[] }>('GET', '/v1/outbox/dlq')).items;
    for (let i = 0; i < 500 && (await dead()).length === 0; i++) await sleep(20);
    const [d] = await dead();
    expect((await xhub('outbox', 'dlq', 'list', '--data', data)).stdout).toContain(`${d?.key ?? '?'}  email  hello  1 attempt(s)  no template "hello"`);

    await api.admin('PUT', '/v1/templates/hello', { channel: 'email', subject: 'Hello from the CLI test', text: 'Hi' });
    expect((await xhub('outbox', 'dlq', 'retry', d?.key ?? '', '--data', data)).stdout).toContain('queued again: 1 message(s)');
    for (let i = 0; i < 500 && !(await xhub('mailbox', '--data', data)).stdout.includes('Hello from the CLI test'); i++) await sleep(50);
    expect((await xhub('mailbox', '--data', data, '--to', 'ada@example.com')).stdout).toContain('Subject: Hello from the CLI test');
    expect((await xhub('outbox', 'dlq', 'list', '--data', data)).stdout).toContain('the dead-letter queue is empty');
    expect((await failed('outbox', 'dlq', 'drop', '--data', data)).stderr).toContain('name a message key, or --all');
    expect((await failed('outbox', 'dlq', 'drop', '--all', '--data', data)).stderr).toContain('the dead-letter queue is empty');
  }, 90_000);
});
