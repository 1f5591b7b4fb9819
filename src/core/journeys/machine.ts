import { durationMs, same } from '../conditions/compare.js';
import type { ConditionFacts } from '../conditions/evaluate.js';
import { evaluate, eventMatches, valueAt } from '../conditions/evaluate.js';
import { writeTraits, type TraitSet } from '../profiles/traits.js';
import type { Candidate, CandidateOutcome } from './candidate.js';
import { channelsOf, type Channel, type JourneyDefinition, type JourneyEventMatch, type Step, type StepOf } from './definition.js';
import { wakeAt } from './schedule.js';
import { armOf } from './split.js';
import type { ExitReason, JourneyCommand, JourneyEvent, JourneyInput, JourneyState, MachineContext, RecordName, RunnableJourney, Transition } from './state.js';


/**
 * The step machine: `(journeyState, input, now) → { journeyState, commands }`. Pure; the engine
 * applies the commands (timeline records, candidates, trait updates) in the state change's transaction.
 * Unchanged state is returned as the same object.
 */
export function transition(state: JourneyState | undefined, input: JourneyInput, ctx: MachineContext): Transition {
  // A version this process does not know yet (published by another process): left as it is.
  if (state && !ctx.journey.versions.has(state.version)) return { state, commands: [] };
  const run = new Run(ctx);
  const next = input.kind === 'timer' ? run.timer(state, input.at) : input.kind === 'decided' ? run.decided(state, input.outcome, input.at) : run.event(state, input.event, input.at);
  return { state: next, commands: run.out };
}

/** When the profile's state next needs a timer input; undefined when none (done, paused). */
export function dueOf(s: JourneyState | undefined, ctx: MachineContext): number | undefined {
  const j = ctx.journey;
  if (!s || s.status === 'done' || j.status === 'paused' || j.status === 'draft' || !j.versions.has(s.version)) return undefined;
  if (j.status === 'archived') return s.since;
  // A candidate left undecided (a chain of actions longer than the decision rounds of one input) is proposed again on the next timer.
  if (s.pending) return s.deferredUntil ?? s.since;
  const step = stepOf(j, s);
  if (step?.kind === 'wait') return wakeAt(step, s.since, ctx.facts);
  if (step?.kind === 'waitFor') return s.since + durationMs(step.timeout);
  return s.since;
}

const stepOf = (j: RunnableJourney, s: JourneyState): Step | undefined => j.versions.get(s.version)?.steps[s.step];

class Run {
  readonly out: JourneyCommand[] = [];
  private facts: ConditionFacts;
  private traits: TraitSet;

  constructor(private readonly ctx: MachineContext) {
    this.facts = ctx.facts;
    this.traits = ctx.traits ?? { values: ctx.facts.traits, stamps: {} };
  }

  private get j(): RunnableJourney {
    return this.ctx.journey;
  }

  private def(s: JourneyState): JourneyDefinition {
    return this.j.versions.get(s.version) as JourneyDefinition;
  }

  private record(event: RecordName, s: JourneyState, at: number, properties: Record<string, unknown> = {}): void {
    this.out.push({ kind: 'record', event, at, properties: { journeyId: this.j.id, version: s.version, ...properties } });
  }

  timer(s: JourneyState | undefined, at: number): JourneyState | undefined {
    if (!s || this.j.status === 'paused' || this.j.status === 'draft') return s;
    if (s.status === 'done') return this.j.status === 'live' ? this.checkExit(s, at) : s;
    if (this.j.status === 'archived') return this.exit(s, 'archived', at);
    const exited = this.checkExit(s, at);
    if (exited !== s) return exited;
    const due = dueOf(s, this.ctx);
    if (due === undefined || due > at) return s;
    if (s.pending) return this.propose(changed(s, { deferredUntil: undefined }), stepOf(this.j, s) as StepOf<'action'>, s.step, at);
    const step = stepOf(this.j, s);
    const t = Math.max(due, s.since, this.j.resumedAt ?? due);
    if (step?.kind === 'wait') return this.goTo(s, step.next, t);
    if (step?.kind === 'waitFor') return this.goTo(s, step.onTimeout, t);
    return this.goTo(s, s.step, t);
  }

