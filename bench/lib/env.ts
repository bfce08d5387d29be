/** Reads a benchmark's numeric knobs from the environment, refusing values outside sane bounds. */
import type { BenchEnv } from './types.ts';

export function intFromEnv(env: BenchEnv, name: string, fallback: number, bounds: { min: number; max: number }): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new Error(`${name} must be an integer from ${bounds.min} to ${bounds.max}, got '${raw}'`);
  }
  return value;
}
