import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, startTestHub, WRITE_KEY, type TestHub } from '../../test/helpers.js';

describe('workspace settings (admin)', () => {
  let t: TestHub;
  beforeEach(async () => {
    t = await startTestHub();
  });
  afterEach(async () => t.close());

  const put = (payload: unknown, headers: Record<string, string> = { authorization: bearer() }) =>
    t.app.inject({ method: 'PUT', url: '/v1/workspace/settings', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(payload) });
  const get = () => t.app.inject({ url: '/v1/workspace/settings', headers: { authorization: bearer() } });

  it('allows any origin until an admin says otherwise', async () => {
    const r = await get();
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ allowedOrigins: ['*'] });
  });

  it('stores normalised origins and reads them back', async () => {
    const r = await put({ allowedOrigins: ['HTTPS://Shop.Example.com:443', 'https://*.example.org', 'http://localhost:3000'] });
    expect(r.statusCode).toBe(200);
    const expected = { allowedOrigins: ['https://shop.example.com', 'https://*.example.org', 'http://localhost:3000'] };
    expect(r.json()).toEqual(expected);
    expect((await get()).json()).toEqual(expected);
    expect((await put({ allowedOrigins: [] })).json()).toEqual({ allowedOrigins: [] });
  });

  it.each([
    ['a path in an origin', { allowedOrigins: ['https://ok.example.com', 'https://shop.example.com/checkout'] }, 'allowedOrigins[1]', /origin/],
    ['a number', { allowedOrigins: [42] }, 'allowedOrigins[0]', /string/],
    ['not a list', { allowedOrigins: 'https://shop.example.com' }, 'allowedOrigins', /array/],
    ['a missing field', {}, 'allowedOrigins', /array/],
    ['an unknown field', { allowedOrigins: ['*'], corsCredentials: true }, 'corsCredentials', /unknown field/],
    ['too many origins', { allowedOrigins: Array.from({ length: 101 }, (_, i) => `https://s${i}.example.com`) }, 'allowedOrigins', /100/],
    ['not an object', ['*'], '', /object/],
  ])('refuses %s with 400 naming the field, and changes nothing', async (_why, body, path, message) => {
    const r = await put(body);
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    const problem = r.json<{ errors: { path: string; message: string }[] }>();
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringMatching(message) as unknown })]));
    expect((await get()).json()).toEqual({ allowedOrigins: ['*'] });
  });

  it('refuses a body that is not JSON, and an empty body', async () => {
    const bad = await t.app.inject({ method: 'PUT', url: '/v1/workspace/settings', headers: { authorization: bearer(), 'content-type': 'application/json' }, payload: '{"allowedOrigins": [' });
    expect(bad.statusCode).toBe(400);
    const empty = await t.app.inject({ method: 'PUT', url: '/v1/workspace/settings', headers: { authorization: bearer() } });
    expect(empty.statusCode).toBe(400);
  });

  it('needs the admin key: none, a wrong one, or the write key is 401', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: bearer('nope') }, { authorization: bearer(WRITE_KEY) }];
    for (const headers of attempts) {
      expect((await put({ allowedOrigins: [] }, headers)).statusCode).toBe(401);
      expect((await t.app.inject({ url: '/v1/workspace/settings', headers })).statusCode).toBe(401);
    }
    expect((await get()).json()).toEqual({ allowedOrigins: ['*'] });
  });
});
