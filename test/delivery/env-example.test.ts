/**
 * .env.example lists every variable of the configuration schema, each with a comment, and nothing
 * the schema does not know (except the test/benchmark-only URLs), so the two never drift.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { environmentSchema } from '../../src/config/schema.ts';

const outsideSchema = ['TEST_DATABASE_URL', 'BENCH_DATABASE_URL'];
const lines = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').split('\n');
const assignment = /^([A-Z][A-Z0-9_]*)=(.*)$/;

const entries = lines.flatMap((line, index) => {
  const match = assignment.exec(line);
  return match ? [{ name: match[1] as string, value: match[2] as string, index }] : [];
});
const listed = entries.map((entry) => entry.name);
const schemaKeys = Object.keys(environmentSchema.shape);

describe('.env.example', () => {
  it('lists every variable of src/config/schema.ts', () => {
    expect(schemaKeys.filter((key) => !listed.includes(key))).toEqual([]);
  });

  it('lists nothing the schema does not read, except the test and benchmark database URLs', () => {
    expect(listed.filter((name) => !schemaKeys.includes(name) && !outsideSchema.includes(name))).toEqual([]);
    for (const name of outsideSchema) expect(listed).toContain(name);
  });

  it('lists each variable once, with a one-line comment right above it', () => {
    expect(new Set(listed).size).toBe(listed.length);
    for (const entry of entries) {
      const above = lines[entry.index - 1] ?? '';
      expect(above, `comment above ${entry.name}`).toMatch(/^# \S/);
    }
  });

  it('holds no secret values', () => {
    const secretish = /(SECRET|KEYS?|TOKEN|PASSWORD|PAT)$/;
    for (const entry of entries.filter((item) => secretish.test(item.name))) {
      expect(entry.value, entry.name).toBe('');
    }
  });

  it('is a valid configuration as written (empty means default)', () => {
    const env = Object.fromEntries(entries.filter((entry) => !outsideSchema.includes(entry.name)).map((entry) => [entry.name, entry.value]));
    const config = loadConfig(env, '/srv/app');
    expect(config.port).toBe(3001);
    expect(config.databaseUrl).toBeNull();
    expect(config.log.timezone).toBe('Asia/Kolkata');
  });
});
