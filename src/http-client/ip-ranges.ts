/**
 * Which IP addresses an outbound call may reach. Anything that is not ordinary public unicast is
 * refused: loopback, private, link-local (and the cloud metadata address inside it), CGNAT,
 * documentation, multicast and reserved space, in IPv4 and IPv6, including IPv4 embedded in IPv6
 * (mapped, NAT64, 6to4) which would otherwise reach the same hosts by another spelling.
 */
import { isIPv4, isIPv6 } from 'node:net';

interface V4Range {
  base: number;
  bits: number;
  reason: string;
}

const v4 = (cidr: string, reason: string): V4Range => {
  const [address, bits] = cidr.split('/');
  return { base: parseIPv4(address!)!, bits: Number(bits), reason };
};

// Order matters: the metadata address sits inside link-local and must be named as itself.
const V4_REFUSED: V4Range[] = [
  v4('0.0.0.0/8', 'unspecified'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'private (carrier-grade NAT)'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.169.254/32', 'the cloud metadata address'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved'),
  v4('192.0.2.0/24', 'reserved for documentation'),
  v4('192.88.99.0/24', 'reserved'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'reserved for benchmarking'),
  v4('198.51.100.0/24', 'reserved for documentation'),
  v4('203.0.113.0/24', 'reserved for documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

/** Dotted-quad IPv4 to an unsigned 32-bit number (only the canonical form DNS and URL produce). */
export function parseIPv4(address: string): number | undefined {
  if (!isIPv4(address)) return undefined;
  return address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** IPv6 to eight 16-bit groups, accepting `::` and a trailing dotted quad. */
export function parseIPv6(address: string): number[] | undefined {
  const text = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!isIPv6(text)) return undefined;
  let head = text;
  const tail: number[] = [];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(head);
  if (quad) {
    const value = parseIPv4(quad[1]!)!;
    tail.push(Math.floor(value / 65536), value % 65536);
    head = head.slice(0, -quad[1]!.length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').filter(Boolean).map((g) => Number.parseInt(g, 16)) : []);
  const leftGroups = parse(left);
  const rightGroups = [...parse(right), ...tail];
  const missing = 8 - leftGroups.length - rightGroups.length;
  if (missing < 0 || (right === undefined && missing !== 0)) return undefined;
  return [...leftGroups, ...new Array(missing).fill(0), ...rightGroups];
}

function classifyIPv4(value: number): string | undefined {
  for (const range of V4_REFUSED) {
    const size = 2 ** (32 - range.bits);
    if (value >= range.base && value < range.base + size) return range.reason;
  }
  return undefined;
}

function embeddedIPv4(high: number, low: number): string {
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

function classifyIPv6(groups: number[]): string | undefined {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const prefixZero = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (prefixZero(8)) return 'unspecified';
  if (prefixZero(7) && g7 === 1) return 'loopback';
  // ::ffff:a.b.c.d reaches the IPv4 host a.b.c.d: judge it as that address.
  if (prefixZero(5) && g5 === 0xffff) return classifyIPv4((g6 << 16 >>> 0) + g7);
  if (prefixZero(6)) return 'reserved (IPv4-compatible)';
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return classifyIPv4((g6 << 16 >>> 0) + g7); // NAT64 well-known prefix
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return 'private (local NAT64)';
  if (g0 === 0x2002) return classifyIPv4(parseIPv4(embeddedIPv4(g1, g2))!); // 6to4
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved for documentation';
  if (g0 === 0x2001 && g1 === 0) return 'reserved (Teredo)';
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private (site-local)';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  // Global unicast is 2000::/3; everything else is unassigned or special.
  if ((g0 & 0xe000) !== 0x2000) return 'reserved';
  return undefined;
}

/** Why `address` must not be reached, or undefined when it is public. Unparseable counts as refused. */
export function refusedAddressReason(address: string): string | undefined {
  const value = parseIPv4(address);
  if (value !== undefined) return classifyIPv4(value);
  const groups = parseIPv6(address);
  if (groups) return classifyIPv6(groups);
  return 'not an IP address';
}