  /** Timers due before the event are fired first, so the outcome does not depend on processing order. */
  private catchUp(s: JourneyState, t: number): JourneyState {
    for (let i = 0; i < 1000; i++) {
      if (s.status === 'done' || s.pending) return s;
      const due = dueOf(s, this.ctx);
      const step = stepOf(this.j, s);
      // An event at the very instant of a waitFor's timeout counts as in time.
      if (due === undefined || due > t || (due === t && step?.kind === 'waitFor')) return s;
      const fired = this.timer(s, due);
      if (fired === s) return s;
      s = fired as JourneyState;
    }
    return s;
  }

  event(state: JourneyState | undefined, e: JourneyEvent, at: number): JourneyState | undefined {
    // Paused: nothing moves; archived: its timers take everyone out.
    if (this.j.status !== 'live') return state;
    let s = state;
    const t = s ? Math.max(at, s.since) : at;
    if (s?.status === 'active') s = this.catchUp(s, t);
    if (s) s = this.trackGoal(s, e, t);
    if (s?.status === 'active') {
      const def = this.def(s);
      if (def.exit?.events?.some((m) => eventMatches(m, e, t))) return this.exit(s, 'exitEvent', t);
      const step = stepOf(this.j, s);
      if (!s.pending && step?.kind === 'waitFor' && this.awaited(step, s, e, t)) s = this.goTo(s, step.next, t);
    }
    if (this.mayEnter(s, e, t)) s = this.enter(s, e, t);
    return s && this.checkExit(s, t);
  }

  decided(s: JourneyState | undefined, o: CandidateOutcome, at: number): JourneyState | undefined {
    if (!s || s.pending?.id !== o.candidateId) return s;
    const step = stepOf(this.j, s) as StepOf<'action'>;
    const c = s.pending;
    this.record('Journey Action', s, at, {
      step: s.step, candidateId: c.id, channel: (o.outcome === 'sent' ? o.channel : undefined) ?? c.channel, template: c.template, purpose: c.purpose, outcome: o.outcome,
      ...(o.decisionId === undefined ? {} : { decisionId: o.decisionId }), ...('rule' in o ? { rule: o.rule } : {}), ...(o.outcome === 'deferred' ? { until: new Date(o.until).toISOString() } : {}),
    });
    if (o.outcome === 'deferred') return changed(s, { deferredUntil: o.until });
    const cleared: JourneyState = changed(s, { pending: undefined, deferredUntil: undefined });
    return this.goTo(cleared, o.outcome === 'rejected' ? (step.notSent ?? step.next) : step.next, at);
  }

  private awaited(step: StepOf<'waitFor'>, s: JourneyState, e: JourneyEvent, t: number): boolean {
    if (!eventMatches(step, e, t)) return false;
    return (step.sameAsEntry ?? []).every((p) => sameValue(valueAt(e.properties, p), s.entry.properties[p]));
  }

  private mayEnter(s: JourneyState | undefined, e: JourneyEvent, t: number): boolean {
    const j = this.j;
    if (j.status !== 'live' || j.liveVersion === undefined) return false;
    const def = j.versions.get(j.liveVersion);
    if (!def || !entryMatches(def, e, t)) return false;
    if (!s) return true;
    if (s.status === 'active') return false;
    const r = def.reentry;
    return r.mode === 'always' || (r.mode === 'cooldown' && t >= (s.exitedAt ?? s.since) + durationMs(r.after));
  }

