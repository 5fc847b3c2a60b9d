import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childPids, parentPidFromStat, parseChildrenList, processTree, serverPids, treeDelta } from '../src/proc.js';

describe('processTree', () => {
  it('lists the root, then its descendants breadth first', () => {
    const tree = new Map<number, number[]>([
      [10, [11, 12]],
      [11, [13]],
      [12, []],
      [13, [14]],
    ]);
    expect(processTree(10, (pid) => tree.get(pid) ?? [])).toEqual([10, 11, 12, 13, 14]);
  });

  it('is just the root without children, and visits a pid once', () => {
    expect(processTree(7, () => [])).toEqual([7]);
    // A pid listed twice (two threads, or a cycle through pid reuse) is taken once.
    const loop = new Map<number, number[]>([
      [1, [2, 2]],
      [2, [1, 3]],
    ]);
    expect(processTree(1, (pid) => loop.get(pid) ?? [])).toEqual([1, 2, 3]);
  });
});

describe('/proc parsing', () => {
  it('reads a task children file', () => {
    expect(parseChildrenList('')).toEqual([]);
    expect(parseChildrenList('2216 2900 ')).toEqual([2216, 2900]);
    expect(parseChildrenList('5\n')).toEqual([5]);
  });

  it('reads the parent pid from stat, also with spaces and parentheses in the command name', () => {
    expect(parentPidFromStat('6255 (cat) R 6249 6249 5486 0 -1 4194304')).toBe(6249);
    expect(parentPidFromStat('77 (node (worker) x) S 42 77 77 0')).toBe(42);
  });
});

describe('treeDelta', () => {
  it('sums per-process differences; a new process counts from 0, a gone one drops out', () => {
    const start = new Map([
      [1, 100],
      [2, 50],
      [3, 10],
    ]);
    const end = new Map([
      [1, 150],
      [2, 80],
      [4, 5],
    ]);
    expect(treeDelta(start, end)).toBe(50 + 30 + 5);
    expect(treeDelta(start, new Map())).toBeNull();
  });
});

describe('childPids on this machine', () => {
  it('finds a spawned child, and serverPids includes it', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      });
      expect(childPids(process.pid)).toContain(child.pid);
      expect(serverPids(process.pid)).toContain(child.pid);
      expect(serverPids(process.pid)[0]).toBe(process.pid);
      expect(serverPids(undefined)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
