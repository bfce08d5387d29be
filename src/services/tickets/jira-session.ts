/**
 * A Jira session: the client for one connection plus what planning needs from it (mapping rows,
 * priorities, create screens), each fetched at most once per batch.
 */
import type { AppContext } from '../../context.ts';
import type { MappingRow } from '../../domain/mapping.ts';
import { type CreateField, createJiraClient, type JiraClient, type JiraTarget } from '../../providers/jira/index.ts';

export interface JiraSession {
  target: JiraTarget;
  client: JiraClient;
  connectionId: string;
  provider: 'jira-cloud' | 'jira-server';
  mappingRows: MappingRow[];
  /** Credentials came with the request (seeds 000/001): nothing may be queued for later. */
  ephemeral: boolean;
  priorities(): Promise<{ id: string; name: string }[]>;
  /**
   * One authenticated call (`/myself`) per session, at most: rejects with Jira's error (for example
   * JIRA_AUTH_FAILED) when the credentials do not work. Answering `existing` from our own records
   * waits for it, so a caller with wrong credentials is never handed an issue key.
   */
  verify(): Promise<void>;
  /** A Jira call with these credentials succeeded (a create): verify() need not ask again. */
  markVerified(): void;
  screen(projectKey: string, issueType: string): Promise<CreateField[]>;
}

export function openJiraSession(
  context: AppContext,
  target: JiraTarget,
  details: { connectionId: string; mappingRows: MappingRow[]; ephemeral: boolean },
): JiraSession {
  const client = createJiraClient(target, {
    http: context.outbound,
    sharedState: context.sharedState,
    logger: context.logger.child({ component: 'jira', connection_id: details.connectionId }),
    limits: { timeoutMs: context.config.outbound.timeoutMs },
  });
  let priorities: Promise<{ id: string; name: string }[]> | null = null;
  let verified: Promise<void> | null = null;
  const screens = new Map<string, Promise<CreateField[]>>();
  return {
    target,
    client,
    connectionId: details.connectionId,
    provider: target.flavor === 'cloud' ? 'jira-cloud' : 'jira-server',
    mappingRows: details.mappingRows,
    ephemeral: details.ephemeral,
    verify() {
      verified ??= client.myself().then(() => undefined);
      return verified;
    },
    markVerified() {
      verified ??= Promise.resolve();
    },
    priorities() {
      priorities ??= client.priorities();
      return priorities;
    },
    screen(projectKey, issueType) {
      const key = `${projectKey}\u0000${issueType}`;
      let screen = screens.get(key);
      if (!screen) {
        screen = client.createFields(projectKey, issueType);
        screens.set(key, screen);
      }
      return screen;
    },
  };
}
