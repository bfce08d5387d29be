/**
 * The first step of every OAuth callback (Atlassian, ServiceNow): take the one-use `state` (a bad one
 * is 400 OAUTH_STATE_INVALID naming why) and the parameters the code exchange checks (the callback's
 * query without our own `format`).
 */
import { AppError } from '../errors/app-error.ts';
import { OAuthStateError, type OAuthStateRecord, type OAuthStateStore } from '../oauth/index.ts';

export async function takeCallbackState(
  states: OAuthStateStore,
  query: Record<string, string | undefined>,
  provider: string,
  caller: { orgId: string; subject: string } | null,
): Promise<{ state: string; record: OAuthStateRecord; parameters: URLSearchParams }> {
  const state = query.state ?? '';
  let record: OAuthStateRecord;
  try {
    record = await states.consume(state, provider, caller);
  } catch (error) {
    if (error instanceof OAuthStateError) throw new AppError('OAUTH_STATE_INVALID', `${error.message} (state ${error.reason})`, { field: 'state' });
    throw error;
  }
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (typeof value === 'string' && name !== 'format') parameters.set(name, value);
  return { state, record, parameters };
}
