import type { AudienceOutcome } from '../core/segments/batch.js';
import { factEvent, factSelection, rebuildStep, replayOf, timerStep } from '../core/segments/batch.js';
import type { StoredEvent } from '../core/segments/audience.js';
import type { Clock } from '../ports/clock.js';
import type { AudienceReader } from '../ports/audience-reader.js';
import type { DefinitionStore } from '../ports/definitions.js';
import type { EventLog } from '../ports/event-log.js';
import type { StateStore } from '../ports/state-store.js';
import type { AudienceDefinitionsCache } from './audiences.js';
import { journeyWork, prepareJourneyWork, type JourneyWorkOptions } from './journey-work.js';

export const TIMER_CHUNK = 500;
export const BACKFILL_CHUNK = 500;

export interface AudienceJobPorts {
  readonly state: StateStore;
  readonly log: EventLog;
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
    const now = this.p.clock.now();
    // Read first: no write transaction (and no wait for the write lock) when nothing is due.
    const due = await this.p.state.nextDue();
    if (due === undefined || due > now) return false;
    await this.p.cache.prepare();
    await prepareJourneyWork(this.p.journeys);
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
    const now = this.p.clock.now();
    const input = this.p.cache.input(now);
    const { replay, reads } = replayOf(input.definitions(def.workspaceId), def.kind === 'segment' ? { kind: 'segment', id: def.id } : { kind: 'computedTrait', name: def.name });
    const history = reads.size > 0 ? await this.histories(ids, reads) : new Map<string, StoredEvent[]>();
    await prepareJourneyWork(this.p.journeys);
    await this.p.state.processAudiences({ ids }, (profiles, stored) => this.observe(rebuildStep(profiles, stored, history, replay, input)), journeyWork(this.p.journeys, now));
    const processed = def.backfill.processed + ids.length;
    await this.p.definitions.setBackfill(def.id, { status: 'running', processed, total: Math.max(def.backfill.total, processed), after: ids.at(-1) as string });
    return true;
  }

  /** Each profile's events of the names `reads`, as conditions see them, oldest first: one read of positions and one of the log for the chunk. */
  private async histories(ids: readonly string[], reads: ReadonlySet<string>): Promise<Map<string, StoredEvent[]>> {
    const positions = await this.p.state.histories(ids);
    const events = new Map((await this.p.log.getSelected([...positions.values()].flat(), factSelection(reads))).map((l) => [l.seq, l.event]));
    const out = new Map<string, StoredEvent[]>();
    for (const [id, seqs] of positions) {
      const facts: StoredEvent[] = [];
      for (const seq of seqs) {
        const e = events.get(seq);
        const fact = e && factEvent(e);
        if (fact) facts.push(fact);
      }
      out.set(id, facts);
    }
    return out;
  }

  private observe(o: AudienceOutcome): AudienceOutcome {
    this.p.onChanges?.(o);
    return o;
  }
}
