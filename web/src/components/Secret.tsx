/** A secret shown masked, with reveal and copy buttons (copying works without revealing). */
import { Button, CopyButton, Group, Text, Tooltip } from '@mantine/core';
import { useState } from 'react';

export function Secret({ value, label }: { value: string; label: string }) {
  const [revealed, setRevealed] = useState(false);
  return (
    <Group gap="xs" wrap="nowrap" align="center">
      <Text className="mono" aria-label={revealed ? label : `${label} (hidden)`} style={{ minWidth: 0, flex: 1 }}>
        {revealed ? value : '•'.repeat(Math.min(24, Math.max(8, value.length)))}
      </Text>
      <Button size="compact-xs" variant="default" onClick={() => setRevealed((shown) => !shown)} aria-pressed={revealed} style={{ flexShrink: 0 }}>
        {revealed ? 'Hide' : 'Reveal'}
      </Button>
      <CopyText value={value} label={label} />
    </Group>
  );
}

export function CopyText({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value} timeout={2000}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? 'Copied' : `Copy ${label}`} withArrow>
          <Button size="compact-xs" variant="default" onClick={copy} aria-label={`Copy ${label}`} style={{ flexShrink: 0 }}>
            {copied ? 'Copied' : 'Copy'}
          </Button>
        </Tooltip>
      )}
    </CopyButton>
  );
}
