// Which machine, when, which commit: the header of every result.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';

export interface MachineInfo {
  date: string;
  commit: string;
  /** Uncommitted changes in the working tree when the bench ran. */
  dirty: boolean;
  cpu: string;
  cores: number;
  memoryGb: number;
  kernel: string;
  node: string;
  onnxruntime: string;
  /** 1-minute load average when the run started and when it ended: other work on the cores. */
  loadStart: number;
  loadEnd?: number;
}

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineInfo(root: string): MachineInfo {
  const version = (pkg: string) => {
    try {
      return JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version as string;
    } catch {
      return 'absent';
    }
  };
  return {
    date: new Date().toISOString(),
    commit: git(root, ['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    dirty: git(root, ['status', '--porcelain', '--untracked-files=no']) !== '',
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    onnxruntime: version('onnxruntime-node'),
    loadStart: loadavg()[0],
  };
}
