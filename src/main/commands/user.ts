/**
 * `user add <username> [--admin] [--org ORG]`, `user list [--json]`, `user passwd <username>`: local
 * accounts for the web UI, written straight into the database (DATABASE_URL, else the embedded one
 * in DATA_DIR, migrated first like `serve` does). The password is read from standard input when it
 * is not a terminal (first line), else asked for twice without echo; it is never printed or logged.
 * The embedded database belongs to one process: with a service running on it, stop the service
 * first (or set ADMIN_USERNAME/ADMIN_PASSWORD and restart it).
 */
import type { ReadStream } from 'node:tty';
import { parseArgs } from 'node:util';
import { fetch } from 'undici';
import type { Config } from '../../config/index.ts';
import { databaseTarget, openDatabase } from '../../db/database.ts';
import { runMigrations } from '../../db/migrate.ts';
import { AppError } from '../../errors/app-error.ts';
import { SessionStore } from '../../services/sessions/index.ts';
import { TenantDirectory } from '../../services/tenancy.ts';
import { PASSWORD_MIN_LENGTH, UserService } from '../../services/users.ts';
import type { CliIo } from '../cli-io.ts';
import { loadConfigOrReport } from '../load-config.ts';

export const summary = 'manage web UI accounts: user add <username> [--admin] [--org ORG], user list, user passwd <username>';

/** Reads the first line of a non-terminal stdin. */
async function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n')) break;
  }
  return (text.split(/\r?\n/)[0] ?? '').trimEnd();
}

/** Asks on the terminal without echo (raw mode); Ctrl-C aborts. */
function askHidden(tty: ReadStream, prompt: string, io: CliIo): Promise<string> {
  io.stderr(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    tty.setRawMode(true);
    tty.resume();
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done(() => resolve(value));
        if (char === '\u0003') return done(() => reject(new Error('aborted')));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    const done = (finish: () => void) => {
      tty.off('data', onData);
      tty.setRawMode(false);
      tty.pause();
      io.stderr('\n');
      finish();
    };
    tty.on('data', onData);
  });
}

async function readPassword(io: CliIo): Promise<string> {
  const stdin = io.stdin as (NodeJS.ReadableStream & Partial<ReadStream>) | undefined;
  if (!stdin) throw new AppError('VALIDATION_FAILED', 'no standard input to read the password from');
  if (stdin.isTTY && typeof stdin.setRawMode === 'function') {
    const tty = stdin as ReadStream;
    const first = await askHidden(tty, `Password (at least ${PASSWORD_MIN_LENGTH} characters): `, io);
    const second = await askHidden(tty, 'Again: ', io);
    if (first !== second) throw new AppError('VALIDATION_FAILED', 'the two passwords differ');
    return first;
  }
  return readLine(stdin);
}

/** The embedded database is one process's: refuse while a service answers on this configuration's port. */
async function embeddedInUse(config: Config): Promise<boolean> {
  if (config.databaseUrl) return false;
  const scheme = config.tls ? 'https' : 'http';
  try {
    const response = await fetch(`${scheme}://127.0.0.1:${config.port}/health`, { signal: AbortSignal.timeout(1500) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const config = loadConfigOrReport(io);
  if (!config) return 2;
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { admin: { type: 'boolean', default: false }, org: { type: 'string', default: config.admin?.org ?? 'demo-org' }, json: { type: 'boolean', default: false } },
  });
  const [action, username] = positionals;
  if (!action || !['add', 'list', 'passwd'].includes(action) || (action !== 'list' && !username)) {
    io.stderr('usage: integration-service user add <username> [--admin] [--org ORG] | user list [--json] | user passwd <username>\n');
    return 2;
  }
  if (await embeddedInUse(config)) {
    io.stderr(
      `integration-service: a service is running on port ${config.port} with the embedded database in ${config.dataDir}; stop it first (the embedded database has one user at a time), or set ADMIN_USERNAME and ADMIN_PASSWORD and restart it\n`,
    );
    return 1;
  }
  const password = action === 'list' ? '' : await readPassword(io).catch((error: unknown) => error as Error);
  if (password instanceof Error) {
    io.stderr(`integration-service: ${password.message}\n`);
    return 1;
  }
  const db = await openDatabase(databaseTarget(config));
  try {
    if (config.migrateOnStart) await runMigrations(db);
    const users = new UserService(db.orm, new TenantDirectory(db.orm));
    if (action === 'list') {
      const list = await users.list();
      if (values.json) {
        io.stdout(`${JSON.stringify(list.map((user) => ({ username: user.username, org: user.orgSlug, roles: user.roles, created_at: user.createdAt.toISOString() })))}\n`);
      } else if (list.length === 0) {
        io.stdout('no local users (add one with `integration-service user add <username> --admin`)\n');
      } else {
        for (const user of list) io.stdout(`${user.username}\t${user.orgSlug}\t${user.roles.join(',') || '-'}\t${user.createdAt.toISOString()}\n`);
      }
      return 0;
    }
    if (action === 'add') {
      const created = await users.create({ username: username!, password, roles: [values.admin ? 'admin' : 'member'], orgSlug: values.org });
      io.stdout(`created ${created.roles.join(',')} ${created.username} in ${created.orgSlug}\n`);
      return 0;
    }
    const user = await users.findByUsername(username!);
    if (!user || !(await users.setPassword(username!, password))) {
      io.stderr(`integration-service: no user named ${username}\n`);
      return 1;
    }
    const ended = await new SessionStore(db.orm, users, config.sessions).destroyAllOf(user.id);
    io.stdout(`password of ${user.username} changed; ${ended} session(s) signed out\n`);
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      io.stderr(`integration-service: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await db.close();
  }
}
