/**
 * resolveServerUrl (serverUrl / proxyServer → WebSocket URL) and the
 * messageForShow labels with their language rule (spec §3, §8.2).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveServerUrl } from '../../src/compat/options.js';
import { isIntlApp, messageForShow } from '../../src/modules/message/message-for-show.js';

describe('resolveServerUrl', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it.each([
    ['http://127.0.0.1:8080', 'ws://127.0.0.1:8080/ws'],
    ['http://127.0.0.1:8080/', 'ws://127.0.0.1:8080/ws'],
    ['https://chat.example.com', 'wss://chat.example.com/ws'],
    ['https://chat.example.com:8443/', 'wss://chat.example.com:8443/ws'],
    ['ws://localhost:9000', 'ws://localhost:9000/ws'],
    ['wss://chat.example.com', 'wss://chat.example.com/ws'],
    ['HTTP://Chat.Example.com', 'ws://chat.example.com/ws'],
  ])('%s → %s (scheme mapped, /ws appended)', (input, expected) => {
    expect(resolveServerUrl({ serverUrl: input })).toBe(expected);
  });

  it.each([
    ['http://example.com/im/ws', 'ws://example.com/im/ws'],
    ['https://example.com/custom', 'wss://example.com/custom'],
    ['ws://example.com:1234/socket', 'ws://example.com:1234/socket'],
    ['wss://example.com/a/b/', 'wss://example.com/a/b/'],
  ])('keeps an explicit path: %s → %s', (input, expected) => {
    expect(resolveServerUrl({ serverUrl: input })).toBe(expected);
  });

  it('accepts v3 proxyServer as an alias; serverUrl wins when both are given', () => {
    expect(resolveServerUrl({ proxyServer: 'https://proxy.example.com' })).toBe('wss://proxy.example.com/ws');
    expect(resolveServerUrl({ serverUrl: 'http://a.example.com', proxyServer: 'http://b.example.com' })).toBe('ws://a.example.com/ws');
  });

  it.each(['not a url', 'ftp://example.com', 'file:///tmp/x', 'mailto:a@b.c', '://missing-scheme', 'localhost:8080/x'])('returns null for %j', (input) => {
    expect(resolveServerUrl({ serverUrl: input })).toBeNull();
  });

  it('returns null with no address outside a browser', () => {
    expect((globalThis as { location?: unknown }).location).toBeUndefined();
    expect(resolveServerUrl({})).toBeNull();
  });

  it("defaults to the page's origin in a browser", () => {
    vi.stubGlobal('location', { origin: 'https://app.example.com' });
    expect(resolveServerUrl({})).toBe('wss://app.example.com/ws');
    vi.stubGlobal('location', { origin: 'http://localhost:5173' });
    expect(resolveServerUrl({})).toBe('ws://localhost:5173/ws');
    // An explicit address still wins.
    expect(resolveServerUrl({ serverUrl: 'http://other:1' })).toBe('ws://other:1/ws');
  });

  it('returns null for an opaque origin (file://, sandboxed iframe)', () => {
    vi.stubGlobal('location', { origin: 'null' });
    expect(resolveServerUrl({})).toBeNull();
  });
});

describe('isIntlApp (messageForShow language, spec §3)', () => {
  it.each([
    [0, true],
    [1, false],
    [19_999_999, false],
    [20_000_000, true],
    [50_000_000, true],
    [79_999_999, true],
    [80_000_000, false],
    [1_400_000_000, false],
    [1_719_999_999, false],
    [1_720_000_000, true],
    [1_779_999_999, true],
    [1_780_000_000, false],
  ])('SDKAppID %i → intl %s', (id, intl) => {
    expect(isIntlApp(id)).toBe(intl);
  });
});

describe('messageForShow', () => {
  const LABELS: Array<[string, string, string]> = [
    ['TIMImageElem', '[Image]', '[图片]'],
    ['TIMLocationElem', '[Location]', '[位置]'],
    ['TIMSoundElem', '[Voice]', '[语音]'],
    ['TIMVideoFileElem', '[Video]', '[视频]'],
    ['TIMFileElem', '[File]', '[文件]'],
    ['TIMCustomElem', '[Custom Messages]', '[自定义消息]'],
    ['TIMGroupTipElem', '[Group Notification]', '[群提示消息]'],
    ['TIMGroupSystemNoticeElem', '[Group System Message]', '[群系统通知]'],
    ['TIMFaceElem', '[Animated Sticker]', '[动画表情]'],
    ['TIMRelayElem', '[Chat Record]', '[聊天记录]'],
  ];

  it.each(LABELS)('%s → %s (EN) / %s (ZH)', (type, en, zh) => {
    expect(messageForShow(type, {}, true)).toBe(en);
    expect(messageForShow(type, {}, false)).toBe(zh);
  });

  it('text shows the text itself in both languages', () => {
    expect(messageForShow('TIMTextElem', { text: 'hello 你好' }, true)).toBe('hello 你好');
    expect(messageForShow('TIMTextElem', { text: 'hello 你好' }, false)).toBe('hello 你好');
    expect(messageForShow('TIMTextElem', {}, true)).toBe('');
    expect(messageForShow('TIMTextElem', { text: 42 }, false)).toBe('');
  });

  it('a custom message shows its label, not its data', () => {
    expect(messageForShow('TIMCustomElem', { data: 'secret', description: 'd', extension: 'e' }, true)).toBe('[Custom Messages]');
  });

  it('an unknown element type still shows a bracketed label', () => {
    expect(messageForShow('TIMWhateverElem', {}, true)).toMatch(/^\[.+\]$/);
    expect(messageForShow('TIMWhateverElem', {}, false)).toMatch(/^\[.+\]$/);
  });
});
