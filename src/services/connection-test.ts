/**
 * `POST /api/v1/connections/{id}/test`: one cheap authenticated call to the provider, answered in
 * words a user can act on (bad credentials, site unreachable, no permission) rather than a status
 * code. Each provider folder supplies its own test (its registry line); this file only turns what
 * it throws into the answer.
 */
import type { AppContext } from '../context.ts';
import { CodedError } from '../errors/coded-error.ts';
import { type PublicErrorCode, publicCode } from '../errors/catalogue.ts';
import { OutboundError } from '../http-client/index.ts';
import { providerEntry } from '../providers/registry.ts';
import type { ConnectionRecord, ConnectionService } from './connections.ts';

export interface ConnectionTestResult {
  ok: boolean;
  /** A catalogue code (docs/errors.md) when the test failed. */
  code: PublicErrorCode | null;
  message: string;
  account: { display_name: string; account_id: string | null; email: string | null } | null;
}

export async function testConnection(context: AppContext, connections: ConnectionService, record: ConnectionRecord): Promise<ConnectionTestResult> {
  const test = providerEntry(record.provider)?.testConnection;
  if (!test) return { ok: false, code: 'PROVIDER_NOT_SUPPORTED', message: `testing ${record.provider} connections is not supported yet`, account: null };
  try {
    const result = await test(connections.targetOf(record), {
      http: context.outbound,
      sharedState: context.sharedState,
      logger: context.logger.child({ component: record.provider, connection_id: record.id }),
      timeoutMs: context.config.outbound.timeoutMs,
    });
    return { ...result, code: null };
  } catch (error) {
    if (error instanceof OutboundError) {
      const code = error.code === 'OUTBOUND_URL_REFUSED' ? 'PROVIDER_URL_REFUSED' : 'PROVIDER_UNREACHABLE';
      return { ok: false, code, message: `the site could not be reached: ${error.reason ?? error.message}`, account: null };
    }
    // Every provider's errors are coded errors with a catalogue code; internal ones stay internal.
    if (error instanceof CodedError && publicCode(error.code) !== 'INTERNAL') {
      return { ok: false, code: publicCode(error.code), message: error.message, account: null };
    }
    throw error;
  }
}
