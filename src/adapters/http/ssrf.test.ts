import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { classifyAddress, parseCidr, parseIp } from './addresses.js';
import type { AddressClass } from './addresses.js';
import { AllowList, cachingResolver, checkDestination, checkWithoutDns, pinnedLookup } from './ssrf.js';
import type { Resolver } from './ssrf.js';

describe('classifyAddress', () => {
  const cases: [string, AddressClass | undefined][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['172.32.0.1', undefined],
    ['172.15.255.255', undefined],
    ['192.168.1.20', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['100.128.0.1', undefined],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['8.8.8.8', undefined],
    ['1.1.1.1', undefined],
    ['93.184.216.34', undefined],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:8.8.8.8', undefined],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::808:808', undefined],
    ['2002:c0a8:0101::1', 'private'],
    ['2002:0808:0808::1', undefined],
    ['::127.0.0.1', 'reserved'],
    ['2606:4700:4700::1111', undefined],
    ['2a00:1450:4001:82b::200e', undefined],
    ['[::1]', 'loopback'],
    ['not an address', 'reserved'],
  ];
  it.each(cases)('%s → %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('parseIp and parseCidr', () => {
  it('expands IPv6 forms to the same number', () => {
    expect(parseIp('::ffff:10.0.0.1')).toEqual(parseIp('0:0:0:0:0:ffff:a00:1'));
    expect(parseIp('fe80::')).toEqual({ family: 6, value: 0xfe80n << 112n });
    expect(parseIp('1::')).toEqual({ family: 6, value: 1n << 112n });
    expect(parseIp('::2')).toEqual({ family: 6, value: 2n });
    expect(parseIp('10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
  });

  it('reads networks and single addresses, and refuses bad ones', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, base: 0x0a000000n, bits: 8 });
    expect(parseCidr('127.0.0.1')).toEqual({ family: 4, base: 0x7f000001n, bits: 32 });
    expect(parseCidr('fd00::/8')?.bits).toBe(8);
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/x', '10.0.0/8', 'host.example', '1.2.3.4/8/9']) expect(parseCidr(bad)).toBeUndefined();
  });
});

describe('AllowList', () => {
  it('allows addresses, networks (also IPv4-mapped) and host names', () => {
    const allow = new AllowList(['127.0.0.1', '10.1.0.0/16', 'fd00::/8', 'Receiver.Internal.']);
    expect(allow.allowsAddress('127.0.0.1')).toBe(true);
    expect(allow.allowsAddress('::ffff:127.0.0.1')).toBe(true);
    expect(allow.allowsAddress('127.0.0.2')).toBe(false);
    expect(allow.allowsAddress('10.1.200.3')).toBe(true);
    expect(allow.allowsAddress('10.2.0.1')).toBe(false);
    expect(allow.allowsAddress('fd12::1')).toBe(true);
    expect(allow.allowsHost('receiver.internal')).toBe(true);
    expect(allow.allowsHost('other.internal')).toBe(false);
  });

  it('refuses a bad entry (a configuration error)', () => {
    expect(() => new AllowList(['10.0.0.0/40'])).toThrow(/invalid allow-list entry "10.0.0.0\/40"/);
    expect(() => new AllowList(['http://x'])).toThrow(/invalid allow-list entry/);
  });
});

