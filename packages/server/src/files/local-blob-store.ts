/**
 * BlobStore on the local disk: `<root>/<uuid[0..2]>/<uuid>/<variant>`. Writes
 * go to a temp file in `<root>/tmp/<pid>-<random>/` and are renamed into place
 * (same file system), so a reader never sees a half-written blob. Each store has
 * its own temp directory, because several node processes share the root
 * (cluster mode). Paths come only from validated keys (see assertBlobKey).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertBlobKey, isFileUuid, type BlobKey, type BlobStat, type BlobStore, type ByteRange } from './blob-store.js';

export class LocalBlobStore implements BlobStore {
  /** Scratch space for uploads in progress; on the same file system as the blobs. */
  readonly tmpDir: string;

  private readonly tmpRoot: string;

  constructor(readonly root: string) {
    this.tmpRoot = join(root, 'tmp');
    this.tmpDir = join(this.tmpRoot, `${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  /**
   * Creates the directories and removes temp files left by processes that are gone
   * (a crash); the temp directories of live processes sharing the root stay.
   */
  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    const mine = this.tmpDir.slice(this.tmpRoot.length + 1);
    for (const entry of await readdir(this.tmpRoot)) {
      if (entry === mine) continue;
      const pid = /^(\d+)-[0-9a-f]+$/.exec(entry)?.[1];
      // Entries of the earlier layout (temp files directly in tmp/) predate per-process directories.
      if (pid === undefined || !processAlive(Number(pid))) await rm(join(this.tmpRoot, entry), { recursive: true, force: true });
    }
  }

  /** A fresh temp path in tmpDir (the caller creates and removes the file). */
  tempPath(suffix = ''): string {
    return join(this.tmpDir, `${randomBytes(12).toString('hex')}${suffix}`);
  }

  private dirOf(uuid: string): string {
    if (!isFileUuid(uuid)) throw new Error(`invalid file uuid ${JSON.stringify(uuid)}`);
    return join(this.root, uuid.slice(0, 2), uuid);
  }

  private pathOf(key: BlobKey): string {
    assertBlobKey(key);
    return join(this.dirOf(key.uuid), key.variant);
  }

  async put(key: BlobKey, source: Readable): Promise<number> {
    const target = this.pathOf(key);
    const tmp = this.tempPath();
    let size = 0;
    source.on('data', (chunk: Buffer) => (size += chunk.length));
    try {
      await pipeline(source, createWriteStream(tmp, { flags: 'wx' }));
      await mkdir(this.dirOf(key.uuid), { recursive: true });
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    return size;
  }

  async putFile(key: BlobKey, path: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(this.dirOf(key.uuid), { recursive: true });
    await rename(path, target);
  }

  async get(key: BlobKey, range?: ByteRange): Promise<Readable | null> {
    const path = this.pathOf(key);
    const stream = createReadStream(path, range ? { start: range.start, end: range.end } : {});
    // Resolve only once the file is open, so a missing blob is a null and not a stream error.
    return new Promise((resolve, reject) => {
      stream.once('open', () => resolve(stream));
      stream.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') resolve(null);
        else reject(err);
      });
    });
  }

  async stat(key: BlobKey): Promise<BlobStat | null> {
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? { size: s.size } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(uuid: string): Promise<void> {
    await rm(this.dirOf(uuid), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
