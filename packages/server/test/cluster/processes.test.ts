/**
 * `parley start --processes 2` as users run it: a primary and two node
 * processes behind one port, a real SQLite file written by both, and a real
 * Redis. Skipped with a message when no Redis answers, never under CI.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { genUserSig } from '@parley/server';
import { startServerProcess, testRedisUrl, waitUntil, type ServerProcess } from '@parley/testing';
import { processFixtures, closedWithin, listAll, pushes, send, textMessage } from '../helpers.js';

const redisUrl = await testRedisUrl();
const { pool, processes, dirs } = processFixtures();

/** Direct children of a process (/proc/<pid>/task/<pid>/children). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startCluster(): Promise<{ proc: ServerProcess; srv: { wsUrl: string; sdkAppID: number; userSig: (u: string) => string } }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-procs-'));
  dirs.push(dataDir);
  const sdkAppID = 1_400_000_000 + Math.floor(Math.random() * 1_000_000);
  const secretKey = randomBytes(16).toString('hex');
  const proc = await startServerProcess({
    args: ['--data-dir', dataDir, '--processes', '2', '--redis-url', redisUrl!, '--redis-prefix', `procs-test-${randomBytes(6).toString('hex')}:`, '--max-web-instances', '0'],
    env: { PARLEY_SDKAPPID: String(sdkAppID), PARLEY_SECRET_KEY: secretKey },
    timeoutMs: 30_000,
  });
  processes.push(proc);
  return { proc, srv: { wsUrl: proc.wsUrl, sdkAppID, userSig: (userID) => genUserSig({ sdkAppID, secretKey, userID, expireSeconds: 3600 }) } };
}

describe.skipIf(redisUrl === null)('parley start --processes 2', () => {
  it('serves one port from two node processes whose users reach each other; both write the one SQLite file', async () => {
    const { proc, srv } = await startCluster();
    expect(proc.output()).toMatch(/2 node processes, joined through redis:\/\//);
    const workers = childPids(proc.child.pid!);
    expect(workers).toHaveLength(2);

    // Connections alternate between the node processes, so of four users some pairs span both.
    const users = ['u1', 'u2', 'u3', 'u4'];
    const clients = await Promise.all(users.map((u) => pool.login(srv, u)));
    const sent = await Promise.all(
      clients.flatMap((client, i) => users.filter((_, j) => j !== i).map((to) => send(client, textMessage(to, `${users[i]}→${to}`)))),
    );
    expect(sent).toHaveLength(12);
    await waitUntil(() => clients.every((c) => pushes(c, 'push.message').length === 3), 'every user to get 3 messages');

    // Concurrent sends in one conversation from two processes: one sequence, no gaps.
    const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
    const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => [send(a, textMessage('u2', `x${i}`)), send(b, textMessage('u1', `y${i}`))]).flat());
    const history = await listAll(a, 'C2Cu2');
    expect(history).toHaveLength(202);
    expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 202 }, (_, i) => i + 1));
    expect(new Set(burst.map((r) => r.message.ID)).size).toBe(200);
  });

  it('restarts a node process that dies; the clients it held reconnect to the port and find their messages', async () => {
    const { proc, srv } = await startCluster();
    const [w1, w2] = childPids(proc.child.pid!) as [number, number];
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    await send(alice, textMessage('bob', 'before the crash'));
    process.kill(w1, 'SIGKILL');
    // Exactly one of the two connections was on the killed process (connections alternate).
    await Promise.race([closedWithin(alice, 5000), closedWithin(bob, 5000)]);
    await waitUntil(() => childPids(proc.child.pid!).length === 2 && !childPids(proc.child.pid!).includes(w1), 'a replacement node process', 15_000, 100);
    expect(alive(w2)).toBe(true);
    const alice2 = await pool.login(srv, 'alice');
    const bob2 = await pool.login(srv, 'bob');
    await send(bob2, textMessage('alice', 'after the crash'));
    expect((await listAll(alice2, 'C2Cbob')).map((m) => (m.payload as { text: string }).text)).toEqual(['before the crash', 'after the crash']);
  });

  it('SIGTERM on the primary stops every node process and exits 0', async () => {
    const { proc } = await startCluster();
    const workers = childPids(proc.child.pid!);
    expect(workers).toHaveLength(2);
    expect(await proc.stop('SIGTERM')).toBe(0);
    await waitUntil(() => workers.every((pid) => !alive(pid)), 'node processes to exit', 5000, 50);
  });
});
