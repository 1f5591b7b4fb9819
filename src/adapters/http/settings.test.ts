import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpUrl, SettingsParser } from './settings.js';

describe('SettingsParser', () => {
  const Schema = z.object({ url: HttpUrl, token: z.string().min(1, 'give the token') });

  it('prepares equal settings once, whether the same object or a fresh one with the same content', () => {
    let prepared = 0;
    const parser = new SettingsParser('test', Schema, (s) => ((prepared += 1), { ...s, origin: new URL(s.url).origin }));
    const settings = { url: 'https://sms.example/send', token: 't' };
    const first = parser.parse(settings);
    expect(first).toEqual({ ok: true, value: { url: 'https://sms.example/send', token: 't', origin: 'https://sms.example' } });
    expect(parser.parse(settings)).toBe(first);
    expect(parser.parse({ ...settings })).toBe(first);
    expect(prepared).toBe(1);
    expect(parser.parse({ ...settings, token: 'u' })).toMatchObject({ ok: true });
    expect(prepared).toBe(2);
  });

  it('names each bad field, without echoing values', () => {
    const parser = new SettingsParser('test', Schema, (s) => s);
    expect(parser.parse({ url: 'mailto:x@example.com', token: '' })).toEqual({
      ok: false,
      error: 'invalid test settings: url: must be an http or https URL; token: give the token',
    });
    const cyclic: Record<string, unknown> = { url: 'https://x.example/' };
    cyclic.self = cyclic;
    expect(parser.parse(cyclic)).toMatchObject({ ok: false, error: expect.stringContaining('token:') });
  });
});
