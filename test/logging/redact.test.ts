/**
 * The redactor is total (never throws, bounded output on any input, no unbounded recursion) and
 * masks planted secrets wherever they sit: token shapes, URL userinfo and credential parameters,
 * `key=value` and JSON pairs in text, and values under sensitive keys at any depth.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TEXT_CHARS, REDACTED, redactDeep, redactText } from '../../src/logging/redact.ts';

/** Strings built from the pieces that used to send the redactor into endless recursion or backtracking. */
const urlish = fc
  .array(
    fc.constantFrom(
      'http://',
      'https://',
      'git+ssh://',
      '//',
      '[',
      ']',
      '::1',
      '%',
      '%zz',
      '@',
      ':',
      '?',
      '&',
      '=',
      '#',
      ';',
      '/',
      ' ',
      '"',
      '":"',
      '\\',
      'token ',
      'Bearer ',
      'Basic ',
      'ghp_',
      'ATATT',
      'eyJ',
      '.',
      '-',
      'a',
      'Z9',
      '${port}',
      '127.0.0.1',
      'exa%mple.com',
      'password',
      'access_token',
      'code',
      '\u0000',
      '\n',
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

const anyString = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), urlish);

/** A secret that cannot occur by accident in the generated context. */
const secretArb = fc.stringMatching(/^[A-Za-z0-9]{24,40}$/).map((s) => `Qz7${s}`);

const templates: ((secret: string) => string)[] = [
  (s) => `ghp_${s}`,
  (s) => `gho_${s}`,
  (s) => `github_pat_11AB_${s}`,
  (s) => `ATATT${s}`,
  (s) => `Authorization: Bearer ${s}`,
  (s) => `Basic ${s}`,
  (s) => `token ${s}`,
  (s) => `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.${s}`,
  (s) => `https://bot:${s}@jira.example.com/rest/api/2/issue`,
  (s) => `https://x-access-token:${s}@github.com/acme/web.git`,
  (s) => `https://${s}@github.com/acme/web.git`,
  (s) => `http://[::1]:9/cb?code=${s}&state=abc`,
  (s) => `https://jira.example.com/rest?project=SEC&access_token=${s}`,
  (s) => `/api/jira/callback?state=${s}`,
  (s) => `https://app.example/cb#access_token=${s}&token_type=bearer`,
  (s) => `https://h.example/x?acc%65ss_token=${s}`,
  (s) => `password=${s}`,
  (s) => `client_secret=${s}`,
  (s) => `"client_secret":"${s}"`,
  (s) => `{"token": "${s}", "x": 1}`,
  (s) => `"api_key" : "${s}"`,
];

const templateArb = fc.integer({ min: 0, max: templates.length - 1 }).map((index) => templates[index] as (s: string) => string);

const sensitiveKeys = ['password', 'client_secret', 'authorization', 'jira_pat', 'accessToken', 'x-api-key', 'webhook_secret', 'refresh_token', 'api_key', 'cookie'];

