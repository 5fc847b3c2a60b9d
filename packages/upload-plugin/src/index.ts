/**
 * @parley/upload-plugin — the `tim-upload-plugin` for Parley (spec §10):
 *
 *   import ParleyUploadPlugin from '@parley/upload-plugin';
 *   tim.registerPlugin({ 'tim-upload-plugin': ParleyUploadPlugin }); // before login
 *
 * The SDK creates it with `new ParleyUploadPlugin()` at login and calls
 * `uploadFile(options, callback)` with an upload slot from the server; the
 * plugin sends the raw bytes to `options.url` with an HTTP PUT (Tencent's
 * `tim-upload-plugin` contract, which Parley's server speaks too).
 *
 * Browsers: XMLHttpRequest, for real upload progress. Node 20 (no
 * XMLHttpRequest): fetch, with a Blob streamed in 64 KiB chunks so progress
 * follows the bytes handed to the socket. No dependencies.
 */

export const VERSION = '0.1.0';

/** What `onProgress` receives; `percent` is 0..1 (two decimals, floored), never decreasing. */
export interface UploadProgressEvent {
  total: number;
  loaded: number;
  percent: number;
}

/**
 * The bytes to upload: a `File`/`Blob` (browsers and Node 20), raw bytes, or
 * a string — a `blob:`/`data:`/`http(s):` URL (fetched first), or in Node a
 * local file path (streamed from disk).
 */
export type UploadResources = Blob | ArrayBuffer | ArrayBufferView | string;

export interface UploadFileOptions {
  /** Where to send the bytes (the slot's `uploadUrl`). */
  url: string;
  /** TIM's upload type: 1 image, 2 video, 3 audio, 255 file. Informational. */
  fileType?: number;
  /** Name of the file (used for multipart uploads). */
  fileName?: string;
  resources: UploadResources;
  /** Reported back as `data.location` on success (the slot's `downloadUrl`). */
  downloadUrl?: string;
  /** Images: where the derivatives will be. Informational. */
  thumbUrl?: string;
  largeUrl?: string;
  /** `PUT` (default) sends the raw bytes; `POST` sends multipart/form-data with the file in field `file`. */
  method?: string;
  /** Extra request headers; `content-length`, `user-agent`, `origin` and `host` are never copied. */
  headers?: Record<string, string>;
  onProgress?: (event: UploadProgressEvent) => void;
  /** Gives up after this many milliseconds (0 or absent: no limit). */
  timeout?: number;
}

export interface UploadResponse {
  statusCode: number;
  statusMessage: string;
  /** Response headers, names lower-cased. */
  headers: Record<string, string>;
  /** Success: `{location, uploadIP}`; failure: the response text. */
  data: { location: string; uploadIP: string } | { response: string; uploadIP: string };
}

/** `code` is the HTTP status, or 0 when there was none (network error, timeout, abort, bad options). */
export interface UploadError {
  code: number;
  message: string;
}

export type UploadCallback = (err: UploadError | null, res?: UploadResponse) => void;

export interface UploadTask {
  /** Stops the upload; the callback then receives `{code: 0, message: 'aborted'}`. */
  abort(): void;
}

/** Headers that must never be copied from `options.headers` (the transport sets them). */
const DROPPED_HEADERS: ReadonlySet<string> = new Set(['content-length', 'user-agent', 'origin', 'host']);
const CHUNK_BYTES = 64 * 1024;

interface RawResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  text: string;
}

/** One HTTP attempt: `done(response)` or `done(null, reason)`. */
type Transport = (request: PreparedRequest, progress: (loaded: number, total: number) => void, done: (res: RawResponse | null, reason?: string) => void) => UploadTask;

interface PreparedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  blob: Blob;
  fileName: string;
  timeout: number;
}

export default class ParleyUploadPlugin {
  /** Attempts after a 5xx answer (Tencent's plugin: one). */
  retry = 1;

  static getVersion(): string {
    return VERSION;
  }

