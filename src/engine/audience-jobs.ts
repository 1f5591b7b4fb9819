import type { AudienceOutcome } from '../core/segments/batch.js';
import { factEvent, rebuildStep, timerStep } from '../core/segments/batch.js';
import type { StoredEvent } from '../core/segments/audience.js';
import type { Clock } from '../ports/clock.js';
import type { AudienceReader } from '../ports/audience-reader.js';
import type { DefinitionStore } from '../ports/definitions.js';
import type { EventLog } from '../ports/event-log.js';
import { isHubSeq, type ProfileReader } from '../ports/profile-reader.js';
import type { StateStore } from '../ports/state-store.js';
import type { AudienceDefinitionsCache } from './audiences.js';
import { journeyWork, prepareJourneyWork, type JourneyWorkOptions } from './journey-work.js';

export const TIMER_CHUNK = 500;
export const BACKFILL_CHUNK = 500;

export interface AudienceJobPorts {
  readonly state: StateStore;
  readonly log: EventLog;
  readonly reader: ProfileReader;
  readonly audiences: AudienceReader;
  readonly definitions: DefinitionStore;
  readonly cache: AudienceDefinitionsCache;
  readonly clock: Clock;
  readonly onChanges?: (o: AudienceOutcome) => void;
  readonly journeys: JourneyWorkOptions;
}

/** Durable timers (audiences, journeys) and backfills of audiences; run by the processor between event batches (one writer). */
export class AudienceJobs {
  constructor(private readonly p: AudienceJobPorts) {}

  /** Fires one chunk of due audience timers, then one of journey timers; answers whether there were any. */
  async runDue(): Promise<boolean> {
    await this.p.cache.prepare();
    await prepareJourneyWork(this.p.journeys);
    const now = this.p.clock.now();
    const journeys = journeyWork(this.p.journeys, now);
    const audiences = await this.p.state.processAudiences({ dueBy: now, limit: TIMER_CHUNK }, (profiles, stored) => this.observe(timerStep(profiles, stored, this.p.cache.input(now))), journeys);
    const steps = journeys ? await this.p.state.processJourneys(now, TIMER_CHUNK, journeys) : 0;
    return audiences + steps > 0;
  }

  nextDue(): Promise<number | undefined> {
    return this.p.state.nextDue();
  }

  /** Backfills one chunk of profiles for the oldest running backfill; answers whether there was one. */
  async backfillChunk(): Promise<boolean> {
    const [def] = await this.p.definitions.backfilling();
    if (!def?.backfill) return false;
    await this.p.cache.prepare();
    const ids = await this.p.audiences.profileIds(def.workspaceId, BACKFILL_CHUNK, def.backfill.after);
    if (ids.length === 0) {
      await this.p.definitions.setBackfill(def.id, { ...def.backfill, status: 'done' });
      return true;
    }
    const history = new Map<string, StoredEvent[]>();
    for (const id of ids) history.set(id, await this.history(def.workspaceId, id));
    await prepareJourneyWork(this.p.journeys);
    const now = this.p.clock.now();
    await this.p.state.processAudiences({ ids }, (profiles, stored) => this.observe(rebuildStep(profiles, stored, history, this.p.cache.input(now))), journeyWork(this.p.journeys, now));
    const processed = def.backfill.processed + ids.length;
    await this.p.definitions.setBackfill(def.id, { status: 'running', processed, total: Math.max(def.backfill.total, processed), after: ids.at(-1) as string });
    return true;
  }

  private async history(workspaceId: string, profileId: string): Promise<StoredEvent[]> {
    const positions = await this.p.reader.timeline(workspaceId, profileId, 1_000_000);
    const logged = await this.p.log.get(positions.filter((t) => !isHubSeq(t.seq)).map((t) => t.seq).reverse());
    return logged.map((l) => factEvent(l.event)).filter((e): e is StoredEvent => e !== undefined);
  }

  private observe(o: AudienceOutcome): AudienceOutcome {
    this.p.onChanges?.(o);
    return o;
  }
}
