/**
 * @parley/upload-plugin against a real local HTTP server (node:http): what
 * goes over the wire (method, bytes, headers), the callback contract of
 * spec §10.2, progress, the one retry on 5xx, and every failure path. Runs
 * the built package (`npm run build` first). Node has no XMLHttpRequest, so
 * this is the fetch transport; one case drives the XMLHttpRequest transport
 * through a minimal stand-in, and the SDK's browser test runs it in Chromium.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import ParleyUploadPlugin, { VERSION, type UploadError, type UploadFileOptions, type UploadProgressEvent, type UploadResponse } from '@parley/upload-plugin';
import type { WireUploadSlot } from '@parley/protocol';
import { connectRaw, startTestServer } from '@parley/testing';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const seen: Seen[] = [];
const hits = new Map<string, number>();
let server: Server;
let base: string;
let tmp: string;

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'x-upload-server': 'test', ...headers });
  res.end(text);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'parley-upload-plugin-'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const count = (hits.get(url.pathname) ?? 0) + 1;
    hits.set(url.pathname, count);
    if (url.pathname === '/hang') return; // never answers
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body: Buffer.concat(chunks) });
      switch (url.pathname) {
        case '/ok':
          return reply(res, 200, { code: 0, location: 'http://files.example/from-server', uuid: 'u1' });
        case '/created':
          return reply(res, 201, '');
        case '/flaky':
          return count === 1 ? reply(res, 503, { code: 90992, message: 'try again' }) : reply(res, 200, { code: 0 });
        case '/down':
          return reply(res, 502, 'bad gateway');
        case '/too-large':
          return reply(res, 413, { code: 95010, message: 'the image is larger than this slot allows' });
        case '/gone':
          return reply(res, 410, { code: 95012, message: 'this upload slot expired' });
        default:
          return reply(res, 404, 'not found');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  seen.length = 0;
  hits.clear();
  delete (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(tmp, { recursive: true, force: true });
});

interface Outcome {
  err: UploadError | null;
  res: UploadResponse | undefined;
  progress: UploadProgressEvent[];
  calls: number;
}

/** Runs one upload and also checks the callback fires exactly once. */
function upload(options: Omit<UploadFileOptions, 'onProgress'> & { onProgress?: UploadFileOptions['onProgress'] }, plugin = new ParleyUploadPlugin()): Promise<Outcome> {
  const progress: UploadProgressEvent[] = [];
  let calls = 0;
  return new Promise((resolve) => {
    plugin.uploadFile({ onProgress: (e) => progress.push(e), ...options }, (err, res) => {
      calls++;
      // Give a second (wrong) callback a chance to show up.
      setTimeout(() => resolve({ err, res, progress, calls }), 20);
    });
  });
}

function bytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

