/**
 * The `parley` CLI as users run it (packages/server/dist/cli.js): config
 * validation, first-start identity generation, `parley usersig`, graceful
 * SIGTERM.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '@parley/protocol';
import { cliPath, startServerProcess } from '@parley/testing';
import { processFixtures, closedWithin, send, textMessage } from './helpers.js';

const { pool, processes, dirs } = processFixtures();

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'parley-cli-'));
  dirs.push(d);
  return d;
}

/** The environment without any PARLEY_* setting inherited from the test runner; `unset` blanks them for startServerProcess. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PARLEY_')) env[k] = v;
  return { ...env, ...extra };
}
const blankParleyEnv = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('PARLEY_')).map((k) => [k, '']));

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath(), ...args], { env, timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('parley start: invalid configuration exits 2 naming the setting', () => {
  const cases: Array<{ what: string; args: string[]; env?: Record<string, string>; mentions: RegExp }> = [
    { what: '--port abc', args: ['--port', 'abc'], mentions: /--port/ },
    { what: '--port=70000', args: ['--port=70000'], mentions: /--port.*65535|65535.*--port/ },
    { what: 'PARLEY_PORT=99999', args: [], env: { PARLEY_PORT: '99999' }, mentions: /PARLEY_PORT/ },
    { what: 'unknown flag', args: ['--bogus-flag', '1'], mentions: /--bogus-flag/ },
    { what: 'flag without value', args: ['--port'], mentions: /--port/ },
    { what: 'only PARLEY_SDKAPPID', args: [], env: { PARLEY_SDKAPPID: '1400000001' }, mentions: /PARLEY_SECRET_KEY/ },
    { what: 'only PARLEY_SECRET_KEY', args: [], env: { PARLEY_SECRET_KEY: 'abc' }, mentions: /PARLEY_SDKAPPID/ },
    { what: 'bad log level', args: ['--log-level', 'loud'], mentions: /--log-level/ },
    { what: 'bad heartbeat', args: [], env: { PARLEY_HEARTBEAT_INTERVAL_MS: '5' }, mentions: /PARLEY_HEARTBEAT_INTERVAL_MS/ },
    { what: 'stray positional', args: ['now'], mentions: /now/ },
    { what: '--processes 2 without a Redis', args: ['--processes', '2'], mentions: /--redis-url/ },
    { what: '--processes 0', args: ['--processes', '0'], mentions: /--processes/ },
    { what: 'a Redis URL of another scheme', args: ['--redis-url', 'http://127.0.0.1:6379'], mentions: /--redis-url.*redis:\/\// },
    { what: 'a Redis prefix with a space', args: ['--redis-prefix', 'a b'], mentions: /--redis-prefix/ },
  ];

  it.each(cases)('$what', async ({ args, env, mentions }) => {
    const dataDir = tempDir();
    const result = await runCli(['start', '--data-dir', dataDir, ...args], cleanEnv(env));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^parley: /);
    expect(result.stderr).toMatch(mentions);
    expect(result.stdout).not.toMatch(/listening/);
  });

  it('an unknown command exits 2 with usage', async () => {
    const result = await runCli(['serve'], cleanEnv());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command "serve"/);
    expect(result.stderr).toMatch(/parley start/);
  });
});

describe('parley start / usersig', () => {
  it('generates an identity on first start, reuses it on the next, and usersig signs for it', async () => {
    const dataDir = tempDir();
    const env = blankParleyEnv;

    const first = await startServerProcess({ args: ['--data-dir', dataDir], env });
    processes.push(first);
    const out1 = first.output();
    const appID = Number(/SDKAppID: (\d+)/.exec(out1)?.[1]);
    const secret = /SecretKey: ([0-9a-f]+)/.exec(out1)?.[1];
    expect(appID).toBeGreaterThan(0);
    expect(secret).toMatch(/^[0-9a-f]{32,}$/);
    expect(out1).toContain(`parley usersig <userID> --data-dir ${dataDir}`);
    const stored = JSON.parse(readFileSync(join(dataDir, 'app-identity.json'), 'utf8')) as { sdkAppID: number; secretKey: string };
    expect(stored).toEqual({ sdkAppID: appID, secretKey: secret });
    // The secret is readable by its owner only.
    expect(statSync(join(dataDir, 'app-identity.json')).mode & 0o077).toBe(0);

    // usersig for the running server's identity.
    const sig = await runCli(['usersig', 'alice', '--data-dir', dataDir], cleanEnv());
    expect(sig.code).toBe(0);
    const userSig = sig.stdout.trim();
    expect(userSig).toMatch(/^[A-Za-z0-9*\-_]+$/);
    const srv = { wsUrl: first.wsUrl, sdkAppID: appID, userSig: () => userSig };
    const alice = await pool.login(srv, 'alice');
    // It is alice's sig only.
    const mallory = await pool.connect(first.wsUrl);
    const refused = await mallory.login('mallory', userSig, appID);
    expect(refused.code).toBe(ErrorCode.UserSigIdentifierMismatch);
    const ack = await send(alice, textMessage('bob', 'persist me'));
    expect(ack.message.seq).toBe(1);

    // SIGTERM: graceful stop, exit 0, clients told the server is shutting down.
    const code = await first.stop('SIGTERM');
    expect(code).toBe(0);
    expect(first.output()).toMatch(/SIGTERM received, shutting down/);
    const closed = await closedWithin(alice, 3000);
    expect(closed.code).toBe(CloseCode.ServerShutdown);

    // Second start on the same data dir: same identity, not printed as new, old sigs still work, data kept.
    const second = await startServerProcess({ args: ['--data-dir', dataDir], env });
    processes.push(second);
    const out2 = second.output();
    expect(out2).toContain(`SDKAppID: ${appID}`);
    expect(out2).not.toMatch(/SecretKey:/);
    const again = await pool.login({ wsUrl: second.wsUrl, sdkAppID: appID, userSig: () => userSig }, 'alice');
    const history = (await again.request('msg.list', { conversationID: 'C2Cbob' })) as unknown as { code: number; data: { messages: Array<{ ID: string }> } };
    expect(history.code).toBe(0);
    expect(history.data.messages.map((m) => m.ID)).toEqual([ack.message.ID]);
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('uses PARLEY_SDKAPPID / PARLEY_SECRET_KEY when both are set, and usersig honours --expire', async () => {
    const dataDir = tempDir();
    const env = { ...blankParleyEnv, PARLEY_SDKAPPID: '1400123456', PARLEY_SECRET_KEY: 'configured-secret' };
    const proc = await startServerProcess({ args: ['--data-dir', dataDir], env });
    processes.push(proc);
    expect(proc.output()).toContain('SDKAppID: 1400123456');
    expect(proc.output()).not.toMatch(/SecretKey:/);

    const sig = await runCli(['usersig', 'bob', '--expire', '2'], cleanEnv({ PARLEY_SDKAPPID: '1400123456', PARLEY_SECRET_KEY: 'configured-secret' }));
    expect(sig.code).toBe(0);
    const client = await pool.connect(proc.wsUrl);
    const res = await client.login('bob', sig.stdout.trim(), 1400123456);
    expect(res.code).toBe(0);
    const expiresAt = (res as unknown as { data: { userSigExpiresAt: number } }).data.userSigExpiresAt;
    expect(expiresAt - Date.now() / 1000).toBeLessThanOrEqual(2.5);

    const bad = await runCli(['usersig', 'bob', '--expire', 'soon'], cleanEnv());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--expire/);
    const noUser = await runCli(['usersig'], cleanEnv());
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toMatch(/usage/);
    expect(await proc.stop('SIGTERM')).toBe(0);
  });
});
