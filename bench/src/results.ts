/**
 * Pure parts of `all` (tested in test/results.test.ts): medians over repeated runs, the
 * targets from the performance issue and whether a run meets them, and the Markdown report.
 */

/** The fields every workload's result line starts with (bench/README.md, "Common result fields"). */
export interface CommonResult {
  workload: string;
  offered_per_s: number | null;
  achieved_per_s: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  lost: number;
  duplicated: number;
  out_of_order: number;
  server_cpu_s: number | null;
  server_rss_mb: number | null;
  loadgen_cpu_s: number | null;
  /** Node processes of the spawned server (1, or N in cluster mode); absent in older lines, `null` for an external server. */
  server_processes?: number | null;
  [field: string]: unknown;
}

/** Median of the numbers (mean of the middle two for an even count); `null` when there are none. */
export function median(values: ReadonlyArray<number | null | undefined>): number | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/** What the issue asks of a step; `check` says whether a (median) result meets it. */
export interface Target {
  text: string;
  check(r: StepSummary): boolean;
}

/** One step of `all` summarised over its runs: medians of the numbers, worst of the correctness counts. */
export interface StepSummary {
  runs: number;
  /** Runs that did not complete (exit code 2, no result line). */
  failedRuns: number;
  achieved_per_s: number | null;
  offered_per_s: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  server_cpu_s: number | null;
  server_rss_mb: number | null;
  loadgen_cpu_s: number | null;
  /** Server processes of the runs (their median; `null` when no run said). */
  server_processes: number | null;
  /** Worst run (a single bad run is a bad step). */
  lost: number;
  duplicated: number;
  out_of_order: number;
  /** Workload-specific medians (e.g. idle's server_kb_per_connection). */
  extra: Record<string, number | null>;
  /** Notes the runs carried (e.g. idle's fd-limit note), deduplicated. */
  notes: string[];
}

export function summarizeRuns(results: readonly CommonResult[], failedRuns: number, extraFields: readonly string[] = []): StepSummary {
  const med = (f: keyof CommonResult) => median(results.map((r) => r[f] as number | null));
  const worst = (f: 'lost' | 'duplicated' | 'out_of_order') => results.reduce((a, r) => Math.max(a, typeof r[f] === 'number' ? r[f] : 0), 0);
  const extra: Record<string, number | null> = {};
  for (const f of extraFields) extra[f] = median(results.map((r) => (typeof r[f] === 'number' ? (r[f] as number) : null)));
  const notes = [...new Set(results.map((r) => r['note']).filter((n): n is string => typeof n === 'string' && n !== ''))];
  return {
    runs: results.length,
    failedRuns,
    achieved_per_s: med('achieved_per_s'),
    offered_per_s: med('offered_per_s'),
    p50_ms: med('p50_ms'),
    p95_ms: med('p95_ms'),
    p99_ms: med('p99_ms'),
    max_ms: med('max_ms'),
    server_cpu_s: med('server_cpu_s'),
    server_rss_mb: med('server_rss_mb'),
    loadgen_cpu_s: med('loadgen_cpu_s'),
    server_processes: median(results.map((r) => (typeof r.server_processes === 'number' ? r.server_processes : null))),
    lost: worst('lost'),
    duplicated: worst('duplicated'),
    out_of_order: worst('out_of_order'),
    extra,
    notes,
  };
}

/** Whether a step met its target; correctness (nothing lost, duplicated, out of order, no failed run) always counts. */
export function verdict(s: StepSummary, target: Target | null): 'yes' | 'no' | '—' {
  const correct = s.lost === 0 && s.duplicated === 0 && s.out_of_order === 0 && s.failedRuns === 0 && s.runs > 0;
  if (target === null) return correct ? '—' : 'no';
  return correct && target.check(s) ? 'yes' : 'no';
}

/** The issue's targets. */
export const TARGETS = {
  c2cThroughput: {
    text: '≥ 30,000 msgs/s delivered, stored durably before the ack',
    check: (s: StepSummary) => (s.achieved_per_s ?? 0) >= 30_000,
  },
  c2cLatency: {
    text: 'p99 ≤ 3 ms at 10,000 msgs/s offered (stored before the ack)',
    check: (s: StepSummary) => (s.achieved_per_s ?? 0) >= 9_900 && (s.p99_ms ?? Infinity) <= 3,
  },
  group1000: {
    text: '≥ 250,000 deliveries/s',
    check: (s: StepSummary) => (s.achieved_per_s ?? 0) >= 250_000,
  },
  group5000: {
    text: '≥ 200,000 deliveries/s, p99 ≤ 100 ms',
    check: (s: StepSummary) => (s.achieved_per_s ?? 0) >= 200_000 && (s.p99_ms ?? Infinity) <= 100,
  },
  avchatroom: {
    text: '100,000 members online, ≥ 1,000,000 deliveries/s, p99 ≤ 250 ms',
    check: (s: StepSummary) => (s.extra['online'] ?? 0) >= 100_000 && (s.achieved_per_s ?? 0) >= 1_000_000 && (s.p99_ms ?? Infinity) <= 250,
  },
  idle: {
    text: '100,000 connections held; ≤ 10 KB server memory per connection',
    check: (s: StepSummary) => (s.extra['connections'] ?? 0) >= 100_000 && (s.extra['server_kb_per_connection'] ?? Infinity) <= 10,
  },
  loginStorm: {
    text: '≥ 5,000 logins/s',
    check: (s: StepSummary) => (s.achieved_per_s ?? 0) >= 5000,
  },
  history: {
    text: 'last 15 of 10 M messages: p50 ≤ 1 ms, p99 ≤ 3 ms',
    check: (s: StepSummary) => (s.extra['messages'] ?? 0) >= 10_000_000 && (s.p50_ms ?? Infinity) <= 1 && (s.p99_ms ?? Infinity) <= 3,
  },
} satisfies Record<string, Target>;

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGB: number;
  node: string;
  kernel: string;
  os: string;
  loadavgBefore: [number, number, number];
  fdLimit: number | null;
  portRange: string;
  gitCommit: string;
  /** Uncommitted changes in the server/SDK/protocol packages at the time of the run. */
  dirtyPackages: string[];
}

