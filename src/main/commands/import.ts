/**
 * `import <file> [--format F] [--target NAME] [--dry-run] [--partial] [--url URL] [--org ORG] [--direct] [--json]`:
 * imports a scanner report as a scan of a target (docs/importing.md) and prints the summary.
 *
 * Where it goes: the embedded database belongs to one process, so while `serve` runs the report is
 * posted to its API (`POST /api/v1/findings/import`, streamed, with a token minted like `token`
 * does). Without `--url`, when nothing answers at http(s)://localhost:PORT, the import runs in this
 * process against DATABASE_URL (or the embedded database in DATA_DIR). `--direct` skips the service.
 * Either way the same follow-ups run after the import (the organization's policy tickets, tickets of
 * resolved findings transitioned, reopened ones reopened), as queued jobs.
 * A progress bar (cli-progress) is drawn on a terminal's standard error; elsewhere it stays quiet.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { Agent, fetch } from 'undici';
import { loadOrCreateJwtSecret } from '../../auth/dev-secret.ts';
import { signHmacToken } from '../../auth/sign.ts';
import type { Config } from '../../config/index.ts';
import { databaseTarget, openDatabase } from '../../db/database.ts';
import { pendingMigrations, runMigrations } from '../../db/migrate.ts';
import { CodedError } from '../../errors/coded-error.ts';
import { type ImportFormat, importFormats } from '../../importers/index.ts';
import { createLogger } from '../../logging/logger.ts';
import { type Runtime, startRuntime } from '../../runtime.ts';
import { type ImportProgress, type ImportSummary, importReport } from '../../services/imports/import-service.ts';
import { TenantDirectory } from '../../services/tenancy.ts';
import type { CliIo } from '../cli-io.ts';
import { loadConfigOrReport } from '../load-config.ts';

export const summary = 'import a scanner report (Trivy, Grype, OSV-Scanner, npm audit, SARIF, Dependabot alerts) as a scan of a target';

interface Options {
  file: string;
  format: ImportFormat | null;
  target: string;
  dryRun: boolean;
  partial: boolean;
  url: string | null;
  org: string;
  direct: boolean;
  json: boolean;
}

function parse(args: string[], io: CliIo): Options | string {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        target: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        partial: { type: 'boolean', default: false },
        url: { type: 'string' },
        org: { type: 'string', default: 'demo-org' },
        direct: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return (error as Error).message;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return 'expected one <file>';
  if (values.format !== undefined && !(importFormats as readonly string[]).includes(values.format)) return `unknown format '${values.format}' (one of ${importFormats.join(', ')})`;
  const target = (values.target ?? basename(io.cwd)).trim();
  if (target === '') return '--target must not be empty';
  return {
    file: positionals[0]!,
    format: (values.format as ImportFormat | undefined) ?? null,
    target,
    dryRun: values['dry-run'],
    partial: values.partial,
    url: values.url ?? null,
    org: values.org,
    direct: values.direct,
    json: values.json,
  };
}

/** A progress bar on a terminal, nothing elsewhere. */
function progressBar(io: CliIo, totalBytes: number | null): { update(progress: ImportProgress): void; stop(): void } {
  if (!io.progress) return { update() {}, stop() {} };
  const bar = new SingleBar({
    stream: io.progress,
    format: ' {phase} [{bar}] {percentage}% | {value}/{total} {unit} | {findings} findings',
    hideCursor: true,
    clearOnComplete: false,
  });
  let phase: ImportProgress['phase'] | 'upload' | null = null;
  const start = (name: typeof phase, total: number, unit: string) => {
    if (phase !== null) bar.stop();
    phase = name;
    bar.start(total, 0, { phase: name!.padEnd(6), unit, findings: 0 });
  };
  return {
    update(progress) {
      if (progress.phase !== phase) {
        if (progress.phase === 'parse') start('parse', totalBytes ?? 0, 'bytes');
        else start('write', progress.findings, 'findings');
      }
      if (progress.phase === 'parse' && totalBytes === null) bar.setTotal(progress.done);
      bar.update(progress.done, { findings: progress.findings });
    },
    stop() {
      if (phase !== null) bar.stop();
    },
  };
}

async function mintToken(config: Config, org: string): Promise<string> {
  const secret = config.jwt.secret ?? loadOrCreateJwtSecret(config.dataDir).secret;
  return signHmacToken(secret, config.jwt.algorithm, {
    subject: 'integration-service-cli',
    org,
    roles: ['admin'],
    expiresInSeconds: 3600,
    ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
    ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
  });
}

function dispatcherFor(base: string, config: Config): Agent | undefined {
  if (!base.startsWith('https:')) return undefined;
  // The local service's own certificate (maybe self-signed by `tls-cert`) is trusted, as `summary` does.
  return new Agent({ connect: config.tls ? { ca: readFileSync(config.tls.certFile) } : {} });
}

