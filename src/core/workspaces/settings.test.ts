import { describe, expect, it } from 'vitest';
import { originAllowed, WorkspaceSettings } from './settings.js';

describe('allowed origins', () => {
  it.each([
    ['*', 'https://anything.test', true],
    ['*', 'null', true],
    ['https://shop.example.com', 'https://shop.example.com', true],
    ['https://shop.example.com', 'HTTPS://SHOP.EXAMPLE.COM', true],
    ['https://shop.example.com', 'https://shop.example.com:443', true],
    ['https://shop.example.com', 'http://shop.example.com', false],
    ['https://shop.example.com', 'https://shop.example.com:8443', false],
    ['https://shop.example.com', 'https://shop.example.com.evil.test', false],
    ['https://*.example.com', 'https://a.example.com', true],
    ['https://*.example.com', 'https://a.b.example.com', true],
    ['https://*.example.com', 'https://example.com', false],
    ['https://*.example.com', 'https://evilexample.com', false],
    ['https://*.example.com', 'http://a.example.com', false],
    ['https://*.example.com', 'https://a.example.com:8443', false],
    ['https://*.example.com', 'https://a/b.example.com', false],
    ['http://localhost:3000', 'http://localhost:3000', true],
    ['http://localhost:3000', 'http://localhost:3001', false],
    ['http://127.0.0.1:8080', 'null', false],
  ])('%s allows %s: %s', (pattern, origin, expected) => {
    const parsed = WorkspaceSettings.parse({ allowedOrigins: [pattern] });
    expect(originAllowed(origin, parsed.allowedOrigins)).toBe(expected);
  });

  it('an empty list allows no origin', () => {
    expect(originAllowed('https://shop.example.com', [])).toBe(false);
  });

  it('normalises what an admin writes: case, default ports, surrounding space', () => {
    expect(WorkspaceSettings.parse({ allowedOrigins: [' HTTPS://Shop.Example.com:443 ', 'http://x.test:80', 'http://[::1]:8080'] }).allowedOrigins).toEqual([
      'https://shop.example.com',
      'http://x.test',
      'http://[::1]:8080',
    ]);
  });

  it.each([
    ['a path', 'https://shop.example.com/'],
    ['a path', 'https://shop.example.com/checkout'],
    ['no scheme', 'shop.example.com'],
    ['another scheme', 'ftp://shop.example.com'],
    ['a wildcard in the middle', 'https://shop.*.com'],
    ['a bare wildcard host', 'https://*'],
    ['a port out of range', 'https://shop.example.com:70000'],
    ['a query', 'https://shop.example.com?x=1'],
    ['credentials', 'https://user@shop.example.com'],
    ['the null origin', 'null'],
  ])('refuses %s: %s', (_why, origin) => {
    const r = WorkspaceSettings.safeParse({ allowedOrigins: [origin] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['allowedOrigins', 0]);
  });
});