/** A resolver answering from a table, counting its calls. */
function fakeDns(table: Record<string, readonly string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string): Promise<readonly LookupAddress[]> => {
    calls.push(host);
    const addresses = table[host];
    if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

describe('checkDestination', () => {
  const dns = fakeDns({
    'public.example': ['93.184.216.34', '2606:2800:220:1::1'],
    'mixed.example': ['93.184.216.34', '10.0.0.7'],
    'metadata.example': ['169.254.169.254'],
    'v6.example': ['fd00::5'],
    'mapped.example': ['::ffff:192.168.0.1'],
    'receiver.internal': ['10.9.9.9'],
    'empty.example': [],
  });

  it('accepts a public host and pins its first address', async () => {
    const d = await checkDestination('https://public.example/hook', { allow: [], resolve: dns });
    expect(d).toMatchObject({ ok: true, address: '93.184.216.34', family: 4 });
    if (d.ok) expect(d.url.href).toBe('https://public.example/hook');
  });

  it('refuses a host when any of its addresses is not public', async () => {
    const d = await checkDestination('http://mixed.example/', { allow: [], resolve: dns });
    expect(d).toEqual({ ok: false, retryable: false, error: 'mixed.example resolves to 10.0.0.7, a private address, which is not allowed' });
    expect(await checkDestination('http://metadata.example/latest', { allow: [], resolve: dns })).toMatchObject({ ok: false, error: expect.stringContaining('link-local') });
    expect(await checkDestination('http://v6.example/', { allow: [], resolve: dns })).toMatchObject({ ok: false, error: expect.stringContaining('fd00::5, a private') });
    expect(await checkDestination('http://mapped.example/', { allow: [], resolve: dns })).toMatchObject({ ok: false, error: expect.stringContaining('private') });
  });

  it('refuses address literals without asking DNS, in every spelling', async () => {
    const before = dns.calls.length;
    for (const url of ['http://127.0.0.1:8080/', 'http://[::1]/', 'http://2130706433/', 'http://0x7f.1/', 'http://[::ffff:169.254.169.254]/', 'http://0.0.0.0/', 'http://[fe80::1]/']) {
      const d = await checkDestination(url, { allow: [], resolve: dns });
      expect(d.ok, url).toBe(false);
      if (!d.ok) expect(d.retryable).toBe(false);
    }
    expect(dns.calls.length).toBe(before);
  });

  it('lets the allow list through: an address, a network, a host name', async () => {
    expect(await checkDestination('http://127.0.0.1:9/', { allow: ['127.0.0.1'], resolve: dns })).toMatchObject({ ok: true, address: '127.0.0.1' });
    expect(await checkDestination('http://[::1]:9/', { allow: ['::1'], resolve: dns })).toMatchObject({ ok: true, address: '::1', family: 6 });
    expect(await checkDestination('http://mixed.example/', { allow: ['10.0.0.0/8'], resolve: dns })).toMatchObject({ ok: true });
    expect(await checkDestination('http://receiver.internal/', { allow: ['receiver.internal'], resolve: dns })).toMatchObject({ ok: true, address: '10.9.9.9' });
    expect(await checkDestination('http://receiver.internal/', { allow: new AllowList(['127.0.0.1']), resolve: dns })).toMatchObject({ ok: false });
  });

  it('refuses other schemes and bad URLs', async () => {
    expect(await checkDestination('ftp://public.example/', { allow: [], resolve: dns })).toEqual({ ok: false, retryable: false, error: 'ftp: URLs are not allowed (only http and https)' });
    expect(await checkDestination('file:///etc/passwd', { allow: [], resolve: dns })).toMatchObject({ ok: false, retryable: false });
    expect(await checkDestination('not a url', { allow: [], resolve: dns })).toMatchObject({ ok: false, retryable: false, error: 'invalid URL not a url' });
  });

  it('answers DNS failures as retryable', async () => {
    expect(await checkDestination('http://nowhere.example/', { allow: [], resolve: dns })).toEqual({ ok: false, retryable: true, error: 'cannot resolve nowhere.example: ENOTFOUND' });
    expect(await checkDestination('http://empty.example/', { allow: [], resolve: dns })).toMatchObject({ ok: false, retryable: true });
  });

  it('uses the system resolver by default (localhost is loopback)', async () => {
    const d = await checkDestination('http://localhost:1/', { allow: [] });
    expect(d).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/^localhost resolves to .*loopback/) });
  });
});

describe('pinnedLookup', () => {
  it('answers the checked address, in both callback forms', () => {
    const lookup = pinnedLookup('203.0.113.9', 4);
    const one: unknown[] = [];
    lookup('rebound.example', {}, (...args) => one.push(...args));
    expect(one).toEqual([null, '203.0.113.9', 4]);
    const all: unknown[] = [];
    lookup('rebound.example', { all: true }, (...args) => all.push(...args));
    expect(all).toEqual([null, [{ address: '203.0.113.9', family: 4 }]]);
  });
});

describe('cachingResolver', () => {
  it('keeps answers for the TTL, one lookup in flight per host, and forgets failures', async () => {
    let t = 0;
    let failNext = false;
    const calls: string[] = [];
    const base: Resolver = async (host) => {
      calls.push(host);
      if (failNext) throw Object.assign(new Error('EAI_AGAIN'), { code: 'EAI_AGAIN' });
      return [{ address: '93.184.216.34', family: 4 }];
    };
    const resolve = cachingResolver(base, 1_000, () => t);
    await Promise.all([resolve('a.example'), resolve('a.example')]);
    t = 999;
    await resolve('a.example');
    expect(calls).toEqual(['a.example']);
    t = 1_000;
    failNext = true;
    await expect(resolve('a.example')).rejects.toThrow('EAI_AGAIN');
    failNext = false;
    expect(await resolve('a.example')).toEqual([{ address: '93.184.216.34', family: 4 }]);
    expect(calls).toEqual(['a.example', 'a.example', 'a.example']);
    expect(cachingResolver(base, 0)).toBe(base);
  });
});

describe('checkWithoutDns', () => {
  it('answers for bad URLs and address literals, and leaves host names to DNS', () => {
    const allow = new AllowList(['127.0.0.1']);
    expect(checkWithoutDns('http://127.0.0.1:8080/x', allow)).toMatchObject({ ok: true, address: '127.0.0.1', family: 4 });
    expect(checkWithoutDns(new URL('http://[fd00::1]/'), allow)).toMatchObject({ ok: false, error: 'fd00::1, a private address, which is not allowed' });
    expect(checkWithoutDns('gopher://x/', allow)).toMatchObject({ ok: false, retryable: false });
    expect(checkWithoutDns('https://partner.example/hook', allow)).toBeUndefined();
  });
});
