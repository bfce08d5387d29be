import { Badge } from '@mantine/core';
import type { FindingState, Severity } from '../api/types.ts';
import { humanize, severityColor } from './format.ts';

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    // Never shrunk or cut to "CRITIC…" in a narrow row (phone width): the whole word or nothing.
    <Badge color={severityColor[severity]} variant="light" autoContrast className="badge-whole" data-severity-badge>
      {severity}
    </Badge>
  );
}

const stateColor: Record<string, string> = {
  backlog: 'gray',
  todo: 'blue',
  in_progress: 'indigo',
  in_review: 'violet',
  done: 'green',
  wont_fix: 'dark',
  open: 'blue',
  resolved: 'green',
  connected: 'green',
  active: 'green',
  completed: 'green',
  failed: 'red',
  reauth_required: 'orange',
  disconnected: 'gray',
  error: 'red',
};

export function StateBadge({ state }: { state: FindingState | string }) {
  return (
    <Badge color={stateColor[state] ?? 'gray'} variant="outline" autoContrast>
      {humanize(state)}
    </Badge>
  );
}
