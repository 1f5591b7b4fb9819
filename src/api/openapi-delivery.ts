import { z } from 'zod';
import { Contributor } from '../core/contributors/contributor.js';
import { Template } from '../core/templates/template.js';
import { MailboxQuery } from './delivery-routes.js';
import { InboxMark } from './inbox-routes.js';
import { ProviderReceipt } from './receipt-routes.js';
import { content, json, problems, type Schema } from './openapi-parts.js';

const Health = z.object({
  queueDepth: z.number().int().describe('messages waiting for this contributor'), oldestPendingAt: z.iso.datetime().nullable(),
  slaBreached: z.boolean().describe('a message has waited longer than the SLA\'s maxDelay'), attempts: z.number().int(),
  errorRate: z.number().nullable().describe('failed attempts / attempts; null before the first'), lastSuccessAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(), lastErrorAt: z.iso.datetime().nullable(),
});
const ContributorView = Contributor.omit({ credentials: true }).extend({ hasCredentials: z.boolean(), health: Health });
const OutboxView = z.object({
  key: z.string().describe('the idempotency key'), status: z.enum(['pending', 'delivered', 'dead']), attempts: z.number().int(), nextAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(), doneAt: z.iso.datetime().nullable(), profileId: z.string(), channel: z.string(), contributor: z.string().nullable(),
  template: z.string(), journeyId: z.string(), decisionId: z.string(), createdAt: z.iso.datetime().nullable(),
});
const Mail = z.object({ key: z.string(), channel: z.string(), to: z.string(), subject: z.string().optional(), text: z.string().optional(), html: z.string().optional(), body: z.string().optional(), headers: z.record(z.string(), z.string()).optional(), at: z.number() });

const security = [{ adminKey: [] }];
const ok = (s: Schema, code = '200') => ({ [code]: { description: 'ok', ...content(s) } });
const param = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const list = (item: Schema) => z.object({ items: z.array(item), nextCursor: z.null() });
const gone = { '204': { description: 'deleted' } };

