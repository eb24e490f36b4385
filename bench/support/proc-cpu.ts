// CPU of other processes (PostgreSQL, Redis), from /proc/<pid>/stat: utime + stime, in clock ticks.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICK_MICROS = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

export function cpuMicros(pid: number): number {
  try {
    // Fields after the command (which may hold spaces) start at ") "; utime and stime are the 12th and 13th of them.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MICROS;
  } catch {
    return 0; // gone
  }
}

/** Every process of this name (PostgreSQL forks a backend per connection): pid → CPU µs. */
export function cpuByName(name: string): Map<number, number> {
  let pids: number[];
  try {
    pids = execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    pids = []; // none running
  }
  return new Map(pids.map((pid) => [pid, cpuMicros(pid)]));
}

/** CPU spent between two readings; a process that appeared meanwhile counts from zero. */
export function spent(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, micros] of after) sum += micros - (before.get(pid) ?? 0);
  return sum;
}
