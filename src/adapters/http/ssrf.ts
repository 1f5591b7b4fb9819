import { promises as dns } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import { classifyAddress, embeddedV4, inCidr, parseCidr, parseIp } from './addresses.js';
import type { Cidr } from './addresses.js';

/** Resolves a host name to all its addresses (dns.lookup with `all: true` by default; tests pass their own). */
export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/**
 * Destinations the hub may call although they are not public: addresses (`127.0.0.1`), networks
 * (`10.1.0.0/16`, `fd00::/8`) and host names (`receiver.internal`). Hub configuration, never a
 * contributor's settings. A bad entry is a configuration error and throws.
 */
export class AllowList {
  private readonly networks: readonly Cidr[];
  private readonly hosts: ReadonlySet<string>;
  private readonly seen = new Map<string, boolean>();

  constructor(entries: readonly string[]) {
    const networks: Cidr[] = [];
    const hosts = new Set<string>();
    for (const entry of entries) {
      const cidr = parseCidr(entry);
      if (cidr !== undefined) networks.push(cidr);
      else if (/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\.?$/i.test(entry.trim()) && !entry.includes('/')) hosts.add(hostKey(entry));
      else throw new Error(`invalid allow-list entry "${entry}": give an IP address, a CIDR network or a host name`);
    }
    this.networks = networks;
    this.hosts = hosts;
  }

  allowsHost(hostname: string): boolean {
    return this.hosts.has(hostKey(hostname));
  }

  allowsAddress(address: string): boolean {
    let allowed = this.seen.get(address);
    if (allowed === undefined) {
      if (this.seen.size >= MEMO) this.seen.clear();
      allowed = this.matches(address);
      this.seen.set(address, allowed);
    }
    return allowed;
  }

  private matches(address: string): boolean {
    const ip = parseIp(address);
    if (ip === undefined) return false;
    const inner = embeddedV4(ip);
    return this.networks.some((n) => inCidr(ip, n) || (inner !== undefined && inCidr(inner, n)));
  }
}

const MEMO = 1024;

const hostKey = (hostname: string): string => hostname.trim().toLowerCase().replace(/\.$/, '');

/** Where a request may go: the URL and the one address, checked, to connect to. */
export type Destination =
  | { readonly ok: true; readonly url: URL; readonly address: string; readonly family: 4 | 6 }
  | { readonly ok: false; readonly error: string; readonly retryable: boolean };

export interface CheckOptions {
  readonly allow: AllowList | readonly string[];
  readonly resolve?: Resolver;
}

/**
 * Checks that `url` is http(s) and that every address its host resolves to is public (or allowed);
 * answers the address to connect to (pin it with {@link pinnedLookup}, so that a DNS answer changing
 * between this check and the connection cannot redirect the request). DNS failures are retryable;
 * refusals are not.
 */
export async function checkDestination(url: string | URL, options: CheckOptions): Promise<Destination> {
  const started = begin(url, options.allow instanceof AllowList ? options.allow : new AllowList(options.allow));
  if ('ok' in started) return started;
  const resolved = await resolveHost(started.host, options.resolve ?? systemResolver);
  return resolved.ok ? verdict(started, resolved.addresses) : resolved;
}

/** The same check without DNS: the answer for a bad URL or an address literal; undefined when the host name needs resolving. */
export function checkWithoutDns(url: string | URL, allow: AllowList): Destination | undefined {
  const started = begin(url, allow);
  return 'ok' in started ? started : undefined;
}

interface Pending {
  readonly url: URL;
  readonly host: string;
  readonly allow: AllowList;
}

function begin(url: string | URL, allow: AllowList): Destination | Pending {
  const parsed = parseUrl(url);
  if (parsed === undefined) return refuse(`invalid URL ${String(url)}`);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return refuse(`${parsed.protocol} URLs are not allowed (only http and https)`);
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const pending = { url: parsed, host, allow };
  const literal = isIP(host);
  return literal === 0 ? pending : verdict(pending, [{ address: host, family: literal }]);
}

function verdict({ url, host, allow }: Pending, addresses: readonly LookupAddress[]): Destination {
  const [first] = addresses;
  if (first === undefined) return { ok: false, error: `${host} has no address`, retryable: true };
  if (!allow.allowsHost(host)) {
    for (const { address } of addresses) {
      const kind = classifyAddress(address);
      if (kind !== undefined && !allow.allowsAddress(address)) {
        const via = address === host ? '' : `${host} resolves to `;
        return refuse(`${via}${address}, a ${kind} address, which is not allowed`);
      }
    }
  }
  return { ok: true, url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

function parseUrl(url: string | URL): URL | undefined {
  if (url instanceof URL) return url;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

type Resolved = { readonly ok: true; readonly addresses: readonly LookupAddress[] } | (Destination & { readonly ok: false });

async function resolveHost(host: string, resolve: Resolver): Promise<Resolved> {
  try {
    return { ok: true, addresses: await resolve(host) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return { ok: false, error: `cannot resolve ${host}: ${code}`, retryable: true };
  }
}

const refuse = (error: string): Destination => ({ ok: false, error, retryable: false });

/** A `lookup` for http.request that answers only the address that was checked, whatever DNS says now. */
export function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all === true) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * Remembers each host's addresses for `ttlMs` (answers only, not failures; one lookup in flight per
 * host): a webhook to the same partner does not cost a getaddrinfo on libuv's thread pool each time.
 * Safe against rebinding: whatever is cached is checked before use, and the connection is pinned to it.
 */
export function cachingResolver(resolve: Resolver, ttlMs: number, now: () => number = Date.now): Resolver {
  if (ttlMs <= 0) return resolve;
  const cache = new Map<string, { readonly at: number; readonly addresses: Promise<readonly LookupAddress[]> }>();
  return (host) => {
    const t = now();
    const hit = cache.get(host);
    if (hit !== undefined && t - hit.at < ttlMs) return hit.addresses;
    if (cache.size >= 10_000) cache.clear();
    const entry = { at: t, addresses: resolve(host) };
    cache.set(host, entry);
    entry.addresses.catch(() => cache.get(host) === entry && cache.delete(host));
    return entry.addresses;
  };
}
