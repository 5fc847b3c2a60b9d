/** Calls the server's admin REST API (Tencent's server-API form) as the app administrator "administrator". */
import type { TestServer } from '@parley/testing';

export async function adminRest(srv: TestServer, path: string, body: unknown): Promise<{ ActionStatus: string; ErrorCode: number; ErrorInfo: string } & Record<string, unknown>> {
  const query = new URLSearchParams({
    sdkappid: String(srv.sdkAppID),
    identifier: 'administrator',
    usersig: srv.userSig('administrator'),
    random: String(Math.floor(Math.random() * 0xffffffff)),
    contenttype: 'json',
  });
  const res = await fetch(`${srv.httpUrl}/v4/${path}?${query.toString()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await res.json()) as { ActionStatus: string; ErrorCode: number; ErrorInfo: string } & Record<string, unknown>;
  if (answer.ActionStatus !== 'OK') throw new Error(`${path} failed: ${JSON.stringify(answer)}`);
  return answer;
}
