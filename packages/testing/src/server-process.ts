/**
 * Runs the real `parley start` CLI in a child process (for tests that must
 * kill the server with SIGKILL or check the CLI itself).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly wsUrl: string;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends a signal and waits for exit; resolves with the exit code (null if killed by signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Path of the built `parley` CLI. */
export function cliPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@parley/server')), 'cli.js');
}

export async function startServerProcess(options: { args?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ServerProcess> {
  const child = spawn(process.execPath, [cliPath(), 'start', '--port', '0', '--log-level', 'warn', ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${out}`)), options.timeoutMs ?? 15_000);
    const onData = () => {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early with code ${code}:\n${out}`));
    });
  });
  return {
    child,
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
