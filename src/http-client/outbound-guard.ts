/**
 * The SSRF guard for every outbound call: https only, and every address the host resolves to must
 * be public, checked after DNS resolution. Hosts the operator allow-lists (OUTBOUND_ALLOWED_HOSTS,
 * e.g. 127.0.0.1 for local simulators) skip both checks; that exemption is explicit, never a default.
 * The client connects to the addresses returned here, so a second DNS answer cannot swap them.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { OUTBOUND_DNS_FAILED, OUTBOUND_URL_REFUSED, OutboundError, refused } from './errors.ts';
import { refusedAddressReason } from './ip-ranges.ts';

export interface ResolvedAddress {
  address: string;
  family: number;
}

export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export interface OutboundGuardOptions {
  /** Hostnames, IPs or host:port pairs exempt from the https and public-address rules. */
  allowedHosts: readonly string[];
  /** DNS resolution; injectable for tests. Defaults to node:dns lookup with all: true. */
  lookup?: HostLookup;
}

export interface CheckedTarget {
  url: URL;
  /** Hostname without IPv6 brackets. */
  hostname: string;
  /** The checked addresses to connect to; empty when allow-listed (ordinary DNS is used then). */
  addresses: ResolvedAddress[];
  allowListed: boolean;
}

export interface OutboundGuard {
  /** Refuses (OUTBOUND_URL_REFUSED) or returns the parsed URL. */
  check(url: string | URL): Promise<URL>;
  /** Like check, and also returns the addresses that passed, for connection pinning. */
  resolve(url: string | URL): Promise<CheckedTarget>;
}

const defaultLookup: HostLookup = async (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

function bare(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
}

/** Normalises an allow-list entry through the URL parser, so "0x7f.1" and "127.0.0.1" agree. */
function parseAllowEntry(entry: string): { hostname: string; port: string | undefined } {
  const text = entry.trim();
  const withBrackets = isIP(text) === 6 ? `[${text}]` : text;
  let url: URL;
  try {
    url = new URL(`http://${withBrackets}`);
  } catch {
    throw new OutboundError(OUTBOUND_URL_REFUSED, `allowed host '${text}' is not a host or host:port`, {
      reason: 'invalid allow-list entry',
    });
  }
  const hasPort = /:\d+$/.test(withBrackets);
  return { hostname: bare(url.hostname), port: hasPort ? url.port || '80' : undefined };
}

function effectivePort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

export function createOutboundGuard(options: OutboundGuardOptions): OutboundGuard {
  const allowed = options.allowedHosts.filter((entry) => entry.trim() !== '').map(parseAllowEntry);
  const lookup = options.lookup ?? defaultLookup;

  const isAllowListed = (url: URL) => {
    const hostname = bare(url.hostname);
    return allowed.some((entry) => entry.hostname === hostname && (entry.port === undefined || entry.port === effectivePort(url)));
  };

  async function resolve(input: string | URL): Promise<CheckedTarget> {
    let url: URL;
    try {
      url = new URL(String(input));
    } catch {
      throw refused('not a valid URL');
    }
    if (url.username !== '' || url.password !== '') throw refused('credentials in the URL are not allowed');
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refused('https is required');
    const hostname = bare(url.hostname);
    if (hostname === '') throw refused('the URL has no host');
    if (isAllowListed(url)) return { url, hostname, addresses: [], allowListed: true };
    if (url.protocol !== 'https:') throw refused('https is required');

    const family = isIP(hostname);
    let addresses: ResolvedAddress[];
    if (family !== 0) {
      addresses = [{ address: hostname, family }];
    } else {
      try {
        addresses = await lookup(hostname);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException)?.code;
        throw new OutboundError(OUTBOUND_DNS_FAILED, `cannot resolve host ${hostname}${code ? ` (${code})` : ''}`, {
          ...(code ? { causeCode: code } : {}),
        });
      }
      if (addresses.length === 0) throw new OutboundError(OUTBOUND_DNS_FAILED, `cannot resolve host ${hostname}`);
    }
    // Every address must pass: a connection may go to any of them.
    for (const { address } of addresses) {
      const reason = refusedAddressReason(address);
      if (reason) throw refused(`address ${address} is ${reason}`);
    }
    return { url, hostname, addresses, allowListed: false };
  }

  return {
    resolve,
    check: async (url) => (await resolve(url)).url,
  };
}
