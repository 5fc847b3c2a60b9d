/**
 * BlobStore on the local disk: `<root>/<uuid[0..2]>/<uuid>/<variant>`. Writes
 * go to a temp file in `<root>/tmp/` and are renamed into place (same file
 * system), so a reader never sees a half-written blob. Paths come only from
 * validated keys (see assertBlobKey).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertBlobKey, isFileUuid, type BlobKey, type BlobStat, type BlobStore, type ByteRange } from './blob-store.js';

export class LocalBlobStore implements BlobStore {
  /** Scratch space for uploads in progress; on the same file system as the blobs. */
  readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
  }

  /** Creates the directories and removes temp files left by a crash. */
  async init(): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
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
