/**
 * `parley start --processes N`: N node processes on this machine behind one
 * port (node:cluster hands each accepted connection to a worker), each a full
 * Parley node. They share the SQLite file (SQLite's own multi-process locking)
 * and reach each other's users through Redis (RedisBroker). The primary only
 * prepares the data directory, starts, restarts and stops the workers.
 */
import cluster, { type Worker } from 'node:cluster';
import { sqliteFileOf, type ServerConfig } from '../config/config.js';
import { SqliteStorage } from '../storage/sqlite/sqlite-storage.js';

/** What a worker tells the primary once it listens. */
export interface ListeningMessage {
  type: 'parley:listening';
  httpUrl: string;
  wsUrl: string;
}

function isListeningMessage(value: unknown): value is ListeningMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'parley:listening';
}

/** A worker that dies sooner than this after starting is not restarted again at once (crash loop). */
const MIN_UPTIME_MS = 5000;
const RESTART_DELAY_MS = 1000;
const STOP_GRACE_MS = 10_000;

export interface ClusterHandle {
  /** Resolves with the shared address once every worker listens. */
  listening: Promise<{ httpUrl: string; wsUrl: string }>;
  /** SIGTERM to every worker; resolves when all exited (SIGKILL after the grace period). */
  stop(): Promise<void>;
}

/**
 * Runs in the primary: migrates the database once (workers then find it
 * current), then forks `config.processes` workers running the same command
 * line. Their own `start` sees `cluster.isWorker` and serves.
 */
export async function startPrimary(config: ServerConfig, log: (line: string) => void): Promise<ClusterHandle> {
  const storage = new SqliteStorage({ filename: sqliteFileOf(config) });
  await storage.migrate();
  await storage.close();

  let stopping = false;
  const started = new Map<Worker, number>();
  let resolveListening!: (address: { httpUrl: string; wsUrl: string }) => void;
  let rejectListening!: (err: Error) => void;
  const listening = new Promise<{ httpUrl: string; wsUrl: string }>((resolve, reject) => {
    resolveListening = resolve;
    rejectListening = reject;
  });
  const ready = new Set<number>();
  let everyoneListened = false;

  const fork = (): void => {
    const worker = cluster.fork();
    started.set(worker, Date.now());
    worker.on('message', (message: unknown) => {
      if (!isListeningMessage(message)) return;
      ready.add(worker.id);
      if (!everyoneListened && ready.size >= config.processes) {
        everyoneListened = true;
        resolveListening({ httpUrl: message.httpUrl, wsUrl: message.wsUrl });
      }
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    const since = started.get(worker) ?? 0;
    started.delete(worker);
    ready.delete(worker.id);
    if (stopping) return;
    if (!everyoneListened) {
      rejectListening(new Error(`node process ${worker.process.pid} exited before listening (code ${code}, signal ${signal})`));
      return;
    }
    const uptime = Date.now() - since;
    log(`node process ${worker.process.pid} exited (code ${code}, signal ${signal}); starting another`);
    setTimeout(() => {
      if (!stopping) fork();
    }, uptime < MIN_UPTIME_MS ? MIN_UPTIME_MS : RESTART_DELAY_MS);
  });

  for (let i = 0; i < config.processes; i++) fork();

  return {
    listening,
    async stop() {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve();
              const kill = setTimeout(() => worker.process.kill('SIGKILL'), STOP_GRACE_MS);
              worker.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              worker.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/** Runs in a worker once its server listens. */
export function announceListening(address: { httpUrl: string; wsUrl: string }): void {
  const message: ListeningMessage = { type: 'parley:listening', ...address };
  process.send?.(message);
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}