describe('ParleyUploadPlugin', () => {
  it('is a class with static getVersion(), usable with `new` and no arguments (spec §10.1)', () => {
    expect(typeof ParleyUploadPlugin).toBe('function');
    expect(ParleyUploadPlugin.getVersion()).toBe(VERSION);
    const require = createRequire(import.meta.url);
    const pkg = require('@parley/upload-plugin/package.json') as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(typeof new ParleyUploadPlugin().uploadFile).toBe('function');
    // CommonJS: require() gives the class itself (like Tencent's plugin), with .default as well.
    const cjs = require('@parley/upload-plugin') as typeof ParleyUploadPlugin & { default: unknown };
    expect(cjs.getVersion()).toBe(VERSION);
    expect(cjs.default).toBe(cjs);
  });

  it('PUTs the raw bytes and answers with {statusCode, statusMessage, headers, data: {location: downloadUrl, uploadIP}}', async () => {
    const data = bytes(150_000);
    const out = await upload({
      url: `${base}/ok?token=abc`,
      fileType: 1,
      fileName: 'photo.png',
      resources: new Blob([data], { type: 'image/png' }),
      downloadUrl: 'http://files.example/u1/photo.png',
      thumbUrl: 'http://files.example/u1/thumb',
      largeUrl: 'http://files.example/u1/large',
    });
    expect(out.calls).toBe(1);
    expect(out.err).toBeNull();
    expect(out.res).toMatchObject({ statusCode: 200, statusMessage: 'OK', data: { location: 'http://files.example/u1/photo.png', uploadIP: '' } });
    expect(out.res?.headers['x-upload-server']).toBe('test');
    expect(out.res?.headers['content-type']).toBe('application/json');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('PUT');
    expect(seen[0]?.path).toBe('/ok');
    expect(Buffer.compare(seen[0]!.body, Buffer.from(data))).toBe(0);
    expect(seen[0]?.headers['content-length']).toBe(String(data.length));
    expect(seen[0]?.headers['content-type']).toBe('image/png');
  });

  it('without a downloadUrl, location comes from the JSON answer', async () => {
    const out = await upload({ url: `${base}/ok`, resources: new Blob(['x']) });
    expect(out.err).toBeNull();
    expect(out.res?.data).toEqual({ location: 'http://files.example/from-server', uploadIP: '' });
  });

  it('reports progress 0 … 1, strictly increasing, with total and loaded', async () => {
    const size = 2 * 1024 * 1024 + 123;
    const out = await upload({ url: `${base}/ok`, resources: new Blob([bytes(size)]), downloadUrl: 'http://d' });
    expect(out.err).toBeNull();
    const percents = out.progress.map((p) => p.percent);
    expect(percents[0]).toBe(0);
    expect(percents.at(-1)).toBe(1);
    expect(percents.length).toBeGreaterThan(3); // streamed in 64 KiB chunks: intermediate values
    for (let i = 1; i < percents.length; i++) expect(percents[i]!).toBeGreaterThan(percents[i - 1]!);
    for (const p of out.progress) {
      expect(p.total).toBe(size);
      expect(p.loaded).toBeLessThanOrEqual(size);
      expect(p.percent).toBeGreaterThanOrEqual(0);
      expect(p.percent).toBeLessThanOrEqual(1);
    }
    expect(out.progress.at(-1)?.loaded).toBe(size);
  });

  it('copies options.headers except content-length, user-agent, origin and host (any case)', async () => {
    const out = await upload({
      url: `${base}/ok`,
      resources: new Blob(['hello'], { type: 'text/plain' }),
      headers: { 'X-Trace': 't-1', 'Content-Length': '999', 'User-Agent': 'evil/1.0', Origin: 'http://evil.example', HOST: 'evil.example', 'content-type': 'application/x-custom' },
    });
    expect(out.err).toBeNull();
    const h = seen[0]!.headers;
    expect(h['x-trace']).toBe('t-1');
    expect(h['content-length']).toBe('5');
    expect(h['user-agent']).not.toBe('evil/1.0');
    expect(h['origin']).toBeUndefined();
    expect(h['host']).toBe(new URL(base).host);
    expect(h['content-type']).toBe('application/x-custom'); // an explicit content-type wins over the Blob's
    expect(seen[0]!.body.toString()).toBe('hello');
  });

  it('any 2xx is success', async () => {
    const out = await upload({ url: `${base}/created`, resources: new Blob(['abc']), downloadUrl: 'http://d/x' });
    expect(out.err).toBeNull();
    expect(out.res).toMatchObject({ statusCode: 201, statusMessage: 'Created', data: { location: 'http://d/x', uploadIP: '' } });
  });

  it('a 4xx fails at once with {code: status, message} and the response (no retry)', async () => {
    const out = await upload({ url: `${base}/too-large`, resources: new Blob(['abc']), downloadUrl: 'http://d/x' });
    expect(out.calls).toBe(1);
    expect(out.err).toEqual({ code: 413, message: 'the image is larger than this slot allows' });
    expect(out.res?.statusCode).toBe(413);
    expect(out.res?.data).toMatchObject({ uploadIP: '' });
    expect(JSON.parse((out.res?.data as { response: string }).response)).toMatchObject({ code: 95010 });
    expect(hits.get('/too-large')).toBe(1);

    const gone = await upload({ url: `${base}/gone`, resources: new Blob(['abc']) });
    expect(gone.err).toEqual({ code: 410, message: 'this upload slot expired' });
  });

  it('a 5xx is retried once: a second success wins, a second 5xx is reported', async () => {
    const flaky = await upload({ url: `${base}/flaky`, resources: new Blob([bytes(1000)]), downloadUrl: 'http://d/f' });
    expect(flaky.err).toBeNull();
    expect(flaky.res?.statusCode).toBe(200);
    expect(hits.get('/flaky')).toBe(2);
    expect(seen.every((s) => s.body.length === 1000)).toBe(true); // the whole body both times
    const percents = flaky.progress.map((p) => p.percent);
    for (let i = 1; i < percents.length; i++) expect(percents[i]!).toBeGreaterThan(percents[i - 1]!);

    const down = await upload({ url: `${base}/down`, resources: new Blob(['abc']) });
    expect(down.calls).toBe(1);
    expect(down.err).toEqual({ code: 502, message: 'bad gateway' });
    expect(hits.get('/down')).toBe(2);
  });

  it('accepts ArrayBuffer, typed arrays and (in Node) a file path', async () => {
    const data = bytes(70_000);
    const path = join(tmp, 'sample.bin');
    writeFileSync(path, data);
    for (const resources of [data.buffer, data, Buffer.from(data), path]) {
      seen.length = 0;
      const out = await upload({ url: `${base}/ok`, resources, downloadUrl: 'http://d' });
      expect(out.err).toBeNull();
      expect(Buffer.compare(seen[0]!.body, Buffer.from(data))).toBe(0);
    }
  });

  it("method POST sends multipart/form-data with the file in field 'file'", async () => {
    const out = await upload({ url: `${base}/ok`, method: 'post', fileName: 'notes.txt', resources: new Blob(['multipart body'], { type: 'text/plain' }), downloadUrl: 'http://d' });
    expect(out.err).toBeNull();
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const body = seen[0]!.body.toString();
    expect(body).toContain('name="file"; filename="notes.txt"');
    expect(body).toContain('multipart body');
  });

  it('network errors, timeouts, abort and bad options fail with code 0, always asynchronously and once', async () => {
    const refused = await upload({ url: 'http://127.0.0.1:1/upload', resources: new Blob(['x']) });
    expect(refused.calls).toBe(1);
    expect(refused.err?.code).toBe(0);
    expect(refused.err?.message).toMatch(/network error/);

    const slow = await upload({ url: `${base}/hang`, resources: new Blob(['x']), timeout: 200 });
    expect(slow.err).toEqual({ code: 0, message: 'timed out after 200 ms' });

    const plugin = new ParleyUploadPlugin();
    const aborted = await new Promise<{ err: UploadError | null; sync: boolean }>((resolve) => {
      let sync = true;
      const task = plugin.uploadFile({ url: `${base}/hang`, resources: new Blob(['x']) }, (err) => resolve({ err, sync }));
      sync = false;
      setTimeout(() => task.abort(), 50);
    });
    expect(aborted).toEqual({ err: { code: 0, message: 'aborted' }, sync: false });

    let syncCall = true;
    const bad = await new Promise<UploadError | null>((resolve) => {
      plugin.uploadFile({ url: '', resources: new Blob(['x']) }, (err) => resolve(syncCall ? { code: -1, message: 'called synchronously' } : err));
      syncCall = false;
    });
    expect(bad).toEqual({ code: 0, message: 'uploadFile: options.url is required' });
    const noBytes = await upload({ url: `${base}/ok`, resources: undefined as unknown as Blob });
    expect(noBytes.err?.message).toBe('uploadFile: options.resources is required');
    expect(() => plugin.uploadFile({ url: `${base}/ok`, resources: new Blob(['x']) }, undefined as never)).toThrow(TypeError);
  });

  it('an onProgress that throws stops the upload with an error', async () => {
    const out = await upload({
      url: `${base}/ok`,
      resources: new Blob([bytes(10)]),
      onProgress: () => {
        throw new Error('boom');
      },
    });
    expect(out.calls).toBe(1);
    expect(out.err).toEqual({ code: 0, message: 'onProgress threw: boom' });
  });

  it('uses XMLHttpRequest when the runtime has it (browsers): same contract', async () => {
    (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = NodeXMLHttpRequest;
    NodeXMLHttpRequest.instances = 0;
    const data = bytes(300_000);
    const out = await upload({
      url: `${base}/ok`,
      resources: new Blob([data], { type: 'image/jpeg' }),
      downloadUrl: 'http://d/x.jpg',
      headers: { 'X-Trace': 'xhr', 'User-Agent': 'evil', origin: 'http://evil' },
    });
    expect(NodeXMLHttpRequest.instances).toBe(1);
    expect(out.err).toBeNull();
    expect(out.res).toMatchObject({ statusCode: 200, statusMessage: 'OK', data: { location: 'http://d/x.jpg', uploadIP: '' } });
    expect(out.res?.headers['x-upload-server']).toBe('test');
    expect(seen[0]?.headers['x-trace']).toBe('xhr');
    expect(seen[0]?.headers['user-agent']).toBeUndefined();
    expect(seen[0]?.headers['origin']).toBeUndefined();
    expect(seen[0]?.headers['content-type']).toBe('image/jpeg');
    expect(Buffer.compare(seen[0]!.body, Buffer.from(data))).toBe(0);
    const percents = out.progress.map((p) => p.percent);
    expect(percents[0]).toBe(0);
    expect(percents.at(-1)).toBe(1);
    expect(percents.length).toBeGreaterThan(2);

    const flaky = await upload({ url: `${base}/flaky`, resources: new Blob(['abc']) });
    expect(flaky.err).toBeNull();
    expect(NodeXMLHttpRequest.instances).toBe(3);
  });
});

describe('against a real Parley server', () => {
  it('stores the upload; a refusal mid-body (415 after the first bytes of 8 MiB) and a reused slot (403) come back as HTTP errors', async () => {
    const parley = await startTestServer();
    try {
      const client = await connectRaw(parley.wsUrl);
      await client.login('alice', parley.userSig('alice'), parley.sdkAppID);
      const slot = async (body: { fileType: 1 | 2 | 3 | 255; fileName: string; fileSize: number }): Promise<WireUploadSlot> => {
        const res = (await client.request('file.slot', body)) as { code: number; data: WireUploadSlot };
        expect(res.code).toBe(0);
        return res.data;
      };

      const data = bytes(300_000);
      const ok = await slot({ fileType: 255, fileName: 'data.bin', fileSize: data.length });
      const stored = await upload({ url: ok.uploadUrl, resources: new Blob([data]), downloadUrl: ok.downloadUrl, fileType: 255, fileName: 'data.bin' });
      expect(stored.err).toBeNull();
      expect(stored.res?.data).toEqual({ location: ok.downloadUrl, uploadIP: '' });
      expect(stored.progress.at(-1)?.percent).toBe(1);
      const back = await fetch(ok.downloadUrl);
      expect(Buffer.compare(Buffer.from(await back.arrayBuffer()), Buffer.from(data))).toBe(0);

      const again = await upload({ url: ok.uploadUrl, resources: new Blob([data]) });
      expect(again.err?.code).toBe(403);

      const size = 8 * 1024 * 1024;
      const image = await slot({ fileType: 1, fileName: 'not-really.png', fileSize: size });
      const started = Date.now();
      const refused = await upload({ url: image.uploadUrl, resources: new Blob([new Uint8Array(size).fill(7)]) });
      expect(refused.err).toEqual({ code: 415, message: 'the upload is not a JPEG, PNG, GIF, BMP or WebP image' });
      expect(Date.now() - started).toBeLessThan(5000);
      client.close();
    } finally {
      await parley.close();
    }
  });
});

/**
 * Just enough of XMLHttpRequest, on node:http, to drive the plugin's browser
 * transport: open/setRequestHeader/send, upload.onprogress per written chunk,
 * onload/onerror, getAllResponseHeaders. (Browsers are tested for real by
 * packages/sdk/test/browser/media-smoke.test.ts.)
 */
class NodeXMLHttpRequest {
  static instances = 0;
  status = 0;
  statusText = '';
  responseText = '';
  responseType = '';
  timeout = 0;
  readonly upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  ontimeout: (() => void) | null = null;
  onabort: (() => void) | null = null;
  private method = 'GET';
  private url = '';
  private readonly headers: Record<string, string> = {};
  private rawHeaders = '';

  constructor() {
    NodeXMLHttpRequest.instances++;
  }
  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string): void {
    const lower = name.toLowerCase();
    // Browsers refuse these (forbidden header names); the plugin must not even try.
    if (['content-length', 'user-agent', 'origin', 'host'].includes(lower)) throw new Error(`refused to set unsafe header ${name}`);
    this.headers[lower] = value;
  }
  getAllResponseHeaders(): string {
    return this.rawHeaders;
  }
  abort(): void {
    this.onabort?.();
  }
  send(body: Blob): void {
    void body.arrayBuffer().then((buffer) => {
      const data = Buffer.from(buffer);
      const headers: Record<string, string> = { ...this.headers, 'content-length': String(data.length) };
      if (body.type && !headers['content-type']) headers['content-type'] = body.type;
      const req = httpRequest(this.url, { method: this.method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          this.status = res.statusCode ?? 0;
          this.statusText = res.statusMessage ?? '';
          this.responseText = Buffer.concat(chunks).toString();
          this.rawHeaders = Object.entries(res.headers)
            .map(([k, v]) => `${k}: ${String(v)}`)
            .join('\r\n');
          this.onload?.();
        });
      });
      req.on('error', () => this.onerror?.());
      const step = 64 * 1024;
      for (let offset = 0; offset < data.length; offset += step) {
        const end = Math.min(offset + step, data.length);
        req.write(data.subarray(offset, end));
        this.upload.onprogress?.({ lengthComputable: true, loaded: end, total: data.length });
      }
      req.end();
    });
  }
}
