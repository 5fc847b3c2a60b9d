/**
 * Browser smoke test of the UMD bundle (dist/umd/parley-sdk.umd.js): a plain
 * `<script>` tag in headless Chromium must define `window.TIM`, log in to a
 * real Parley server over a (cross-origin) WebSocket and exchange C2C text
 * messages with a Node-side SDK user, without a single console error.
 *
 * Needs Debian's `chromium` at /usr/bin/chromium (playwright-core drives it;
 * never `npx playwright install`). Without it the suite is skipped with a
 * warning, except under CI=true, where a missing browser fails the run.
 * Requires `npm run build` first (npm test does it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { TIM, createInstance, type ChatSDK, type Message } from '@parley/sdk';
import { startTestServer, waitUntil, type TestServer } from '@parley/testing';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const UMD_PATH = fileURLToPath(new URL('../../dist/umd/parley-sdk.umd.js', import.meta.url));
const BROWSER_USER = 'browser-user';
const NODE_USER = 'node-user';

const haveChromium = existsSync(CHROMIUM);
const underCI = process.env['CI'] === 'true';
const skip = !haveChromium && !underCI;
if (skip) {
  console.warn(
    `[umd-smoke] SKIPPED: ${CHROMIUM} not found. Install Debian's chromium (apt-get install -y chromium) ` +
      'to run the browser smoke test; under CI=true a missing browser is a failure.',
  );
}

/** What the page keeps on `window` between page.evaluate calls. */
interface ReceivedInPage {
  from: string;
  to: string;
  flow: string;
  conversationType: string;
  text: unknown;
}
type PageWindow = Window & {
  TIM: typeof TIM;
  TencentCloudChat: unknown;
  parleyTim: ChatSDK;
  parleyReceived: ReceivedInPage[];
};

const PAGE_HTML = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <title>Parley UMD smoke</title>
    <link rel="icon" href="data:,">
    <script src="/parley-sdk.umd.js"></script>
  </head>
  <body><p>Parley UMD smoke test</p></body>
</html>
`;
const BLANK_HTML = PAGE_HTML.replace('<script src="/parley-sdk.umd.js"></script>', '');

/** A static server for the test page; it has no WebSocket endpoint (upgrades get 404). */
interface StaticSite {
  readonly url: string;
  readonly origin: string;
  /** Paths of WebSocket upgrade requests it refused. */
  readonly upgrades: string[];
  close(): Promise<void>;
}

async function startStaticSite(bundle: Buffer): Promise<StaticSite> {
  const upgrades: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (path === '/' || path === '/index.html') send(200, 'text/html; charset=utf-8', PAGE_HTML);
    else if (path === '/blank.html') send(200, 'text/html; charset=utf-8', BLANK_HTML);
    else if (path === '/parley-sdk.umd.js') send(200, 'text/javascript; charset=utf-8', bundle);
    else send(404, 'text/plain', 'not found');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    upgrades.push(req.url ?? '');
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/`,
    origin,
    upgrades,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A page with console errors and uncaught page errors recorded. */
async function openPage(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.setDefaultTimeout(15_000);
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors };
}

/** Runs each cleanup step even if an earlier one throws. */
async function closeAll(steps: Array<(() => Promise<unknown>) | undefined>): Promise<void> {
  for (const step of steps) {
    try {
      await step?.();
    } catch (err) {
      console.warn('[umd-smoke] cleanup step failed:', err);
    }
  }
}

