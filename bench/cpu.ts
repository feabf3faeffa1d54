/**
 * CPU time of a process and every process under it (Linux /proc): `tsx` runs a script in a child of
 * its own, so the stack's work is a tree. Machine-dependent, but comparable within one run.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

function stat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name (in parentheses, which may hold spaces): state, ppid, … utime (14th), stime (15th).
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;

/** Each process of the tree under `root` (itself included) with its CPU ticks, all threads counted. */
function tree(root: number): Map<number, number> {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const info = stat(pid);
    if (!info) continue;
    parents.set(pid, info.ppid);
    ticks.set(pid, info.ticks);
  }
  const inTree = (pid: number): boolean => {
    for (let at: number | undefined = pid; at !== undefined && at > 1; at = parents.get(at)) if (at === root) return true;
    return false;
  };
  return new Map([...ticks].filter(([pid]) => inTree(pid)));
}

export function treeCpuMs(root: number): number {
  return ms([...tree(root).values()].reduce((sum, ticks) => sum + ticks, 0));
}

/** A thread's time on a core, and ready to run but waiting for one, in ms. */
export interface ThreadTime {
  running: number;
  waiting: number;
}

/**
 * A process's main thread (Linux schedstat): for Node, the event loop's thread (JavaScript and its
 * syscalls), without the garbage collector's and libuv's helper threads. A thread running or waiting
 * for a core for nearly all of a window is a process that cannot go faster on this machine.
 */
export function mainThread(pid: number): ThreadTime | undefined {
  try {
    const [running, waiting] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number) as [number, number];
    return { running: running / 1e6, waiting: waiting / 1e6 };
  } catch {
    return undefined; // the process ended between the listing and the read
  }
}

/** The main thread of each process in the tree under `root`, by pid. */
export function mainThreads(root: number): Map<number, ThreadTime> {
  const threads = new Map<number, ThreadTime>();
  for (const pid of tree(root).keys()) {
    const thread = mainThread(pid);
    if (thread) threads.set(pid, thread);
  }
  return threads;
}

/** A thread's times between two readings of it. */
export const timeBetween = (before: ThreadTime, after: ThreadTime): ThreadTime => ({ running: after.running - before.running, waiting: after.waiting - before.waiting });

/** Of two snapshots of `mainThreads`, the thread that ran the most in between, and its times (a process started since `before` counts nothing). */
export function busiestBetween(before: Map<number, ThreadTime>, after: Map<number, ThreadTime>): ThreadTime {
  const since = [...after].map(([pid, end]) => timeBetween(before.get(pid) ?? end, end));
  return since.reduce((busiest, thread) => (thread.running > busiest.running ? thread : busiest), { running: 0, waiting: 0 });
}

/** The machine's CPU counters (Linux /proc/stat, all cores), in ms: busy, and all (idle, I/O wait and another VM's steal included). */
export function machineCpuMs(): { busy: number; total: number } {
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq!;
  return { busy: ms(busy), total: ms(busy + idle! + iowait! + steal!) };
}
