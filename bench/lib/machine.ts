/** The machine a result was measured on, so numbers from different hosts are not compared blindly. */
import os from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpu_model: string;
  memory_total_mb: number;
  platform: string;
  arch: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    memory_total_mb: Math.round(os.totalmem() / 1024 / 1024),
    platform: os.platform(),
    arch: os.arch(),
    node: process.version,
  };
}
