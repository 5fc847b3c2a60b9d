import { describe, expect, it } from 'vitest';
import { parseAllArgs, plan, serverProcessesFor, serverSocketCap } from '../src/all-run.js';
import { parseC2CArgs } from '../src/c2c-run.js';
import { parseGroupArgs } from '../src/group-run.js';
import { parseHistoryArgs } from '../src/history-run.js';
import { kbPerConnection, parseIdleArgs, serverConnectionCapacity } from '../src/idle-run.js';
import { parseLoginStormArgs, sourceAddressesFor } from '../src/login-storm-run.js';
import { SOCKETS_PER_WORKER, UsageError, workersForSockets } from '../src/proc.js';

/** Parses and fails the test on 'help'. */
function parsed<T>(result: T | 'help'): T {
  if (result === 'help') throw new Error('unexpected help');
  return result;
}

describe('--rate max is closed loop everywhere', () => {
  it('c2c', () => {
    expect(parsed(parseC2CArgs(['--rate', 'max'])).rate).toBe(0);
    expect(parsed(parseC2CArgs(['--rate=MAX'])).rate).toBe(0);
    expect(parsed(parseC2CArgs(['--rate', '10000'])).rate).toBe(10_000);
    expect(parsed(parseC2CArgs([])).rate).toBe(0);
  });

  it('group and avchatroom', () => {
    expect(parsed(parseGroupArgs('group', ['--rate', 'max'])).rate).toBe(0);
    expect(parsed(parseGroupArgs('avchatroom', ['--rate', 'Max'])).rate).toBe(0);
    expect(parsed(parseGroupArgs('avchatroom', [])).rate).toBe(10);
  });

  it('login-storm and history', () => {
    expect(parsed(parseLoginStormArgs(['--rate', 'max'])).rate).toBe(0);
    expect(parsed(parseLoginStormArgs(['--rate', '5000'])).rate).toBe(5000);
    expect(parsed(parseHistoryArgs(['--rate', 'max'])).rate).toBe(0);
  });

  it('idle accepts only max', () => {
    expect(parsed(parseIdleArgs(['--rate', 'max'])).connections).toBe(10_000);
    expect(() => parseIdleArgs(['--rate', '100'])).toThrow(UsageError);
  });

  it('rejects nonsense rates', () => {
    expect(() => parseC2CArgs(['--rate', 'fast'])).toThrow(UsageError);
    expect(() => parseLoginStormArgs(['--rate', '-1'])).toThrow(UsageError);
  });
});

describe('--client', () => {
  it('defaults to the lean client and accepts sdk', () => {
    expect(parsed(parseC2CArgs([])).client).toBe('lean');
    expect(parsed(parseC2CArgs(['--client', 'sdk'])).client).toBe('sdk');
    expect(parsed(parseGroupArgs('group', ['--client=sdk'])).client).toBe('sdk');
    expect(() => parseC2CArgs(['--client', 'tim'])).toThrow(/lean or sdk/);
  });
});

describe('idle options', () => {
  it('takes --connections or --users, and --window or --connect-concurrency', () => {
    const o = parsed(parseIdleArgs(['--users', '18000', '--window', '300', '--duration', '5']));
    expect(o).toMatchObject({ connections: 18_000, window: 300, durationS: 5, pingIntervalS: null, workers: null });
    expect(parsed(parseIdleArgs(['--connections', '100000', '--connect-concurrency', '50'])).window).toBe(50);
    expect(() => parseIdleArgs(['--users', '1', '--connections', '2'])).toThrow(/not both/);
    expect(() => parseIdleArgs(['--window', '1', '--connect-concurrency', '2'])).toThrow(/not both/);
  });

  it('configures the heartbeat of a spawned server only', () => {
    expect(parsed(parseIdleArgs(['--heartbeat-interval', '5000'])).heartbeatIntervalMs).toBe(5000);
    expect(() => parseIdleArgs(['--heartbeat-interval', '5000', '--url', 'ws://127.0.0.1:1/ws', '--sdkappid', '1', '--secret-key', 'k'])).toThrow(UsageError);
  });
});

describe('login-storm options', () => {
  it('defaults the window by loop kind', () => {
    expect(parsed(parseLoginStormArgs([])).window).toBe(64);
    expect(parsed(parseLoginStormArgs(['--rate', '5000'])).window).toBe(2000);
    expect(parsed(parseLoginStormArgs([])).users).toBeNull();
  });

  it('needs a user pool of at least twice the window', () => {
    expect(parsed(parseLoginStormArgs(['--users', '128'])).users).toBe(128);
    expect(() => parseLoginStormArgs(['--users', '100'])).toThrow(/at least 2 × --window/);
  });

  it('sizes the source addresses by the expected logins', () => {
    expect(sourceAddressesFor(1000, 26_000)).toBe(1);
    expect(sourceAddressesFor(60_000, 26_000)).toBe(3);
    expect(sourceAddressesFor(1e9, 26_000)).toBe(254);
  });
});

