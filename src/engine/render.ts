import type { Contributor } from '../core/contributors/contributor.js';
import type { OutboxMessage } from '../core/contributors/outbox.js';
import type { Channel } from '../core/journeys/definition.js';
import { renderTemplate } from '../core/templates/render.js';
import { trackHtml, type TrackingKind, type TrackingData } from '../core/templates/tracking.js';
import type { OutboundMessage } from '../ports/delivery.js';
import type { TemplateStore } from '../ports/outbox.js';
import type { ProfileView } from '../ports/profile-reader.js';
import type { Render } from './dispatcher.js';
import type { Secrets } from './secrets.js';

/** What a tracking or unsubscribe token says (signed: a recipient cannot forge another's). */
export interface LinkToken {
  readonly k: string;
  readonly w: string;
  readonly p: string;
  readonly c: Channel;
  readonly pu: string;
  readonly j: string;
  readonly d: string;
  readonly t: TrackingKind | 'unsubscribe';
  readonly u?: string;
}

/** The address of a profile on a channel: the `email` / `phone` trait, else such an identifier; none for webhooks and in-app. */
export function addressOf(channel: Channel, p: ProfileView): string | undefined {
  const kind = channel === 'email' ? 'email' : channel === 'sms' ? 'phone' : undefined;
  if (kind === undefined) return '';
  const trait = p.traits[kind];
  return typeof trait === 'string' && trait !== '' ? trait : p.identifiers.find((i) => i.type === kind)?.value;
}

/**
 * Renders an outbox message: its template (Liquid, with `profile`, `event`, `journey`, `message`), the
 * recipient's address, the one-click unsubscribe link of a marketing message (also
 * `{{ message.unsubscribe_url }}`), and click and open tracking when the contributor turns them on
 * (`settings.trackClicks`, `settings.trackOpens`).
 */
export function renderer(templates: TemplateStore, secrets: Secrets, baseUrl: () => string): Render {
  return async (m: OutboxMessage, profile: ProfileView, contributor: Contributor) => {
    const template = await templates.get(m.workspaceId, m.template);
    if (!template) return { ok: false, error: `no template "${m.template}"` };
    if (template.channel !== m.channel) return { ok: false, error: `template "${m.template}" is for ${template.channel}, not ${m.channel}` };
    const to = addressOf(m.channel, profile);
    if (to === undefined) return { ok: false, error: `the profile has no ${m.channel === 'email' ? 'email address' : 'phone number'}` };
    const link = (t: LinkToken['t'], u?: string): string =>
      secrets.sign({ k: m.key, w: m.workspaceId, p: m.profileId, c: m.channel, pu: m.purpose, j: m.journeyId, d: m.decisionId, t, ...(u === undefined ? {} : { u }) } satisfies LinkToken);
    const base = baseUrl().replace(/\/$/, '');
    const unsubscribeUrl = m.purpose === 'marketing' && (m.channel === 'email' || m.channel === 'sms') ? `${base}/u/${link('unsubscribe')}` : undefined;
    const rendered = renderTemplate(template, {
      profile: profile.traits, event: m.context.event, journey: { ...m.context.journey },
      message: { key: m.key, ...(unsubscribeUrl === undefined ? {} : { unsubscribe_url: unsubscribeUrl }) },
    });
    if (!rendered.ok) return { ok: false, error: `template "${m.template}": ${rendered.error.map((e) => `${e.path}: ${e.message}`).join('; ')}` };
    const { html: rawHtml, ...rest } = rendered.value;
    const s = contributor.settings;
    const html = rawHtml === undefined || (s.trackClicks !== true && s.trackOpens !== true)
      ? rawHtml
      : trackHtml(rawHtml, { baseUrl: base, clicks: s.trackClicks === true, opens: s.trackOpens === true, token: (kind: TrackingKind, data: TrackingData) => link(kind, data.url) });
    const message: OutboundMessage = {
      key: m.key, channel: m.channel, to, ...rest, ...(html === undefined ? {} : { html }), ...(unsubscribeUrl === undefined ? {} : { unsubscribeUrl }),
      meta: { workspaceId: m.workspaceId, profileId: m.profileId, journeyId: m.journeyId, decisionId: m.decisionId, candidateId: m.key },
    };
    return { ok: true, message };
  };
}
