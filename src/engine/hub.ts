import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { openSqliteStore, type Store } from '../adapters/sqlite/index.js';
import { WriteGate } from '../adapters/sqlite/write-gate.js';
import type { Config } from '../config.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { ContentCatalogue } from './catalogue.js';
import { Ingestor } from './ingest.js';
import { DEFAULT_WORKSPACE, KeyResolver } from './keys.js';
import { Metrics } from './metrics.js';
import { OriginGate } from './origins.js';
import { definitionCaches, processorOf, type DefinitionCaches, type Processing, type ProcessingHooks } from './processing.js';
import { ProcessingThread } from './processing-thread.js';
import { ContributorRegistry } from './contributors.js';
import { deliveryAdapters, onReceipt } from './delivery.js';
import { Dispatcher } from './dispatcher.js';
import { renderer } from './render.js';
import { Secrets } from './secrets.js';

/** One running hub: store, ingestion, processing and what the API needs of them. */
export interface Hub extends DefinitionCaches {
  readonly config: Config;
  readonly store: Store;
  readonly ingestor: Ingestor;
  readonly processor: Processing;
  readonly keys: KeyResolver;
  /** Which web origins may send events with a workspace's write keys (CORS). */
  readonly origins: OriginGate;
  /** The content catalogue per workspace, as decisions read it; its writes go through it. */
  readonly content: ContentCatalogue;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly newMessageId: () => string;
  /** Contributors as dispatch uses them (credentials sealed with `secrets`). */
  readonly contributors: ContributorRegistry;
  readonly secrets: Secrets;
  /** Delivers the outbox to contributors; `xhub serve` starts it (the CLI's one-shot commands do not send). */
  readonly dispatcher: Dispatcher;
  /** Where recipients reach the hub (unsubscribe and tracking links): `config.publicUrl`, else the address it listens on (`xhub serve` sets it). */
  readonly links: { publicUrl: string };
  close(): Promise<void>;
}

export async function startHub(config: Config, log: Logger, clock: Clock = systemClock): Promise<Hub> {
  // Processing on a thread of its own runs on the system clock; a virtual one keeps it here.
  const onThread = config.processing === 'thread' && clock === systemClock;
  const gate = onThread ? new WriteGate() : undefined;
  const store = openSqliteStore(config.dataDir, config.durability, { readBack: !onThread, ...(gate ? { gate: { gate, side: 'api' } } : {}) });
  await store.workspaces.ensureWorkspace(DEFAULT_WORKSPACE, 'Default');
  const lag = { of: (): number => 0 };
  const metrics = new Metrics(() => lag.of());
  const caches = definitionCaches(store);
  const hooks: ProcessingHooks = {
    processed: (n) => metrics.processed.inc(n),
    failed: (e) => log.error({ err: e }, 'processing failed; retrying'),
  };
  const proc: Processing = gate ? new ProcessingThread(config, hooks, gate) : processorOf(store, config, clock, caches, hooks);
  lag.of = () => proc.lag;
  const ingestor = new Ingestor(store.log, config, () => proc.lag, {
    committed: (events, seconds, head) => {
      metrics.accepted.inc(events);
      metrics.commitSeconds.observe(seconds);
      proc.notify(head);
    },
  });
  await proc.start();
  const secrets = Secrets.load(config.dataDir, config.secretKey);
  const contributors = new ContributorRegistry(store.contributors, secrets);
  const adapters = deliveryAdapters(store, config);
  const links = { publicUrl: config.publicUrl ?? `http://${config.host}:${config.port}` };
  // Receipts go back in as events through the hub's own ingestion (the hub is made just below).
  const receipts: { hub?: Hub } = {};
  const dispatcher = new Dispatcher({
    outbox: store.outbox, contributors, reader: store.reader, adapters, clock, log,
    render: renderer(store.templates, secrets, () => links.publicUrl),
    receipt: (m, event, properties) => onReceipt(receipts.hub as Hub, m, event, properties),
  });
  const hub: Hub = {
    config, store, ingestor, processor: proc, metrics, clock, ...caches, contributors, secrets, dispatcher, links,
    content: new ContentCatalogue(store.content),
    keys: new KeyResolver(store.workspaces),
    origins: new OriginGate(store.workspaces),
    newMessageId: () => `hub-${randomUUID()}`,
    close: async () => {
      await dispatcher.stop();
      await proc.stop();
      await Promise.all(Object.values(adapters).map((a) => a.close?.()));
      await store.close();
    },
  };
  receipts.hub = hub;
  return hub;
}