describe('history options', () => {
  it('has the issue-sized defaults and a valid dataset', () => {
    const o = parsed(parseHistoryArgs([]));
    expect(o.dataset).toEqual({ messages: 1_000_000, conversations: 10_000, owners: 50 });
    expect(o).toMatchObject({ users: 50, pages: 1, rate: 0, window: 1, rebuild: false });
    expect(parsed(parseHistoryArgs(['--messages', '10000000', '--rebuild'])).rebuild).toBe(true);
  });

  it('rejects impossible datasets and --url', () => {
    expect(() => parseHistoryArgs(['--messages', '10', '--conversations', '100'])).toThrow(UsageError);
    expect(() => parseHistoryArgs(['--owners', '60', '--users', '61'])).toThrow(UsageError);
    expect(() => parseHistoryArgs(['--url', 'ws://127.0.0.1:1/ws'])).toThrow(/always spawns/);
  });
});

describe('all', () => {
  it('parses --quick, --runs and --only', () => {
    expect(parsed(parseAllArgs([]))).toMatchObject({ quick: false, runs: 3, only: null, dryRun: false });
    const quick = parsed(parseAllArgs(['--quick', '--only', 'c2c,idle']));
    expect(quick.runs).toBe(1);
    expect([...quick.only!]).toEqual(['c2c', 'idle']);
    expect(() => parseAllArgs(['--only', 'c3c'])).toThrow(/unknown workload/);
  });

  it('plans every workload, one SDK run of each, and caps the AVChatRoom at one server process', () => {
    const steps = plan({ quick: false, runs: 3, only: null }, 20_000);
    const workloads = ['c2c', 'group', 'avchatroom', 'idle', 'login-storm', 'history'];
    expect(new Set(steps.map((s) => s.workload))).toEqual(new Set(workloads));
    for (const quick of [false, true]) {
      const sdk = plan({ quick, runs: 3, only: null }, 20_000).filter((s) => s.args.includes('sdk'));
      expect(sdk.map((s) => s.workload).sort()).toEqual([...workloads].sort());
      for (const step of sdk) expect(step.runs).toBe(1);
    }
    const rooms = steps.filter((s) => s.workload === 'avchatroom' && !s.args.includes('sdk'));
    expect(rooms.map((r) => r.args[r.args.indexOf('--members') + 1])).toEqual(['5000', String(serverSocketCap(20_000)), '100000']);
    expect(serverSocketCap(20_000)).toBe(19_000);
    expect(serverSocketCap(1_000_000)).toBe(999_000);
    // --only keeps the workload's lean and SDK steps.
    expect(plan({ quick: true, runs: 1, only: new Set(['history']) }, 20_000).map((s) => s.workload)).toEqual(['history', 'history']);
  });
});

describe('login-storm --client', () => {
  it('accepts the SDK', () => {
    expect(parsed(parseLoginStormArgs(['--client', 'sdk'])).client).toBe('sdk');
    expect(parsed(parseLoginStormArgs([])).client).toBe('lean');
  });
});

describe('history and idle --client', () => {
  it('history: lean by default, sdk on request', () => {
    expect(parsed(parseHistoryArgs([])).client).toBe('lean');
    expect(parsed(parseHistoryArgs(['--client', 'sdk'])).client).toBe('sdk');
    expect(() => parseHistoryArgs(['--client', 'tim'])).toThrow(/lean or sdk/);
  });

  it('idle: sdk instances connect from one source address and send their own heartbeat', () => {
    expect(parsed(parseIdleArgs([])).client).toBe('lean');
    expect(parsed(parseIdleArgs(['--client', 'sdk', '--connections', '5000'])).client).toBe('sdk');
    expect(() => parseIdleArgs(['--client', 'sdk', '--connections', '100000'])).toThrow(/one source address/);
    expect(() => parseIdleArgs(['--client', 'sdk', '--ping-interval', '5'])).toThrow(/own heartbeat/);
  });
});