  /** The state keeps the entry event's properties that later steps compare, and all of them (up to a size) when messages may read them. */
  private enter(prev: JourneyState | undefined, e: JourneyEvent, t: number): JourneyState {
    const version = this.j.liveVersion as number;
    const def = this.j.versions.get(version) as JourneyDefinition;
    const keep: Record<string, unknown> = sendsMessages(def) && JSON.stringify(e.properties).length <= ENTRY_PROPERTIES_MAX ? { ...e.properties } : {};
    for (const step of Object.values(def.steps)) {
      if (step.kind === 'waitFor') for (const p of step.sameAsEntry ?? []) keep[p] = valueAt(e.properties, p) ?? null;
    }
    const s: JourneyState = {
      version, status: 'active', step: def.start, since: t, enteredAt: t, entries: (prev?.entries ?? 0) + 1,
      entry: { messageId: e.messageId, properties: keep },
    };
    this.record('Journey Entered', s, t, { journeyName: this.j.name, entries: s.entries, trigger: e.event });
    return this.goTo(s, def.start, t);
  }

  /** Runs steps from `id` at `t` until the profile waits, awaits a decision or leaves. */
  private goTo(state: JourneyState, id: string, t: number): JourneyState {
    const def = this.def(state);
    let s = state;
    let cur = id;
    for (let guard = 0; guard <= Object.keys(def.steps).length * 2; guard++) {
      const step = def.steps[cur] as Step;
      const at: JourneyState = changed(s, { step: cur, since: t });
      switch (step.kind) {
        case 'wait':
          if (wakeAt(step, t, this.facts) > t) return at;
          cur = step.next;
          continue;
        case 'waitFor':
          return at;
        case 'branch':
          cur = step.branches.find((b) => evaluate(b.condition, this.facts, t).value)?.next ?? step.default;
          continue;
        case 'split': {
          const arm = armOf(step, `${this.j.id}:${cur}:${this.ctx.profileId}`);
          s = changed(s, { arms: { ...s.arms, [cur]: arm?.name ?? 'holdout' } });
          this.record('Journey Split', s, t, { step: cur, arm: arm?.name ?? 'holdout' });
          if (!arm) return this.exit(changed(s, { step: cur }), 'holdout', t);
          cur = arm.next;
          continue;
        }
        case 'action': {
          // Nothing is proposed to a profile that meets the exit condition (e.g. one that entered unsubscribed).
          const left = this.checkExit(at, t);
          return left.status === 'done' ? left : this.propose(left, step, cur, t);
        }
        case 'update':
          this.update(step, cur, s.entries, t);
          cur = step.next;
          continue;
        case 'goal':
          s = this.reachGoal(s, t);
          if (step.next === undefined) return this.exit(changed(s, { step: cur }), 'completed', t);
          cur = step.next;
          continue;
        case 'exit':
          return this.exit(changed(s, { step: cur }), 'completed', t);
      }
    }
    // Unreachable for a validated journey (every cycle has a wait); a broken one leaves rather than spins.
    return this.exit(changed(s, { step: cur }), 'completed', t);
  }

  /** The step's first channel is the candidate's `channel`, the others its `alternatives`; `sendTime.within` its `sendWithin`. */
  private propose(s: JourneyState, step: StepOf<'action'>, stepId: string, t: number): JourneyState {
    const [channel, ...alternatives] = channelsOf(step) as [Channel, ...Channel[]];
    const candidate: Candidate = {
      id: `cand_${this.j.id}_${this.ctx.profileId}_${s.entries}_${stepId}_${t}`,
      workspaceId: this.j.workspaceId, profileId: this.ctx.profileId, journeyId: this.j.id, version: s.version, stepId,
      channel, template: step.template, purpose: step.purpose, priority: step.priority, value: step.value, proposedAt: t,
      ...(alternatives.length > 0 ? { alternatives } : {}),
      ...(step.sendTime ? { sendWithin: durationMs(step.sendTime.within) } : {}),
      ...(step.contributor === undefined ? {} : { contributor: step.contributor }),
    };
    this.out.push({ kind: 'candidate', candidate });
    return changed(s, { pending: candidate });
  }

