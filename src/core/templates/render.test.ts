import { describe, expect, it } from 'vitest';
import { liquidCacheSize, parseLiquid } from './liquid.js';
import { renderTemplate, type RenderContext } from './render.js';
import { parseTemplate, type Template } from './template.js';

const context: RenderContext = {
  profile: { first_name: 'Ada', plan: 'pro', tags: ['a', 'b'], bio: '<script>alert(1)</script> & co' },
  event: { sku: 'sku-1', price: 12.5 },
  journey: { id: 'welcome', step: 'hello' },
  message: { key: 'act_123' },
};

function template(input: Record<string, unknown>): Template {
  const r = parseTemplate({ id: 't1', ...input });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

function rendered(input: Record<string, unknown>, ctx: RenderContext = context) {
  const r = renderTemplate(template(input), ctx);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

const errorsOf = (input: unknown) => {
  const r = parseTemplate(input);
  return r.ok ? [] : r.error;
};

describe('parseTemplate', () => {
  it('accepts each channel with its fields and names the field of every problem', () => {
    expect(parseTemplate({ id: 'e', channel: 'email', subject: 'Hi', html: '<p>x</p>' }).ok).toBe(true);
    expect(parseTemplate({ id: 's', channel: 'sms', body: 'Hi {{ profile.first_name }}' }).ok).toBe(true);
    expect(parseTemplate({ id: 'w', channel: 'webhook', payload: { a: { b: ['{{ event.sku }}', 1] } } }).ok).toBe(true);
    expect(errorsOf({ id: 'e', channel: 'email', html: '<p/>' })).toEqual([{ path: 'subject', message: 'is required on email templates' }]);
    expect(errorsOf({ id: 'e', channel: 'email', subject: 'x' })).toEqual([{ path: 'html', message: 'email templates need html or text (or both)' }]);
    expect(errorsOf({ id: 's', channel: 'sms', body: 'x', html: 'y' })).toEqual([{ path: 'html', message: 'is not used by sms templates' }]);
    expect(errorsOf({ id: 'w', channel: 'webhook' })).toEqual([{ path: 'payload', message: 'is required on webhook templates' }]);
    expect(errorsOf({ id: 'x', channel: 'fax', body: 'x' }).map((e) => e.path)).toEqual(['channel']);
    expect(errorsOf({ id: 'x', channel: 'sms', body: 'x', extra: 1 })).toEqual([{ path: 'extra', message: 'unknown field' }]);
    expect(errorsOf({ id: 'e', channel: 'email', html: '{{ x', body: 'b' })).toEqual([
      { path: 'html', message: expect.stringMatching(/^Liquid: output "{{ x" not closed/) },
      { path: 'subject', message: 'is required on email templates' },
      { path: 'body', message: 'is not used by email templates' },
    ]);
    expect(errorsOf([])).toEqual([{ path: '', message: 'must be a JSON object' }]);
  });

  it("reports Liquid syntax errors with the field's path and Liquid's message", () => {
    const [subject] = errorsOf({ id: 'e', channel: 'email', subject: 'Hi {{ profile.name', text: 'x' });
    expect(subject?.path).toBe('subject');
    expect(subject?.message).toMatch(/^Liquid: output "{{ profile.name" not closed, line:1, col:4/);
    const [tag] = errorsOf({ id: 'e', channel: 'email', subject: 'x', html: '{% if %}x{% endif %}' });
    expect(tag).toMatchObject({ path: 'html', message: expect.stringMatching(/^Liquid: .*invalid value expression/) });
    const [payload] = errorsOf({ id: 'w', channel: 'webhook', payload: { items: [{ name: '{% for %}' }] } });
    expect(payload?.path).toBe('payload.items[0].name');
    expect(payload?.message).toMatch(/^Liquid: /);
  });

  it('is strict about unknown filters and tags', () => {
    expect(errorsOf({ id: 's', channel: 'sms', body: '{{ profile.x | nope }}' })).toEqual([{ path: 'body', message: expect.stringContaining('undefined filter: nope') }]);
    expect(errorsOf({ id: 's', channel: 'sms', body: '{% shell "ls" %}' })).toEqual([{ path: 'body', message: expect.stringContaining('tag "shell" not found') }]);
  });

  it('refuses the tags that read files, at validation, whatever the path', () => {
    for (const body of ["{% include 'x' %}", "{% render '/etc/passwd' %}", "{% layout 'base' %}x", '{% include profile.file %}']) {
      expect(errorsOf({ id: 's', channel: 'sms', body })).toEqual([
        { path: 'body', message: expect.stringMatching(/^Liquid: the "(include|render|layout)" tag is not allowed: templates cannot load other files/) },
      ]);
    }
  });

  it('bounds payloads: depth and size', () => {
    let deep: Record<string, unknown> = { v: 'x' };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    expect(errorsOf({ id: 'w', channel: 'webhook', payload: deep })[0]?.message).toMatch(/nested deeper than 16/);
    expect(errorsOf({ id: 'w', channel: 'webhook', payload: { big: 'x'.repeat(70_000) } })[0]).toMatchObject({ path: 'payload', message: expect.stringMatching(/bytes of JSON/) });
  });
});

describe('renderTemplate', () => {
  it('renders subject, html and text with profile traits, event properties, journey and message', () => {
    const out = rendered({
      channel: 'email',
      subject: 'Hi {{ profile.first_name }},\n your {{ event.sku }}',
      html: '<p>{{ profile.first_name | upcase }} — {{ event.price | times: 2 }} ({{ journey.id }}/{{ journey.step }})</p>',
      text: '{% for t in profile.tags %}{{ t }};{% endfor %} {{ message.key }}',
    });
    expect(out).toEqual({ subject: 'Hi Ada, your sku-1', html: '<p>ADA — 25 (welcome/hello)</p>', text: 'a;b; act_123' });
  });

  it('escapes outputs in html only; raw opts out', () => {
    const out = rendered({ channel: 'email', subject: '{{ profile.bio }}', html: '<p>{{ profile.bio }}</p>{{ "<b>ok</b>" | raw }}', text: '{{ profile.bio }}' });
    expect(out.html).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</p><b>ok</b>');
    expect(out.text).toBe('<script>alert(1)</script> & co');
    expect(out.subject).toBe('<script>alert(1)</script> & co');
  });

  it('renders missing variables empty, and hides prototypes', () => {
    const out = rendered({ channel: 'sms', body: '[{{ profile.nope.deeper }}][{{ event.missing }}][{{ profile.constructor }}][{{ profile.tags.__proto__ }}]' }, { profile: { tags: [] }, message: { key: 'k' } });
    expect(out.body).toBe('[][][][]');
  });

  it('renders string values of a webhook payload at any depth and keeps the rest', () => {
    const out = rendered({ channel: 'webhook', payload: { user: '{{ profile.first_name }}', n: 3, ok: true, none: null, items: [{ sku: '{{ event.sku }}' }, 'k={{ message.key }}'] } });
    expect(out.payload).toEqual({ user: 'Ada', n: 3, ok: true, none: null, items: [{ sku: 'sku-1' }, 'k=act_123'] });
  });

  it('fails cleanly, naming the field, when a render exceeds its bounds', () => {
    const r = renderTemplate(template({ channel: 'sms', body: '{% for i in (1..100000000) %}{% for j in (1..100000) %}x{% endfor %}{% endfor %}' }), context);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toEqual([{ path: 'body', message: expect.stringMatching(/^Liquid: .*limit exceeded/) }]);
    const slow = renderTemplate(template({ channel: 'sms', body: '{% for i in (1..300) %}{% for j in (1..300) %}{% for k in (1..300) %}{% endfor %}{% endfor %}{% endfor %}' }), context);
    expect(slow).toEqual({ ok: false, error: [{ path: 'body', message: expect.stringMatching(/^Liquid: .*limit exceeded/) }] });
    const bomb = "{% assign s = 'xxxxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}";
    const b = renderTemplate(template({ channel: 'webhook', payload: { x: bomb } }), context);
    expect(b.ok).toBe(false);
    if (!b.ok) expect(b.error[0]).toMatchObject({ path: 'payload.x', message: expect.stringMatching(/limit exceeded/) });
  });

  it('caches parsed templates by content', () => {
    const source = 'cache-probe {{ profile.first_name }} 7f3a9c';
    const before = liquidCacheSize();
    const a = parseLiquid('plain', source);
    expect(liquidCacheSize()).toBe(before + 1);
    expect(parseLiquid('plain', source)).toBe(a);
    expect(parseLiquid('html', source)).not.toBe(a);
    rendered({ channel: 'sms', body: source });
    expect(liquidCacheSize()).toBe(before + 2);
  });
});
