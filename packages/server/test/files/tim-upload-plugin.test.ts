/**
 * Tencent's real `tim-upload-plugin` (npm, v1.4.3) against our upload slots.
 *
 * Finding: in Node it cannot run as shipped — its web path does
 * `new XMLHttpRequest()`, which Node does not have (ReferenceError). Browsers
 * have it; the SDK's browser test covers that. Here the plugin runs unchanged
 * on a minimal XMLHttpRequest built on fetch, which proves the server speaks
 * the plugin's protocol: a PUT of the raw file to `url`, HTTP 200 = success,
 * `location` = the `downloadUrl` the SDK passed in.
 */
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FetchXMLHttpRequest, startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { bytesOf, dimensions, download, pngImage, slot } from './file-helpers.js';

interface PluginResult {
  statusCode: number;
  headers: Record<string, string>;
  data: { location?: string; response?: string };
}
interface PluginOptions {
  url: string;
  fileType: number;
  fileName: string;
  resources: Blob;
  downloadUrl: string;
  thumbUrl?: string;
  largeUrl?: string;
  onProgress?: (e: { total: number; loaded: number; percent: number }) => void;
}
type UploadPlugin = { uploadFile(options: PluginOptions, callback: (err: { code: number; message: string } | null, res?: PluginResult) => void): unknown };
type UploadPluginClass = (new () => UploadPlugin) & { getVersion(): string };

const require = createRequire(import.meta.url);


function uploadWith(plugin: UploadPlugin, options: PluginOptions): Promise<{ err: { code: number; message: string } | null; res?: PluginResult }> {
  return new Promise((resolve) => plugin.uploadFile(options, (err, res) => resolve({ err, ...(res ? { res } : {}) })));
}

const pool = new ClientPool();
let srv: TestServer;
let alice: RawClient;
let Plugin: UploadPluginClass;

beforeAll(async () => {
  srv = await startTestServer();
  alice = await pool.login(srv, 'alice');
  const mod = require('tim-upload-plugin') as UploadPluginClass | { default: UploadPluginClass };
  Plugin = 'default' in mod ? mod.default : mod;
  // The plugin logs its version and every URL with console.log.
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  delete (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest;
});
afterAll(async () => {
  vi.restoreAllMocks();
  pool.closeAll();
  await srv.close();
});

describe("Tencent's tim-upload-plugin", () => {
  it('is the class §10 describes (version 1.4.3)', () => {
    expect(typeof Plugin).toBe('function');
    expect(Plugin.getVersion()).toBe('1.4.3');
    expect(typeof new Plugin().uploadFile).toBe('function');
  });

  it('cannot run in plain Node: it needs the browser XMLHttpRequest', async () => {
    expect((globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest).toBeUndefined();
    const png = await pngImage(10, 10);
    const s = await slot(alice, { fileType: 1, fileName: 'n.png', fileSize: png.length });
    const plugin = new Plugin();
    expect(() => plugin.uploadFile({ url: s.uploadUrl, fileType: 1, fileName: 'n.png', resources: new Blob([bytesOf(png)]), downloadUrl: s.downloadUrl }, () => undefined)).toThrow(
      /XMLHttpRequest is not defined/,
    );
  });

  it('uploads to our slot unchanged once an XMLHttpRequest exists', async () => {
    (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = FetchXMLHttpRequest;
    const png = await pngImage(1200, 900);
    const s = await slot(alice, { fileType: 1, fileName: 'plugin.png', fileSize: png.length, contentType: 'image/png' });
    const progress: number[] = [];
    const { err, res } = await uploadWith(new Plugin(), {
      url: s.uploadUrl,
      fileType: 1,
      fileName: 'plugin.png',
      resources: new Blob([bytesOf(png)], { type: 'image/png' }),
      downloadUrl: s.downloadUrl,
      thumbUrl: s.thumbUrl!,
      largeUrl: s.largeUrl!,
      onProgress: (e) => progress.push(e.percent),
    });
    expect(err).toBeNull();
    expect(res?.statusCode).toBe(200);
    expect(res?.data.location).toBe(s.downloadUrl);
    expect(progress.at(-1)).toBe(1);
    expect((await download(s.downloadUrl)).body.equals(png)).toBe(true);
    expect(await dimensions((await download(s.thumbUrl!)).body)).toMatchObject({ width: 264, height: 198 });
    expect(await dimensions((await download(s.largeUrl!)).body)).toMatchObject({ width: 960, height: 720 });
  });

  it('reports our refusals as errors with the HTTP status', async () => {
    (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = FetchXMLHttpRequest;
    const bytes = Buffer.from('definitely not an image, but long enough to be sniffed');
    const s = await slot(alice, { fileType: 1, fileName: 'fake.png', fileSize: bytes.length });
    const { err } = await uploadWith(new Plugin(), { url: s.uploadUrl, fileType: 1, fileName: 'fake.png', resources: new Blob([bytesOf(bytes)]), downloadUrl: s.downloadUrl });
    expect(err?.code).toBe(415);
    expect(JSON.parse(JSON.parse(err!.message) as string)).toMatchObject({ code: 95011 });
  });
});
