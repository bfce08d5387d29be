#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run directly by Node >= 24 (type stripping).
import { main } from '../src/main/cli.ts';
import { processIo } from '../src/main/cli-io.ts';

process.exitCode = await main(process.argv.slice(2), processIo);
