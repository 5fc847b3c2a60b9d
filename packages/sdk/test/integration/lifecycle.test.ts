/**
 * Lifecycle of the TIM facade against a real server: module shape, the
 * per-SDKAppID singleton, login/logout/destroy with repeatLogin and 2025,
 * synchronous parameter validation, the readiness gate with every not-ready
 * reason, on/off/once, setLogLevel, registerPlugin, kick-out, UserSig expiry
 * and "every promise settles" (spec tim-api.md §2, §4.1, §12, §13).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import TIM, { TIM as NamedTIM, TencentCloudChat, EVENT, TYPES, VERSION, ImError, createInstance, type ChatSDK, type CreateOptions } from '@parley/sdk';
import { genUserSig } from '@parley/server';
import { sleep, startTestServer, waitUntil, type TestServer } from '@parley/testing';

let srv: TestServer;
/** Every instance a test made; destroyed in afterEach. */
let made: ChatSDK[] = [];

beforeEach(async () => {
  srv = await startTestServer();
  made = [];
});

afterEach(async () => {
  await Promise.all(made.map((tim) => tim.destroy().catch(() => undefined)));
  await srv.close();
  vi.restoreAllMocks();
});

interface Recorded {
  name: string;
  data: unknown;
}

/** An uncached instance for one user (several users per process), recording every event. */
function make(options: Partial<Omit<CreateOptions, 'SDKAppID'>> = {}): { tim: ChatSDK; events: Recorded[]; named: (name: string) => Recorded[] } {
  const tim = createInstance({ SDKAppID: srv.sdkAppID, serverUrl: srv.httpUrl, reconnect: { minDelayMs: 50, maxDelayMs: 200 }, ...options });
  if (!tim) throw new Error('createInstance returned null');
  tim.setLogLevel(4);
  made.push(tim);
  const events = record(tim);
  return { tim, events, named: (name) => events.filter((e) => e.name === name) };
}

function record(tim: ChatSDK): Recorded[] {
  const events: Recorded[] = [];
  for (const name of new Set(Object.values(EVENT))) {
    tim.on(name, (event: { name: string; data: unknown }) => {
      events.push({ name: event.name, data: event.data });
    });
  }
  return events;
}

function login(tim: ChatSDK, userID: string, userSig = srv.userSig(userID)) {
  return tim.login({ userID, userSig });
}

type TimError = Error & { code: number; data: Record<string, unknown> };

/** The rejection of `value` (fails the test if it is not a Promise or resolves). */
async function rejectionOf(value: unknown): Promise<TimError> {
  expect(value).toBeInstanceOf(Promise);
  try {
    await (value as Promise<unknown>);
  } catch (err) {
    return err as TimError;
  }
  throw new Error('expected a rejected Promise, but it resolved');
}

/** What a synchronous call threw (fails if it returned). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a synchronous throw');
}

function expectParamsError(fn: () => unknown): void {
  const err = thrownBy(fn);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toBe('Params validate failed.');
}

/** Settles within `ms` or fails: the SDK must never leave a promise hanging. */
async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<PromiseSettledResult<T>> {
  const timeout = Symbol('timeout');
  const result = await Promise.race([
    promise.then(
      (value): PromiseSettledResult<T> => ({ status: 'fulfilled', value }),
      (reason: unknown): PromiseSettledResult<T> => ({ status: 'rejected', reason }),
    ),
    sleep(ms).then(() => timeout),
  ]);
  if (result === timeout) throw new Error(`promise did not settle within ${ms} ms`);
  return result as PromiseSettledResult<T>;
}

function text(tim: ChatSDK, to: string, body = 'hello') {
  return tim.createTextMessage({ to, conversationType: TYPES.CONV_C2C, payload: { text: body } });
}

