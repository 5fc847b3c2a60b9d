/**
 * Durability: clients send concurrently, the server is SIGKILLed mid-stream,
 * restarted on the same data dir. Every acknowledged message must be there
 * exactly once with its acknowledged sequence, sequences stay contiguous, and
 * resending with the same IDs is idempotent.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WireMessage, WireMessageInput } from '@parley/protocol';
import { genUserSig } from '@parley/server';
import { connectRaw, startServerProcess, waitUntil, type RawClient } from '@parley/testing';
import { processFixtures, listAll, send, textMessage } from '../helpers.js';

const { pool, processes, dirs } = processFixtures();

interface Loop {
  from: string;
  to: string;
  sent: WireMessageInput[];
  acked: Map<string, number>;
}

/** Sends one message at a time, the next only after the previous ack, until the socket dies. */
async function runLoop(client: RawClient, loop: Loop): Promise<void> {
  for (let i = 0; ; i++) {
    const message = textMessage(loop.to, `${loop.from}→${loop.to} #${i}`, { ID: `${loop.from}-${loop.to}-${i}` });
    loop.sent.push(message);
    const request = client.request('msg.send', { message });
    request.catch(() => undefined); // may time out after the kill; the race below decides
    const res = await Promise.race([request, client.closed.then(() => null)]);
    if (res === null) return;
    if (res.code !== 0) throw new Error(`send failed: ${JSON.stringify(res)}`);
    loop.acked.set(message.ID, (res as unknown as { data: { message: WireMessage } }).data.message.seq);
  }
}

describe('kill -9', () => {
  it('keeps every acknowledged message exactly once across SIGKILL, and resends stay idempotent', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-kill9-'));
    dirs.push(dataDir);
    const sdkAppID = 1_500_000_000 + Math.floor(Math.random() * 1_000_000);
    const secretKey = randomBytes(16).toString('hex');
    const env = { PARLEY_SDKAPPID: String(sdkAppID), PARLEY_SECRET_KEY: secretKey };
    const args = ['--data-dir', dataDir, '--max-web-instances', '0'];
    const identity = {
      sdkAppID,
      wsUrl: '',
      userSig: (userID: string) => genUserSig({ sdkAppID, secretKey, userID, expireSeconds: 3600 }),
    };

    const first = await startServerProcess({ args, env });
    processes.push(first);
    identity.wsUrl = first.wsUrl;
    const alice = await pool.login(identity, 'alice');
    const bob = await pool.login(identity, 'bob');
    const carol = await pool.login(identity, 'carol');

    const loops: Loop[] = [
      { from: 'alice', to: 'bob', sent: [], acked: new Map() },
      { from: 'bob', to: 'alice', sent: [], acked: new Map() },
      { from: 'carol', to: 'alice', sent: [], acked: new Map() },
      { from: 'alice', to: 'carol', sent: [], acked: new Map() },
    ];
    const clientOf: Record<string, RawClient> = { alice, bob, carol };
    const running = loops.map((loop) => runLoop(clientOf[loop.from]!, loop));
    const totalAcked = () => loops.reduce((n, l) => n + l.acked.size, 0);

    // Let traffic flow, then kill the server in the middle of it.
    await waitUntil(() => totalAcked() >= 120, 'acks before the kill', 20_000);
    const exitCode = await first.stop('SIGKILL');
    expect(exitCode).toBeNull();
    expect(first.child.signalCode).toBe('SIGKILL');
    await Promise.all(running);
    const ackedBeforeKill = totalAcked();
    expect(ackedBeforeKill).toBeGreaterThanOrEqual(120);
    pool.closeAll();

    const second = await startServerProcess({ args, env });
    processes.push(second);
    identity.wsUrl = second.wsUrl;
    const viewer = await pool.login(identity, 'alice');

    /** Checks the alice↔peer history; returns it. */
    async function checkHistory(peer: string): Promise<WireMessage[]> {
      const history = await listAll(viewer, `C2C${peer}`);
      const seqs = history.map((m) => m.seq);
      expect(seqs).toEqual(Array.from({ length: history.length }, (_, i) => i + 1));
      const ids = history.map((m) => `${m.from}/${m.ID}`);
      expect(new Set(ids).size).toBe(ids.length);
      const relevant = loops.filter((l) => [l.from, l.to].includes(peer) && [l.from, l.to].includes('alice'));
      const sentIDs = new Set(relevant.flatMap((l) => l.sent.map((m) => m.ID)));
      for (const m of history) expect(sentIDs.has(m.ID), `unexpected ${m.ID}`).toBe(true);
      const byID = new Map(history.map((m) => [m.ID, m]));
      for (const l of relevant) {
        for (const [id, seq] of l.acked) {
          const stored = byID.get(id);
          expect(stored, `acked ${id} lost`).toBeDefined();
          expect(stored!.seq).toBe(seq);
          expect(stored!.from).toBe(l.from);
          expect(stored!.payload).toEqual(l.sent.find((m) => m.ID === id)!.payload);
        }
      }
      return history;
    }

    const bobHistory = await checkHistory('bob');
    const carolHistory = await checkHistory('carol');
    expect(bobHistory.length + carolHistory.length).toBeGreaterThanOrEqual(ackedBeforeKill);

    // Resend every unacknowledged message with its original ID, plus a few acknowledged ones.
    const senders: Record<string, RawClient> = { alice: viewer, bob: await pool.login(identity, 'bob'), carol: await pool.login(identity, 'carol') };
    const stored = new Map([...bobHistory, ...carolHistory].map((m) => [m.ID, m]));
    let unacked = 0;
    for (const loop of loops) {
      for (const message of loop.sent) {
        const wasAcked = loop.acked.has(message.ID);
        const isLastAcked = wasAcked && [...loop.acked.keys()].at(-1) === message.ID;
        if (wasAcked && !isLastAcked) continue;
        if (!wasAcked) unacked++;
        const res = await send(senders[loop.from]!, message);
        const before = stored.get(message.ID);
        if (before) {
          expect(res.duplicate, message.ID).toBe(true);
          expect(res.message.seq).toBe(before.seq);
        } else {
          expect(res.duplicate, message.ID).toBe(false);
        }
        // Again: now it must be a duplicate either way.
        const again = await send(senders[loop.from]!, message);
        expect(again.duplicate).toBe(true);
        expect(again.message.seq).toBe(res.message.seq);
      }
    }
    expect(unacked).toBeGreaterThanOrEqual(1);
    expect(unacked).toBeLessThanOrEqual(loops.length);

    // Every message ever sent is now stored exactly once, sequences still contiguous.
    const finalBob = await checkHistory('bob');
    const finalCarol = await checkHistory('carol');
    const finalIDs = new Set([...finalBob, ...finalCarol].map((m) => m.ID));
    for (const loop of loops) for (const m of loop.sent) expect(finalIDs.has(m.ID), m.ID).toBe(true);
    expect(finalBob.length + finalCarol.length).toBe(loops.reduce((n, l) => n + l.sent.length, 0));

    // A graceful stop after all this exits 0.
    expect(await second.stop('SIGTERM')).toBe(0);
    // And the server comes back once more with the same data.
    const third = await startServerProcess({ args, env });
    processes.push(third);
    identity.wsUrl = third.wsUrl;
    const check = await connectRaw(third.wsUrl);
    pool.track(check);
    expect((await check.login('bob', identity.userSig('bob'), sdkAppID)).code).toBe(0);
    expect((await listAll(check, 'C2Calice')).length).toBe(finalBob.length);
  });
});