  /**
   * Uploads `options.resources` to `options.url`. On any 2xx the callback
   * gets `(null, {statusCode, statusMessage, headers, data: {location:
   * downloadUrl, uploadIP: ''}})`; otherwise `({code: status, message}, res)`.
   * A 5xx answer is retried once. The callback is always called
   * asynchronously, exactly once.
   */
  uploadFile(options: UploadFileOptions, callback: UploadCallback): UploadTask {
    if (typeof callback !== 'function') throw new TypeError('uploadFile(options, callback): callback must be a function');
    let settled = false;
    let current: UploadTask | null = null;
    let attempts = 0;
    let lastPercent = -1;
    const finish = (err: UploadError | null, res?: UploadResponse): void => {
      if (settled) return;
      settled = true;
      current = null;
      callback(err, res);
    };
    const fail = (message: string): void => finish({ code: 0, message }, emptyResponse());

    let total = 0;
    /** Reports strictly increasing percentages only (a retry never goes back); `final` reports 1. */
    const report = (loaded: number, size: number, final = false): void => {
      if (settled || typeof options.onProgress !== 'function') return;
      const percent = final ? 1 : size > 0 ? Math.min(1, Math.floor((100 * loaded) / size) / 100) : 0;
      if (lastPercent >= 0 && percent <= lastPercent) return;
      lastPercent = percent;
      try {
        options.onProgress({ total: size, loaded: Math.min(loaded, size), percent });
      } catch (err) {
        current?.abort();
        fail(`onProgress threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    };

    const task: UploadTask = {
      abort: () => {
        if (settled) return;
        const running = current;
        fail('aborted');
        running?.abort();
      },
    };

    const problem = checkOptions(options);
    if (problem) {
      queueMicrotask(() => fail(problem));
      return task;
    }
    const transport: Transport = typeof XMLHttpRequest === 'function' ? sendWithXhr : sendWithFetch;
    const downloadUrl = typeof options.downloadUrl === 'string' ? options.downloadUrl : '';

    const attempt = (request: PreparedRequest): void => {
      if (settled) return;
      attempts++;
      current = transport(request, (loaded, size) => report(loaded, size), (raw, reason) => {
        if (settled) return;
        if (!raw) {
          fail(reason ?? 'network error');
          return;
        }
        if (raw.status >= 500 && raw.status < 600 && attempts <= this.retry) {
          attempt(request);
          return;
        }
        const base = { statusCode: raw.status, statusMessage: raw.statusText, headers: raw.headers };
        if (raw.status >= 200 && raw.status < 300) {
          report(total, total, true);
          finish(null, { ...base, data: { location: downloadUrl || locationOf(raw.text), uploadIP: '' } });
        } else {
          finish({ code: raw.status, message: errorMessageOf(raw) }, { ...base, data: { response: raw.text, uploadIP: '' } });
        }
      });
    };

    toBlob(options.resources).then(
      (blob) => {
        if (settled) return;
        total = blob.size;
        report(0, total);
        attempt({
          method: (options.method ?? 'PUT').toUpperCase(),
          url: options.url,
          headers: copyHeaders(options.headers, blob),
          blob,
          fileName: options.fileName || (blob as Partial<File>).name || 'file',
          timeout: typeof options.timeout === 'number' && options.timeout > 0 ? options.timeout : 0,
        });
      },
      (err: unknown) => fail(`cannot read the resources: ${err instanceof Error ? err.message : String(err)}`),
    );
    return task;
  }
}

export { ParleyUploadPlugin };

function checkOptions(options: UploadFileOptions): string | null {
  if (typeof options !== 'object' || options === null) return 'uploadFile: options must be an object';
  if (typeof options.url !== 'string' || options.url === '') return 'uploadFile: options.url is required';
  const r: unknown = options.resources;
  if (r === undefined || r === null || r === '') return 'uploadFile: options.resources is required';
  return null;
}

function emptyResponse(): UploadResponse {
  return { statusCode: 0, statusMessage: '', headers: {}, data: { response: '', uploadIP: '' } };
}

/** `options.headers` minus the ones the transport owns; a Blob's type becomes `content-type` unless one is given. */
function copyHeaders(headers: Record<string, string> | undefined, blob: Blob): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) {
      if (DROPPED_HEADERS.has(name.toLowerCase()) || value === undefined || value === null) continue;
      out[name] = String(value);
    }
  }
  if (blob.type && !Object.keys(out).some((n) => n.toLowerCase() === 'content-type')) out['content-type'] = blob.type;
  return out;
}

/** Parley's upload answer is JSON `{code, location, …}`; other servers may answer anything. */
function parseJson(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function locationOf(text: string): string {
  const location = parseJson(text)?.['location'];
  return typeof location === 'string' ? location : '';
}

function errorMessageOf(raw: RawResponse): string {
  const message = parseJson(raw.text)?.['message'];
  if (typeof message === 'string' && message !== '') return message;
  return raw.text || raw.statusText || `HTTP ${raw.status}`;
}

type NodeFs = { openAsBlob?: (path: string) => Promise<Blob> };

async function toBlob(resources: UploadResources): Promise<Blob> {
  if (typeof Blob !== 'undefined' && resources instanceof Blob) return resources;
  if (resources instanceof ArrayBuffer) return new Blob([resources]);
  if (ArrayBuffer.isView(resources)) return new Blob([new Uint8Array(resources.buffer, resources.byteOffset, resources.byteLength).slice()]);
  if (typeof resources === 'string') {
    if (/^(blob|data|https?):/i.test(resources)) {
      const res = await fetch(resources);
      if (!res.ok) throw new Error(`GET ${resources} answered ${res.status}`);
      return res.blob();
    }
    // Node: a local file path, streamed from disk (fs.openAsBlob, Node ≥ 19.8).
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const fs = proc?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
    if (fs?.openAsBlob) return fs.openAsBlob(resources);
    throw new Error('a file path needs Node ≥ 20.16 (process.getBuiltinModule); pass a Blob or File instead');
  }
  // Duck-typed Blob from another realm (e.g. an iframe).
  const maybe = resources as { size?: unknown; slice?: unknown; arrayBuffer?: unknown };
  if (typeof maybe === 'object' && maybe !== null && typeof maybe.size === 'number' && typeof maybe.slice === 'function' && typeof maybe.arrayBuffer === 'function') {
    return resources as unknown as Blob;
  }
  throw new Error('resources must be a File, Blob, ArrayBuffer, typed array or string');
}

function formDataOf(request: PreparedRequest): FormData {
  const form = new FormData();
  form.append('file', request.blob, request.fileName);
  return form;
}

/** Multipart bodies carry their own content-type (with the boundary). */
function headersFor(request: PreparedRequest, multipart: boolean): Array<[string, string]> {
  return Object.entries(request.headers).filter(([name]) => !(multipart && name.toLowerCase() === 'content-type'));
}

// ------------------------------------------------------------------ browsers: XMLHttpRequest

const sendWithXhr: Transport = (request, progress, done) => {
  const xhr = new XMLHttpRequest();
  let finished = false;
  const end = (res: RawResponse | null, reason?: string): void => {
    if (finished) return;
    finished = true;
    done(res, reason);
  };
  xhr.open(request.method, request.url, true);
  xhr.responseType = 'text';
  if (request.timeout > 0) xhr.timeout = request.timeout;
  const multipart = request.method === 'POST';
  for (const [name, value] of headersFor(request, multipart)) xhr.setRequestHeader(name, value);
  xhr.upload.onprogress = (event: ProgressEvent) => {
    if (event.lengthComputable) progress(event.loaded, request.blob.size);
  };
  xhr.onload = () => end({ status: xhr.status, statusText: xhr.statusText, headers: parseHeaderBlock(xhr.getAllResponseHeaders()), text: responseTextOf(xhr) });
  xhr.onerror = () => end(null, xhr.status === 0 ? 'network error (or the request was blocked by CORS)' : `network error (HTTP ${xhr.status})`);
  xhr.ontimeout = () => end(null, `timed out after ${request.timeout} ms`);
  xhr.onabort = () => end(null, 'aborted');
  xhr.send(multipart ? formDataOf(request) : request.blob);
  return { abort: () => xhr.abort() };
};

function responseTextOf(xhr: XMLHttpRequest): string {
  try {
    return typeof xhr.responseText === 'string' ? xhr.responseText : '';
  } catch {
    return '';
  }
}

function parseHeaderBlock(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.trim().split(/[\r\n]+/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

// ------------------------------------------------------------------ Node (and any runtime without XMLHttpRequest): fetch

/** The Blob as a stream of ≤ 64 KiB chunks, reporting each chunk as it is pulled by the socket writer. */
function chunkedBody(blob: Blob, progress: (loaded: number, total: number) => void): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (offset >= blob.size) {
          controller.close();
          return;
        }
        const chunk = new Uint8Array(await blob.slice(offset, offset + CHUNK_BYTES).arrayBuffer());
        offset += chunk.length;
        controller.enqueue(chunk);
        progress(offset, blob.size);
      },
    },
    { highWaterMark: 0 },
  );
}

const sendWithFetch: Transport = (request, progress, done) => {
  const controller = new AbortController();
  let finished = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const end = (res: RawResponse | null, reason?: string): void => {
    if (finished) return;
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    done(res, reason);
  };
  const multipart = request.method === 'POST';
  const headers: Record<string, string> = Object.fromEntries(headersFor(request, multipart));
  let body: BodyInit;
  if (multipart) body = formDataOf(request);
  else if (request.blob.size === 0) body = request.blob;
  else {
    body = chunkedBody(request.blob, progress);
    headers['content-length'] = String(request.blob.size);
  }
  if (request.timeout > 0) {
    timer = setTimeout(() => {
      controller.abort();
      end(null, `timed out after ${request.timeout} ms`);
    }, request.timeout);
  }
  // `duplex` is required by Node's fetch for a stream body; browsers' RequestInit types lack it.
  const init = { method: request.method, headers, body, signal: controller.signal, duplex: 'half' } as RequestInit;
  fetch(request.url, init).then(
    async (res) => {
      const text = await res.text().catch(() => '');
      const responseHeaders: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        responseHeaders[name.toLowerCase()] = value;
      });
      end({ status: res.status, statusText: res.statusText, headers: responseHeaders, text });
    },
    (err: unknown) => end(null, controller.signal.aborted ? 'aborted' : `network error: ${causeOf(err)}`),
  );
  return {
    abort: () => {
      controller.abort();
      end(null, 'aborted');
    },
  };
};

function causeOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}
