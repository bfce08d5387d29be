/**
 * Stored connection secrets ⇄ Credential. A connection's secrets are sealed as one JSON object whose
 * keys are its descriptor's secret field names (`api_token`, `pat`, `token`, `password`,
 * `private_key`) plus `access_token` / `refresh_token` for OAuth; the non-secret halves (account,
 * expiry, scopes, settings) are columns. Which fields make which credential is read from the auth
 * mode's descriptor, so nothing here knows a provider.
 */
import { z } from 'zod';
import type { AuthModeDescriptor } from '../descriptor/schema.ts';
import type { Credential } from './types.ts';

/** The sealed JSON: string values only. */
export const storedSecretsSchema = z.record(z.string(), z.string());
export type StoredSecrets = z.infer<typeof storedSecretsSchema>;

export interface StoredConnection {
  secrets: StoredSecrets;
  accountEmail: string | null;
  settings: Record<string, string>;
  expiresAt: Date | null;
  scopes: readonly string[];
}

/** Parses the opened JSON; anything but an object of strings is refused (a corrupted row). */
export function parseStoredSecrets(json: string): StoredSecrets {
  return storedSecretsSchema.parse(JSON.parse(json));
}

function secretField(mode: AuthModeDescriptor, name?: string): string | undefined {
  return mode.fields.find((field) => field.store === 'secret' && (name === undefined || field.name === name))?.name;
}

function accountField(mode: AuthModeDescriptor): boolean {
  return mode.fields.some((field) => field.store === 'account_email');
}

/** The credential a stored connection holds, or null when part of it is missing (reconnect). */
export function credentialFromStored(mode: AuthModeDescriptor, stored: StoredConnection): Credential | null {
  const secret = (name?: string) => {
    const field = secretField(mode, name);
    return field ? (stored.secrets[field] ?? null) : null;
  };
  switch (mode.kind) {
    case 'api-token': {
      const apiToken = secret();
      return apiToken && stored.accountEmail && accountField(mode) ? { kind: 'api-token', email: stored.accountEmail, apiToken } : null;
    }
    case 'basic': {
      const password = secret();
      return password && stored.accountEmail ? { kind: 'basic', username: stored.accountEmail, password } : null;
    }
    case 'pat': {
      const token = secret();
      return token ? { kind: 'pat', token } : null;
    }
    case 'oauth2': {
      const accessToken = stored.secrets.access_token;
      if (!accessToken) return null;
      return { kind: 'oauth2', accessToken, refreshToken: stored.secrets.refresh_token ?? null, expiresAt: stored.expiresAt, scopes: stored.scopes };
    }
    case 'app-installation': {
      const privateKey = secret('private_key');
      const appId = stored.settings.app_id;
      const installationId = stored.settings.installation_id;
      if (!privateKey || !appId || !installationId) return null;
      return { kind: 'app-installation', appId, installationId, privateKey, installationToken: stored.secrets.installation_token ?? null, expiresAt: stored.expiresAt };
    }
  }
}
