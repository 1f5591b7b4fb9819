import type { Store } from '../adapters/sqlite/index.js';
import type { Config } from '../config.js';
import type { Clock } from '../ports/clock.js';
import { AudienceJobs } from './audience-jobs.js';
import { AudienceDefinitionsCache } from './audiences.js';
import { JourneyCache } from './journeys.js';
import { PolicyCache } from './policies.js';
import { Processor, type Contention } from './processor.js';
import { Retention } from './retention.js';

/**
 * Processing as the hub sees it, wherever it runs: on the hub's own thread (`Processor`) or on a
 * thread of its own (`ProcessingThread`).
 */
export interface Processing {
  start(): Promise<void>;
  /** Called after an append committed up to `head`. */
  notify(head: number): void;
  /** Events appended and not yet processed. */
  readonly lag: number;
  readonly position: { cursor: number; head: number };
  /** Resolves once every event up to `seq` is processed. */
  processed(seq: number): Promise<void>;
  /** Resolves when processing has nothing left to do now (events, due timers, backfills). */
  whenIdle(): Promise<void>;
  /** Definitions changed (segments, computed traits, context, journeys, policies): take them up and run now. */
  changed(): void;
  stop(): Promise<void>;
}

/**
 * Definitions as processing and the APIs read them. Each cache reloads when the store's count of
 * changes moved (a change by any thread or process, see `ChangeCount`); after a change, telling
 * processing (`processor.changed()`) makes it take the change up at once.
 */
export interface DefinitionCaches {
  /** Segments and computed traits. */
  readonly audienceDefinitions: AudienceDefinitionsCache;
  /** Published journeys. */
  readonly journeys: JourneyCache;
  /** Contact policies in force. */
  readonly policies: PolicyCache;
}

export function definitionCaches(store: Store): DefinitionCaches {
  return {
    audienceDefinitions: new AudienceDefinitionsCache(store.definitions, store.context, store.changes),
    journeys: new JourneyCache(store.journeys, store.changes),
    policies: new PolicyCache(store.policies, store.changes),
  };
}

/** What processing reports, wherever it runs. */
export interface ProcessingHooks {
  /** A batch of `events` was processed, up to `cursor`. */
  processed(events: number, cursor: number): void;
  failed(error: unknown): void;
}

/** The processor over a store (the one place it is put together, for either thread). */
export function processorOf(store: Store, config: Config, clock: Clock, caches: DefinitionCaches, hooks: ProcessingHooks, contention?: Contention): Processor {
  const journeys = { journeys: caches.journeys, audiences: caches.audienceDefinitions, policies: caches.policies, traitStrategies: config.traitStrategies };
  const jobs = new AudienceJobs({
    state: store.state, log: store.log, audiences: store.audiences, definitions: store.definitions,
    cache: caches.audienceDefinitions, clock, journeys,
  });
  return new Processor(store.log, store.state, clock, caches.audienceDefinitions, jobs, {
    rules: config.identity,
    traitStrategies: config.traitStrategies,
    batchSize: config.batchSize,
    idleCheckMs: 1000,
    journeys,
    retention: new Retention(store.workspaces, store.ledger, caches.policies, store.content),
    onBatch: (n, cursor) => hooks.processed(n, cursor),
    onError: (e) => hooks.failed(e),
    ...(contention ? { contention } : {}),
  });
}
