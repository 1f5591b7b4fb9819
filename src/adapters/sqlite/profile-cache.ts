import { wsKey } from '../../core/identity/snapshot.js';
import type { ProfileState } from '../../core/profiles/profile.js';
import type { AudienceState } from '../../core/segments/audience.js';
import type { ProfileRow } from './rows.js';

/** A profile as last committed: its state and the row it is stored as. */
export interface CachedProfile {
  readonly state: ProfileState;
  readonly row: ProfileRow;
}

/**
 * A map that keeps at least the `capacity` most recently used entries and at most twice as many: two
 * generations, the older one dropped whole when the newer fills (no reordering on every read).
 */
class Recent<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: K, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}

/** A profile's audience state as last read or committed; `null`: it has none stored. */
type Audience = AudienceState | null;

interface Staged {
  readonly written: CachedProfile[];
  readonly linked: ProfileState[];
  readonly gone: string[];
  readonly audiences: Map<string, Audience>;
}

const nothingStaged = (): Staged => ({ written: [], linked: [], gone: [], audiences: new Map() });

/**
 * Profiles, their audience states and identifier owners as this connection last read or committed them,
 * so that the next batches find most of their profiles without reading and parsing them again (states
 * are immutable values: the cache and its readers share them). The processing worker is the one writer
 * of profiles and audience states: what it writes is staged during a transaction and kept only once that
 * transaction commits. Every transaction that writes either counts itself (`profile_writes` in
 * `state.db`): when the count is not the one this cache last committed at, another connection wrote
 * them (e.g. a CLI processing the same data directory), and the cache is emptied before it is used.
 * Other writes to `state.db` (decisions, outbox, definitions, audience timers) leave it as it is.
 */
export class ProfileCache {
  private readonly profiles: Recent<string, CachedProfile>;
  /** `wsKey(workspace, identifier)` → id of the live profile holding it. */
  private readonly owners: Recent<string, string>;
  private readonly audiences: Recent<string, Audience>;
  private staged = nothingStaged();
  private version: number | undefined;

  constructor(capacity: number) {
    this.profiles = new Recent(capacity);
    this.owners = new Recent(capacity * 3);
    this.audiences = new Recent(capacity);
  }

  /** At the start of a write transaction, with the stored count of profile writes. */
  begin(profileWrites: number): void {
    if (profileWrites !== this.version) {
      this.profiles.clear();
      this.owners.clear();
      this.audiences.clear();
      this.version = profileWrites;
    }
    this.staged = nothingStaged();
  }

  profile(id: string): CachedProfile | undefined {
    return this.profiles.get(id);
  }

  owner(key: string): string | undefined {
    return this.owners.get(key);
  }

  /** The profile's audience state; `null`: none is stored; `undefined`: not known here. */
  audience(id: string): Audience | undefined {
    return this.audiences.get(id);
  }

  /** An audience state a transaction read before writing it: committed, kept at once. */
  readAudience(id: string, state: Audience): void {
    this.audiences.set(id, state);
  }

  /** An audience state a transaction wrote (`null`: removed); kept once it commits. */
  wroteAudience(id: string, state: Audience): void {
    this.staged.audiences.set(id, state);
  }

  /** What a transaction read before writing anything: committed state, kept at once. */
  read(key: string | undefined, p: CachedProfile): void {
    if (key !== undefined) this.owners.set(key, p.state.id);
    if (p.state.mergedInto === undefined) this.profiles.set(p.state.id, p);
  }

  /**
   * What a transaction wrote; kept once it commits. `linked`: the profile's identifiers changed (new
   * links, or a merge brought the merged-away profile's). A merged-away profile is forgotten.
   */
  wrote(p: CachedProfile, linked: boolean): void {
    if (p.state.mergedInto !== undefined) return void this.staged.gone.push(p.state.id);
    this.staged.written.push(p);
    if (linked) this.staged.linked.push(p.state);
  }

  /** Whether the transaction wrote profiles or audiences. */
  get wroteAny(): boolean {
    return this.staged.written.length > 0 || this.staged.gone.length > 0 || this.staged.audiences.size > 0;
  }

  /** After the transaction committed, leaving the count of profile writes at `profileWrites`. The survivor of a merge holds the merged-away profile's identifiers. */
  committed(profileWrites: number): void {
    this.version = profileWrites;
    for (const id of this.staged.gone) this.profiles.delete(id);
    for (const p of this.staged.written) this.profiles.set(p.state.id, p);
    for (const p of this.staged.linked) for (const i of p.identifiers) this.owners.set(wsKey(p.workspaceId, i), p.id);
    for (const [id, state] of this.staged.audiences) this.audiences.set(id, state);
    this.staged = nothingStaged();
  }

  /** After the transaction rolled back: what it wrote was not stored. */
  rolledBack(): void {
    this.staged = nothingStaged();
  }
}
