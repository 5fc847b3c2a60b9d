/**
 * Several real Parley nodes in this process, as `parley start --processes N`
 * runs them: one data dir (one SQLite file, each node with its own
 * connections), one app identity, and a RedisBroker each on a prefix no other
 * test uses. Needs a Redis: see `testRedisUrl`.
 *
 *   const redisUrl = await testRedisUrl();          // null: skip (not under CI)
 *   await using cluster = await startTestCluster({ nodes: 2, redisUrl });
 *   // cluster.nodes[0].wsUrl, cluster.nodes[1].wsUrl, cluster.userSig('alice')
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, genUserSig, type ParleyServer, type ServerConfig } from '@parley/server';
import { testServerConfig } from './test-server.js';

export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The Redis the cluster tests use (PARLEY_TEST_REDIS_URL, default 127.0.0.1:6379), or null when it does
 * not answer PING. Under CI=true a missing Redis is an error, never a skip.
 */
export async function testRedisUrl(): Promise<string | null> {
  const url = process.env['PARLEY_TEST_REDIS_URL'] ?? DEFAULT_TEST_REDIS_URL;
  if (await answersPing(url)) return url;
  if (process.env['CI'] === 'true') throw new Error(`Redis at ${url} does not answer, and CI=true: the cluster tests must run (start redis-server)`);
  process.stderr.write(`[parley tests] Redis at ${url} does not answer: skipping the cluster tests (set PARLEY_TEST_REDIS_URL or start redis-server)\n`);
  return null;
}

function answersPing(raw: string): Promise<boolean> {
  const url = new URL(raw);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data: Buffer) => done(data.toString().startsWith('+PONG') || data.toString().startsWith('-NOAUTH')));
  });
}

export interface TestNode {
  readonly server: ParleyServer;
  readonly wsUrl: string;
  readonly httpUrl: string;
}

export interface TestCluster {
  readonly nodes: readonly TestNode[];
  readonly sdkAppID: number;
  readonly secretKey: string;
  readonly dataDir: string;
  /** The Redis channel prefix of this cluster (unique per call). */
  readonly prefix: string;
  userSig(userID: string, expireSeconds?: number): string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startTestCluster(options: { nodes: number; redisUrl: string; config?: Partial<ServerConfig> }): Promise<TestCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
  const base = testServerConfig(dataDir);
  const { sdkAppID, secretKey } = base;
  const prefix = `parley-test-${randomBytes(6).toString('hex')}:`;
  const config: Partial<ServerConfig> = { ...base, redisUrl: options.redisUrl, redisPrefix: prefix, ...options.config };
  const nodes: TestNode[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await Promise.all(nodes.map((n) => n.server.close()));
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // One after another: the first creates the schema, the others find it current.
    for (let i = 0; i < options.nodes; i++) {
      const server = await createServer({ config });
      nodes.push({ server, ...(await server.listen()) });
    }
  } catch (err) {
    await close();
    throw err;
  }
  const cluster: TestCluster = {
    nodes,
    sdkAppID,
    secretKey,
    dataDir,
    prefix,
    userSig: (userID, expireSeconds = 86400) => genUserSig({ sdkAppID, secretKey, userID, expireSeconds }),
    close,
    [Symbol.asyncDispose]: close,
  };
  return cluster;
}