describe('module shape', () => {
  it('default export, named TIM and TencentCloudChat are the same namespace with create/EVENT/TYPES/VERSION', () => {
    expect(NamedTIM).toBe(TIM);
    expect(TencentCloudChat).toBe(TIM);
    expect(typeof TIM.create).toBe('function');
    expect(TIM.EVENT).toBe(EVENT);
    expect(TIM.TYPES).toBe(TYPES);
    expect(TIM.EVENT.SDK_READY).toBe('sdkStateReady');
    expect(TIM.TYPES.CONV_C2C).toBe('C2C');
    expect(typeof TIM.VERSION).toBe('string');
    expect(TIM.VERSION).toBe(VERSION);
    expect(TIM.VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('TIM.create', () => {
  it('returns the same instance for the same SDKAppID (number or numeric string); the first options win', async () => {
    const a = TIM.create({ SDKAppID: srv.sdkAppID, serverUrl: srv.httpUrl });
    expect(a).not.toBeNull();
    made.push(a!);
    a!.setLogLevel(4);
    const b = TIM.create({ SDKAppID: String(srv.sdkAppID), serverUrl: 'http://127.0.0.1:1' });
    expect(b).toBe(a);
    // The cached instance kept its own serverUrl: login goes to the real server.
    const res = await login(b!, 'alice');
    expect(res.code).toBe(0);
  });

  it('destroy() emits SDK_DESTROY {SDKAppID} and the next create() returns a fresh instance', async () => {
    const a = TIM.create({ SDKAppID: srv.sdkAppID, serverUrl: srv.httpUrl })!;
    made.push(a);
    a.setLogLevel(4);
    const events = record(a);
    await login(a, 'alice');
    const res = await a.destroy();
    expect(res).toEqual({ code: 0, data: {} });
    const names = events.map((e) => e.name);
    expect(names).toContain(EVENT.SDK_DESTROY);
    // A logged-in instance goes not-ready first, then is destroyed.
    expect(names.indexOf(EVENT.SDK_NOT_READY)).toBeGreaterThan(-1);
    expect(names.indexOf(EVENT.SDK_NOT_READY)).toBeLessThan(names.indexOf(EVENT.SDK_DESTROY));
    expect(events.find((e) => e.name === EVENT.SDK_DESTROY)?.data).toEqual({ SDKAppID: srv.sdkAppID });

    const b = TIM.create({ SDKAppID: srv.sdkAppID, serverUrl: srv.httpUrl })!;
    made.push(b);
    b.setLogLevel(4);
    expect(b).not.toBe(a);
    expect(b.isReady()).toBe(false);
    expect((await login(b, 'alice')).code).toBe(0);
    expect(TIM.create({ SDKAppID: srv.sdkAppID })).toBe(b);
  });

  it('destroy() of a never-logged-in instance resolves and emits SDK_DESTROY only', async () => {
    const a = TIM.create({ SDKAppID: srv.sdkAppID, serverUrl: srv.httpUrl })!;
    made.push(a);
    const events = record(a);
    expect(await a.destroy()).toEqual({ code: 0, data: {} });
    expect(events).toEqual([{ name: EVENT.SDK_DESTROY, data: { SDKAppID: srv.sdkAppID } }]);
  });

  it('returns null (no throw) for an SDKAppID that cannot be parsed', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(TIM.create({ SDKAppID: 'abc' })).toBeNull();
    expect(TIM.create({} as CreateOptions)).toBeNull();
    expect(TIM.create({ SDKAppID: Number.NaN })).toBeNull();
    expect(createInstance({ SDKAppID: 'abc' })).toBeNull();
    expect(error).toHaveBeenCalled();
  });
});

describe('login', () => {
  it('resolves {code:0, data:{actionStatus:"OK"}} after SDK_READY; isReady/getLoginUser/getServerTime follow', async () => {
    const { tim, events, named } = make();
    expect(tim.isReady()).toBe(false);
    expect(tim.getLoginUser()).toBe('');
    const res = await login(tim, 'alice');
    expect(res.code).toBe(0);
    expect(res.data).toMatchObject({ actionStatus: 'OK', errorCode: 0 });
    expect(res.data['repeatLogin']).not.toBe(true);
    expect(named(EVENT.SDK_READY)).toHaveLength(1);
    expect(named(EVENT.NET_STATE_CHANGE).map((e) => e.data)).toContainEqual({ state: TYPES.NET_STATE_CONNECTED });
    // Ready before connected is impossible: NET_STATE connected comes first.
    const names = events.map((e) => e.name);
    expect(names.indexOf(EVENT.NET_STATE_CHANGE)).toBeLessThan(names.indexOf(EVENT.SDK_READY));
    expect(tim.isReady()).toBe(true);
    expect(tim.getLoginUser()).toBe('alice');
    const t = tim.getServerTime();
    expect(typeof t).toBe('number');
    // Milliseconds, server-corrected (same machine: within a couple of seconds of the local clock).
    expect(Math.abs(t - Date.now())).toBeLessThan(2000);
    expect(t).toBeGreaterThan(1e12);
  });

  it('a second login on a ready instance resolves with data.repeatLogin true and changes nothing', async () => {
    const { tim, named } = make();
    await login(tim, 'alice');
    const again = await login(tim, 'alice');
    expect(again.code).toBe(0);
    expect(again.data).toMatchObject({ actionStatus: 'OK', errorCode: 0, repeatLogin: true });
    expect(named(EVENT.SDK_READY)).toHaveLength(1);
    expect(tim.isReady()).toBe(true);
    expect((await tim.getConversationList()).code).toBe(0);
  });

  it('a login while another is pending rejects with 2025; the first one completes; calls meanwhile reject 3000', async () => {
    const { tim } = make();
    const first = login(tim, 'alice');
    const during = await rejectionOf(tim.getConversationList());
    expect(during.code).toBe(3000);
    const second = await rejectionOf(login(tim, 'alice'));
    expect(second).toBeInstanceOf(Error);
    expect(second.code).toBe(2025);
    expect(typeof second.message).toBe('string');
    expect((await first).code).toBe(0);
    expect(tim.isReady()).toBe(true);
  });

  it('an empty userID or a missing userSig THROWS synchronously "Params validate failed." (not a rejected promise)', () => {
    const { tim } = make();
    expectParamsError(() => tim.login({ userID: '', userSig: srv.userSig('alice') }));
    expectParamsError(() => tim.login({ userID: 'alice' } as { userID: string; userSig: string }));
    expectParamsError(() => tim.login({ userID: 'alice', userSig: '' }));
    expectParamsError(() => tim.login(undefined as unknown as { userID: string; userSig: string }));
    expectParamsError(() => tim.login({ userID: 42, userSig: 'x' } as unknown as { userID: string; userSig: string }));
    // Nothing started: the instance is still in its initial state.
    expect(tim.isReady()).toBe(false);
  });

  it.each([
    ['a garbage UserSig', () => 'not-a-user-sig', [70003, 70005]],
    ['a UserSig for another user', () => srv.userSig('mallory'), [70013]],
    ['an expired UserSig', () => genUserSig({ sdkAppID: srv.sdkAppID, secretKey: srv.secretKey, userID: 'alice', expireSeconds: 10, nowSeconds: Math.floor(Date.now() / 1000) - 3600 }), [70001]],
    ['a UserSig of another SDKAppID', () => genUserSig({ sdkAppID: srv.sdkAppID + 1, secretKey: srv.secretKey, userID: 'alice' }), [70014, 70003]],
  ])('with %s rejects with the server code as a real Error; later calls reject 3001', async (_what, sig, codes) => {
    const { tim, named } = make();
    const err = await rejectionOf(login(tim, 'alice', sig()));
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(ImError);
    expect(codes).toContain(err.code);
    expect(typeof err.message).toBe('string');
    expect(err.data).toBeTypeOf('object');
    expect(err.data).not.toBeNull();
    expect(tim.isReady()).toBe(false);
    expect(named(EVENT.SDK_READY)).toHaveLength(0);
    const after = await rejectionOf(tim.getConversationList());
    expect(after.code).toBe(3001);
    // A good login afterwards works.
    expect((await login(tim, 'alice')).code).toBe(0);
  });

  it('against an address where nothing listens rejects promptly with a network code; reason 3001', async () => {
    const { tim } = make({ serverUrl: 'http://127.0.0.1:1' });
    const result = await settlesWithin(login(tim, 'alice'), 5000);
    expect(result.status).toBe('rejected');
    const err = (result as PromiseRejectedResult).reason as TimError;
    expect(err).toBeInstanceOf(Error);
    expect([2800, 2801, 2805]).toContain(err.code);
    expect((await rejectionOf(tim.getConversationList())).code).toBe(3001);
  });
});

describe('the readiness gate', () => {
  it('before login: non-exempt calls return a rejected Promise with 2024 and emit ERROR {code, message}', async () => {
    const { tim, named } = make();
    const calls: Array<[string, () => unknown]> = [
      ['getConversationList', () => tim.getConversationList()],
      ['createTextMessage', () => text(tim, 'bob')],
      ['getMessageList', () => tim.getMessageList({ conversationID: 'C2Cbob' })],
      ['getServerTime', () => tim.getServerTime()],
    ];
    for (const [api, call] of calls) {
      const before = named(EVENT.ERROR).length;
      const err = await rejectionOf(call());
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(2024);
      expect(err.message).toContain(api);
      const emitted = named(EVENT.ERROR).slice(before);
      expect(emitted).toHaveLength(1);
      expect(emitted[0]!.data).toEqual({ code: 2024, message: err.message });
    }
  });

  it('the gate comes before validation: invalid params before login still reject 2024 rather than throw', async () => {
    const { tim } = make();
    const err = await rejectionOf(tim.getMessageList({} as { conversationID: string }));
    expect(err.code).toBe(2024);
  });

  it('exempt APIs work before login', () => {
    const { tim } = make();
    expect(tim.isReady()).toBe(false);
    expect(tim.getLoginUser()).toBe('');
    expect(tim.setLogLevel(4)).toBeUndefined();
    expect(tim.registerPlugin({ 'tim-upload-plugin': {} })).toBeUndefined();
    const h = () => undefined;
    expect(tim.on(EVENT.SDK_READY, h)).toBeUndefined();
    expect(tim.off(EVENT.SDK_READY, h)).toBeUndefined();
  });

  it('after logout the reason is 3005', async () => {
    const { tim, named } = make();
    await login(tim, 'alice');
    await tim.logout();
    for (const call of [() => tim.getConversationList(), () => text(tim, 'bob'), () => tim.getMessageList({ conversationID: 'C2Cbob' })]) {
      const err = await rejectionOf(call());
      expect(err.code).toBe(3005);
    }
    expect(named(EVENT.ERROR).map((e) => (e.data as { code: number }).code)).toEqual([3005, 3005, 3005]);
  });
});

describe('on / off / once', () => {
  it('handlers receive {name, data} with `this` = context; off with the same reference (and context) removes', async () => {
    const { tim } = make();
    const ctx = { label: 'ctx' };
    const seen: Array<{ self: unknown; event: unknown }> = [];
    function onError(this: unknown, event: { name: string; data: unknown }) {
      seen.push({ self: this, event });
    }
    tim.on(EVENT.ERROR, onError, ctx);
    const err = await rejectionOf(tim.getConversationList());
    expect(seen).toHaveLength(1);
    expect(seen[0]!.self).toBe(ctx);
    expect(seen[0]!.event).toEqual({ name: EVENT.ERROR, data: { code: 2024, message: err.message } });

    // A different function with the same body is not removed...
    tim.off(EVENT.ERROR, function onError(this: unknown, event: { name: string; data: unknown }) {
      seen.push({ self: this, event });
    }, ctx);
    await rejectionOf(tim.getConversationList());
    expect(seen).toHaveLength(2);
    // ...the same reference is.
    tim.off(EVENT.ERROR, onError, ctx);
    await rejectionOf(tim.getConversationList());
    expect(seen).toHaveLength(2);
  });

  it('once fires exactly once, with its context', async () => {
    const { tim } = make();
    const ctx = {};
    const calls: unknown[] = [];
    tim.once(
      EVENT.ERROR,
      function (this: unknown, event: { name: string; data: unknown }) {
        calls.push([this, event.name]);
      },
      ctx,
    );
    await rejectionOf(tim.getConversationList());
    await rejectionOf(tim.getConversationList());
    expect(calls).toEqual([[ctx, EVENT.ERROR]]);
  });

  it('once(SDK_READY) registered before login fires on login', async () => {
    const { tim } = make();
    const ready: unknown[] = [];
    tim.once(EVENT.SDK_READY, (event: { name: string; data: unknown }) => ready.push(event.name));
    await login(tim, 'alice');
    expect(ready).toEqual([EVENT.SDK_READY]);
  });

  it('a throwing handler does not break the SDK or the other handlers', async () => {
    const { tim } = make();
    const after: unknown[] = [];
    tim.on(EVENT.SDK_READY, () => {
      throw new Error('app bug');
    });
    tim.on(EVENT.SDK_READY, (e: { name: string; data: unknown }) => after.push(e.name));
    expect((await login(tim, 'alice')).code).toBe(0);
    expect(after).toEqual([EVENT.SDK_READY]);
    expect(tim.isReady()).toBe(true);
  });

  it('a non-function handler or an empty event name throws "Params validate failed."', () => {
    const { tim } = make();
    type H = (event: { name: string; data: unknown }) => void;
    expectParamsError(() => tim.on(EVENT.SDK_READY, 'nope' as unknown as H));
    expectParamsError(() => tim.on(EVENT.SDK_READY, undefined as unknown as H));
    expectParamsError(() => tim.once(EVENT.SDK_READY, {} as unknown as H));
    expectParamsError(() => tim.off(EVENT.SDK_READY, null as unknown as H));
    expectParamsError(() => tim.on('' as typeof EVENT.SDK_READY, () => undefined));
  });
});

describe('setLogLevel and registerPlugin', () => {
  it('setLogLevel accepts 0–4 and level 4 silences the SDK', () => {
    const { tim } = make();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    // Level 0 logs everything: keep the test output quiet.
    vi.spyOn(console, 'info').mockImplementation(() => undefined);
    vi.spyOn(console, 'debug').mockImplementation(() => undefined);
    const unknown = () => undefined;
    for (const level of [0, 1, 2, 3, 4] as const) expect(tim.setLogLevel(level)).toBeUndefined();
    // Level 4: off() of an unknown handler warns nowhere.
    tim.off(EVENT.SDK_READY, unknown);
    expect(warn).not.toHaveBeenCalled();
    // Level 2: it warns.
    tim.setLogLevel(2);
    tim.off(EVENT.SDK_READY, unknown);
    expect(warn).toHaveBeenCalled();
    // Out-of-range values never throw.
    expect(() => tim.setLogLevel(9 as 4)).not.toThrow();
    expect(() => tim.setLogLevel(-1 as 0)).not.toThrow();
    expect(() => tim.setLogLevel('x' as unknown as 0)).not.toThrow();
    tim.setLogLevel(4);
  });

  it('registerPlugin stores plugins by name, keeps unknown keys, and never throws', async () => {
    const { tim } = make();
    const upload = function TIMUploadPlugin() {};
    expect(tim.registerPlugin({ 'tim-upload-plugin': upload, 'some-unknown-plugin': 42 })).toBeUndefined();
    expect(tim.getPlugin('tim-upload-plugin')).toBe(upload);
    expect(tim.getPlugin('some-unknown-plugin')).toBe(42);
    for (const bad of [undefined, null, 'x', 3, [] as unknown[]]) {
      expect(() => tim.registerPlugin(bad as unknown as Record<string, unknown>)).not.toThrow();
    }
    expect(tim.getPlugin('tim-upload-plugin')).toBe(upload);
    await login(tim, 'alice');
    expect(tim.registerPlugin({ 'tim-profanity-filter-plugin': {} })).toBeUndefined();
  });
});

describe('logout', () => {
  it('resolves {code:0, data:{}} and emits SDK_NOT_READY; isReady/getLoginUser reset', async () => {
    const { tim, named } = make();
    await login(tim, 'alice');
    const res = await tim.logout();
    expect(res).toEqual({ code: 0, data: {} });
    expect(named(EVENT.SDK_NOT_READY)).toHaveLength(1);
    expect(tim.isReady()).toBe(false);
    expect(tim.getLoginUser()).toBe('');
  });

  it('when not logged in rejects with 2024 (never, and after a logout)', async () => {
    const { tim } = make();
    const never = await rejectionOf(tim.logout());
    expect(never).toBeInstanceOf(Error);
    expect(never.code).toBe(2024);
    await login(tim, 'alice');
    await tim.logout();
    expect((await rejectionOf(tim.logout())).code).toBe(2024);
  });

  it('does not affect another instance, and the instance can log in again', async () => {
    // Default maxWebInstances is 1, so the other instance is another user.
    const a = make();
    const b = make();
    await login(a.tim, 'alice');
    await login(b.tim, 'bob');
    await a.tim.logout();
    expect(b.tim.isReady()).toBe(true);
    expect(b.named(EVENT.SDK_NOT_READY)).toHaveLength(0);
    expect((await b.tim.sendMessage(text(b.tim, 'alice', 'still here'))).code).toBe(0);
    expect((await login(a.tim, 'alice')).code).toBe(0);
    expect(a.named(EVENT.SDK_READY)).toHaveLength(2);
  });
});

describe('messages: facade checks', () => {
  it('sendMessage with something that is not a Message of this instance rejects 2105', async () => {
    const a = make();
    const b = make();
    await login(a.tim, 'alice');
    await login(b.tim, 'bob');
    const fake = { ID: 'x', to: 'bob', conversationType: 'C2C', type: 'TIMTextElem', payload: { text: 'hi' } };
    const err = await rejectionOf(a.tim.sendMessage(fake as never));
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(2105);
    // A Message created by another instance is not this instance's either.
    const foreign = text(b.tim, 'alice');
    expect((await rejectionOf(a.tim.sendMessage(foreign))).code).toBe(2105);
    // No message at all: synchronous validation error.
    expectParamsError(() => a.tim.sendMessage(undefined as never));
  });

  it('createTextMessage with empty text (or no `to`) throws "Params validate failed."', async () => {
    const { tim } = make();
    await login(tim, 'alice');
    expectParamsError(() => tim.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: '' } }));
    expectParamsError(() => tim.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: {} }));
    expectParamsError(() => tim.createTextMessage({ to: '', conversationType: TYPES.CONV_C2C, payload: { text: 'x' } }));
    expectParamsError(() => tim.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C } as never));
  });

  it("a message with conversationType 'BAD' rejects 2106 with data.message (the same instance) in status 'fail'", async () => {
    const { tim } = make();
    await login(tim, 'alice');
    const message = tim.createTextMessage({ to: 'bob', conversationType: 'BAD', payload: { text: 'x' } });
    const err = await rejectionOf(tim.sendMessage(message));
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(2106);
    expect(err.data['message']).toBe(message);
    expect((err.data['message'] as { status: string }).status).toBe('fail');
  });
});

