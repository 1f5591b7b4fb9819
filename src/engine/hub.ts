import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { openSqliteStore, type Store } from '../adapters/sqlite/index.js';
import type { Config } from '../config.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { AudienceJobs } from './audience-jobs.js';
import { AudienceDefinitionsCache } from './audiences.js';
import { ContentCatalogue } from './catalogue.js';
import { Ingestor } from './ingest.js';
import { JourneyCache } from './journeys.js';
import { DEFAULT_WORKSPACE, KeyResolver } from './keys.js';
import { Metrics } from './metrics.js';
import { OriginGate } from './origins.js';
import { PolicyCache } from './policies.js';
import { Processor } from './processor.js';
import { Retention } from './retention.js';

/** One running hub: store, ingestion, processing and what the API needs of them. */
export interface Hub {
  readonly config: Config;
  readonly store: Store;
  readonly ingestor: Ingestor;
  readonly processor: Processor;
  readonly keys: KeyResolver;
  /** Which web origins may send events with a workspace's write keys (CORS). */
  readonly origins: OriginGate;
  /** Segments and computed traits as processing uses them; invalidate after a change. */
  readonly audienceDefinitions: AudienceDefinitionsCache;
  /** Published journeys as processing runs them; invalidate after a change. */
  readonly journeys: JourneyCache;
  /** Contact policies in force; invalidate after a deploy. */
  readonly policies: PolicyCache;
  /** The content catalogue per workspace, as decisions read it; its writes go through it. */
  readonly content: ContentCatalogue;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly newMessageId: () => string;
  close(): Promise<void>;
}

export async function startHub(config: Config, log: Logger, clock: Clock = systemClock): Promise<Hub> {
  const store = openSqliteStore(config.dataDir, config.durability);
  await store.workspaces.ensureWorkspace(DEFAULT_WORKSPACE, 'Default');
  const lag = { of: (): number => 0 };
  const metrics = new Metrics(() => lag.of());
  const audienceDefinitions = new AudienceDefinitionsCache(store.definitions, store.context);
  const journeyCache = new JourneyCache(store.journeys);
  const policies = new PolicyCache(store.policies);
  const journeys = { journeys: journeyCache, audiences: audienceDefinitions, policies, traitStrategies: config.traitStrategies };
  const jobs = new AudienceJobs({
    state: store.state, log: store.log, reader: store.reader, audiences: store.audiences, definitions: store.definitions,
    cache: audienceDefinitions, clock, journeys,
  });
  const proc = new Processor(store.log, store.state, clock, audienceDefinitions, jobs, {
    rules: config.identity,
    traitStrategies: config.traitStrategies,
    batchSize: config.batchSize,
    idleCheckMs: 1000,
    journeys,
    retention: new Retention(store.workspaces, store.ledger, policies, store.content),
    onBatch: (n) => metrics.processed.inc(n),
    onError: (e) => log.error({ err: e }, 'processing failed; retrying'),
  });
  lag.of = () => proc.lag;
  const ingestor = new Ingestor(store.log, config, () => proc.lag, {
    committed: (events, seconds, head) => {
      metrics.accepted.inc(events);
      metrics.commitSeconds.observe(seconds);
      proc.notify(head);
    },
  });
  await proc.start();
  return {
    config, store, ingestor, processor: proc, metrics, clock, audienceDefinitions, journeys: journeyCache, policies,
    content: new ContentCatalogue(store.content),
    keys: new KeyResolver(store.workspaces),
    origins: new OriginGate(store.workspaces),
    newMessageId: () => `hub-${randomUUID()}`,
    close: async () => {
      await proc.stop();
      await store.close();
    },
  };
}
