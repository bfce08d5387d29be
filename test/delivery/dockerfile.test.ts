/**
 * Static checks of the Dockerfile and .dockerignore (no Docker engine is needed): multi-stage, a
 * non-root runtime user, a HEALTHCHECK on /ready that honours PORT, no secrets copied into the
 * image, .env kept out of the build context. The HEALTHCHECK's script is also run against a local
 * server, since a typo there would only show up as an "unhealthy" container.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Instruction {
  keyword: string;
  args: string;
}

/** Joins `\` continuations, drops comments and blank lines, splits into instructions. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (current === '' && /^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
const dockerignore = readFileSync(new URL('../../.dockerignore', import.meta.url), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const instructions = parseDockerfile(dockerfile);
const stageStarts = instructions.flatMap((instruction, index) => (instruction.keyword === 'FROM' ? [index] : []));
const runtime = instructions.slice(stageStarts.at(-1));

function args(keyword: string, stage: Instruction[] = instructions): string[] {
  return stage.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);
}

function execForm(text: string): string[] {
  return JSON.parse(text) as string[];
}

const healthcheck = args('HEALTHCHECK', runtime)[0] ?? '';
const healthcheckCommand = execForm(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim());

describe('Dockerfile', () => {
  it('is multi-stage, with dev dependencies only in a build stage and production ones installed with --omit=dev', () => {
    expect(stageStarts.length).toBeGreaterThanOrEqual(2);
    const runs = args('RUN').join('\n');
    expect(runs).toMatch(/npm ci --omit=dev/);
    const copiedFrom = args('COPY', runtime).filter((arg) => arg.startsWith('--from='));
    expect(copiedFrom.some((arg) => /node_modules/.test(arg))).toBe(true);
    expect(args('COPY', runtime).join('\n')).not.toMatch(/--from=deps\b/);
  });

  it('runs on Node 24 (type stripping) with git installed', () => {
    const image = args('ARG').find((arg) => arg.startsWith('NODE_IMAGE='))?.split('=')[1] ?? '';
    expect(image).toMatch(/^node:24[.\d]*(-bookworm)?-slim$/);
    expect(runtime[0]?.args).toMatch(/\$\{NODE_IMAGE\}|node:24/);
    expect(args('RUN', runtime).join('\n')).toMatch(/apt-get install[^\n]*\bgit\b/);
  });

  it('runs as the non-root node user', () => {
    const users = args('USER', runtime);
    expect(users.at(-1)).toBe('node');
    const lastUser = runtime.findLastIndex((instruction) => instruction.keyword === 'USER');
    const cmd = runtime.findIndex((instruction) => instruction.keyword === 'CMD');
    expect(lastUser).toBeLessThan(cmd);
  });

  it('sets production defaults, exposes the port and starts `serve`', () => {
    const env = args('ENV', runtime).join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    // The port is defaulted by the configuration, not baked: a baked PORT would override APP_PORT.
    expect(env).not.toMatch(/\b(APP_)?PORT=/);
    expect(args('EXPOSE', runtime)).toContain('3001');
    expect(execForm(args('CMD', runtime)[0] ?? '[]')).toEqual(['node', 'src/main/cli.ts', 'serve']);
    const copies = args('COPY', runtime).join('\n');
    for (const path of ['src', 'bin', 'package.json']) expect(copies).toContain(path);
  });

  it('has a HEALTHCHECK probing /ready with node fetch on $PORT (no curl in slim images)', () => {
    expect(healthcheck).toMatch(/--interval=\d+s/);
    expect(healthcheck).toMatch(/--timeout=\d+s/);
    expect(healthcheckCommand[0]).toBe('node');
    const script = healthcheckCommand.at(-1) ?? '';
    expect(script).toContain('fetch(');
    expect(script).toContain('/ready');
    expect(script).toContain('process.env.PORT');
    expect(instructions.map((instruction) => instruction.args).join('\n')).not.toMatch(/\bcurl\b|\bwget\b/);
  });

  it('copies no secrets or local state into any stage and bakes in no secret values', () => {
    for (const copy of [...args('COPY'), ...args('ADD')]) {
      const tokens = copy.split(/\s+/).filter((token) => !token.startsWith('--'));
      const sources = tokens.slice(0, -1).map((source) => source.replace(/^\.\//, ''));
      expect(sources.length, copy).toBeGreaterThan(0);
      for (const source of sources) {
        expect(source, `COPY of the whole context: ${copy}`).not.toMatch(/^\.?\/?$/);
        expect(source, copy).not.toMatch(/(^|\/)(\.env(\..*)?|data|\.npmrc|\.git|.*\.pem|.*\.key)$/);
      }
    }
    const declared = [...args('ENV'), ...args('ARG')].join(' ');
    expect(declared).not.toMatch(/(SECRET|ENCRYPTION_KEYS|TOKEN|PASSWORD|_PAT|DATABASE_URL|REDIS_URL)\w*=/i);
  });
});

describe('.dockerignore', () => {
  it('keeps .env files, keys, local data and node_modules out of the build context', () => {
    for (const pattern of ['.env', '.env.*', '.npmrc', 'data/', 'node_modules/', '.git/']) expect(dockerignore).toContain(pattern);
    expect(dockerignore.some((line) => /\*\.pem$/.test(line))).toBe(true);
  });

  it('still sends the files the image is built from', () => {
    for (const needed of ['src', 'bin', 'package.json', 'package-lock.json', 'src/', 'bin/']) {
      expect(dockerignore).not.toContain(needed);
    }
  });
});

describe('HEALTHCHECK script', () => {
  let server: Server;
  let status = 200;

  beforeAll(async () => {
    server = createServer((request, response) => {
      response.statusCode = request.url === '/ready' ? status : 404;
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function probe(env: Record<string, string>): Promise<number | null> {
    const [, ...rest] = healthcheckCommand;
    const child = spawn(process.execPath, rest, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  it('exits 0 when /ready answers 200 on $PORT, 1 on 503, 1 when nothing listens', async () => {
    const port = String((server.address() as AddressInfo).port);
    status = 200;
    expect(await probe({ PORT: port })).toBe(0);
    status = 503;
    expect(await probe({ PORT: port })).toBe(1);
    expect(await probe({ PORT: '1' })).toBe(1);
    // The seed alias alone (no PORT baked into the image) is the port probed.
    status = 200;
    expect(await probe({ APP_PORT: port })).toBe(0);
    expect(await probe({ PORT: port, APP_PORT: '1' })).toBe(0);
  });
});
