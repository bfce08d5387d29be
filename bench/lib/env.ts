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

/** A comma-separated list of integers (e.g. BENCH_CONNECTIONS=50,200,400), each within the bounds. */
export function intListFromEnv(env: BenchEnv, name: string, fallback: number[], bounds: { min: number; max: number }): number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const values = raw.split(',').map((part) => part.trim());
  const numbers = values.map(Number);
  if (values.some((part, index) => part === '' || !Number.isInteger(numbers[index]) || numbers[index]! < bounds.min || numbers[index]! > bounds.max)) {
    throw new Error(`${name} must be integers from ${bounds.min} to ${bounds.max}, separated by commas, got '${raw}'`);
  }
  return [...new Set(numbers)];
}