describe('redactText is total', () => {
  it('never throws and always returns a bounded string, for arbitrary strings', () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const out = redactText(value);
        expect(typeof out).toBe('string');
        expect(out.length).toBeLessThanOrEqual(Math.max(value.length * 2 + 64, MAX_TEXT_CHARS + 64));
      }),
      { numRuns: 2000 },
    );
  });

  it('handles URL-looking text that no URL parser accepts (the strings that used to recurse forever)', () => {
    for (const text of ['see http://127.0.0.1:${port}/x', 'http://[::1', 'http://exa%mple.com', 'x http://[::1]:99999/?a=%zz', 'http://a:b@[::1', 'https://user:pw@exa%mple.com/x']) {
      expect(() => redactText(text)).not.toThrow();
      expect(redactDeep({ a: text })).toEqual({ a: redactText(text) });
    }
    expect(redactText('https://user:pw@exa%mple.com/x')).toBe(`https://${REDACTED}@exa%mple.com/x`);
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const once = redactText(value);
        expect(redactText(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('returns text without a secret shape unchanged', () => {
    for (const text of ['GET /health', 'request completed', 'exit code 128', 'time 12:30:01', 'issue SEC-12 created', 'a/b/c?page=2&limit=50']) {
      expect(redactText(text)).toBe(text);
    }
  });

  it('cuts very long strings with a marker, without leaving half a token at the cut', () => {
    const token = `ghp_${'A'.repeat(36)}`;
    const filler = 'x '.repeat((MAX_TEXT_CHARS - 10) / 2);
    const out = redactText(`${filler}${token} and more`);
    expect(out.length).toBeLessThan(MAX_TEXT_CHARS + 64);
    expect(out).toMatch(/…\[truncated \d+ chars\]$/);
    expect(out).not.toContain('ghp_AAAA');
  });

  it('finishes on inputs built to make backtracking patterns explode', () => {
    const size = 200_000;
    const hostile = [
      '-/'.repeat(size / 2),
      'a.'.repeat(size / 2),
      'token '.repeat(size / 6),
      `token${' '.repeat(size)}`,
      '"a":"'.repeat(size / 5),
      '//a:'.repeat(size / 4),
      'x='.repeat(size / 2),
      `eyJ${'a'.repeat(size)}`,
      `ghp_${'a'.repeat(size)}_`,
      `"password":"${'\\"'.repeat(size / 2)}`,
      `http://${'['.repeat(size)}`,
    ];
    for (const text of hostile) {
      const out = redactText(text);
      expect(out.length).toBeLessThan(MAX_TEXT_CHARS + 64);
    }
  });
});

describe('redactText masks planted secrets', () => {
  it('in every known shape, with arbitrary text around', () => {
    fc.assert(
      fc.property(anyString, templateArb, secretArb, anyString, (before, template, secret, after) => {
        const out = redactText(`${before} ${template(secret)} ${after}`);
        expect(out).not.toContain(secret);
        expect(out).toContain(REDACTED);
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps what is not secret', () => {
    expect(redactText('https://bot:pw@jira.example.com/rest?access_token=t0k&project=SEC')).toBe(
      `https://${REDACTED}@jira.example.com/rest?access_token=${REDACTED}&project=SEC`,
    );
    expect(redactText('/cb?code=abc123&format=json')).toBe(`/cb?code=${REDACTED}&format=json`);
    expect(redactText('git exited with code=128')).toBe('git exited with code=128');
    expect(redactText('{"errorMessages":["Field x"],"password":"p4ss"}')).toBe(`{"errorMessages":["Field x"],"password":"${REDACTED}"}`);
    expect(redactText('Bearer abc.def.ghi')).toBe(`Bearer ${REDACTED}`);
  });
});

describe('redactDeep is total', () => {
  it('never throws on arbitrary JSON values and masks values under sensitive keys at any depth', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        fc.array(fc.constantFrom('a', 'items', 'detail', 'body', '0'), { maxLength: 10 }),
        fc.constantFrom(...sensitiveKeys),
        secretArb,
        (sibling, path, key, secret) => {
          let planted: unknown = { [key]: secret, sibling };
          for (const step of path) planted = step === '0' ? [planted, sibling] : { [step]: planted, other: sibling };
          const out = redactDeep(planted);
          expect(JSON.stringify(out)).not.toContain(secret);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('masks planted text secrets inside arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), templateArb, secretArb, (value, template, secret) => {
        const out = redactDeep({ value, note: `see ${template(secret)}`, list: [value, template(secret)] });
        expect(JSON.stringify(out)).not.toContain(secret);
      }),
      { numRuns: 1000 },
    );
  });

  it('returns an object with nothing to redact as the same reference, and is idempotent on JSON', () => {
    const clean = { a: 1, b: 'text', c: [true, null, { d: 'e' }] };
    expect(redactDeep(clean)).toBe(clean);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const once = redactDeep(value);
        expect(redactDeep(once)).toEqual(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('survives hostile objects: throwing getters and toJSON, proxies, cycles, deep nesting, huge arrays', () => {
    const getter = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    const badJson = { toJSON: () => { throw new Error('no'); } };
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('no'); } });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    let deep: unknown = 'leaf';
    for (let i = 0; i < 50_000; i += 1) deep = { d: deep };
    const huge = Array.from({ length: 100_000 }, (_, i) => ({ i }));
    const badMessage = new Error('x');
    Object.defineProperty(badMessage, 'message', { get: () => { throw new Error('no'); } });
    for (const value of [getter, badJson, proxy, cyclic, deep, huge, badMessage, new Date(Number.NaN), Symbol('s'), 10n]) {
      expect(() => JSON.stringify(redactDeep({ value }), (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toThrow();
    }
    expect(JSON.stringify(redactDeep(huge)).length).toBeLessThan(200_000);
  });

  it('turns a URL object into its redacted text (its toJSON would print the password)', () => {
    expect(redactDeep({ url: new URL('https://u:hunter2@h.example/x?token=abc') })).toEqual({ url: `https://${REDACTED}@h.example/x?token=${REDACTED}` });
  });
});
