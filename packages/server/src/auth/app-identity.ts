/**
 * The app's SDKAppID and secret key. Configured explicitly, or generated on
 * first start and kept in `<dataDir>/app-identity.json` (mode 0600) so that
 * issued UserSigs stay valid across restarts.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AppIdentity {
  sdkAppID: number;
  secretKey: string;
}

export const IDENTITY_FILE = 'app-identity.json';

export function loadOrCreateIdentity(dataDir: string): { identity: AppIdentity; created: boolean } {
  const file = join(dataDir, IDENTITY_FILE);
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<AppIdentity>;
    if (typeof parsed.sdkAppID !== 'number' || typeof parsed.secretKey !== 'string' || parsed.secretKey === '') {
      throw new Error(`${file} is corrupt: expected {"sdkAppID": number, "secretKey": string}; delete it to generate a new identity`);
    }
    return { identity: { sdkAppID: parsed.sdkAppID, secretKey: parsed.secretKey }, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  // 1.6e9–1.7e9 looks like a real Tencent SDKAppID and sits outside the "intl" ranges (spec §3).
  const identity: AppIdentity = { sdkAppID: 1_600_000_000 + randomInt(0, 99_999_999), secretKey: randomBytes(32).toString('hex') };
  writeFileSync(file, JSON.stringify(identity, null, 2) + '\n', { mode: 0o600 });
  return { identity, created: true };
}
