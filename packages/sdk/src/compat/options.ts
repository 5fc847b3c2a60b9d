/** Options accepted by `TIM.create` (spec §2.1) plus Parley's own. */
import { WS_PATH } from '@parley/protocol';
import type { WebSocketConstructor } from '../connection/transport.js';

export interface CreateOptions {
  /** Your app's SDKAppID (number, or a numeric string parsed with parseInt). */
  SDKAppID: number | string;
  /**
   * The Parley server's base address: `http(s)://host[:port]` or `ws(s)://host[:port]`
   * (the WebSocket path `/ws` is added when no path is given). Default in a
   * browser: the page's origin. Parley-specific.
   */
  serverUrl?: string;
  /** v3's `proxyServer`, accepted as an alias of `serverUrl`. */
  proxyServer?: string;
  /** v3: `false` fires the throttled list events (spec §6.2) immediately. Default true. */
  eventThrottling?: boolean;
  /** WebSocket implementation. Default: `globalThis.WebSocket`, else the `ws` package (Node 20). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect backoff: full jitter between 0 and min·2^attempt, capped at max. Defaults 500 ms / 20000 ms. */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  /** A request with no response after this long rejects with 2801, ms. Default 20000. */
  requestTimeoutMs?: number;
  /** When true, joining a second AVChatRoom does not quit the first (spec §4.7 joinGroup). Default false. */
  unlimitedAVChatRoom?: boolean;
  /** Accepted for compatibility; no effect on Parley. */
  oversea?: boolean;
  scene?: string;
  fileUploadProxy?: string;
  fileDownloadProxy?: string;
  devMode?: boolean;
  testEnv?: boolean;
  partialUpdatedConversations?: boolean;
  disableIndependentDomain?: boolean;
  modules?: Record<string, unknown>;
}

/** The WebSocket URL for a base address; `null` if it cannot be determined. */
export function resolveServerUrl(options: Pick<CreateOptions, 'serverUrl' | 'proxyServer'>): string | null {
  let base = options.serverUrl ?? options.proxyServer;
  if (!base) {
    const loc = (globalThis as { location?: { origin?: string } }).location;
    if (!loc?.origin || loc.origin === 'null') return null;
    base = loc.origin;
  }
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return null;
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return null;
  if (url.pathname === '' || url.pathname === '/') url.pathname = WS_PATH;
  return url.toString();
}
