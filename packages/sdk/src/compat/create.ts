/** `TIM.create`: one instance per SDKAppID (spec §2.2); `null` when the SDKAppID cannot be parsed. */
import { ChatSDK } from './chat.js';
import type { CreateOptions } from './options.js';

const instances = new Map<number, ChatSDK>();

function parseSdkAppID(options: CreateOptions | undefined): number | null {
  const raw = (options as Partial<CreateOptions> | undefined)?.SDKAppID;
  const sdkAppID = typeof raw === 'number' ? Math.trunc(raw) : Number.parseInt(String(raw), 10);
  if (!Number.isFinite(sdkAppID)) {
    console.error('[parley] TIM.create: SDKAppID is missing or not a number');
    return null;
  }
  return sdkAppID;
}

/**
 * Typed like Tencent's d.ts: a numeric SDKAppID gives a `ChatSDK`, so
 * `const tim = TIM.create({ SDKAppID: 1400000000 }); tim.on(...)` compiles in
 * strict apps. A string SDKAppID may not parse, so it is typed `| null`.
 * (At runtime a non-finite number such as NaN still returns null.)
 */
export function create(options: CreateOptions & { SDKAppID: number }): ChatSDK;
export function create(options: CreateOptions): ChatSDK | null;
export function create(options: CreateOptions): ChatSDK | null {
  const sdkAppID = parseSdkAppID(options);
  if (sdkAppID === null) return null;
  const existing = instances.get(sdkAppID);
  if (existing) return existing;
  const instance = new ChatSDK(sdkAppID, options, (id) => {
    if (instances.get(id) === instance) instances.delete(id);
  });
  instances.set(sdkAppID, instance);
  return instance;
}

/**
 * Parley extension: a new instance that is not shared through the
 * per-SDKAppID cache — several users in one process (tests, bots, load
 * tools). Browser apps should use `create`.
 */
export function createInstance(options: CreateOptions): ChatSDK | null {
  const sdkAppID = parseSdkAppID(options);
  if (sdkAppID === null) return null;
  return new ChatSDK(sdkAppID, options, () => undefined);
}
