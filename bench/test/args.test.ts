import { describe, expect, it } from 'vitest';
import { parseAllArgs, plan, serverSocketCap } from '../src/all-run.js';
import { parseC2CArgs } from '../src/c2c-run.js';
import { parseGroupArgs } from '../src/group-run.js';
import { parseHistoryArgs } from '../src/history-run.js';
import { parseIdleArgs } from '../src/idle-run.js';
import { parseLoginStormArgs, sourceAddressesFor } from '../src/login-storm-run.js';
import { UsageError } from '../src/proc.js';

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

  it('plans every workload, one SDK c2c run, and caps the AVChatRoom at one server process', () => {
    const steps = plan({ quick: false, runs: 3, only: null }, 20_000);
    expect(new Set(steps.map((s) => s.workload))).toEqual(new Set(['c2c', 'group', 'avchatroom', 'idle', 'login-storm', 'history']));
    const sdk = steps.filter((s) => s.args.includes('sdk'));
    expect(sdk).toHaveLength(1);
    expect(sdk[0]).toMatchObject({ workload: 'c2c', runs: 1 });
    const rooms = steps.filter((s) => s.workload === 'avchatroom');
    expect(rooms.map((r) => r.args[r.args.indexOf('--members') + 1])).toEqual(['5000', String(serverSocketCap(20_000))]);
    expect(serverSocketCap(20_000)).toBe(19_000);
    expect(serverSocketCap(1_000_000)).toBe(999_000);
    expect(plan({ quick: true, runs: 1, only: new Set(['history']) }, 20_000).map((s) => s.workload)).toEqual(['history']);
  });
});

describe('login-storm --client', () => {
  it('accepts the SDK', () => {
    expect(parsed(parseLoginStormArgs(['--client', 'sdk'])).client).toBe('sdk');
    expect(parsed(parseLoginStormArgs([])).client).toBe('lean');
  });
});
