/**
 * LocalBlobStore's temp directories when several node processes share one data
 * dir (cluster mode): starting a store removes what dead processes left, never
 * a live process's uploads in progress.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { LocalBlobStore } from '../../src/files/local-blob-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

it('removes temp dirs of dead processes and old flat temp files, keeps live ones, gives each store its own dir', async () => {
  const root = mkdtempSync(join(tmpdir(), 'parley-blobs-'));
  dirs.push(root);
  const tmp = join(root, 'tmp');
  const dead = join(tmp, `${deadPid()}-0badf00d`);
  const live = join(tmp, `${process.pid}-cafe0001`);
  mkdirSync(dead, { recursive: true });
  mkdirSync(live, { recursive: true });
  writeFileSync(join(dead, 'half-upload'), 'x');
  writeFileSync(join(live, 'in-progress'), 'y');
  writeFileSync(join(tmp, 'legacy-temp-file'), 'z');

  const a = new LocalBlobStore(root);
  const b = new LocalBlobStore(root);
  await a.init();
  await b.init();
  expect(existsSync(dead)).toBe(false);
  expect(existsSync(join(tmp, 'legacy-temp-file'))).toBe(false);
  expect(existsSync(join(live, 'in-progress'))).toBe(true);
  // b's start did not remove a's directory (same process, both alive).
  expect(a.tmpDir).not.toBe(b.tmpDir);
  expect(existsSync(a.tmpDir) && existsSync(b.tmpDir)).toBe(true);
  expect(readdirSync(tmp).sort()).toEqual([live, a.tmpDir, b.tmpDir].map((p) => p.slice(tmp.length + 1)).sort());
});
