/**
 * Media in a real browser (spec §4.2, §8.3, §10): headless Chromium loads
 * the SDK's UMD bundle and an upload plugin with `<script>` tags, a user
 * picks a real image through an `<input type="file">`, the page sends it
 * with `createImageMessage({payload: {file: inputElement}})`, a Node-side
 * user receives the §8.3 payload (dimensions checked against the real
 * files), and the receiver's page shows the image in an `<img>`.
 *
 * Twice: with Parley's plugin (packages/upload-plugin's browser build) and
 * with Tencent's own `tim-upload-plugin` (node_modules, unchanged).
 *
 * Needs Debian's `chromium` at /usr/bin/chromium (playwright-core drives
 * it); skipped with a warning without it, except under CI=true. Requires
 * `npm run build` first (npm test does it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { TIM, createInstance, type ChatSDK, type Message } from '@parley/sdk';
import { startTestServer, waitUntil, type TestServer } from '@parley/testing';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SDK_UMD = fileURLToPath(new URL('../../dist/umd/parley-sdk.umd.js', import.meta.url));
const PLUGIN_UMD = fileURLToPath(new URL('../../../upload-plugin/dist/umd/parley-upload-plugin.umd.js', import.meta.url));
const TENCENT_PLUGIN = createRequire(import.meta.url).resolve('tim-upload-plugin');
const NODE_USER = 'node-bob';

const haveChromium = existsSync(CHROMIUM);
const underCI = process.env['CI'] === 'true';
const skip = !haveChromium && !underCI;
if (skip) console.warn(`[media-smoke] SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium); under CI=true a missing browser is a failure.`);

type ImageInfo = { type: number; sizeType: number; size: number; width: number; height: number; url: string; imageUrl: string; instanceID: number };
interface SentInPage {
  code: number;
  status: string;
  placeholderUrls: string[];
  placeholderFormat: unknown;
  previewLoaded: number;
  payload: { uuid: string; imageFormat: number; imageInfoArray: ImageInfo[] };
  progress: number[];
  blobUrlRevoked: boolean;
}
type PageWindow = Window & {
  TIM: typeof TIM;
  ParleyUploadPlugin?: unknown;
  TIMUploadPlugin?: unknown;
  parleyTim: ChatSDK;
  parleyReceived: Array<{ ID: string; type: string; payload: Record<string, unknown> }>;
};

function page(scripts: string[]): string {
  return `<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <title>Parley media smoke</title>
    <link rel="icon" href="data:,">
    ${scripts.map((s) => `<script src="${s}"></script>`).join('\n    ')}
  </head>
  <body>
    <input type="file" id="picker" accept="image/*">
    <div id="shown"></div>
  </body>
</html>
`;
}

interface StaticSite {
  readonly origin: string;
  close(): Promise<void>;
}

/** The app's own origin (never Parley's): pages and the script files. */
async function startStaticSite(): Promise<StaticSite> {
  const files: Record<string, [string, string | Buffer]> = {
    '/parley.html': ['text/html; charset=utf-8', page(['/parley-sdk.umd.js', '/parley-upload-plugin.umd.js'])],
    '/tencent.html': ['text/html; charset=utf-8', page(['/parley-sdk.umd.js', '/tim-upload-plugin.js'])],
    '/receiver.html': ['text/html; charset=utf-8', page(['/parley-sdk.umd.js'])],
    '/parley-sdk.umd.js': ['text/javascript; charset=utf-8', readFileSync(SDK_UMD)],
    '/parley-upload-plugin.umd.js': ['text/javascript; charset=utf-8', readFileSync(PLUGIN_UMD)],
    '/tim-upload-plugin.js': ['text/javascript; charset=utf-8', readFileSync(TENCENT_PLUGIN)],
  };
  const server: Server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://localhost').pathname];
    res.writeHead(file ? 200 : 404, { 'content-type': file ? file[0] : 'text/plain', 'cache-control': 'no-store' });
    res.end(file ? file[1] : 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Chromium's log line for the deliberate fetch of the revoked blob URL in sendPickedImage (the only error allowed). */
const REVOKED_BLOB_PROBE = 'Failed to load resource: net::ERR_FILE_NOT_FOUND';

async function openPage(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
  const p = await context.newPage();
  const errors: string[] = [];
  p.on('console', (msg) => {
    if (msg.type() === 'error' && msg.text() !== REVOKED_BLOB_PROBE) errors.push(`console.error: ${msg.text()}`);
  });
  p.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  p.setDefaultTimeout(15_000);
  await p.goto(url, { waitUntil: 'load' });
  return { page: p, errors };
}

/** Creates the page's TIM instance, registers the plugin global named `pluginGlobal` (if any) and logs in. */
async function loginInPage(p: Page, srv: TestServer, userID: string, pluginGlobal: 'ParleyUploadPlugin' | 'TIMUploadPlugin' | null): Promise<void> {
  await p.evaluate(
    async ({ SDKAppID, serverUrl, userID, userSig, pluginGlobal }) => {
      const w = window as unknown as PageWindow;
      const tim = w.TIM.create({ SDKAppID, serverUrl });
      if (!tim) throw new Error('TIM.create returned null');
      w.parleyTim = tim;
      w.parleyReceived = [];
      if (pluginGlobal) {
        const plugin = w[pluginGlobal];
        if (typeof plugin !== 'function') throw new Error(`window.${pluginGlobal} is not defined`);
        tim.registerPlugin({ 'tim-upload-plugin': plugin });
      }
      tim.on(w.TIM.EVENT.MESSAGE_RECEIVED, function onReceived(event) {
        for (const m of event.data) w.parleyReceived.push({ ID: m.ID, type: m.type, payload: m.payload });
      });
      await tim.login({ userID, userSig });
    },
    { SDKAppID: srv.sdkAppID, serverUrl: srv.httpUrl, userID, userSig: srv.userSig(userID), pluginGlobal },
  );
}

/** In the page: the picked file → createImageMessage({payload: {file: <input>}}) → sendMessage. */
async function sendPickedImage(p: Page, to: string): Promise<SentInPage> {
  return p.evaluate(async (to) => {
    const w = window as unknown as PageWindow;
    const input = document.getElementById('picker') as HTMLInputElement;
    if (!input.files || input.files.length !== 1) throw new Error('no file picked');
    const progress: number[] = [];
    const message = w.parleyTim.createImageMessage({ to, conversationType: w.TIM.TYPES.CONV_C2C, payload: { file: input }, onProgress: (percent: number) => progress.push(percent) });
    const placeholder = message.payload as { imageFormat: unknown; imageInfoArray: ImageInfo[] };
    const placeholderUrls = placeholder.imageInfoArray.map((i) => i.url);
    // The local preview (a blob URL) shows before anything is uploaded.
    const preview = new Image();
    preview.src = placeholderUrls[0] ?? '';
    await preview.decode();
    const res = await w.parleyTim.sendMessage(message);
    const sent = res.data.message;
    // After the upload the SDK releases its blob URL.
    const blobUrlRevoked = await fetch(placeholderUrls[0] ?? '').then(
      () => false,
      () => true,
    );
    return {
      code: res.code,
      status: sent.status,
      placeholderUrls,
      placeholderFormat: placeholder.imageFormat,
      previewLoaded: preview.naturalWidth,
      payload: sent.payload as SentInPage['payload'],
      progress,
      blobUrlRevoked,
    };
  }, to);
}

/** In the page: shows each URL in an <img> and reports its natural size once loaded (0×0 if it failed). */
async function render(p: Page, urls: string[]): Promise<Array<[number, number]>> {
  return p.evaluate(async (urls) => {
    const shown = document.getElementById('shown')!;
    return Promise.all(
      urls.map(
        (url) =>
          new Promise<[number, number]>((resolve) => {
            const img = document.createElement('img');
            img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
            img.onerror = () => resolve([0, 0]);
            img.src = url;
            shown.appendChild(img);
          }),
      ),
    );
  }, urls);
}

async function dims(bytes: Buffer): Promise<[number, number]> {
  const m = await sharp(bytes).metadata();
  return [m.width ?? 0, m.height ?? 0];
}

describe.skipIf(skip)('media in headless Chromium', { timeout: 60_000 }, () => {
  let srv: TestServer | undefined;
  let site: StaticSite | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let nodeUser: ChatSDK | undefined;
  let receiver: { page: Page; errors: string[] } | undefined;
  const nodeReceived: Message[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI=true but ${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
    for (const file of [SDK_UMD, PLUGIN_UMD]) if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
    // The receiver is logged in twice (Node and its browser page).
    srv = await startTestServer({ config: { maxWebInstances: 0 } });
    site = await startStaticSite();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 20_000 });
    context = await browser.newContext();
    nodeUser = createInstance({ SDKAppID: srv.sdkAppID, serverUrl: srv.httpUrl })!;
    nodeUser.setLogLevel(4);
    nodeUser.on(TIM.EVENT.MESSAGE_RECEIVED, function onNodeReceived(event) {
      nodeReceived.push(...event.data);
    });
    await nodeUser.login({ userID: NODE_USER, userSig: srv.userSig(NODE_USER) });
  }, 60_000);

  afterAll(async () => {
    for (const step of [
      () => nodeUser?.destroy(),
      () => context?.close(),
      () => browser?.close(),
      () => site?.close(),
      () => srv?.close(),
    ]) {
      try {
        await step();
      } catch (err) {
        console.warn('[media-smoke] cleanup step failed:', err);
      }
    }
  }, 30_000);

  it('Parley\'s upload plugin: an image picked with <input type="file"> is sent, received with its derivatives and shown by the receiver\'s page', async () => {
    const { page: sender, errors } = await openPage(context!, `${site!.origin}/parley.html`);
    await loginInPage(sender, srv!, 'browser-alice', 'ParleyUploadPlugin');
    const bytes = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 30, g: 160, b: 90 } } })
      .composite([{ input: Buffer.from('<svg width="640" height="480"><circle cx="320" cy="240" r="150" fill="#f40"/></svg>'), top: 0, left: 0 }])
      .png()
      .toBuffer();
    await sender.setInputFiles('#picker', { name: 'picked photo.png', mimeType: 'image/png', buffer: bytes });

    const sent = await sendPickedImage(sender, NODE_USER);
    expect(sent.code).toBe(0);
    expect(sent.status).toBe('success');
    expect(sent.placeholderFormat).toBe(3);
    expect(sent.placeholderUrls).toHaveLength(3);
    for (const url of sent.placeholderUrls) expect(url).toMatch(/^blob:http:\/\/127\.0\.0\.1:\d+\//);
    expect(sent.previewLoaded).toBe(640);
    expect(sent.blobUrlRevoked).toBe(true);
    expect(sent.progress[0]).toBe(0);
    expect(sent.progress.at(-1)).toBe(1);
    for (let i = 1; i < sent.progress.length; i++) expect(sent.progress[i]!).toBeGreaterThan(sent.progress[i - 1]!);

    const infos = sent.payload.imageInfoArray;
    expect(sent.payload.uuid).toMatch(/^[0-9a-f]{32}$/);
    expect(sent.payload.imageFormat).toBe(3);
    expect(infos.map((i) => [i.type, i.sizeType, i.width, i.height])).toEqual([
      [0, 1, 640, 480],
      [1, 3, 264, 198],
      [2, 2, 640, 480],
    ]);
    expect(infos[0]?.size).toBe(bytes.length);
    for (const info of infos) expect(info.url.startsWith(`${srv!.httpUrl}/files/${sent.payload.uuid}/`)).toBe(true);
    // Dimensions match the real files the URLs serve.
    for (const info of infos) {
      const res = await fetch(info.url);
      expect(res.status).toBe(200);
      expect(await dims(Buffer.from(await res.arrayBuffer()))).toEqual([info.width, info.height]);
    }

    // The Node-side receiver.
    await waitUntil(() => nodeReceived.length >= 1, `${NODE_USER} to receive the image`, 10_000);
    expect(nodeReceived[0]).toMatchObject({ from: 'browser-alice', to: NODE_USER, flow: 'in', type: TIM.TYPES.MSG_IMAGE, status: 'success' });
    expect(nodeReceived[0]?.payload).toEqual(sent.payload);

    // The receiver's side in the browser: the image from history, rendered.
    receiver = await openPage(context!, `${site!.origin}/receiver.html`);
    await loginInPage(receiver.page, srv!, NODE_USER, null);
    const fromHistory = await receiver.page.evaluate(async () => {
      const w = window as unknown as PageWindow;
      const res = await w.parleyTim.getMessageList({ conversationID: 'C2Cbrowser-alice' });
      return res.data.messageList.map((m) => ({ type: m.type, payload: m.payload }));
    });
    expect(fromHistory).toEqual([{ type: TIM.TYPES.MSG_IMAGE, payload: sent.payload }]);
    const shown = await render(receiver.page, infos.map((i) => i.url));
    expect(shown).toEqual(infos.map((i) => [i.width, i.height]));
    expect(shown.every(([w]) => w > 0)).toBe(true);

    await sender.close();
    expect(errors).toEqual([]);
    expect(receiver.errors).toEqual([]);
  });

  it("Tencent's tim-upload-plugin, unchanged from npm: the upload works against Parley's slots and the receiver's page shows the image live", async () => {
    const { page: sender, errors } = await openPage(context!, `${site!.origin}/tencent.html`);
    const version = await sender.evaluate(() => (window as unknown as { TIMUploadPlugin: { getVersion(): string } }).TIMUploadPlugin.getVersion());
    expect(version).toBe('1.4.3');
    await loginInPage(sender, srv!, 'browser-carol', 'TIMUploadPlugin');
    const bytes = await sharp({ create: { width: 1200, height: 900, channels: 3, background: { r: 200, g: 40, b: 120 } } })
      .jpeg({ quality: 80 })
      .toBuffer();
    await sender.setInputFiles('#picker', { name: 'tencent.jpg', mimeType: 'image/jpeg', buffer: bytes });

    const before = nodeReceived.length;
    const sent = await sendPickedImage(sender, NODE_USER);
    expect(sent.code).toBe(0);
    expect(sent.status).toBe('success');
    expect(sent.progress.at(-1)).toBe(1);
    const infos = sent.payload.imageInfoArray;
    expect(sent.payload.imageFormat).toBe(1);
    expect(infos.map((i) => [i.type, i.sizeType, i.width, i.height])).toEqual([
      [0, 1, 1200, 900],
      [1, 3, 264, 198],
      [2, 2, 960, 720],
    ]);
    for (const info of infos) {
      const res = await fetch(info.url);
      expect(await dims(Buffer.from(await res.arrayBuffer()))).toEqual([info.width, info.height]);
    }

    await waitUntil(() => nodeReceived.length > before, `${NODE_USER} to receive the second image`, 10_000);
    expect(nodeReceived.at(-1)?.payload).toEqual(sent.payload);

    // The receiver's page (still open, logged in) got it through MESSAGE_RECEIVED and renders it.
    const rp = receiver!.page;
    await rp.waitForFunction(() => (window as unknown as PageWindow).parleyReceived.length > 0, null, { timeout: 10_000, polling: 50 });
    const live = await rp.evaluate(() => (window as unknown as PageWindow).parleyReceived);
    expect(live.map((m) => m.type)).toEqual([TIM.TYPES.MSG_IMAGE]);
    expect(live[0]?.payload).toEqual(sent.payload);
    const shown = await render(rp, [infos[1]!.url, infos[0]!.url]);
    expect(shown).toEqual([
      [264, 198],
      [1200, 900],
    ]);

    await sender.close();
    await rp.close();
    expect(errors).toEqual([]);
    expect(receiver!.errors).toEqual([]);
  });
});
