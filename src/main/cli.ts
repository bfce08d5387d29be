/**
 * The `integration-service` command line: one entry point, one module per command under ./commands.
 * Each command module exports `run(args, io)` and resolves to the process exit code.
 *
 * Arguments go through commander (README: libraries) first: every command and option is declared
 * below, so `--help` works for every command (`integration-service <command> --help`, or
 * `integration-service help <command>`), and an unknown command or option, a missing argument or a
 * stray one is refused with one clear line and exit code 2 before any command runs. The command
 * module then gets the validated arguments as typed (its own parsing matches these declarations).
 * Modules load only when their command runs, so `--help` stays fast.
 */
import { Command, CommanderError, Option } from 'commander';
import type { CliIo } from './cli-io.ts';

type CommandModule = { run(args: string[], io: CliIo): Promise<number>; summary: string };

interface CommandSpec {
  load: () => Promise<CommandModule>;
  /** One line for the command list (the module's own `summary` says the same; kept here so help loads nothing). */
  description: string;
  declare?: (command: Command) => void;
}

const commands: Record<string, CommandSpec> = {
  serve: {
    load: () => import('./commands/serve.ts'),
    description: 'run the HTTP API (and the job worker unless --no-worker or RUN_WORKER=false)',
    declare: (c) => c.option('--no-worker', 'do not run the job worker in this process').option('--no-migrate', 'do not apply pending migrations on start'),
  },
  worker: { load: () => import('./commands/worker.ts'), description: 'run the job worker only (several may share a PostgreSQL database)' },
  migrate: {
    load: () => import('./commands/migrate.ts'),
    description: 'apply pending database migrations and exit',
    declare: (c) => c.option('--status', 'report how many migrations are pending (exit 1 when some are) instead of applying them'),
  },
  'rotate-keys': { load: () => import('./commands/rotate-keys.ts'), description: 're-encrypt stored secrets under the active encryption key' },
  keygen: {
    load: () => import('./commands/keygen.ts'),
    description: 'print a new encryption key entry for ENCRYPTION_KEYS',
    declare: (c) => c.option('--id <id>', 'key id (default k<today>)'),
  },
  token: {
    load: () => import('./commands/token.ts'),
    description: 'sign a development JWT with the configured HS* secret',
    declare: (c) =>
      c
        .option('--sub <subject>', 'subject', 'dev-user')
        .option('--org <org>', 'organization', 'demo-org')
        .option('--role <role>', 'role, repeatable (default: admin)', collect)
        .option('--ttl <seconds>', 'lifetime in seconds', '3600'),
  },
  bump: {
    load: () => import('./commands/bump.ts'),
    description: 'rewrite one manifest so <package> requires <version> (only the version bytes change)',
    declare: (c) =>
      c
        .argument('<file>', 'the manifest')
        .argument('<package>', 'the dependency')
        .argument('<version>', 'the version to require')
        .option('--write', 'write the file (default: print the result)')
        .addOption(new Option('--ecosystem <ecosystem>', 'when the file name does not tell').choices(['npm', 'pip', 'gomod', 'maven', 'gradle', 'bundler'])),
  },
  import: {
    load: () => import('./commands/import.ts'),
    description: 'import a scanner report (Trivy, Grype, OSV-Scanner, npm audit, SARIF, Dependabot alerts) as a scan of a target',
    declare: (c) =>
      c
        .argument('<file>', 'the report as the scanner wrote it ("-" reads standard input)')
        .addOption(new Option('--format <format>', 'report format (detected when absent)').choices(['trivy', 'grype', 'osv', 'npm-audit', 'sarif', 'dependabot']))
        .option('--target <name>', 'what was scanned (default: the current directory’s name)')
        .option('--dry-run', 'compute the summary, write nothing')
        .option('--partial', 'the report covers part of the target: resolve nothing')
        .option('--url <url>', 'the running service to post to (default http://localhost:$PORT; without --url, imports directly into DATABASE_URL when no service answers)')
        .option('--org <org>', 'organization', 'demo-org')
        .option('--direct', 'import into the database directly, without asking a running service')
        .option('--json', 'print the summary as JSON'),
  },
  summary: {
    load: () => import('./commands/summary.ts'),
    description: 'write the integration summary (webhook URLs and secrets, connections, mappings) from the running service',
    declare: (c) =>
      c
        .option('--out <file>', 'where to write it', 'tmp/integration-summary.json')
        .option('--url <url>', 'the running service (default: this configuration’s localhost URL)')
        .option('--org <org>', 'organization', 'demo-org')
        .option('--ca <file>', 'CA certificate to trust for https')
        .option('--insecure', 'do not verify the TLS certificate'),
  },
  'tls-cert': {
    load: () => import('./commands/tls-cert.ts'),
    description: 'make a self-signed localhost certificate and key for TLS_CERT/TLS_KEY',
    declare: (c) =>
      c.option('--out-dir <dir>', 'folder for localhost.crt and localhost.key', 'tls').option('--days <n>', 'validity in days', '365').option('--force', 'overwrite existing files'),
  },
  user: {
    load: () => import('./commands/user.ts'),
    description: 'manage web UI accounts (password from standard input or a prompt)',
    declare: (c) => {
      c.command('add')
        .description('create a local account')
        .argument('<username>', 'sign-in name')
        .option('--admin', 'an admin (manages connections, mappings and secrets); default: a member')
        .option('--org <org>', 'organization (default ADMIN_ORG, else demo-org)');
      c.command('list').description('list local accounts').option('--json', 'print JSON');
      c.command('passwd').description('set a new password (signs the user out everywhere)').argument('<username>', 'sign-in name');
    },
  },
};

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The program for `io`: help and errors go to its streams, nothing calls process.exit. */
function program(io: CliIo, run: (name: string) => void): Command {
  const root = new Command('integration-service')
    .description('Turns security findings into tickets and fix pull requests.')
    .usage('<command> [options]')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .showHelpAfterError('(add --help for usage)')
    .helpCommand('help [command]', 'show help for a command');
  for (const [name, spec] of Object.entries(commands)) {
    const command = root.command(name).description(spec.description).helpOption('-h, --help', 'show this help');
    spec.declare?.(command);
    command.action(() => run(name));
    // Subcommands (user add/list/passwd) run their parent's module, which reads its own arguments.
    for (const sub of command.commands) sub.helpOption('-h, --help', 'show this help').action(() => run(name));
  }
  return root;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let chosen: string | null = null;
  const root = program(io, (name) => {
    chosen = name;
  });
  if (argv.length === 0) {
    io.stderr(root.helpInformation());
    return 2;
  }
  try {
    await root.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version' ? 0 : 2;
    }
    throw error;
  }
  if (chosen === null) return 2;
  const mod = await commands[chosen]!.load();
  // Validated above; the module reads the same arguments (after the command name) itself.
  return mod.run(argv.slice(argv.indexOf(chosen) + 1), io);
}

if (import.meta.main) {
  const { processIo } = await import('./cli-io.ts');
  const code = await main(process.argv.slice(2), processIo);
  // Long-running commands (serve, worker) keep the event loop alive themselves and never resolve here.
  process.exitCode = code;
}
