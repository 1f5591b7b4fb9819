import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_KEY, startTestHub, WRITE_KEY, type TestHub } from '../helpers.js';

/** Debian's chromium (CI installs it: `.ci/run`). Missing, the browser tests fail: they are not skipped. */
export const CHROMIUM = process.env.XHUB_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface BrowserHandle {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<BrowserHandle> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) — the browser tests need it`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 20_000 });
  return { browser, close: () => browser.close() };
}

/** A hub listening on a real socket (127.0.0.1, ephemeral port). */
export interface WebHub extends TestHub {
  readonly url: string;
}

export async function startWebHub(): Promise<WebHub> {
  const t = await startTestHub();
  const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return { ...t, url };
}

/** A tiny web site on another origin (another port of 127.0.0.1): path → HTML. */
export interface Site {
  readonly origin: string;
  close(): Promise<void>;
}

export async function startSite(pages: Record<string, string | (() => string)>): Promise<Site> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    const page = pages[path];
    if (page === undefined) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(typeof page === 'function' ? page() : page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A fresh browser profile (cookies, storage) that records every URL its pages request and their console errors. */
export interface Visit {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly requests: string[];
  readonly errors: string[];
  close(): Promise<void>;
}

export async function visit(browser: Browser): Promise<Visit> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    context,
    page,
    requests,
    errors,
    close: () => context.close(),
  };
}

interface TimelineItem {
  readonly type: string;
  readonly event?: string;
  readonly userId?: string;
  readonly anonymousId?: string;
  readonly properties?: Record<string, unknown>;
  readonly context?: Record<string, unknown>;
}

export interface ProfileView {
  readonly id: string;
  readonly identifiers: readonly { type: string; value: string }[];
  readonly traits: Record<string, unknown>;
  readonly timeline: readonly TimelineItem[];
}

/** The profile of an identifier with its whole timeline (oldest first), read over the admin API. */
export async function profileOf(hub: TestHub, type: string, value: string): Promise<ProfileView | undefined> {
  await hub.settle();
  const auth = { authorization: `Bearer ${ADMIN_KEY}` };
  const p = await hub.app.inject({ url: `/v1/profiles/by/${type}/${encodeURIComponent(value)}`, headers: auth });
  if (p.statusCode !== 200) return undefined;
  const profile = p.json<Omit<ProfileView, 'timeline'>>();
  const t = await hub.app.inject({ url: `/v1/profiles/${profile.id}/timeline?limit=200`, headers: auth });
  return { ...profile, timeline: [...t.json<{ items: TimelineItem[] }>().items].reverse() };
}

/** Polls until `check` returns a value (events travel asynchronously from the browser); bounded. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every URL the page requested is on the site or the hub: nothing went to a vendor's CDN or API. */
export function foreignRequests(requests: readonly string[], ...origins: string[]): string[] {
  return requests.filter((u) => !origins.some((o) => u.startsWith(`${o}/`)) && !u.startsWith('data:') && !u.startsWith('about:'));
}

export { ADMIN_KEY, WRITE_KEY };
