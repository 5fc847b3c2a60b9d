import { describe, expect, it } from 'vitest';
import { median, renderMarkdown, summarizeRuns, TARGETS, verdict, type CommonResult, type MachineInfo } from '../src/results.js';

function result(over: Partial<CommonResult>): CommonResult {
  return {
    workload: 'c2c',
    offered_per_s: 100,
    achieved_per_s: 100,
    p50_ms: 1,
    p95_ms: 2,
    p99_ms: 3,
    max_ms: 4,
    lost: 0,
    duplicated: 0,
    out_of_order: 0,
    server_cpu_s: 1,
    server_rss_mb: 100,
    loadgen_cpu_s: 0.5,
    ...over,
  };
}

describe('median', () => {
  it('takes the middle value, or the mean of the middle two, ignoring nulls', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([null, 5, undefined])).toBe(5);
    expect(median([])).toBeNull();
    expect(median([null])).toBeNull();
  });
});

describe('summarizeRuns', () => {
  it('takes medians of the numbers and the worst run for correctness', () => {
    const s = summarizeRuns(
      [result({ achieved_per_s: 90, p99_ms: 9, lost: 0 }), result({ achieved_per_s: 110, p99_ms: 3, lost: 2 }), result({ achieved_per_s: 100, p99_ms: 5, duplicated: 1 })],
      1,
      ['server_kb_per_connection'],
    );
    expect(s).toMatchObject({ runs: 3, failedRuns: 1, achieved_per_s: 100, p99_ms: 5, lost: 2, duplicated: 1, out_of_order: 0, server_processes: null });
    expect(s.extra).toEqual({ server_kb_per_connection: null });
  });

  it('keeps workload fields and distinct notes', () => {
    const s = summarizeRuns(
      [result({ server_kb_per_connection: 8, note: 'fd limit' }), result({ server_kb_per_connection: 12, note: 'fd limit' })],
      0,
      ['server_kb_per_connection'],
    );
    expect(s.extra['server_kb_per_connection']).toBe(10);
    expect(s.notes).toEqual(['fd limit']);
  });
});

describe('verdict', () => {
  const ok = (over: Partial<CommonResult>) => summarizeRuns([result(over)], 0, ['connections', 'server_kb_per_connection', 'messages']);

  it('needs the target and a clean run', () => {
    expect(verdict(ok({ achieved_per_s: 6000 }), TARGETS.loginStorm)).toBe('yes');
    expect(verdict(ok({ achieved_per_s: 4000 }), TARGETS.loginStorm)).toBe('no');
    expect(verdict(ok({ achieved_per_s: 6000, lost: 1 }), TARGETS.loginStorm)).toBe('no');
    expect(verdict(summarizeRuns([], 1), TARGETS.loginStorm)).toBe('no');
  });

  it('has no verdict without a target unless something went wrong', () => {
    expect(verdict(ok({}), null)).toBe('—');
    expect(verdict(ok({ out_of_order: 1 }), null)).toBe('no');
  });

  it('checks idle at 100,000 connections and history at 10 M messages', () => {
    expect(verdict(ok({ connections: 19_900, server_kb_per_connection: 5 }), TARGETS.idle)).toBe('no');
    expect(verdict(ok({ connections: 100_000, server_kb_per_connection: 9.9 }), TARGETS.idle)).toBe('yes');
    expect(verdict(ok({ messages: 10_000_000, p50_ms: 0.8, p99_ms: 2.5 }), TARGETS.history)).toBe('yes');
    expect(verdict(ok({ messages: 1_000_000, p50_ms: 0.8, p99_ms: 2.5 }), TARGETS.history)).toBe('no');
    expect(verdict(ok({ messages: 10_000_000, p50_ms: 0.8, p99_ms: 3.5 }), TARGETS.history)).toBe('no');
  });
});

describe('renderMarkdown', () => {
  const machine: MachineInfo = {
    cpuModel: 'Test CPU',
    cores: 2,
    memoryGB: 24,
    node: 'v20.0.0',
    kernel: '6.1',
    os: 'Debian',
    loadavgBefore: [0.1, 0.2, 0.3],
    fdLimit: 20_000,
    portRange: '32768–60999',
    gitCommit: 'abc1234',
    dirtyPackages: ['server'],
  };

  it('writes the machine, one row per step with its verdict, and the notes', () => {
    const md = renderMarkdown({
      title: 'Parley benchmarks',
      startedAt: 's',
      finishedAt: 'f',
      jsonlName: 'x.jsonl',
      quick: false,
      runs: 3,
      machine,
      steps: [
        {
          label: 'login-storm',
          workload: 'login-storm',
          args: ['--duration', '10'],
          target: TARGETS.loginStorm,
          summary: summarizeRuns([result({ achieved_per_s: 5500, server_processes: 2 })], 0),
          lines: [1],
          busyBefore: [3],
        },
        {
          label: 'idle | odd',
          workload: 'idle',
          args: ['--connections', '100000'],
          target: TARGETS.idle,
          summary: summarizeRuns([result({ connections: 19_900, server_kb_per_connection: 20, note: 'capped by the fd limit' })], 0, ['connections', 'server_kb_per_connection']),
          lines: [2],
          busyBefore: [50],
        },
      ],
    });
    expect(md).toContain('| CPU | Test CPU, 2 cores |');
    expect(md).toContain('abc1234 + uncommitted changes in server');
    expect(md).toMatch(/\| login-storm \| `--duration 10` \| 2 \| 1 \| 100 \| 5,500 \|.*\| ≥ 5,000 logins\/s \| yes \| 1 \|/);
    expect(md).toContain('| Step | Parameters | Server processes | Runs |');
    expect(md).toMatch(/\| idle \\\| odd \| `--connections 100000` \| — \| 1 \|/);
    expect(md).toContain('| idle \\| odd |');
    expect(md).toContain('capped by the fd limit');
    expect(md).toContain('other processes used 50 %');
  });
});