describe('kick-out (server default maxWebInstances 1)', () => {
  it('the older instance gets KICKED_OUT {type: multipleAccount} then SDK_NOT_READY; its calls reject 3003; the newer works', async () => {
    const older = make();
    const newer = make();
    await login(older.tim, 'alice');
    await login(newer.tim, 'alice');
    await waitUntil(() => older.named(EVENT.SDK_NOT_READY).length > 0, 'the older instance to go not-ready');
    const kicked = older.named(EVENT.KICKED_OUT);
    expect(kicked).toHaveLength(1);
    expect(kicked[0]!.data).toEqual({ type: TYPES.KICKED_OUT_MULT_ACCOUNT });
    const names = older.events.map((e) => e.name);
    expect(names.indexOf(EVENT.KICKED_OUT)).toBeLessThan(names.indexOf(EVENT.SDK_NOT_READY));
    expect(older.tim.isReady()).toBe(false);
    expect((await rejectionOf(older.tim.getConversationList())).code).toBe(3003);
    expect((await rejectionOf(text(older.tim, 'bob'))).code).toBe(3003);

    expect(newer.named(EVENT.KICKED_OUT)).toHaveLength(0);
    expect(newer.tim.isReady()).toBe(true);
    const sent = await newer.tim.sendMessage(text(newer.tim, 'bob', 'from the newer instance'));
    expect(sent.data.message.status).toBe('success');
    // The kicked instance stays down (no reconnect behind the app's back).
    await sleep(500);
    expect(older.tim.isReady()).toBe(false);
    expect(newer.tim.isReady()).toBe(true);
    // And may log in again, kicking the other one in turn.
    expect((await login(older.tim, 'alice')).code).toBe(0);
    await waitUntil(() => newer.named(EVENT.KICKED_OUT).length > 0, 'the other instance to be kicked');
  });

  it('UserSig expiry while connected: KICKED_OUT {type: userSigExpired}, SDK_NOT_READY, calls reject 3004; a fresh sig logs in again', async () => {
    const { tim, named } = make();
    await login(tim, 'alice', srv.userSig('alice', 2));
    expect(tim.isReady()).toBe(true);
    await waitUntil(() => named(EVENT.KICKED_OUT).length > 0, 'the UserSig to expire', 6000);
    expect(named(EVENT.KICKED_OUT)[0]!.data).toEqual({ type: TYPES.KICKED_OUT_USERSIG_EXPIRED });
    await waitUntil(() => named(EVENT.SDK_NOT_READY).length > 0, 'SDK_NOT_READY');
    expect(tim.isReady()).toBe(false);
    expect((await rejectionOf(tim.getConversationList())).code).toBe(3004);
    expect((await rejectionOf(tim.getMessageList({ conversationID: 'C2Cbob' }))).code).toBe(3004);
    expect((await login(tim, 'alice')).code).toBe(0);
    expect(tim.isReady()).toBe(true);
  });
});

