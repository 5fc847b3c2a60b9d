/**
 * The `c2c-store` workload: what storing a 1:1 send costs the storage alone, no sockets. The
 * server's own send procedure (`sendC2C`) runs on a SqliteStorage over a temporary file, on its
 * storage thread as in the server (or in process with `--thread off`), for --sends sends between
 * --users paired users: --batch calls per event-loop turn (a turn's calls cross to the thread in
 * one message, as the gateway's do), with at most --window in flight (the c2c workload's 1,000
 * users with window 10 keep 10,000 in flight). At full 1:1 load that thread is the server's bound
 * (docs/performance.md, session 9); this measures it without the load generator and the event
 * loop's socket work sharing the cores, so CPU per send compares across commits.
 *
 * Every result is checked: each conversation's sequences come back in call order without a gap
 * or repeat, no send is a duplicate, and the stored state counts every send.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { c2cKey, sendC2C, SqliteStorage, type C2CSendArgs, type C2CSendResult } from '@parley/server';
import { benchText } from './endpoints.js';
import { emitResult, environmentFields, log, numOption, parseFlags, UsageError } from './proc.js';
import { LatencyHistogram, latencyFields, round } from './stats.js';

export const C2C_STORE_USAGE = `Usage: node bench/dist/cli.js c2c-store [options]     (npm run bench -- c2c-store [options])

The storage's own cost of a 1:1 send: the server's send procedure on a SqliteStorage over a
temporary file (its storage thread, as in the server), no sockets, no server process.
User 2k sends to 2k+1 and back. One JSON line on stdout.

Options:
  --sends N        measured sends, default 200000
  --warmup N       unmeasured sends before them, default 20000
  --users U        users (paired), an even number ≥ 2, default 1000
  --batch B        calls made per event-loop turn, default 512
  --window W       calls in flight at most (a turn waits while W are), default 10000
  --thread on|off  run the procedure on the storage thread (default) or in process
  --out FILE       also append the JSON line to FILE

Exit code: 0 ok, 1 a send failed or a sequence was lost, repeated or out of order, 2 bad options.`;

export interface C2CStoreOptions {
  sends: number;
  warmup: number;
  users: number;
  batch: number;
  window: number;
  thread: boolean;
  out: string | null;
}

export function parseC2CStoreArgs(rest: readonly string[]): C2CStoreOptions | 'help' {
  const raw = parseFlags(rest, new Set(['--sends', '--warmup', '--users', '--batch', '--window', '--thread', '--out']));
  if (raw === 'help') return 'help';
  const users = numOption(raw, '--users', 1000, 2, 1_000_000, true);
  if (users % 2 !== 0) throw new UsageError(`--users must be even: users are paired (got ${users})`);
  const thread = raw.get('--thread') ?? 'on';
  if (thread !== 'on' && thread !== 'off') throw new UsageError(`--thread must be on or off (got "${thread}")`);
  const batch = numOption(raw, '--batch', 512, 1, 100_000, true);
  const window = numOption(raw, '--window', 10_000, 1, 10_000_000, true);
  // A turn waits until its calls fit in the window: one that never fits would wait for ever.
  if (window < batch) throw new UsageError(`--window (${window}) must be at least --batch (${batch})`);
  return {
    sends: numOption(raw, '--sends', 200_000, 1, 100_000_000, true),
    warmup: numOption(raw, '--warmup', 20_000, 0, 100_000_000, true),
    users,
    batch,
    window,
    thread: thread === 'on',
    out: raw.get('--out') ?? null,
  };
}

/** Send `n` overall: from user n % users to its pair, the sender's (n / users)-th message. */
export function sendArgs(n: number, users: number, time: number): C2CSendArgs {
  const u = n % users;
  const from = `store-u${u}`;
  const to = `store-u${u ^ 1}`;
  const k = Math.floor(n / users);
  return {
    base: {
      ID: `${from}-${k}`,
      conversationType: 'C2C',
      from,
      to,
      time,
      clientTime: time,
      random: (n * 7919) % 100_000_000,
      type: 'TIMTextElem',
      payload: { text: benchText(time * 1000, time * 1000, k) },
      cloudCustomData: '',
      priority: 'Normal',
      isRevoked: false,
      revoker: '',
    },
    convKey: c2cKey(from, to),
    // As the server passes them from its profile cache: users without a profile.
    facts: { sender: { nick: '', avatar: '', messageSettings: 0, adminForbidType: 'AdminForbid_Type_None' }, hiddenForReceiver: false },
  };
}

/** Checks each conversation's sequences, in call order, against 1, 2, 3, … */
export class SeqChecker {
  private readonly last = new Map<string, number>();
  lost = 0;
  duplicated = 0;
  outOfOrder = 0;

