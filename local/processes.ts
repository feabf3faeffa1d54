/**
 * The processes the local stack runs as (tests, the fault suite and the benchmarks start them): a
 * command of this repository started and stopped, the stack's own process (`local/start.ts`), an
 * emulator apart, each on free ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
/**
 * How the stack and its helpers run: Node with tsx's loader, not tsx's CLI. The CLI relays SIGTERM
 * and, when the child does not say it got it within 30 ms (a busy machine: the tests run side by
 * side), kills it and exits 143 — a stop that was not clean.
 */
const NODE_WITH_TSX = ['--import', 'tsx'];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a command of this repository and waits until it prints `ready`. */
export async function startHelper(args: string[], env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...NODE_WITH_TSX, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
  child.removeAllListeners('exit');
  return child;
}

export async function stopHelper(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * A port found free may be taken by another process before ours binds it (tests and benchmarks start
 * many servers side by side): a start that failed on that is tried again, on new ports.
 */
export async function onFreshPorts<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await start();
    } catch (error) {
      if (attempt === 3 || !(error instanceof Error && error.message.includes('EADDRINUSE'))) throw error;
    }
  }
}

/** One emulator (local/emulator.ts) in a process of its own, on a free port: its URL, pid and stop. */
export function startEmulatorProcess(kind: 'sqs' | 'dynamodb'): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  return onFreshPorts(async () => {
    const port = await freePort();
    const child = await startHelper(['local/emulator.ts', kind, String(port)], {}, 'listening');
    return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => stopHelper(child) };
  });
}

/** The last line of the stack's banner: printed once everything is up. */
export const BANNER_END = 'X-Client-Secret: <client_secret>';

/** `local/start.ts` in a process of its own, once its API answers /health and it printed its banner. */
export async function spawnStack(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [...NODE_WITH_TSX, 'local/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The local stack exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`http://127.0.0.1:${env.PORT}/health`).then((r) => r.ok, () => false);
    if (ok && output.includes(BANNER_END)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The local stack did not become healthy:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    child,
    output: () => output,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