/** Is a service answering /health at `base`? */
async function serviceAnswers(base: string, dispatcher: Agent | undefined): Promise<boolean> {
  try {
    const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000), ...(dispatcher ? { dispatcher } : {}) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function sourceOf(options: Options, io: CliIo): { stream: AsyncIterable<Uint8Array>; size: number | null } {
  if (options.file === '-') {
    if (!io.stdin) throw new Error('no standard input');
    return { stream: io.stdin as AsyncIterable<Uint8Array>, size: null };
  }
  const path = resolve(io.cwd, options.file);
  const size = statSync(path).size;
  return { stream: createReadStream(path), size };
}

async function viaService(base: string, config: Config, options: Options, io: CliIo, dispatcher: Agent | undefined): Promise<ImportSummary | { error: string }> {
  const { stream, size } = sourceOf(options, io);
  const bar = progressBar(io, size);
  let sent = 0;
  const counted = async function* () {
    for await (const chunk of stream) {
      sent += chunk.byteLength;
      bar.update({ phase: 'parse', done: sent, findings: 0 });
      yield chunk;
    }
  };
  const query = new URLSearchParams({ target: options.target });
  if (options.format) query.set('format', options.format);
  if (options.dryRun) query.set('dry_run', 'true');
  if (options.partial) query.set('partial', 'true');
  try {
    const response = await fetch(`${base}/api/v1/findings/import?${query}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await mintToken(config, options.org)}`,
        'content-type': 'application/octet-stream',
        ...(size === null ? {} : { 'content-length': String(size) }),
      },
      body: counted(),
      duplex: 'half',
      ...(dispatcher ? { dispatcher } : {}),
    });
    const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    if (!response.ok) {
      const error = (body?.error ?? {}) as { code?: string; message?: string };
      return { error: `${error.code ?? response.status}: ${error.message ?? 'the service refused the import'}` };
    }
    return {
      scanId: body!.scan_id as string | null,
      format: body!.format as ImportFormat,
      target: body!.target as string,
      partial: body!.partial as boolean,
      dryRun: body!.dry_run as boolean,
      received: body!.received as number,
      new: body!.new as number,
      updated: body!.updated as number,
      unchanged: body!.unchanged as number,
      resolved: body!.resolved as number,
      reopened: body!.reopened as number,
      skipped: body!.skipped as ImportSummary['skipped'],
    };
  } finally {
    bar.stop();
  }
}

async function direct(config: Config, options: Options, io: CliIo): Promise<ImportSummary | { error: string }> {
  const db = await openDatabase(databaseTarget(config));
  let runtime: Runtime | null = null;
  try {
    if ((await pendingMigrations(db)) > 0) {
      if (!config.migrateOnStart) return { error: 'the database has pending migrations: run `integration-service migrate` first' };
      await runMigrations(db);
    }
    // What the API path runs after a committed import (policy tickets, resolved findings' tickets
    // transitioned, reopened ones reopened: src/services/imports/lifecycle.ts) is registered by the
    // runtime, so a direct import starts one on this database (no workers: the jobs it queues are run
    // by the service's worker). A dry run follows with nothing. Only errors are logged, to stderr.
    if (!options.dryRun) {
      const logger = createLogger({ level: 'error', timezone: config.log.timezone, destination: { write: (line: string) => io.stderr(line) } });
      runtime = await startRuntime(config, { database: db, logger, skipClockCheck: true });
    }
    const orgId = await new TenantDirectory(db.orm).orgId(options.org);
    const { stream, size } = sourceOf(options, io);
    const bar = progressBar(io, size);
    try {
      return await importReport(db.orm, {
        orgId,
        actor: 'integration-service-cli',
        target: options.target,
        format: options.format,
        partial: options.partial,
        dryRun: options.dryRun,
        source: stream,
        onProgress: (progress) => bar.update(progress),
        onListenerError: (error) => io.stderr(`integration-service import: the import is stored, but queuing what follows it failed: ${(error as Error).message}\n`),
      });
    } catch (error) {
      if (error instanceof CodedError) return { error: `${error.code}: ${error.message}` };
      throw error;
    } finally {
      bar.stop();
    }
  } finally {
    // The runtime owns the database once started (its close closes it).
    if (runtime) await runtime.close();
    else await db.close();
  }
}

function describe(summary: ImportSummary, where: string): string {
  const skipped = summary.skipped.length === 0 ? 'none' : summary.skipped.map((s) => `${s.reason} ${s.count}`).join(', ');
  return [
    `${summary.dryRun ? 'dry run: would import' : 'imported'} a ${summary.format} report as ${summary.partial ? 'a partial' : 'a complete'} scan of ${summary.target}${summary.scanId ? ` (scan ${summary.scanId})` : ''} ${where}`,
    `  new ${summary.new}, updated ${summary.updated}, unchanged ${summary.unchanged}, resolved ${summary.resolved}, reopened ${summary.reopened}`,
    `  skipped: ${skipped}`,
    '',
  ].join('\n');
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const options = parse(args, io);
  if (typeof options === 'string') {
    io.stderr(`integration-service import: ${options}\n`);
    return 2;
  }
  const config = loadConfigOrReport(io);
  if (!config) return 2;
  if (options.file !== '-') {
    try {
      statSync(resolve(io.cwd, options.file));
    } catch (error) {
      io.stderr(`integration-service import: cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
      return 1;
    }
  }
  let result: ImportSummary | { error: string };
  let where: string;
  const base = (options.url ?? `${config.tls ? 'https' : 'http'}://localhost:${config.port}`).replace(/\/+$/, '');
  const dispatcher = dispatcherFor(base, config);
  if (!options.direct && (options.url !== null || (await serviceAnswers(base, dispatcher)))) {
    if (!config.jwt.algorithm.startsWith('HS')) {
      io.stderr(`integration-service import: posting to the service needs a token signed with the HS* secret; ${config.jwt.algorithm} tokens come from your identity provider (use --direct)\n`);
      return 2;
    }
    where = `through ${base}`;
    try {
      result = await viaService(base, config, options, io, dispatcher);
    } catch (error) {
      result = { error: `cannot reach ${base}: ${(error as Error).message}` };
    }
  } else {
    where = `directly into the ${config.databaseUrl ? 'PostgreSQL' : 'embedded'} database`;
    result = await direct(config, options, io);
  }
  if ('error' in result) {
    io.stderr(`integration-service import: ${result.error}\n`);
    return 1;
  }
  io.stdout(options.json ? `${JSON.stringify(result)}\n` : describe(result, where));
  return 0;
}