  check(convKey: string, result: C2CSendResult): void {
    if (result.kind !== 'stored') {
      if (result.kind === 'duplicate') this.duplicated++;
      else this.lost++;
      return;
    }
    const expected = (this.last.get(convKey) ?? 0) + 1;
    if (result.seq !== expected) this.outOfOrder++;
    this.last.set(convKey, Math.max(result.seq, this.last.get(convKey) ?? 0));
  }

  /** The sends each conversation should have stored. */
  get conversations(): ReadonlyMap<string, number> {
    return this.last;
  }
}

export async function runC2CStore(opts: C2CStoreOptions): Promise<number> {
  const load = loadavg()[0] ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-store-'));
  const storage = new SqliteStorage({ filename: join(dir, 'parley.db'), storageThread: opts.thread });
  try {
    await storage.migrate();
    const time = Math.floor(Date.now() / 1000);
    const checker = new SeqChecker();
    const latency = new LatencyHistogram();
    let failed = 0;
    let inFlight = 0;
    /** Resolves once at most `limit` calls are in flight. */
    let waiter: { limit: number; wake: () => void } | null = null;
    const inFlightAtMost = (limit: number): Promise<void> =>
      inFlight <= limit ? Promise.resolve() : new Promise<void>((wake) => (waiter = { limit, wake }));
    const settled = (): void => {
      inFlight--;
      if (waiter !== null && inFlight <= waiter.limit) {
        const { wake } = waiter;
        waiter = null;
        wake();
      }
    };
    const run = async (from: number, count: number, record: boolean): Promise<void> => {
      for (let i = from; i < from + count; i += opts.batch) {
        // The next turn, once there is room for its calls.
        if (i > from) await new Promise<void>((resolve) => setImmediate(resolve));
        await inFlightAtMost(opts.window - opts.batch);
        for (let n = i; n < Math.min(from + count, i + opts.batch); n++) {
          const args = sendArgs(n, opts.users, time);
          const start = performance.now();
          inFlight++;
          storage.call(sendC2C, args).then(
            (result) => {
              if (record) latency.record(performance.now() - start);
              checker.check(args.convKey, result);
              settled();
            },
            (error: unknown) => {
              failed++;
              if (failed <= 3) log(`send ${n} failed: ${error instanceof Error ? error.message : String(error)}`);
              settled();
            },
          );
        }
      }
      await inFlightAtMost(0);
    };
    log(`c2c-store: ${opts.warmup} warm-up sends, then ${opts.sends} measured, ${opts.users} users, ${opts.batch} per turn, ≤ ${opts.window} in flight, ${opts.thread ? 'on the storage thread' : 'in process'}`);
    await run(0, opts.warmup, false);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run(opts.warmup, opts.sends, true);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // Every conversation's stored state holds exactly the sends that were answered as stored.
    let stateMismatch = 0;
    for (const [convKey, seq] of checker.conversations) {
      if ((await storage.conversations.getState(convKey))?.lastSeq !== seq) stateMismatch++;
    }
    const lost = checker.lost + failed + stateMismatch;
    const s = latencyFields(latency.summary());
    const result = {
      workload: 'c2c-store',
      offered_per_s: null,
      achieved_per_s: round(opts.sends / seconds, 1),
      p50_ms: s.p50,
      p95_ms: s.p95,
      p99_ms: s.p99,
      max_ms: s.max,
      lost,
      duplicated: checker.duplicated,
      out_of_order: checker.outOfOrder,
      // The process: the storage (its thread, the thread pool's syncs) and this loop that makes the calls.
      server_cpu_s: round((cpu.user + cpu.system) / 1e6, 2),
      server_rss_mb: Math.round(process.memoryUsage().rss / 1e6),
      loadgen_cpu_s: null,
      cpu_us_per_send: round((cpu.user + cpu.system) / opts.sends, 2),
      user_us_per_send: round(cpu.user / opts.sends, 2),
      sys_us_per_send: round(cpu.system / opts.sends, 2),
      sends: opts.sends,
      users: opts.users,
      batch: opts.batch,
      window: opts.window,
      thread: opts.thread && storage.threaded,
      ...environmentFields(load),
    };
    log(`${result.achieved_per_s} sends/s, ${result.cpu_us_per_send} µs CPU per send (user ${result.user_us_per_send}, system ${result.sys_us_per_send}), lost ${lost}, duplicated ${checker.duplicated}, out of order ${checker.outOfOrder}`);
    await emitResult(result, opts.out);
    return lost + checker.duplicated + checker.outOfOrder > 0 ? 1 : 0;
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
