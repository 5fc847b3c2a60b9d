/** Calls the admin REST API of a test server over real HTTP, the way a Tencent backend would. */
import { expect } from 'vitest';
import type { TestServer } from '@parley/testing';

/** The default app administrator (config `adminUserIDs`). */
export const ADMIN = 'administrator';

export interface RestAnswer {
  status: number;
  contentType: string;
  body: { ActionStatus: string; ErrorCode: number; ErrorInfo: string } & Record<string, unknown>;
}

export interface RestCall {
  /** Query parameters over the defaults (sdkappid, identifier, usersig, random, contenttype); `undefined` removes one. */
  query?: Record<string, string | undefined>;
  method?: string;
  /** Sent as-is instead of JSON.stringify(body). */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** POSTs to `/v4/<path>` with a valid admin signature unless `call` says otherwise. */
export async function rest(srv: Pick<TestServer, 'sdkAppID' | 'userSig' | 'httpUrl'>, path: string, body: unknown, call: RestCall = {}): Promise<RestAnswer> {
  const defaults: Record<string, string> = {
    sdkappid: String(srv.sdkAppID),
    identifier: ADMIN,
    usersig: srv.userSig(call.query?.['identifier'] ?? ADMIN),
    random: String(Math.floor(Math.random() * 0xffffffff)),
    contenttype: 'json',
  };
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...defaults, ...call.query })) if (value !== undefined) params.append(key, value);
  const method = call.method ?? 'POST';
  const res = await fetch(`${srv.httpUrl}/v4/${path}?${params.toString()}`, {
    method,
    headers: { 'content-type': 'application/json', ...call.headers },
    ...(method === 'GET' || method === 'HEAD' ? {} : { body: call.rawBody ?? JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: JSON.parse(text) as RestAnswer['body'] };
}

/** Expects `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}` (HTTP 200) and returns the body. */
export function expectOK(answer: RestAnswer): RestAnswer['body'] {
  expect(answer.body, JSON.stringify(answer.body)).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' });
  expect(answer.status).toBe(200);
  return answer.body;
}

/** Expects Tencent's failure envelope with `code` and HTTP 200. */
export function expectFail(answer: RestAnswer, code: number): void {
  expect(answer.body, JSON.stringify(answer.body)).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: code });
  expect(typeof answer.body.ErrorInfo).toBe('string');
  expect(answer.body.ErrorInfo.length).toBeGreaterThan(0);
  expect(answer.status).toBe(200);
}