describe.skipIf(skip)('UMD bundle in headless Chromium', { timeout: 30_000 }, () => {
  let srv: TestServer | undefined;
  let site: StaticSite | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let nodeUser: ChatSDK | undefined;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI=true but ${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
    if (!existsSync(UMD_PATH)) throw new Error(`${UMD_PATH} is missing: run \`npm run build\` first`);
    srv = await startTestServer();
    site = await startStaticSite(readFileSync(UMD_PATH));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 20_000 });
    context = await browser.newContext();
  }, 30_000);

  afterAll(async () => {
    await closeAll([
      nodeUser && (() => nodeUser!.destroy()),
      context && (() => context!.close()),
      browser && (() => browser!.close()),
      site && (() => site!.close()),
      srv && (() => srv!.close()),
    ]);
  }, 30_000);

  it('a <script> tag defines window.TIM (and TencentCloudChat) and no other global', async () => {
    const { page, errors } = await openPage(context!, site!.url);
    const shape = await page.evaluate(() => {
      const w = window as unknown as PageWindow;
      return {
        typeofTIM: typeof w.TIM,
        typeofCreate: typeof w.TIM?.create,
        sameAsTencentCloudChat: w.TencentCloudChat === w.TIM,
        sdkReady: w.TIM?.EVENT?.SDK_READY,
        messageReceived: w.TIM?.EVENT?.MESSAGE_RECEIVED,
        convC2C: w.TIM?.TYPES?.CONV_C2C,
        msgText: w.TIM?.TYPES?.MSG_TEXT,
        globals: Object.keys(window),
      };
    });
    expect(shape).toMatchObject({
      typeofTIM: 'object',
      typeofCreate: 'function',
      sameAsTencentCloudChat: true,
      sdkReady: 'sdkStateReady',
      messageReceived: 'onMessageReceived',
      convC2C: 'C2C',
      msgText: 'TIMTextElem',
    });

    // The bundle is an IIFE: compared with the same page without it, only the two names are new.
    const blank = await openPage(context!, `${site!.origin}/blank.html`);
    const blankGlobals = await blank.page.evaluate(() => Object.keys(window));
    await blank.page.close();
    expect(shape.globals.filter((k) => !blankGlobals.includes(k)).sort()).toEqual(['TIM', 'TencentCloudChat']);

    await page.close();
    expect([...errors, ...blank.errors]).toEqual([]);
  });

  it('a browser user and a Node user exchange C2C text messages through the server', async () => {
    const { page, errors } = await openPage(context!, site!.url);

    // Browser side: create with the Parley server's address (cross-origin), log in, wait for SDK_READY.
    const login = await page.evaluate(
      async ({ SDKAppID, serverUrl, userID, userSig }) => {
        const w = window as unknown as PageWindow;
        const tim = w.TIM.create({ SDKAppID, serverUrl });
        if (!tim) throw new Error('TIM.create returned null');
        w.parleyTim = tim;
        w.parleyReceived = [];
        tim.on(w.TIM.EVENT.MESSAGE_RECEIVED, function onReceived(event) {
          for (const m of event.data) {
            w.parleyReceived.push({ from: m.from, to: m.to, flow: m.flow, conversationType: m.conversationType, text: m.payload['text'] });
          }
        });
        const ready = new Promise<void>((resolve) => tim.on(w.TIM.EVENT.SDK_READY, function onReady() { resolve(); }));
        const res = await tim.login({ userID, userSig });
        await ready;
        return { code: res.code, userID: res.data['userID'], isReady: tim.isReady() };
      },
      { SDKAppID: srv!.sdkAppID, serverUrl: srv!.httpUrl, userID: BROWSER_USER, userSig: srv!.userSig(BROWSER_USER) },
    );
    expect(login).toEqual({ code: 0, userID: BROWSER_USER, isReady: true });

    // Node side.
    nodeUser = createInstance({ SDKAppID: srv!.sdkAppID, serverUrl: srv!.httpUrl })!;
    expect(nodeUser).not.toBeNull();
    const nodeReceived: Message[] = [];
    nodeUser.on(TIM.EVENT.MESSAGE_RECEIVED, function onNodeReceived(event) {
      nodeReceived.push(...event.data);
    });
    const nodeLogin = await nodeUser.login({ userID: NODE_USER, userSig: srv!.userSig(NODE_USER) });
    expect(nodeLogin.code).toBe(0);

    // Browser → Node.
    const outText = `hello from Chromium ${Date.now()}`;
    const sent = await page.evaluate(
      async ({ to, text }) => {
        const w = window as unknown as PageWindow;
        const message = w.parleyTim.createTextMessage({ to, conversationType: w.TIM.TYPES.CONV_C2C, payload: { text } });
        const res = await w.parleyTim.sendMessage(message);
        return { code: res.code, status: res.data.message.status, flow: res.data.message.flow };
      },
      { to: NODE_USER, text: outText },
    );
    expect(sent).toEqual({ code: 0, status: 'success', flow: 'out' });

    await waitUntil(() => nodeReceived.length > 0, 'node-user to receive the browser message', 10_000);
    expect(nodeReceived).toHaveLength(1);
    expect(nodeReceived[0]).toMatchObject({
      from: BROWSER_USER,
      to: NODE_USER,
      flow: 'in',
      conversationType: TIM.TYPES.CONV_C2C,
      type: TIM.TYPES.MSG_TEXT,
      payload: { text: outText },
    });

    // Node → browser.
    const replyText = `reply from Node ${Date.now()}`;
    const reply = await nodeUser.sendMessage(nodeUser.createTextMessage({ to: BROWSER_USER, conversationType: TIM.TYPES.CONV_C2C, payload: { text: replyText } }));
    expect(reply.code).toBe(0);

    await page.waitForFunction(() => (window as unknown as PageWindow).parleyReceived.length > 0, null, { timeout: 10_000, polling: 50 });
    const browserReceived = await page.evaluate(() => (window as unknown as PageWindow).parleyReceived);
    expect(browserReceived).toEqual([{ from: NODE_USER, to: BROWSER_USER, flow: 'in', conversationType: 'C2C', text: replyText }]);

    // The browser's history of the conversation holds both, oldest first.
    const history = await page.evaluate(async (peer) => {
      const w = window as unknown as PageWindow;
      const res = await w.parleyTim.getMessageList({ conversationID: `C2C${peer}` });
      return res.data.messageList.map((m) => ({ flow: m.flow, text: m.payload['text'] }));
    }, NODE_USER);
    expect(history).toEqual([
      { flow: 'out', text: outText },
      { flow: 'in', text: replyText },
    ]);

    const logout = await page.evaluate(async () => (await (window as unknown as PageWindow).parleyTim.logout()).code);
    expect(logout).toBe(0);
    await page.close();
    expect(errors).toEqual([]);
  });

  it('without serverUrl the SDK dials the page origin\'s /ws and login rejects with a network error', async () => {
    // The Parley server has no static route, so a page cannot share its origin; the test page's
    // own origin has no WebSocket endpoint, which shows both the default and the failure path.
    // (Chromium logs the refused handshake as a console error; only that one is allowed here.)
    const { page, errors } = await openPage(context!, site!.url);
    site!.upgrades.length = 0;
    const started = Date.now();
    const result = await page.evaluate(
      async ({ SDKAppID, userSig }) => {
        const w = window as unknown as PageWindow;
        const tim = w.TIM.create({ SDKAppID });
        if (!tim) throw new Error('TIM.create returned null');
        try {
          await tim.login({ userID: 'origin-user', userSig });
          return { rejected: false, code: 0, isReady: tim.isReady() };
        } catch (err) {
          return { rejected: true, code: (err as { code?: unknown }).code, isReady: tim.isReady() };
        }
      },
      { SDKAppID: srv!.sdkAppID, userSig: srv!.userSig('origin-user') },
    );
    expect(result.rejected).toBe(true);
    expect([2800, 2801, 2805]).toContain(result.code); // NetworkError / NetworkTimeout / NoNetwork
    expect(result.isReady).toBe(false);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(site!.upgrades).toContain('/ws');
    await page.close();
    // Chromium reports the refused handshake itself; nothing else may be logged as an error.
    expect(errors.filter((e) => !/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws' failed/.test(e))).toEqual([]);
  });
});
