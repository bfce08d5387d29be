/**
 * Spacing of content-creating requests per token, in the shape octokit's throttling plugin calls
 * (`group.key(id).schedule(options, fn)`). GitHub asks for at least a second between writes and
 * counts about 80 a minute before its secondary limit; the plugin's own groups do this with fixed
 * intervals, these take ours, and are shared by every client in the process that uses the same key.
 */
export interface SpacingGroup {
  key(id: string): { schedule<T>(options: unknown, fn: (...args: unknown[]) => T | Promise<T>, ...args: unknown[]): Promise<T> };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function createSpacingGroup(intervalMs: number): SpacingGroup {
  const tails = new Map<string, Promise<void>>();
  return {
    key(id) {
      return {
        schedule(_options, fn, ...args) {
          const previous = tails.get(id) ?? Promise.resolve();
          const run = previous.then(() => fn(...args));
          const tail = run.then(
            () => sleep(intervalMs),
            () => sleep(intervalMs),
          );
          tails.set(id, tail);
          // Idle keys are forgotten, so a process serving many tokens does not grow without bound.
          void tail.then(() => {
            if (tails.get(id) === tail) tails.delete(id);
          });
          return run;
        },
      };
    },
  };
}

const groups = new Map<number, SpacingGroup>();

/** The process-wide group for this interval. */
export function spacingGroup(intervalMs: number): SpacingGroup {
  const interval = Math.max(0, Math.floor(intervalMs));
  let group = groups.get(interval);
  if (!group) {
    group = createSpacingGroup(interval);
    groups.set(interval, group);
  }
  return group;
}