export interface ReportStep {
  label: string;
  workload: string;
  args: readonly string[];
  target: Target | null;
  summary: StepSummary;
  /** 1-based line numbers of this step's runs in the .jsonl file. */
  lines: number[];
  /** Other processes' CPU share before each run, %. */
  busyBefore: number[];
}

function fmt(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderMarkdown(report: { title: string; startedAt: string; finishedAt: string; jsonlName: string; quick: boolean; runs: number; machine: MachineInfo; steps: ReportStep[] }): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push(`# ${report.title}`, '');
  lines.push(`Started ${report.startedAt}, finished ${report.finishedAt}. ${report.quick ? 'Quick (smoke) set, ' : ''}${report.runs} run(s) per step, medians shown; lost/dup/ooo are the worst run.`);
  lines.push(`Raw result lines: [${report.jsonlName}](${report.jsonlName}) (the "lines" column points into it). Produced by \`npm run bench -- all${report.quick ? ' --quick' : ''}\`.`, '');
  lines.push('## Machine', '');
  lines.push('| | |', '| --- | --- |');
  lines.push(`| CPU | ${cell(m.cpuModel)}, ${m.cores} cores |`);
  lines.push(`| Memory | ${fmt(m.memoryGB)} GB |`);
  lines.push(`| OS, kernel | ${cell(m.os)}, Linux ${cell(m.kernel)} |`);
  lines.push(`| Node | ${m.node} |`);
  lines.push(`| Load average before (1/5/15 min) | ${m.loadavgBefore.map((x) => x.toFixed(2)).join(' / ')} |`);
  lines.push(`| Open-files limit per process | ${m.fdLimit ?? '?'} (hard) |`);
  lines.push(`| Ephemeral ports | ${m.portRange} |`);
  lines.push(`| Commit | ${m.gitCommit}${m.dirtyPackages.length > 0 ? ` + uncommitted changes in ${m.dirtyPackages.join(', ')}` : ''} |`);
  lines.push('');
  lines.push('## Results', '');
  lines.push('| Step | Parameters | Server processes | Runs | Offered/s | Achieved/s | p50 ms | p99 ms | max ms | lost / dup / ooo | Server CPU s | Server RSS MB | Load gen CPU s | Target (issue) | Met | Lines |');
  lines.push('| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | --- | --- |');
  for (const step of report.steps) {
    const s = step.summary;
    const runs = s.failedRuns > 0 ? `${s.runs} (+${s.failedRuns} failed)` : String(s.runs);
    lines.push(
      `| ${cell(step.label)} | \`${cell(step.args.join(' '))}\` | ${fmt(s.server_processes, 0)} | ${runs} | ${fmt(s.offered_per_s)} | ${fmt(s.achieved_per_s)} | ${fmt(s.p50_ms, 2)} | ${fmt(s.p99_ms, 2)} | ${fmt(s.max_ms, 2)} | ` +
        `${s.lost} / ${s.duplicated} / ${s.out_of_order} | ${fmt(s.server_cpu_s, 2)} | ${fmt(s.server_rss_mb)} | ${fmt(s.loadgen_cpu_s, 2)} | ${cell(step.target?.text ?? '—')} | ${verdict(s, step.target)} | ${step.lines.join(', ')} |`,
    );
  }
  lines.push('');
  const details = report.steps.filter((st) => Object.values(st.summary.extra).some((v) => v !== null) || st.summary.notes.length > 0 || st.busyBefore.some((b) => b >= 20));
  if (details.length > 0) {
    lines.push('## Notes', '');
    for (const step of details) {
      const extras = Object.entries(step.summary.extra)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${k} ${fmt(v, 2)}`);
      const parts = [...extras];
      if (step.busyBefore.some((b) => b >= 20)) parts.push(`other processes used ${step.busyBefore.map((b) => `${Math.round(b)} %`).join(', ')} of the CPUs just before the runs`);
      lines.push(`- **${step.label}**: ${parts.join('; ')}${step.summary.notes.length > 0 ? `. ${step.summary.notes.join(' ')}` : ''}`);
    }
    lines.push('');
  }
  lines.push('Units: achieved/s is messages delivered per second (c2c), deliveries per second (group, avchatroom), logins per second (login-storm),');
  lines.push('msg.list pages per second (history), connections per second while connecting (idle). Latencies are end to end, from the intended');
  lines.push('send time in open loop (no coordinated omission). "Met" needs the target and 0 lost / duplicated / out of order; "—" = no');
  lines.push('numeric target in the issue. Server CPU and RSS are summed over every server process (a cluster\'s primary and workers);');
  lines.push('with several, Redis\'s own CPU and RSS are in the notes (redis_cpu_s, redis_rss_mb), not in those columns, except that idle\'s');
  lines.push('server_kb_per_connection includes the growth of Redis\'s RSS. Field definitions: bench/README.md.');
  lines.push('');
  return lines.join('\n');
}
