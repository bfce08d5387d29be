import { describe, expect, it } from 'vitest';
import {
  createOutboundGuard,
  type HostLookup,
  OUTBOUND_DNS_FAILED,
  OUTBOUND_URL_REFUSED,
  OutboundError,
  refusedAddressReason,
} from '../../src/http-client/index.ts';

const fakeDns: Record<string, string[]> = {
  'api.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'internal.example.com': ['10.0.0.5'],
  'mixed.example.com': ['93.184.216.34', '192.168.1.10'],
  'metadata.example.com': ['169.254.169.254'],
};
const lookup: HostLookup = async (hostname) => {
  const addresses = fakeDns[hostname];
  if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

async function refusal(guard: ReturnType<typeof createOutboundGuard>, url: string): Promise<OutboundError> {
  try {
    await guard.check(url);
  } catch (error) {
    expect(error).toBeInstanceOf(OutboundError);
    return error as OutboundError;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe('outbound guard', () => {
  const guard = createOutboundGuard({ allowedHosts: [], lookup });

  it.each([
    ['http://api.example.com/', 'https is required'],
    ['ftp://api.example.com/', 'https is required'],
    ['file:///etc/passwd', 'https is required'],
    ['https://10.0.0.5/', 'address 10.0.0.5 is private'],
    ['https://172.16.0.1/', 'address 172.16.0.1 is private'],
    ['https://172.31.255.255/', 'address 172.31.255.255 is private'],
    ['https://192.168.1.1/', 'address 192.168.1.1 is private'],
    ['https://100.64.0.1/', 'address 100.64.0.1 is private (carrier-grade NAT)'],
    ['https://127.0.0.1/', 'address 127.0.0.1 is loopback'],
    ['https://127.1.2.3/', 'address 127.1.2.3 is loopback'],
    ['https://0.0.0.0/', 'address 0.0.0.0 is unspecified'],
    ['https://169.254.169.254/latest/meta-data', 'address 169.254.169.254 is the cloud metadata address'],
    ['https://169.254.10.1/', 'address 169.254.10.1 is link-local'],
    ['https://224.0.0.1/', 'address 224.0.0.1 is multicast'],
    ['https://255.255.255.255/', 'address 255.255.255.255 is reserved'],
    ['https://[::1]/', 'address ::1 is loopback'],
    ['https://[::]/', 'address :: is unspecified'],
    ['https://[fc00::1]/', 'address fc00::1 is private'],
    ['https://[fd12:3456::1]/', 'address fd12:3456::1 is private'],
    ['https://[fe80::1]/', 'address fe80::1 is link-local'],
    ['https://[ff02::1]/', 'address ff02::1 is multicast'],
    // IPv4 spelled inside IPv6 reaches the IPv4 host, so it is judged as that host.
    ['https://[::ffff:127.0.0.1]/', 'address ::ffff:7f00:1 is loopback'],
    ['https://[::ffff:10.1.2.3]/', 'address ::ffff:a01:203 is private'],
    ['https://[64:ff9b::a9fe:a9fe]/', 'address 64:ff9b::a9fe:a9fe is the cloud metadata address'],
    ['https://[2002:c0a8:101::1]/', 'address 2002:c0a8:101::1 is private'],
    // The URL parser turns hex, octal and decimal IPv4 into dotted quads before we look.
    ['https://0x7f.1/', 'address 127.0.0.1 is loopback'],
    ['https://2130706433/', 'address 127.0.0.1 is loopback'],
    ['https://0177.0.0.1/', 'address 127.0.0.1 is loopback'],
    ['https://0xa9fea9fe/', 'address 169.254.169.254 is the cloud metadata address'],
    ['https://internal.example.com/', 'address 10.0.0.5 is private'],
    ['https://mixed.example.com/', 'address 192.168.1.10 is private'],
    ['https://metadata.example.com/', 'address 169.254.169.254 is the cloud metadata address'],
  ])('refuses %s (%s)', async (url, reason) => {
    const error = await refusal(guard, url);
    expect(error.code).toBe(OUTBOUND_URL_REFUSED);
    expect(error.reason).toBe(reason);
  });

  it.each([['http://0x7f.1/'], ['http://[::ffff:127.0.0.1]/'], ['http://169.254.169.254/']])(
    'refuses %s on scheme and address',
    async (url) => {
      expect((await refusal(guard, url)).code).toBe(OUTBOUND_URL_REFUSED);
      const httpsOnlyAside = createOutboundGuard({ allowedHosts: [], lookup });
      expect((await refusal(httpsOnlyAside, url.replace('http:', 'https:'))).reason).toMatch(/^address /);
    },
  );

  it('refuses localhost after real DNS resolution when not allow-listed', async () => {
    const realDns = createOutboundGuard({ allowedHosts: [] });
    const error = await refusal(realDns, 'https://localhost/');
    expect(error.code).toBe(OUTBOUND_URL_REFUSED);
    expect(error.reason).toMatch(/^address (127\.0\.0\.1|::1) is loopback$/);
  });

  it('accepts public addresses and returns every checked address for pinning', async () => {
    const target = await guard.resolve('https://api.example.com/rest/api/3/issue?x=1');
    expect(target.allowListed).toBe(false);
    expect(target.hostname).toBe('api.example.com');
    expect(target.addresses.map((a) => a.address)).toEqual(fakeDns['api.example.com']);
    expect((await guard.check('https://8.8.8.8/')).hostname).toBe('8.8.8.8');
    expect((await guard.check('https://[2606:4700:4700::1111]/')).hostname).toBe('[2606:4700:4700::1111]');
    expect((await guard.check('https://[::ffff:8.8.8.8]/')).protocol).toBe('https:');
  });

  it('refuses credentials in the URL without echoing them', async () => {
    const error = await refusal(guard, 'https://bot:hunter2-secret@api.example.com/');
    expect(error.reason).toBe('credentials in the URL are not allowed');
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });

  it('reports an unresolvable host with its own code', async () => {
    const error = await refusal(guard, 'https://nowhere.example.com/');
    expect(error.code).toBe(OUTBOUND_DNS_FAILED);
    expect(error.causeCode).toBe('ENOTFOUND');
  });

  it('refuses garbage without echoing it', async () => {
    const error = await refusal(guard, 'not a url ghp_secret');
    expect(error.reason).toBe('not a valid URL');
    expect(error.message).not.toContain('ghp_secret');
  });

  it('lets allow-listed hosts use http and private addresses', async () => {
    const local = createOutboundGuard({ allowedHosts: ['127.0.0.1', 'localhost:8080', '::1', ' '], lookup });
    expect((await local.resolve('http://127.0.0.1:9999/x')).allowListed).toBe(true);
    // Allow-list entries are normalised like URLs, so another spelling of the same address matches.
    expect((await local.resolve('http://0x7f.1/')).allowListed).toBe(true);
    expect((await local.resolve('http://[::1]:3000/')).allowListed).toBe(true);
    expect((await local.resolve('http://localhost:8080/')).allowListed).toBe(true);
    expect((await refusal(local, 'http://localhost:8081/')).reason).toBe('https is required');
    expect((await refusal(local, 'https://10.0.0.5/')).reason).toBe('address 10.0.0.5 is private');
  });

  it('classifies addresses directly', () => {
    expect(refusedAddressReason('8.8.8.8')).toBeUndefined();
    expect(refusedAddressReason('172.32.0.1')).toBeUndefined();
    expect(refusedAddressReason('100.128.0.1')).toBeUndefined();
    expect(refusedAddressReason('2001:4860:4860::8888')).toBeUndefined();
    expect(refusedAddressReason('::ffff:8.8.8.8')).toBeUndefined();
    expect(refusedAddressReason('fe80::1%eth0')).toBe('link-local');
    expect(refusedAddressReason('2001:db8::1')).toBe('reserved for documentation');
    expect(refusedAddressReason('::127.0.0.1')).toBe('reserved (IPv4-compatible)');
    expect(refusedAddressReason('example.com')).toBe('not an IP address');
  });
});
