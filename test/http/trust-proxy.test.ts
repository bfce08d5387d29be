/**
 * TRUST_PROXY decides whose X-Forwarded-* headers set the client address: nobody by default, so a
 * client cannot forge its address in logs and metrics unless the operator names the proxies.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { startTestService, type TestService, testEnv } from '../helpers/runtime.ts';

describe('TRUST_PROXY parsing', () => {
  const parse = (value: string | undefined) => loadConfig(testEnv(value === undefined ? {} : { TRUST_PROXY: value })).trustProxy;

  it('defaults to false', () => {
    expect(parse(undefined)).toBe(false);
    expect(parse('')).toBe(false);
    expect(parse('false')).toBe(false);
  });

  it('accepts true and a comma list of addresses, CIDR ranges and proxy-addr names', () => {
    expect(parse('true')).toBe(true);
    expect(parse('10.0.0.1, 10.0.0.0/8,fd00::/8, loopback,192.168.0.0/255.255.0.0')).toEqual([
      '10.0.0.1',
      '10.0.0.0/8',
      'fd00::/8',
      'loopback',
      '192.168.0.0/255.255.0.0',
    ]);
  });

  it.each(['2', 'proxy.internal', '10.0.0.0/33', '10.0.0.1/8/1', ',', 'yes'])('refuses %j naming the variable', (value) => {
    let thrown: unknown = null;
    try {
      parse(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems.filter((problem) => problem.startsWith('TRUST_PROXY: '))).toHaveLength(1);
  });
});

describe('TRUST_PROXY in the app', () => {
  const services: TestService[] = [];
  afterAll(async () => {
    for (const service of services) await service.close();
  });

  async function ipSeen(env: Record<string, string>, remoteAddress: string): Promise<string> {
    const service = await startTestService('embedded', env);
    services.push(service);
    const response = await service.app.inject({
      method: 'GET',
      url: '/health',
      remoteAddress,
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(response.statusCode).toBe(200);
    // The request log line carries Fastify's view of the client address (request.ip).
    const line = service.logs.map((text) => JSON.parse(text)).find((entry) => entry.req?.url === '/health');
    return line?.req?.remoteAddress ?? '';
  }

  it('ignores X-Forwarded-For by default', async () => {
    expect(await ipSeen({}, '198.51.100.7')).toBe('198.51.100.7');
  });

  it('believes it from a listed proxy, and only from that proxy', async () => {
    expect(await ipSeen({ TRUST_PROXY: '198.51.100.0/24' }, '198.51.100.7')).toBe('203.0.113.9');
    expect(await ipSeen({ TRUST_PROXY: '198.51.100.0/24' }, '192.0.2.1')).toBe('192.0.2.1');
  });
});
