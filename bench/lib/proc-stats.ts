// Reads CPU time and memory of processes from /proc (proc(5)), the way `top` does, without sampling tools.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second, the unit of utime/stime in /proc/PID/stat. */
export const clockTicks: number = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User plus system CPU seconds a process has used (all its threads), or 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15 (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return 0;
  }
}

/** Resident set size of a process in bytes (VmRSS), or 0 once it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** The direct children of a process (from /proc/PID/task/TID/children, Linux 3.5+). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text !== '') for (const c of text.split(' ')) out.push(Number(c));
    }
  } catch {
    // the process is gone
  }
  return out;
}

/** A process and all its descendants. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i] as number));
  return out;
}

/** Sums cpuSeconds over processes. */
export function sumCpu(pids: number[]): number {
  return pids.reduce((s, p) => s + cpuSeconds(p), 0);
}

/** Sums rssBytes over processes. */
export function sumRss(pids: number[]): number {
  return pids.reduce((s, p) => s + rssBytes(p), 0);
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat), to tell a saturated run. */
export function machineJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((s, x) => s + x, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** The machine's UDP datagrams received and dropped for a full receive buffer (/proc/net/snmp), every process's. */
export function udpCounters(): { received: number; rcvbufErrors: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp: '));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/).map(Number) ?? [];
  const at = (name: string): number => values[names.indexOf(name)] ?? 0;
  return { received: at('InDatagrams'), rcvbufErrors: at('RcvbufErrors') };
}

/** Datagrams each open UDP socket dropped so far (/proc/net/udp `drops`), summed by local port. */
export function udpDropsByPort(): Map<number, number> {
  const byPort = new Map<number, number>();
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 13) continue;
      const port = parseInt(f[1]!.split(':')[1]!, 16);
      byPort.set(port, (byPort.get(port) ?? 0) + Number(f[12]));
    }
  }
  return byPort;
}
