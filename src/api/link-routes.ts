import type { FastifyInstance } from 'fastify';
import type { Hub } from '../engine/hub.js';
import { recordReceipt, submit } from '../engine/receipts.js';
import { callerOf } from '../engine/visitor.js';
import type { LinkToken } from '../engine/render.js';
import { problem, sendProblem } from './problem.js';

/** A 1×1 transparent GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * The links in messages, authenticated by their signed token (no key: recipients click them):
 * click tracking (`Message Clicked`, then a redirect), the open pixel (`Message Opened`) and
 * unsubscribing (`Message Unsubscribed`, consent withdrawn at once; RFC 8058 one-click by POST).
 */
export function linkRoutes(app: FastifyInstance, hub: Hub): void {
  // Bodies are not read here: a one-click unsubscribe posts `List-Unsubscribe=One-Click` as a form, an HTML form its button.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => {
    payload.resume();
    payload.on('end', () => done(null, undefined));
  });
  const tokenOf = (raw: string, kind: LinkToken['t']): LinkToken | undefined => {
    const t = hub.secrets.verify(raw) as LinkToken | undefined;
    return t?.t === kind ? t : undefined;
  };
  const message = (t: LinkToken) => ({ key: t.k, workspaceId: t.w, profileId: t.p, channel: t.c, journeyId: t.j, decisionId: t.d });

  app.get<{ Params: { token: string } }>('/t/c/:token', async (req, reply) => {
    const t = tokenOf(req.params.token, 'click');
    if (!t?.u || !/^https?:\/\//i.test(t.u)) return sendProblem(reply, problem(404, 'unknown link'));
    await recordReceipt(hub, message(t), 'Message Clicked', { url: t.u }, `receipt:click:${t.k}:${hub.clock.now()}`);
    return reply.redirect(t.u, 302);
  });

  app.get<{ Params: { token: string } }>('/t/o/:token', async (req, reply) => {
    const t = tokenOf(req.params.token.replace(/\.gif$/, ''), 'open');
    if (t) await recordReceipt(hub, message(t), 'Message Opened', {});
    return reply.type('image/gif').header('cache-control', 'no-store').send(PIXEL);
  });

  app.get<{ Params: { token: string } }>('/u/:token', async (req, reply) => {
    if (!tokenOf(req.params.token, 'unsubscribe')) return sendProblem(reply, problem(404, 'unknown link'));
    return reply.type('text/html; charset=utf-8').send(
      `<!doctype html><meta name="viewport" content="width=device-width"><title>Unsubscribe</title>
<form method="post"><p>Stop receiving these messages?</p><input type="hidden" name="List-Unsubscribe" value="One-Click"><button>Unsubscribe</button></form>`,
    );
  });

  app.post<{ Params: { token: string } }>('/u/:token', async (req, reply) => {
    const t = tokenOf(req.params.token, 'unsubscribe');
    if (!t) return sendProblem(reply, problem(404, 'unknown link'));
    if (!(await unsubscribe(hub, t))) return sendProblem(reply, problem(404, 'the recipient is gone'));
    return reply.type('text/html; charset=utf-8').send('<!doctype html><title>Unsubscribed</title><p>You are unsubscribed.</p>');
  });
}

/** Withdraws consent for the message's purpose on its channel (an identify, so it is on the timeline and in effect for the next decision) and records `Message Unsubscribed`. */
async function unsubscribe(hub: Hub, t: LinkToken): Promise<boolean> {
  const profile = await hub.store.reader.byId(t.w, t.p);
  const user = callerOf(profile);
  if (!profile || !user) return false;
  const consent = typeof profile.traits.consent === 'object' && profile.traits.consent !== null ? (profile.traits.consent as Record<string, unknown>) : {};
  const before = consent[t.pu];
  // Only this channel changes: an explicit `true` for the purpose is kept for the others; an absent one stays absent.
  const perChannel = typeof before === 'object' && before !== null ? { ...(before as Record<string, unknown>) } : before === true ? Object.fromEntries(CHANNELS.map((c) => [c, true])) : {};
  const now = new Date(hub.clock.now()).toISOString();
  await submit(hub, t.w, [
    { type: 'identify', [user.type]: user.value, traits: { consent: { ...consent, [t.pu]: { ...perChannel, [t.c]: false } } }, timestamp: now, messageId: `unsubscribe:${t.k}` },
    { type: 'track', event: 'Message Unsubscribed', [user.type]: user.value, timestamp: now, messageId: `receipt:Message Unsubscribed:${t.k}`,
      properties: { channel: t.c, purpose: t.pu, messageKey: t.k, journeyId: t.j, decisionId: t.d } },
  ]);
  return true;
}

const CHANNELS = ['email', 'sms', 'push', 'inApp', 'webhook'] as const;