  /** Writes traits stamped with the instant and the entry's step, merged by each trait's strategy as any event's are. */
  private update(step: StepOf<'update'>, stepId: string, entries: number, t: number): void {
    const set = step.set ?? {};
    const increment = step.increment ?? {};
    const stamp = `journey:${this.j.id}:${String(entries).padStart(10, '0')}:${stepId}`;
    this.traits = writeTraits(this.traits, written(this.traits.values, set, increment), [t, stamp], this.ctx.traitStrategies ?? {});
    this.facts = { ...this.facts, traits: this.traits.values };
    this.out.push({ kind: 'update', stepId, at: t, set, increment, traits: this.traits });
  }

  private reachGoal(s: JourneyState, t: number): JourneyState {
    if (s.goalAt !== undefined) return s;
    this.record('Journey Goal Reached', s, t, { afterMs: t - s.enteredAt });
    return changed(s, { goalAt: t });
  }

  private goalOpen(s: JourneyState, t: number): boolean {
    const g = this.def(s).goal;
    return g !== undefined && s.goalAt === undefined && t >= s.enteredAt && t <= s.enteredAt + durationMs(g.within);
  }

  private trackGoal(s: JourneyState, e: JourneyEvent, t: number): JourneyState {
    const g = this.def(s).goal;
    return g?.event && this.goalOpen(s, t) && eventMatches(g.event, e, t) ? this.reachGoal(s, t) : s;
  }

  /** The goal condition (while its window is open, also after the profile left) and the exit condition, checked at every input. */
  private checkExit(s: JourneyState, t: number): JourneyState {
    const def = this.def(s);
    if (def.goal?.condition && this.goalOpen(s, t) && evaluate(def.goal.condition, this.facts, t).value) s = this.reachGoal(s, t);
    if (s.status === 'active' && def.exit?.condition && evaluate(def.exit.condition, this.facts, t).value) return this.exit(s, 'exitCondition', t);
    return s;
  }

  private exit(s: JourneyState, reason: ExitReason, t: number): JourneyState {
    this.record('Journey Exited', s, t, { step: s.step, reason });
    return changed(s, { status: 'done', exitedAt: t, exitReason: reason, pending: undefined, deferredUntil: undefined });
  }
}

function entryMatches(def: JourneyDefinition, e: JourneyEvent, t: number): boolean {
  const entry = def.entry;
  if ('segment' in entry) return e.event === 'Segment Entered' && e.properties.segmentId === entry.segment;
  return eventMatches(entry as JourneyEventMatch, e, t);
}

const sameValue = (a: unknown, b: unknown): boolean => (a ?? null) === (b ?? null) || same(a, b);

/** The traits an `update` step writes: `set` as given, `increment` added to the current number (0 when not a number). */
export function written(traits: Readonly<Record<string, unknown>>, set: Readonly<Record<string, unknown>>, increment: Readonly<Record<string, number>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...set };
  for (const [k, n] of Object.entries(increment)) {
    const v = traits[k];
    out[k] = (typeof v === 'number' && Number.isFinite(v) ? v : 0) + n;
  }
  return out;
}

/** Entry properties kept for message templates (`{{ event.… }}`) up to this JSON size; beyond, only those compared. */
export const ENTRY_PROPERTIES_MAX = 4_096;

const sendsMessages = (def: JourneyDefinition): boolean => Object.values(def.steps).some((s) => s.kind === 'action');

/**
 * A journey state with some of its fields changed. Object.assign rather than a spread: states come in
 * many shapes (optional fields, read back from JSON), and V8 11 copies those ten times slower with a spread.
 */
function changed(s: JourneyState, patch: Partial<JourneyState>): JourneyState {
  return Object.assign({}, s, patch);
}
