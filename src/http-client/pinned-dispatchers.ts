/**
 * undici dispatchers that connect only to addresses the guard checked. The name stays the
 * hostname (so TLS SNI, certificate checks and the Host header are unchanged) but the socket's DNS
 * lookup is answered with the checked addresses: a rebinding DNS server gets no second chance.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import type { CheckedTarget, ResolvedAddress } from './outbound-guard.ts';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

const MAX_PINNED_AGENTS = 64;

function pinnedLookup(hostname: string, addresses: ResolvedAddress[]) {
  return (name: string, options: LookupOptions, callback: LookupCallback) => {
    const first = addresses[0];
    if (name.toLowerCase().replace(/\.$/, '') !== hostname || !first) {
      const error: NodeJS.ErrnoException = new Error(`lookup of unexpected host ${name}`);
      error.code = 'ENOTFOUND';
      callback(error, []);
      return;
    }
    if (options.all) callback(null, addresses.map(({ address, family }) => ({ address, family })));
    else callback(null, first.address, first.family);
  };
}

export interface DispatcherPool {
  forTarget(target: CheckedTarget): Dispatcher;
  close(): Promise<void>;
}

export interface DispatcherPoolOptions {
  connectTimeoutMs: number;
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots, not replacing them. */
  extraCaCerts?: readonly string[];
}

export function createDispatcherPool(options: DispatcherPoolOptions): DispatcherPool {
  const base = {
    timeout: options.connectTimeoutMs,
    ...(options.extraCaCerts?.length ? { ca: [...rootCertificates, ...options.extraCaCerts] } : {}),
  };
  // Allow-listed hosts and IP literals need no pinning: the former are trusted, the latter have no DNS.
  const plain = new Agent({ connect: base });
  const pinned = new Map<string, Agent>();

  return {
    forTarget(target) {
      if (target.allowListed || target.addresses.length === 0 || target.addresses[0]?.address === target.hostname) {
        return plain;
      }
      // Sorted: round-robin DNS returns the same addresses in another order, which must reuse the agent.
      const key = `${target.hostname}|${target.addresses.map((a) => a.address).sort().join(',')}`;
      let agent = pinned.get(key);
      if (agent) {
        // Refresh recency so the map's insertion order doubles as an LRU.
        pinned.delete(key);
      } else {
        agent = new Agent({
          connect: { ...base, lookup: pinnedLookup(target.hostname, target.addresses) },
        });
        if (pinned.size >= MAX_PINNED_AGENTS) {
          const [oldestKey, oldest] = pinned.entries().next().value as [string, Agent];
          pinned.delete(oldestKey);
          void oldest.close(); // close() lets in-flight requests finish
        }
      }
      pinned.set(key, agent);
      return agent;
    },
    async close() {
      const agents = [plain, ...pinned.values()];
      pinned.clear();
      await Promise.all(agents.map((agent) => agent.close()));
    },
  };
}
