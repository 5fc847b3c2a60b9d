/** `TIM.create`: one instance per SDKAppID (spec §2.2); `null` when the SDKAppID cannot be parsed. */
import { ChatSDK } from './chat.js';
import type { CreateOptions } from './options.js';

const instances = new Map<number, ChatSDK>();

export function create(options: CreateOptions): ChatSDK | null {
  const raw = (options as Partial<CreateOptions> | undefined)?.SDKAppID;
  const sdkAppID = typeof raw === 'number' ? Math.trunc(raw) : Number.parseInt(String(raw), 10);
  if (!Number.isFinite(sdkAppID)) {
    console.error('[parley] TIM.create: SDKAppID is missing or not a number');
    return null;
  }
  const existing = instances.get(sdkAppID);
  if (existing) return existing;
  const instance = new ChatSDK(sdkAppID, options, (id) => {
    if (instances.get(id) === instance) instances.delete(id);
  });
  instances.set(sdkAppID, instance);
  return instance;
}
