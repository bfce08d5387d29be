/**
 * Real worker processes: SIGTERM lets the running job finish and exits cleanly; SIGKILL loses
 * nothing (the job runs again elsewhere after its timeout). On both databases.
 */
import { randomUUID } from 'node:crypto';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type DatabaseKind, databaseKinds } from '../helpers/databases.ts';
import { testEnv } from '../helpers/runtime.ts';
import { exited, withRuntime } from '../helpers/wait.ts';

/** An `update` job for test/fixtures/test-worker.ts: what it does (sleep `ms`, then GET `url`) rides in `reason`. */
const workerJob = (orgId: string, instructions: { ms: number; url?: string }) => ({ org_id: orgId, ticket_id: randomUUID(), fields: ['priority' as const], reason: JSON.stringify(instructions) });

const workerScript = path.resolve(import.meta.dirname, '../fixtures/test-worker.ts');

interface Setup {
  env: Record<string, string>;
  markers: string;
  cleanup(): Promise<void>;
}

async function setup(kind: DatabaseKind): Promise<Setup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'is-worker-'));
  const markers = path.join(dir, 'markers');
  fs.mkdirSync(markers);
  const env = testEnv({ DATA_DIR: path.join(dir, 'data'), JOB_TIMEOUT_SECONDS: '2', LOG_LEVEL: 'warn', TEST_MARKER_DIR: markers });
  if (kind === 'postgres') {
    const created = await createPostgresDatabase();
    env.DATABASE_URL = created.url;
    return {
      env,
      markers,
      cleanup: async () => {
        await created.drop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  return { env, markers, cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}


const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
function startWorker(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [workerScript], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.on('data', () => {});
  children.push(child);
  return child;
}


async function waitForFile(dir: string, prefix: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = fs.readdirSync(dir).find((name) => name.startsWith(prefix));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${prefix}* marker within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe.each(databaseKinds())('worker processes on %s', (kind) => {
  it('SIGTERM: the running job finishes (its provider calls still work), the process exits 0, no new job is taken after the signal', async () => {
    const { env, markers, cleanup } = await setup(kind);
    try {
      // The job calls a provider after the signal: the outbound client must still be open then.
      const peer = createServer((_request, response) => response.end('ok'));
      await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
      const peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}/ping`;
      const { jobId, orgId } = await withRuntime(env, async ({ context }) => {
        const orgId = await context.tenants.orgId('demo-org');
        const jobId = await context.queue.enqueue('update', workerJob(orgId, { ms: 1500, url: peerUrl }));
        return { jobId: jobId!, orgId };
      });
      const worker = startWorker({ ...env, WORKER_CONCURRENCY: '1' });
      cleanups.push(() => new Promise((resolve) => peer.close(() => resolve())));
      await waitForFile(markers, `${jobId}.started.`);
      const waitingId = await (async () => {
        if (kind !== 'postgres') return null;
        // On PostgreSQL a second job can be queued while the worker runs; it must not be taken after SIGTERM.
        return withRuntime({ ...env, MIGRATE_ON_START: 'false' }, async ({ context }) =>
          context.queue.enqueue('update', workerJob(orgId, { ms: 0 }), { startAfterSeconds: 1 }),
        );
      })();
      worker.kill('SIGTERM');
      const result = await exited(worker);
      expect(result).toEqual({ code: 0, signal: null });
      expect(fs.readdirSync(markers).some((name) => name.startsWith(`${jobId}.finished.${worker.pid}`))).toBe(true);
      await withRuntime({ ...env, MIGRATE_ON_START: 'false' }, async ({ context }) => {
        const job = await context.queue.get(orgId, jobId);
        expect(job?.state).toBe('completed');
        if (waitingId) expect((await context.queue.get(orgId, waitingId))?.state).toBe('created');
      });
    } finally {
      await cleanup();
    }
  }, 90_000);

  it('SIGKILL: the job a killed worker held runs again after its timeout; nothing is lost', async () => {
    const { env, markers, cleanup } = await setup(kind);
    try {
      const { jobId, orgId } = await withRuntime(env, async ({ context }) => {
        const orgId = await context.tenants.orgId('demo-org');
        const jobId = await context.queue.enqueue('update', workerJob(orgId, { ms: 60_000 }));
        return { jobId: jobId!, orgId };
      });
      const first = startWorker(env);
      await waitForFile(markers, `${jobId}.started.${first.pid}`);
      first.kill('SIGKILL');
      await exited(first);

      // The job was mid-flight (60 s); the second worker gets it once the first one's claim expires.
      const second = startWorker({ ...env });
      const started = await waitForFile(markers, `${jobId}.started.${second.pid}`, 60_000);
      expect(fs.readFileSync(path.join(markers, started), 'utf8')).toBe('2');
      second.kill('SIGKILL');
      await exited(second);
      await withRuntime({ ...env, MIGRATE_ON_START: 'false' }, async ({ context }) => {
        const job = await context.queue.get(orgId, jobId);
        expect(job).not.toBeNull();
        expect(['active', 'retry', 'created']).toContain(job?.state);
      });
    } finally {
      await cleanup();
    }
  }, 120_000);
});
