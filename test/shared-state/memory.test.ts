import { describe, expect, it } from 'vitest';
import { createMemorySharedState, SHARED_STATE_CLOSED } from '../../src/shared-state/index.ts';
import { describeSharedState } from './shared-state.case.ts';

describeSharedState('memory', async () => createMemorySharedState());

describe('memory shared state', () => {
  it('honours an injected clock', async () => {
    let now = 1_000;
    const state = createMemorySharedState({ now: () => now });
    await state.set('k', 'v', 500);
    now += 499;
    expect(await state.get('k')).toBe('v');
    now += 1;
    expect(await state.get('k')).toBeNull();
  });

  it('refuses use after close', async () => {
    const state = createMemorySharedState();
    await state.close();
    await expect(state.get('k')).rejects.toMatchObject({ code: SHARED_STATE_CLOSED });
  });
});