/** Contributors, templates, the outbox, the mailbox and the links in messages, in the OpenAPI document. */
export function deliveryPaths(): Record<string, unknown> {
  const tags = ['delivery'];
  const links = ['message links'];
  return {
    '/v1/contributors': {
      get: { tags, security, summary: 'Contributors with their health (never their credentials)', responses: { ...ok(list(ContributorView)), ...problems(401) } },
      post: { tags, security, summary: 'Add a contributor; credentials are stored encrypted', requestBody: { required: true, ...content(Contributor) }, responses: { ...ok(ContributorView, '201'), ...problems(400, 401, 409) } },
    },
    '/v1/contributors/{id}': {
      get: { tags, security, summary: 'One contributor with its health', parameters: [param('id')], responses: { ...ok(ContributorView), ...problems(401, 404) } },
      put: { tags, security, summary: 'Change a contributor (credentials kept when the body has none)', parameters: [param('id')], requestBody: { required: true, ...content(Contributor) }, responses: { ...ok(ContributorView), ...problems(400, 401) } },
      delete: { tags, security, summary: 'Remove a contributor', parameters: [param('id')], responses: { ...gone, ...problems(401, 404) } },
    },
    '/v1/templates': { get: { tags, security, summary: 'Message templates', responses: { ...ok(list(Template)), ...problems(401) } } },
    '/v1/templates/{id}': {
      get: { tags, security, summary: 'One template', parameters: [param('id')], responses: { ...ok(Template), ...problems(401, 404) } },
      put: { tags, security, summary: 'Create or replace a template (Liquid checked; 400 names the field)', parameters: [param('id')], requestBody: { required: true, ...content(Template) }, responses: { ...ok(Template), ...ok(Template, '201'), ...problems(400, 401) } },
      delete: { tags, security, summary: 'Delete a template', parameters: [param('id')], responses: { ...gone, ...problems(401, 404) } },
    },
    '/v1/outbox/{key}': { get: { tags, security, summary: "One message's delivery", parameters: [param('key')], responses: { ...ok(OutboxView), ...problems(401, 404) } } },
    '/v1/outbox/dlq': { get: { tags, security, summary: 'The dead-letter queue', responses: { ...ok(list(OutboxView)), ...problems(401) } } },
    '/v1/outbox/dlq/{key}/retry': { post: { tags, security, summary: 'Queue a dead message again', parameters: [param('key')], responses: { ...ok(z.object({ retried: z.number().int() })), ...problems(401, 404) } } },
    '/v1/outbox/dlq/{key}': { delete: { tags, security, summary: 'Drop a dead message', parameters: [param('key')], responses: { ...gone, ...problems(401, 404) } } },
    '/v1/mailbox': {
      get: {
        tags, security, summary: 'What the built-in capture contributor received (local development)',
        parameters: Object.entries(MailboxQuery.shape as Record<string, Schema>).map(([name, s]) => ({ name, in: 'query', required: false, schema: json(s) })),
        responses: { ...ok(z.object({ items: z.array(Mail) })), ...problems(400, 401) },
      },
    },
    '/v1/inbox': {
      get: {
        tags: ['in-app'], security: [{ writeKey: [] }], summary: "A visitor's in-app messages (not dismissed), newest first",
        parameters: ['userId', 'anonymousId', 'limit'].map((name) => ({ name, in: 'query', required: false, schema: { type: name === 'limit' ? 'integer' : 'string' } })),
        responses: { ...ok(z.object({ items: z.array(z.object({ key: z.string(), payload: z.record(z.string(), z.unknown()), status: z.enum(['unread', 'read']), createdAt: z.iso.datetime() })) })), ...problems(400, 401, 403) },
      },
    },
    '/v1/inbox/{key}/read': { post: { tags: ['in-app'], security: [{ writeKey: [] }], summary: 'Mark a message read (a `Message Opened` receipt)', parameters: [param('key')], requestBody: { required: true, ...content(InboxMark) }, responses: { ...ok(z.object({ key: z.string(), status: z.literal('read') })), ...problems(400, 401, 403, 404) } } },
    '/v1/inbox/{key}/dismiss': { post: { tags: ['in-app'], security: [{ writeKey: [] }], summary: 'Dismiss a message (a `Message Dismissed` receipt)', parameters: [param('key')], requestBody: { required: true, ...content(InboxMark) }, responses: { ...ok(z.object({ key: z.string(), status: z.literal('dismissed') })), ...problems(400, 401, 403, 404) } } },
    '/v1/receipts/{workspace}/{contributor}': {
      post: {
        tags: ['receipts'], summary: "A provider's receipt for a message (delivered, bounced, complained, opened, clicked, replied, converted), signed with Standard Webhooks under the contributor's `callbackSecret`",
        description: 'Headers webhook-id, webhook-timestamp, webhook-signature; a hard bounce or a complaint suppresses the address on the channel.',
        parameters: [param('workspace'), param('contributor')], requestBody: { required: true, ...content(ProviderReceipt) },
        responses: { ...ok(z.object({ recorded: z.string() })), ...problems(400, 401, 404) },
      },
    },
    '/t/c/{token}': { get: { tags: links, summary: 'A tracked link: records `Message Clicked`, then redirects to the destination', parameters: [param('token')], responses: { '302': { description: 'to the link\'s destination' }, ...problems(404) } } },
    '/t/o/{token}': { get: { tags: links, summary: 'The open pixel (`{token}.gif`): records `Message Opened`', parameters: [param('token')], responses: { '200': { description: 'a 1×1 GIF', content: { 'image/gif': {} } } } } },
    '/u/{token}': {
      get: { tags: links, summary: 'The unsubscribe page (a button that POSTs)', parameters: [param('token')], responses: { '200': { description: 'HTML', content: { 'text/html': {} } }, ...problems(404) } },
      post: { tags: links, summary: 'Unsubscribe (RFC 8058 one-click): consent for the message\'s purpose on its channel is withdrawn at once', parameters: [param('token')], responses: { '200': { description: 'HTML', content: { 'text/html': {} } }, ...problems(404) } },
    },
  };
}