describe('every promise settles', () => {
  it('sendMessage while the server is stopped rejects within requestTimeoutMs (2801 or a network code) with data.message fail', async () => {
    const a = make({ requestTimeoutMs: 1000 });
    await login(a.tim, 'alice');
    await srv.server.close();
    await waitUntil(() => a.named(EVENT.NET_STATE_CHANGE).some((e) => (e.data as { state: string }).state !== TYPES.NET_STATE_CONNECTED), 'the SDK to notice the server is gone');
    const message = text(a.tim, 'bob', 'into the void');
    const started = Date.now();
    const result = await settlesWithin(a.tim.sendMessage(message), 3000);
    expect(result.status).toBe('rejected');
    const err = (result as PromiseRejectedResult).reason as TimError;
    expect(err).toBeInstanceOf(Error);
    expect([2801, 2800, 2805]).toContain(err.code);
    expect(err.data['message']).toBe(message);
    expect(message.status).toBe('fail');
    expect(Date.now() - started).toBeLessThan(2500);
    // Other network calls settle too.
    const list = await settlesWithin(a.tim.getMessageList({ conversationID: 'C2Cbob' }), 3000);
    expect(list.status).toBe('rejected');
    // Local calls still answer.
    expect((await a.tim.getConversationList()).code).toBe(0);
  });

  it('logout while a login is pending: the login settles promptly and a new login stays ready', async () => {
    const { tim, named } = make({ requestTimeoutMs: 1500 });
    const pending = login(tim, 'alice');
    const out = await tim.logout();
    expect(out.code).toBe(0);
    const result = await settlesWithin(pending, 1000);
    expect(result.status).toBe('rejected');
    expect(tim.isReady()).toBe(false);
    // A new login is not disturbed by the abandoned one (its timers must not tear the new session down).
    expect((await login(tim, 'alice')).code).toBe(0);
    await sleep(2000);
    expect(tim.isReady()).toBe(true);
    expect(named(EVENT.SDK_NOT_READY)).toHaveLength(0);
    expect((await tim.getConversationList()).code).toBe(0);
  });

  it.each([
    ['on the next tick', true],
    ['synchronously inside the handler', false],
  ])('logout while the socket is connecting (%s): the login settles promptly and no socket is left open', async (_when, deferred) => {
    const { tim } = make();
    let logoutPromise: Promise<unknown> | undefined;
    tim.on(EVENT.NET_STATE_CHANGE, (event: { name: string; data: { state: string } }) => {
      if (event.data.state !== TYPES.NET_STATE_CONNECTING || logoutPromise) return;
      if (deferred) logoutPromise = sleep(0).then(() => tim.logout());
      else logoutPromise = tim.logout();
    });
    const result = await settlesWithin(login(tim, 'alice'), 1500);
    expect(logoutPromise).toBeDefined();
    expect(await logoutPromise).toEqual({ code: 0, data: {} });
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect(tim.isReady()).toBe(false);
    await sleep(300);
    expect(tim.isReady()).toBe(false);
    expect(srv.server.connectionCount()).toBe(0);
  });

  it('destroy while a login is pending settles the login promptly', async () => {
    const { tim } = make();
    const pending = login(tim, 'alice');
    await tim.destroy();
    const result = await settlesWithin(pending, 1000);
    expect(result.status).toBe('rejected');
    expect(tim.isReady()).toBe(false);
    // A destroyed instance leaves no socket behind.
    await sleep(300);
    expect(tim.isReady()).toBe(false);
    expect(srv.server.connectionCount()).toBe(0);
  });
});
