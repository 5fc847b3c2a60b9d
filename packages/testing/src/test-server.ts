/**
 * Starts a real Parley server in-process on port 0 with a real SQLite file in
 * a temp dir. The only place tests learn how to start a server.
 *
 *   await using srv = await startTestServer();
 *   const tim = TIM.create({ SDKAppID: srv.sdkAppID, serverUrl: srv.wsUrl });
 *   await tim.login({ userID: 'alice', userSig: srv.userSig('alice') });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer, genUserSig, type ParleyServer, type ServerConfig, type Clock } from '@parley/server';

export interface TestServerOptions {
  config?: Partial<ServerConfig>;
  /** Reuse a data dir (e.g. to restart on the same data). Default: a fresh temp dir, removed on close. */
  dataDir?: string;
  clock?: Clock;
}

export interface TestServer {
  readonly server: ParleyServer;
  readonly wsUrl: string;
  readonly httpUrl: string;
  readonly port: number;
  readonly sdkAppID: number;
  readonly secretKey: string;
  readonly dataDir: string;
  /** A valid UserSig for userID (default expiry one day). */
  userSig(userID: string, expireSeconds?: number): string;
  /** Cuts every socket without a close handshake. */
  dropConnections(): void;
  /** Stops and starts the server again on the same port and data. */
  restart(): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What every test server starts with: loopback, port 0, a random app identity, no logs. */
export function testServerConfig(dataDir: string): Partial<ServerConfig> & { sdkAppID: number; secretKey: string } {
  return {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    sdkAppID: 1_400_000_000 + Math.floor(Math.random() * 1_000_000),
    secretKey: randomBytes(16).toString('hex'),
    logLevel: 'silent',
  };
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-test-'));
  const baseConfig: Partial<ServerConfig> = { ...testServerConfig(dataDir), ...options.config };

  let server = await createServer({ config: baseConfig, ...(options.clock ? { clock: options.clock } : {}) });
  let address = await server.listen();
  let closed = false;

  const handle: TestServer = {
    get server() {
      return server;
    },
    get wsUrl() {
      return address.wsUrl;
    },
    get httpUrl() {
      return address.httpUrl;
    },
    get port() {
      return address.port;
    },
    sdkAppID: server.identity.sdkAppID,
    secretKey: server.identity.secretKey,
    dataDir,
    userSig(userID, expireSeconds = 86400) {
      return genUserSig({ sdkAppID: server.identity.sdkAppID, secretKey: server.identity.secretKey, userID, expireSeconds });
    },
    dropConnections() {
      server.dropConnections();
    },
    async restart() {
      const port = address.port;
      await server.close();
      server = await createServer({ config: { ...baseConfig, port }, ...(options.clock ? { clock: options.clock } : {}) });
      address = await server.listen();
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]() {
      return handle.close();
    },
  };
  return handle;
}
