/**
 * The `integration-service` command line: one entry point, one module per command under ./commands.
 * Each command module exports `run(args, io)` and resolves to the process exit code.
 */
import type { CliIo } from './cli-io.ts';

type CommandModule = { run(args: string[], io: CliIo): Promise<number>; summary: string };

const commands: Record<string, () => Promise<CommandModule>> = {
  serve: () => import('./commands/serve.ts'),
  worker: () => import('./commands/worker.ts'),
  migrate: () => import('./commands/migrate.ts'),
  'rotate-keys': () => import('./commands/rotate-keys.ts'),
  keygen: () => import('./commands/keygen.ts'),
  token: () => import('./commands/token.ts'),
  bump: () => import('./commands/bump.ts'),
  summary: () => import('./commands/summary.ts'),
  'tls-cert': () => import('./commands/tls-cert.ts'),
};

async function usage(io: CliIo): Promise<void> {
  const lines = ['usage: integration-service <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(commands)) {
    const mod = await load();
    lines.push(`  ${name.padEnd(12)} ${mod.summary}`);
  }
  io.stderr(`${lines.join('\n')}\n`);
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    await usage(io);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    io.stderr(`integration-service: unknown command '${name}'\n`);
    await usage(io);
    return 2;
  }
  const mod = await load();
  return mod.run(rest, io);
}

if (import.meta.main) {
  const { processIo } = await import('./cli-io.ts');
  const code = await main(process.argv.slice(2), processIo);
  // Long-running commands (serve, worker) keep the event loop alive themselves and never resolve here.
  process.exitCode = code;
}
