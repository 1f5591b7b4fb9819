import { isIP } from 'node:net';

/** An IP address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface Ip {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** Why an address is not a public unicast one (the hub refuses to call it unless it is allowed). */
export const AddressClass = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  cgnat: 'carrier-grade NAT',
  unspecified: 'unspecified',
  multicast: 'multicast',
  reserved: 'reserved',
  documentation: 'documentation',
} as const;
export type AddressClass = (typeof AddressClass)[keyof typeof AddressClass];

/** Parses an IPv4 or IPv6 address (IPv6 may be in brackets and carry a zone, which is dropped). */
export function parseIp(text: string): Ip | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const family = isIP(bare);
  if (family === 4) return { family: 4, value: v4(bare) };
  if (family === 6) return { family: 6, value: v6(bare.replace(/%.*$/, '')) };
  return undefined;
}

function v4(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** Expands `a:b::c` (and a trailing dotted IPv4 part) to 128 bits; the text is a valid IPv6 address. */
function v6(text: string): bigint {
  let groups = text;
  let tail: bigint | undefined;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    tail = v4(dotted[1]);
    groups = `${text.slice(0, dotted.index)}0:0`;
  }
  const [head = '', rest] = groups.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  const value = [...left, ...fill, ...right].reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  return tail === undefined ? value : (value & ~0xffffffffn) | tail;
}

/** A network: its family, first address and prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly bits: number;
}

/** Parses `10.0.0.0/8`, `fc00::/7` or a single address (a /32 or /128); undefined if invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr = '', len, extra] = text.trim().split('/');
  const ip = parseIp(addr);
  if (ip === undefined || extra !== undefined) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  const bits = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(bits >= 0 && bits <= max)) return undefined;
  return { family: ip.family, base: ip.value & mask(ip.family, bits), bits };
}

function mask(family: 4 | 6, bits: number): bigint {
  const width = BigInt(family === 4 ? 32 : 128);
  const all = (1n << width) - 1n;
  return (all << (width - BigInt(bits))) & all;
}

export function inCidr(ip: Ip, cidr: Cidr): boolean {
  return ip.family === cidr.family && (ip.value & mask(cidr.family, cidr.bits)) === cidr.base;
}

const net = (text: string): Cidr => {
  const cidr = parseCidr(text);
  if (cidr === undefined) throw new Error(`bad built-in network ${text}`);
  return cidr;
};

/** Non-public IPv4 networks (RFC 6890 and friends), most specific first where they overlap. */
const V4: readonly (readonly [Cidr, AddressClass])[] = [
  [net('0.0.0.0/8'), AddressClass.unspecified],
  [net('10.0.0.0/8'), AddressClass.private],
  [net('100.64.0.0/10'), AddressClass.cgnat],
  [net('127.0.0.0/8'), AddressClass.loopback],
  [net('169.254.0.0/16'), AddressClass.linkLocal],
  [net('172.16.0.0/12'), AddressClass.private],
  [net('192.0.0.0/24'), AddressClass.reserved],
  [net('192.0.2.0/24'), AddressClass.documentation],
  [net('192.88.99.0/24'), AddressClass.reserved],
  [net('192.168.0.0/16'), AddressClass.private],
  [net('198.18.0.0/15'), AddressClass.reserved],
  [net('198.51.100.0/24'), AddressClass.documentation],
  [net('203.0.113.0/24'), AddressClass.documentation],
  [net('224.0.0.0/4'), AddressClass.multicast],
  [net('240.0.0.0/4'), AddressClass.reserved],
];

/** Non-public IPv6 networks; those embedding an IPv4 address are handled by {@link embeddedV4}. */
const V6: readonly (readonly [Cidr, AddressClass])[] = [
  [net('::/128'), AddressClass.unspecified],
  [net('::1/128'), AddressClass.loopback],
  [net('::/96'), AddressClass.reserved],
  [net('64:ff9b:1::/48'), AddressClass.private],
  [net('100::/64'), AddressClass.reserved],
  [net('2001::/32'), AddressClass.reserved],
  [net('2001:db8::/32'), AddressClass.documentation],
  [net('fc00::/7'), AddressClass.private],
  [net('fe80::/10'), AddressClass.linkLocal],
  [net('fec0::/10'), AddressClass.private],
  [net('ff00::/8'), AddressClass.multicast],
];

const MAPPED = net('::ffff:0:0/96');
const NAT64 = net('64:ff9b::/96');
const SIX_TO_FOUR = net('2002::/16');

/** The IPv4 address an IPv6 one stands for: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002::/16). */
export function embeddedV4(ip: Ip): Ip | undefined {
  if (ip.family !== 6) return undefined;
  if (inCidr(ip, MAPPED) || inCidr(ip, NAT64)) return { family: 4, value: ip.value & 0xffffffffn };
  if (inCidr(ip, SIX_TO_FOUR)) return { family: 4, value: (ip.value >> 80n) & 0xffffffffn };
  return undefined;
}

const memo = new Map<string, AddressClass | null>();

/** Why the address is not a public unicast one, or undefined when it is. */
export function classifyAddress(address: string | Ip): AddressClass | undefined {
  if (typeof address !== 'string') return classify(address);
  let kind = memo.get(address);
  if (kind === undefined) {
    if (memo.size >= 4096) memo.clear();
    kind = classify(parseIp(address)) ?? null;
    memo.set(address, kind);
  }
  return kind ?? undefined;
}

function classify(ip: Ip | undefined): AddressClass | undefined {
  if (ip === undefined) return AddressClass.reserved;
  const inner = embeddedV4(ip);
  if (inner !== undefined) return classify(inner);
  return (ip.family === 4 ? V4 : V6).find(([cidr]) => inCidr(ip, cidr))?.[1];
}
