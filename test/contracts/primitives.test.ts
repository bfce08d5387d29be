/**
 * The contracts primitives (src/contracts): which characters each kind of text refuses, and the
 * bounded JSON check, which must be total (never throws, whatever it is given) and bounded (stops at
 * the first problem, with no recursion, so a 20,000-deep value is a short walk, not a stack overflow).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boundedJson, boundedJsonObject, branchName, DEFAULT_JSON_LIMITS, identifier, jsonProblem, jsonTextWithinLimits, repoPath, safeLine, safeText, secret, textProblem } from '../../src/contracts/index.ts';

function deep(depth: number): unknown {
  let value: unknown = 'x';
  for (let level = 0; level < depth; level += 1) value = { a: value };
  return value;
}

const issue = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error?.issues[0];

describe('text kinds', () => {
  it('prose keeps tabs and line breaks and refuses every other control character', () => {
    expect(safeText(100).parse('line 1\n\tline 2\r\n')).toBe('line 1\n\tline 2\r\n');
    for (const bad of ['a\u0000', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u009b']) expect(issue(safeText(100), bad)?.message).toMatch(/control characters/);
  });

  it('one line refuses line breaks, including U+2028, and names the character by code point', () => {
    expect(issue(safeLine(100), 'a\nb')?.message).toBe('must not contain control characters or line breaks (U+000A at character 2)');
    expect(issue(safeLine(100), 'a\u2028b')?.message).toMatch(/U\+2028/);
    expect(safeLine(100).parse('  Title with \u202e inside  ')).toBe('Title with \u202e inside');
  });

  it('identifiers also refuse invisible and bidirectional characters', () => {
    for (const bad of ['\u200bx', 'x\u200d', 'ab\u202ecd', 'x\u2066', 'x\u2069', '\u00adx', 'x\ufe0f', 'x\u{e0041}']) {
      expect(issue(identifier(100), bad)?.message).toMatch(/invisible or bidirectional/);
    }
    for (const fine of ['lodash', '@types/node', 'ünïcode', '日本語', 'In Progress']) expect(identifier(100).parse(fine)).toBe(fine);
  });

  it('lone surrogates are refused in every kind', () => {
    for (const kind of ['multiline', 'line', 'identifier'] as const) expect(textProblem('a\udc00', kind)).toMatch(/well-formed/);
    expect(textProblem('emoji \u{1f600}', 'identifier')).toBeNull();
  });

  it('secrets are printable ASCII: a pasted NUL, line break or invisible character is refused', () => {
    expect(secret().parse('ghp_0123456789abcdef')).toBe('ghp_0123456789abcdef');
    for (const bad of ['tok\u0000en', 'token\n', ' token', 'tok\u200ben', 'tökén']) expect(issue(secret(), bad)?.message).toMatch(/printable ASCII/);
  });

  it('branch names and repository paths carry their documented error code', () => {
    expect(issue(branchName(), '--upload-pack=x')).toMatchObject({ params: { errorCode: 'BRANCH_NAME_INVALID' } });
    expect(issue(branchName(), 'refs/heads/x')?.message).toMatch(/short branch name/);
    expect(issue(repoPath(), 'a/.GIT/config')).toMatchObject({ params: { errorCode: 'MANIFEST_PATH_REFUSED' } });
  });
});

describe('bounded JSON', () => {
  it('accepts ordinary Jira fields and ADF documents', () => {
    const adf = { type: 'doc', version: 1, content: [{ type: 'bulletList', content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Upgrade\tnow\n' }] }] }] }] };
    expect(boundedJsonObject(z.string()).parse({ project: { key: 'SEC' }, description: adf, labels: ['a'], customfield_10042: 3.5, flag: null })).toBeTruthy();
  });

  it('refuses a 20,000-deep value with the path of the value, not of its depths', () => {
    const found = issue(z.object({ custom: z.record(z.string(), boundedJson()) }), { custom: { customfield_1: deep(20_000) } });
    expect(found).toMatchObject({ path: ['custom', 'customfield_1'], message: `nests deeper than ${DEFAULT_JSON_LIMITS.maxDepth} levels` });
  });

  it('refuses too many values, long strings and keys, control characters and prototype keys, with the path', () => {
    expect(jsonProblem(Array.from({ length: 20_001 }, () => 1))?.message).toMatch(/more than 20,000 values/);
    expect(jsonProblem({ a: 'x'.repeat(100_001) })).toMatchObject({ path: ['a'], message: /longer than 100,000/ });
    expect(jsonProblem({ ['k'.repeat(257)]: 1 })?.message).toMatch(/key longer than 256/);
    expect(jsonProblem({ a: [0, 'b\u0000'] })).toMatchObject({ path: ['a', 1], message: /U\+0000/ });
    expect(jsonProblem({ 'a\u0000': 1 })?.message).toMatch(/has a key that must not contain/);
    expect(jsonProblem(JSON.parse('{"x":{"__proto__":{"polluted":true}}}'))).toMatchObject({ path: ['x', '__proto__'] });
    expect(jsonProblem({ constructor: { prototype: {} } })?.message).toMatch(/"constructor" is not allowed/);
    expect(jsonProblem({ when: new Date() })?.message).toMatch(/not a JSON object/);
    expect(jsonProblem({ n: Number.NaN })?.message).toMatch(/finite/);
  });

  it('is total: never throws, for any value (fixed seed)', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSparseArray: true, withTypedArray: true }), (value) => {
        const found = jsonProblem(value, { maxDepth: 3, maxNodes: 50, maxStringLength: 20, maxKeyLength: 5 });
        expect(found === null || typeof found.message === 'string').toBe(true);
      }),
      { seed: 9, numRuns: 500 },
    );
  });

  it('text rules are total too', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        for (const kind of ['multiline', 'line', 'identifier'] as const) textProblem(text, kind);
      }),
      { seed: 9, numRuns: 200 },
    );
  });
});

describe('jsonTextWithinLimits (the scan that spares walking the parsed value)', () => {
  const tight = { maxDepth: 3, maxNodes: 60, maxStringLength: 12, maxKeyLength: 5 };

  it('never passes text whose value jsonProblem refuses (any JSON, tight and default limits)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 5 }), fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' })), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        for (const limits of [tight, DEFAULT_JSON_LIMITS]) {
          if (jsonTextWithinLimits(text, limits)) expect(jsonProblem(JSON.parse(text), limits)).toBeNull();
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never passes text with what PostgreSQL or the payload rules refuse, however it is spelled', () => {
    const refused = [
      '{"a":"\\u0000"}',
      '{"a":"x\\by"}',
      '{"a":"\\f"}',
      '{"a":"\\ud800"}',
      '{"a":"\u007f"}',
      '{"a":"\u0085"}',
      '{"li\\nne":1}',
      '{"constructor":{}}',
      '{"prototype" : 1}',
      '{"a":1e400}',
      '{"a":1E2}',
      `{"a":${'9'.repeat(301)}}`,
      `${'['.repeat(65)}${']'.repeat(65)}`,
      `{"${'k'.repeat(1025)}":1}`,
    ];
    const limits = { maxDepth: 64, maxNodes: 200_000, maxStringLength: 1_048_576, maxKeyLength: 1024 };
    for (const text of refused) {
      JSON.parse(text);
      expect(jsonTextWithinLimits(text, limits), text.slice(0, 40)).toBe(false);
    }
  });

  it('passes ordinary webhook bodies, brackets and keywords inside strings included', () => {
    const limits = { maxDepth: 64, maxNodes: 200_000, maxStringLength: 1_048_576, maxKeyLength: 1024 };
    const body = JSON.stringify({
      webhookEvent: 'jira:issue_updated',
      issue: { id: '10001', fields: { summary: 'Fix [SEC-1] {urgent} "quoted" \\ path', labels: ['a', 'b'], done: false, points: -3.5, none: null } },
      changelog: { items: [{ field: 'status', fromString: 'To Do\nnext line\ttab', toString: 'Done' }] },
      constructorName: 'not a prototype key',
    });
    expect(jsonTextWithinLimits(body, limits)).toBe(true);
    expect(jsonTextWithinLimits(`${'['.repeat(64)}${']'.repeat(64)}`, limits)).toBe(true);
    expect(jsonProblem(JSON.parse(body), limits)).toBeNull();
  });
});
