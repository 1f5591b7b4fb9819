import { BUILT_IN } from '../core/contributors/contributor.js';
import { eventCatalogue, type EventSchemaBody } from '../core/events/event-schema.js';
import { indexJourneys, type JourneyWorkspace } from '../core/journeys/batch.js';
import { WAITING_KINDS, type JourneyDefinition } from '../core/journeys/definition.js';
import type { RunnableJourney } from '../core/journeys/state.js';
import { parseJourney, type JourneyCatalogue } from '../core/journeys/parse.js';
import { err, ok, type FieldError, type Result } from '../core/result.js';
import type { ChangeCount } from '../ports/definitions.js';
import type { JourneyStore, Migration, StoredJourney } from '../ports/journeys.js';
import type { Hub } from './hub.js';

const NONE: JourneyWorkspace = indexJourneys([]);

/** Published journeys as processing runs them, per workspace; reloaded after any change (see `ChangeCount`). */
export class JourneyCache {
  private byWorkspace = new Map<string, JourneyWorkspace>();
  private all: readonly RunnableJourney[] = [];
  /** The count of changes it was loaded at. */
  private loaded: number | undefined;

  constructor(
    private readonly store: JourneyStore,
    private readonly changes: ChangeCount,
  ) {}

  async prepare(): Promise<void> {
    const changes = await this.changes.changes();
    if (this.loaded === changes) return;
    this.all = await this.store.runnable();
    const grouped = new Map<string, RunnableJourney[]>();
    for (const j of this.all) grouped.set(j.workspaceId, [...(grouped.get(j.workspaceId) ?? []), j]);
    this.byWorkspace = new Map([...grouped].map(([ws, js]) => [ws, indexJourneys(js)]));
    this.loaded = changes;
  }

  /** Synchronous: `prepare` must have run since the last change. */
  of(workspaceId: string): JourneyWorkspace {
    return this.byWorkspace.get(workspaceId) ?? NONE;
  }

  /** True when some workspace has a published journey (else processing skips the journey step). */
  get any(): boolean {
    return this.all.length > 0;
  }
}

type JourneyHub = Pick<Hub, 'store' | 'clock' | 'processor'>;

async function catalogue(hub: JourneyHub, workspaceId: string): Promise<JourneyCatalogue> {
  const segments = await hub.store.definitions.list(workspaceId, 'segment');
  const schemas = await hub.store.definitions.list(workspaceId, 'eventSchema');
  const events = eventCatalogue(schemas.map((d) => ({ event: d.name, body: d.body as EventSchemaBody })));
  const contributors = new Set([...BUILT_IN.map((c) => c.id), ...(await hub.store.contributors.list(workspaceId)).map((c) => c.contributor.id)]);
  return { segments: new Set(segments.map((s) => s.id)), contributors, ...(events ? { events } : {}) };
}

/** Validates a journey definition against its workspace (segments, contributors, event schemas): the API's and the CLI's one check. */
export async function validateJourney(hub: JourneyHub, workspaceId: string, input: unknown): Promise<Result<JourneyDefinition, FieldError[]>> {
  return parseJourney(input, await catalogue(hub, workspaceId));
}

/** Saves a definition as the journey's draft (creating the journey); `id` must match when given. */
export async function saveJourney(hub: JourneyHub, workspaceId: string, input: unknown, id?: string): Promise<Result<StoredJourney, FieldError[]>> {
  const parsed = await validateJourney(hub, workspaceId, input);
  if (!parsed.ok) return parsed;
  if (id !== undefined && parsed.value.id !== id) return err([{ path: 'id', message: `must be "${id}", the journey being updated` }]);
  const existing = await hub.store.journeys.get(workspaceId, parsed.value.id);
  if (existing?.status === 'archived') return err([{ path: 'id', message: `journey "${existing.id}" is archived` }]);
  return ok(await hub.store.journeys.save(workspaceId, parsed.value, hub.clock.now()));
}

/**
 * Publishes the draft as a new version. A migration maps steps of older versions to waiting steps of
 * the new one (profiles there move; the others finish on their version).
 */
export async function publishJourney(hub: JourneyHub, workspaceId: string, id: string, migration?: Migration): Promise<Result<number, FieldError[]>> {
  const j = await hub.store.journeys.get(workspaceId, id);
  if (!j) return err([{ path: 'id', message: `no journey "${id}"` }]);
  if (j.status === 'archived') return err([{ path: 'id', message: `journey "${id}" is archived` }]);
  const recheck = await validateJourney(hub, workspaceId, j.draft);
  if (!recheck.ok) return recheck;
  const published = new Set((await hub.store.journeys.versions(workspaceId, id)).flatMap((v) => Object.keys(v.definition.steps)));
  for (const [from, to] of Object.entries(migration?.steps ?? {})) {
    if (!published.has(from)) return err([{ path: `migrate.steps.${from}`, message: `"${from}" is not a step of any published version` }]);
    const step = j.draft.steps[to];
    if (!step) return err([{ path: `migrate.steps.${from}`, message: `names unknown step "${to}" of the new version` }]);
    if (!WAITING_KINDS.has(step.kind)) return err([{ path: `migrate.steps.${from}`, message: `"${to}" is a ${step.kind} step; profiles can only be moved to a wait or waitFor` }]);
  }
  const version = await hub.store.journeys.publish(workspaceId, id, hub.clock.now(), migration);
  changed(hub);
  return ok(version);
}

/** Pauses, resumes or archives a published journey. */
export async function setJourneyStatus(hub: JourneyHub, workspaceId: string, id: string, status: 'live' | 'paused' | 'archived'): Promise<Result<void, FieldError[]>> {
  const j = await hub.store.journeys.get(workspaceId, id);
  if (!j) return err([{ path: 'id', message: `no journey "${id}"` }]);
  if (j.liveVersion === undefined) return err([{ path: 'status', message: `journey "${id}" was never published` }]);
  if (j.status === 'archived') return err([{ path: 'status', message: `journey "${id}" is archived` }]);
  await hub.store.journeys.setStatus(workspaceId, id, status, hub.clock.now());
  changed(hub);
  return ok(undefined);
}

function changed(hub: JourneyHub): void {
  hub.processor.changed();
}
