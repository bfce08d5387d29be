import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';

function capture(timezone = 'Asia/Kolkata') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { logger: createLogger({ level: 'info', timezone, destination }), lines };
}

describe('logger', () => {
  it('writes JSON lines with IST timestamps', () => {
    const { logger, lines } = capture();
    logger.info({ component: 'test' }, 'hello');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.msg).toBe('hello');
    expect(line.level).toBe('info');
    expect(line.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+05:30$/);
  });

  it('follows LOG_TIMEZONE', () => {
    const { logger, lines } = capture('UTC');
    logger.info('x');
    expect(JSON.parse(lines[0] ?? '{}').time).toMatch(/\+00:00$/);
  });

  it('redacts secrets under sensitive keys at any depth, in URLs and in free text', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        headers: { authorization: 'Bearer abc.def.ghi', 'x-hub-signature-256': 'sha256=deadbeef' },
        request: { body: { github_pat: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', nested: [{ client_secret: 's3cr3t-value' }] } },
        url: 'https://bot:hunter2@jira.example.com/rest?access_token=tok-123&project=SEC',
        note: 'retrying with token ghp_ZYXWVUTSRQPONMLKJIHGFEDCBA987654321',
        jira_pat: 'NjE0-server-pat-value',
      },
      'calling https://x:pw-in-message@host.example/path with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
    );
    const text = lines.join('');
    for (const secret of ['abc.def.ghi', 'deadbeef', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 's3cr3t-value', 'hunter2', 'tok-123', 'ghp_ZYXWVUTSRQPONMLKJIHGFEDCBA987654321', 'NjE0-server-pat-value', 'pw-in-message', 'c2lnbmF0dXJl']) {
      expect(text).not.toContain(secret);
    }
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.url).toContain('project=SEC');
    expect(line.url).toContain('jira.example.com');
  });

  it('logs an error object without leaking a token in its message', () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error('git push failed: https://x-access-token:ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/a/b') }, 'failed');
    expect(lines.join('')).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123');
  });
});

describe('logger details', () => {
  it('keeps an error\'s stack and cause (redacted), and redacts query secrets in request paths and text', () => {
    const { logger, lines } = capture();
    const error = new Error('exchange failed', { cause: new Error('upstream said no to ghp_abcdefghijklmnopqrstuvwxyz0123') });
    logger.error({ err: error, req: { url: '/api/jira/callback?code=abc123&state=xyz789&format=json' } }, 'see https://x.example/cb?token=t0k3n&page=2');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.err.stack).toContain('exchange failed');
    expect(line.err.cause.message).toContain('upstream said no');
    expect(line.req.url).toContain('format=json');
    const text = lines.join('');
    for (const secret of ['abc123', 'xyz789', 't0k3n', 'ghp_abcdefghijklmnopqrstuvwxyz0123']) expect(text).not.toContain(secret);
  });

  it('writes an object referenced twice both times (only cycles are cut)', () => {
    const { logger, lines } = capture();
    const shared = { repo: 'acme/web' };
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    logger.info({ a: shared, b: shared, cyclic }, 'refs');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.a).toEqual({ repo: 'acme/web' });
    expect(line.b).toEqual({ repo: 'acme/web' });
    expect(line.cyclic.self).toBe('[Truncated]');
  });
});
