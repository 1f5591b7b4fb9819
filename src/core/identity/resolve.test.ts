import { describe, expect, it } from 'vitest';
import type { HubEvent, LoggedEvent } from '../events/event.js';
import { DEFAULT_IDENTITY_RULES } from './identifier.js';
import type { ProfileState } from '../profiles/profile.js';
import { resolveBatch } from './resolve.js';
import { wsKey } from './snapshot.js';

const ws = 'ws_test';
let seq = 0;
const ev = (e: Partial<HubEvent> & Pick<HubEvent, 'type'>): LoggedEvent => {
  seq++;
  return { seq, workspaceId: ws, event: { v: 1, messageId: `m${seq}`, timestamp: new Date(1_000 * seq).toISOString(), receivedAt: '2026-01-01T00:00:00.000Z', ...e } };
};
const empty = { profileOf: new Map(), profiles: new Map(), groups: new Map() };
let n = 0;
const opts = { rules: DEFAULT_IDENTITY_RULES, traitStrategies: {}, now: 5, newProfileId: () => `p${++n}` };

describe('resolveBatch', () => {
  it('joins anonymous browsing, identify, a second device and an alias into one profile', () => {
    const out = resolveBatch(empty, [
      ev({ type: 'page', anonymousId: 'a1' }),
      ev({ type: 'identify', anonymousId: 'a1', userId: 'u1', traits: { email: 'Ada@Example.com ' } }),
      ev({ type: 'track', anonymousId: 'a2', event: 'Viewed' }),
      ev({ type: 'alias', previousId: 'a2', userId: 'u1' }),
    ], opts);
    const live = out.profiles.filter((p) => !p.mergedInto);
    expect(live).toHaveLength(1);
    const [p] = live;
    expect(p?.identifiers.map((i) => `${i.type}=${i.value}`).sort()).toEqual(['anonymousId=a1', 'anonymousId=a2', 'email=ada@example.com', 'userId=u1']);
    expect(new Set(out.timeline.map((t) => t.profileId))).toEqual(new Set([p?.id]));
    expect(out.merges).toHaveLength(1);
  });

  it('never merges two userIds sharing an anonymousId, and records the dropped link', () => {
    const out = resolveBatch(empty, [
      ev({ type: 'identify', anonymousId: 'tablet', userId: 'bob' }),
      ev({ type: 'identify', anonymousId: 'tablet', userId: 'carol' }),
    ], opts);
    const live = out.profiles.filter((p) => !p.mergedInto);
    expect(live).toHaveLength(2);
    expect(out.merges).toHaveLength(0);
    expect(out.decisions).toEqual([expect.objectContaining({ kind: 'link_dropped', rule: 'userId limit 1', identifier: { type: 'anonymousId', value: 'tablet' } })]);
    const carol = live.find((p) => p.identifiers.some((i) => i.value === 'carol'));
    expect(out.timeline.at(-1)?.profileId).toBe(carol?.id);
  });

  it('keeps the latest trait by event timestamp whatever the processing order', () => {
    const later = ev({ type: 'identify', userId: 'u', traits: { plan: 'pro' } });
    const earlier = { ...ev({ type: 'identify', userId: 'u', traits: { plan: 'free' } }) };
    const e2 = { ...earlier, event: { ...earlier.event, timestamp: new Date(0).toISOString() } };
    const out = resolveBatch(empty, [later, e2], opts);
    expect(out.profiles[0]?.traits.values.plan).toBe('pro');
  });

  it('moves updatedAt when identifiers, traits or groups change, not for an event that changes none of them', () => {
    const first = resolveBatch(empty, [ev({ type: 'identify', userId: 'v', traits: { plan: 'free' } })], { ...opts, now: 10 });
    const [p] = first.profiles as [ProfileState];
    const known = { profileOf: new Map([[wsKey(ws, { type: 'userId', value: 'v' }), p.id]]), profiles: new Map([[p.id, p]]), groups: new Map() };
    const at = (now: number, e: LoggedEvent): ProfileState => resolveBatch(known, [e], { ...opts, now }).profiles[0] as ProfileState;
    const tracked = at(20, ev({ type: 'track', userId: 'v', event: 'Viewed' }));
    expect(tracked).toBe(p);
    expect(at(20, ev({ type: 'identify', userId: 'v', traits: { plan: 'pro' } })).updatedAt).toBe(20);
    expect(at(20, ev({ type: 'track', userId: 'v', anonymousId: 'device-2', event: 'Viewed' })).updatedAt).toBe(20);
    expect(at(20, ev({ type: 'group', userId: 'v', groupId: 'acme' })).updatedAt).toBe(20);
  });
});

describe('alias edge cases', () => {
  it('an alias whose previousId is also the call\'s anonymousId links it once', () => {
    const out = resolveBatch(empty, [ev({ type: 'alias', previousId: 'a9', anonymousId: 'a9', userId: 'u9' })], opts);
    expect(out.profiles).toHaveLength(1);
    expect(out.profiles[0]?.identifiers).toEqual([{ type: 'userId', value: 'u9' }, { type: 'anonymousId', value: 'a9' }]);
    expect(out.links).toHaveLength(2);
  });
});
