import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildApp } from '../api/app.js';
import { loadConfig } from '../config.js';
import { startHub, type Hub } from '../engine/hub.js';
import { publishJourney, saveJourney } from '../engine/journeys.js';
import { deployPolicy } from '../engine/policies.js';
import { bootstrapKeys, DEFAULT_WORKSPACE } from '../engine/keys.js';
import { loadJourneyDir } from './journey-files.js';
import { importFile } from './import.js';
import { parseTemplate } from '../core/templates/template.js';
import { readPolicy } from './policy.js';

interface ServeOptions {
  port?: number;
  host?: string;
  data?: string;
  config?: string;
  demo?: boolean;
}

export const DEMO_FILE = fileURLToPath(new URL('../../examples/demo/events.jsonl', import.meta.url));
export const DEMO_JOURNEYS = fileURLToPath(new URL('../../examples/journeys', import.meta.url));
export const DEMO_POLICY = fileURLToPath(new URL('../../examples/policy/contact-policy.yaml', import.meta.url));
export const DEMO_TEMPLATES = fileURLToPath(new URL('../../examples/templates', import.meta.url));

export async function serveCommand(opts: ServeOptions): Promise<void> {
  const config = loadConfig({ port: opts.port, host: opts.host, dataDir: opts.data, config: opts.config }, process.env);
  const log = pino({ level: config.logLevel });
  const hub = await startHub(config, log);
  const keys = await bootstrapKeys(hub.store.workspaces, config);
  const app = buildApp(hub, 'warn');
  const address = await app.listen({ port: config.port, host: config.host });
  if (config.publicUrl === undefined) hub.links.publicUrl = address;
  hub.dispatcher.start();
  log.info({ address, dataDir: config.dataDir, durability: config.durability }, 'experience hub listening');
  if (keys.writeKey || keys.adminKey) {
    console.log(`\nFirst start: keys for the default workspace (shown once, keep them):`);
    if (keys.writeKey) console.log(`  write key (ingestion, HTTP Basic user):  ${keys.writeKey}`);
    if (keys.adminKey) console.log(`  admin key (Authorization: Bearer):       ${keys.adminKey}\n`);
  }
  if (opts.demo && (await hub.store.log.head()) === 0 && existsSync(DEMO_FILE)) {
    const policy = readPolicy(DEMO_POLICY);
    if (policy) await deployPolicy(hub, DEFAULT_WORKSPACE, policy);
    await deployDemoTemplates(hub);
    const journeys = await deployDemoJourneys(hub);
    const loaded = await importFile(hub, DEMO_FILE, { skipInvalid: false, quiet: true });
    await hub.processor.processed(await hub.store.log.head());
    await hub.processor.whenIdle();
    printDemo(address, loaded, journeys, config.dataDir);
  }
  const shutdown = async (signal: string): Promise<void> => {
    log.info({ signal }, 'shutting down');
    await app.close();
    await hub.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/** The example message templates (examples/templates), so the demo's messages render. */
async function deployDemoTemplates(hub: Hub): Promise<void> {
  const dir = loadJourneyDir(DEMO_TEMPLATES);
  if (!dir.ok) return;
  for (const f of dir.value.files) {
    const t = parseTemplate(f.input);
    if (t.ok) await hub.store.templates.put(DEFAULT_WORKSPACE, t.value, hub.clock.now());
  }
}

/** The example journeys (examples/journeys), published before the demo events so those enter them. */
async function deployDemoJourneys(hub: Hub): Promise<string[]> {
  const dir = loadJourneyDir(DEMO_JOURNEYS);
  if (!dir.ok) return [];
  const deployed: string[] = [];
  for (const f of dir.value.files) {
    const saved = await saveJourney(hub, DEFAULT_WORKSPACE, f.input);
    if (saved.ok && (await publishJourney(hub, DEFAULT_WORKSPACE, saved.value.id)).ok) deployed.push(saved.value.id);
  }
  return deployed;
}

function printDemo(address: string, loaded: number, journeys: readonly string[], dataDir: string): void {
  console.log(`
Demo: loaded ${loaded} events (anonymous browsing, sign-up, a second device, an alias, orders).
Ada browsed anonymously on two devices; identity resolution joined everything into one profile:

  npx xhub profile email ada@example.com --data ${dataDir}
  curl -s -H "Authorization: Bearer $XHUB_ADMIN_KEY" ${address}/v1/profiles/by/email/ada@example.com

Published the example journeys (examples/journeys): ${journeys.join(', ')}, under the example
contact policy (examples/policy/contact-policy.yaml: opt-in for marketing, caps, quiet hours).
The two orders (early November) entered "post-purchase-review"; their 7-day waits have run out, so
each review request went to arbitration. Ada opted in: hers is sent (or deferred to the end of quiet
hours in Paris); Carol gave no marketing consent: hers is rejected, and the trace says so:

  npx xhub why email ada@example.com --data ${dataDir}
  npx xhub why email carol@example.com --data ${dataDir}
  npx xhub mailbox --data ${dataDir}        # Ada's review request, rendered (no SMTP set up: the local mailbox)
  curl -s -H "Authorization: Bearer $XHUB_ADMIN_KEY" ${address}/v1/journeys/post-purchase-review/stats
  npx xhub journeys diff examples/journeys --data ${dataDir}

Send your own events (Segment HTTP API):
  curl -s -u "$XHUB_WRITE_KEY:" ${address}/v1/track -d '{"userId":"u-ada","event":"Product Viewed","properties":{"sku":"TENT-2P"}}'
`);
}