describe('--server-processes', () => {
  const url = ['--url', 'ws://127.0.0.1:1/ws', '--sdkappid', '1', '--secret-key', 'k'];

  it('defaults to 1 and is taken by every workload that spawns a server', () => {
    expect(parsed(parseC2CArgs([])).serverProcesses).toBe(1);
    expect(parsed(parseC2CArgs(['--server-processes', '2'])).serverProcesses).toBe(2);
    expect(parsed(parseGroupArgs('group', ['--server-processes=3'])).serverProcesses).toBe(3);
    expect(parsed(parseGroupArgs('avchatroom', ['--server-processes', '6'])).serverProcesses).toBe(6);
    expect(parsed(parseIdleArgs(['--server-processes', '6'])).serverProcesses).toBe(6);
    expect(parsed(parseLoginStormArgs(['--server-processes', '2'])).serverProcesses).toBe(2);
    expect(parsed(parseHistoryArgs(['--server-processes', '2'])).serverProcesses).toBe(2);
  });

  it('is a whole number from 1 to 64', () => {
    expect(() => parseC2CArgs(['--server-processes', '0'])).toThrow(UsageError);
    expect(() => parseC2CArgs(['--server-processes', '1.5'])).toThrow(UsageError);
    expect(() => parseIdleArgs(['--server-processes', '65'])).toThrow(UsageError);
  });

  it('is rejected with an external server', () => {
    expect(parsed(parseC2CArgs(url)).serverProcesses).toBe(1);
    expect(() => parseC2CArgs([...url, '--server-processes', '2'])).toThrow(/spawned server/);
    expect(() => parseGroupArgs('avchatroom', [...url, '--server-processes', '1'])).toThrow(/spawned server/);
    expect(() => parseIdleArgs([...url, '--server-processes', '2'])).toThrow(/spawned server/);
    expect(() => parseLoginStormArgs([...url, '--server-processes', '2'])).toThrow(/spawned server/);
  });
});

describe('sockets over processes', () => {
  it('spreads load-generator sockets at 15,000 per worker', () => {
    expect(SOCKETS_PER_WORKER).toBe(15_000);
    expect(workersForSockets(1)).toBe(1);
    expect(workersForSockets(15_000)).toBe(1);
    expect(workersForSockets(100_000)).toBe(7);
    expect(parsed(parseGroupArgs('avchatroom', ['--members', '100000'])).workers).toBe(7);
  });

  it('sizes idle by the serving processes\' open-files limits', () => {
    expect(serverConnectionCapacity([{ fdLimit: 20_000, fds: 25 }])).toBe(19_935);
    // A cluster's workers, each with its own limit (the primary only hands sockets on).
    expect(serverConnectionCapacity(Array.from({ length: 6 }, () => ({ fdLimit: 20_000, fds: 30 })))).toBe(6 * 19_930);
    expect(serverConnectionCapacity([{ fdLimit: 20_000, fds: 30 }, { fdLimit: null, fds: 30 }])).toBeNull();
    expect(serverConnectionCapacity([])).toBeNull();
  });

  it('counts Redis\'s growth in the per-connection memory when there is one', () => {
    expect(kbPerConnection({ nodeKB: 100_000, redisBytes: null }, { nodeKB: 180_000, redisBytes: null }, 10_000)).toEqual({ total: 8, node: 8, redis: null });
    expect(kbPerConnection({ nodeKB: 100_000, redisBytes: 1024 * 1000 }, { nodeKB: 180_000, redisBytes: 1024 * 21_000 }, 10_000)).toEqual({ total: 10, node: 8, redis: 2 });
    expect(kbPerConnection({ nodeKB: null, redisBytes: null }, { nodeKB: 1, redisBytes: null }, 10)).toEqual({ total: null, node: null, redis: null });
    expect(kbPerConnection({ nodeKB: 1, redisBytes: null }, { nodeKB: 2, redisBytes: null }, 0).total).toBeNull();
  });
});

describe('all: multi-process steps', () => {
  it('runs c2c, group, login-storm with 2 server processes and the 100,000-socket steps with enough of them', () => {
    expect(serverProcessesFor(100_000, 20_000)).toBe(6);
    expect(serverProcessesFor(1000, 20_000)).toBe(2);
    const steps = plan({ quick: false, runs: 3, only: null }, 20_000);
    const procs = (s: { args: string[] }) => (s.args.includes('--server-processes') ? Number(s.args[s.args.indexOf('--server-processes') + 1]) : 1);
    const multi = steps.filter((s) => procs(s) > 1);
    expect(multi.map((s) => [s.workload, procs(s)])).toEqual([
      ['c2c', 2],
      ['group', 2],
      ['avchatroom', 6],
      ['idle', 6],
      ['login-storm', 2],
    ]);
    for (const s of multi) expect(s.extra).toEqual(expect.arrayContaining(['redis_cpu_s', 'redis_rss_mb']));
    expect(multi.map((s) => s.runs)).toEqual([3, 3, 1, 3, 3]);
    const idle = multi.find((s) => s.workload === 'idle')!;
    expect(idle.args.slice(0, 2)).toEqual(['--connections', '100000']);
    // The single-process steps are still there.
    expect(steps.filter((s) => procs(s) === 1).map((s) => s.workload)).toEqual(expect.arrayContaining(['c2c', 'group', 'avchatroom', 'idle', 'login-storm', 'history']));
    expect(plan({ quick: true, runs: 1, only: null }, 20_000).filter((s) => procs(s) > 1).map((s) => s.workload)).toEqual(['c2c', 'idle']);
  });
});
