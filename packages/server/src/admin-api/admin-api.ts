/**
 * The admin REST API in the form of Tencent's server API (docs/admin-api.md), so
 * backends written for Tencent keep working:
 *
 *   POST /v4/<service>/<command>?sdkappid=<id>&identifier=<admin>&usersig=<UserSig>&random=<uint32>&contenttype=json
 *   body: a JSON object with Tencent's field names
 *
 * Every answer is HTTP 200 with `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"", …}` or
 * `{"ActionStatus":"FAIL","ErrorCode":<code>,"ErrorInfo":"<why>"}`, as Tencent's; only a real
 * internal error is HTTP 500 (still in that shape, code 90992).
 *
 * Checks, in order: the path (60009; an unknown group command 10003), the query
 * (60012 sdkappid, 60002 the others), the SDKAppID and UserSig (70020, 70001–70016),
 * the identifier being an app administrator (70403), the JSON body (60003, 93000), then
 * the command's own fields (10004 / 70402). The plugin only reads HTTP and calls services.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, isValidUserID } from '@parley/protocol';
import type { AccountService } from '../services/account-service.js';
import type { AuthService } from '../services/auth-service.js';
import type { GroupService } from '../services/group-service.js';
import { ServiceError } from '../services/service-error.js';
import { accountCommands } from './account-commands.js';
import { groupCommands } from './group-commands.js';
import { RestBody } from './rest-body.js';
import type { RestService } from './rest-command.js';

export interface AdminApiOptions {
  auth: AuthService;
  groups: GroupService;
  accounts: AccountService;
  /** Largest request body, bytes (93000 beyond). Default 1 MiB. */
  bodyLimit?: number;
}

/** The caller's "connection" in services: REST requests have none, so nothing is excluded from echoes. */
const REST_CONNECTION_ID = 'admin-rest-api';
const DEFAULT_BODY_LIMIT = 1024 * 1024;
const MAX_UINT32 = 0xffffffff;

interface CommandRoute {
  Params: { service: string; command: string };
  Querystring: Record<string, unknown>;
}

function ok(fields: Record<string, unknown>): Record<string, unknown> {
  return { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', ...fields };
}

function failure(code: number, info: string): Record<string, unknown> {
  return { ActionStatus: 'FAIL', ErrorCode: code, ErrorInfo: info };
}

function refuse(code: number, message: string): never {
  throw new ServiceError(code, message);
}

/** A single-valued query parameter, or undefined when absent (repeated → 60002). */
function queryValue(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') refuse(ErrorCode.RestInvalidUrl, `query parameter ${name} must be given once`);
  return value;
}

export function adminApi(options: AdminApiOptions) {
  const services: Readonly<Record<string, RestService>> = {
    group_open_http_svc: groupCommands(options.groups),
    im_open_login_svc: accountCommands(options.accounts),
  };
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;

  /** The admin identifier, once the URL's sdkappid, identifier, usersig, random and contenttype check out. */
  function authenticate(query: Record<string, unknown>): string {
    const sdkAppID = queryValue(query, 'sdkappid');
    if (sdkAppID === undefined || !/^\d{1,10}$/.test(sdkAppID)) refuse(ErrorCode.RestSdkAppIdMissing, 'the URL needs sdkappid=<your SDKAppID>');
    const identifier = queryValue(query, 'identifier');
    if (identifier === undefined || !isValidUserID(identifier)) refuse(ErrorCode.RestInvalidUrl, 'the URL needs identifier=<app administrator userID>');
    const random = queryValue(query, 'random');
    if (random === undefined || !/^\d{1,10}$/.test(random) || Number(random) > MAX_UINT32) {
      refuse(ErrorCode.RestInvalidUrl, 'the URL needs random=<a 32-bit unsigned integer>');
    }
    const contentType = queryValue(query, 'contenttype');
    if (contentType !== undefined && contentType !== 'json') refuse(ErrorCode.RestInvalidUrl, 'contenttype must be "json"');
    options.auth.authenticateAdmin({ sdkAppID: Number(sdkAppID), identifier, userSig: queryValue(query, 'usersig') ?? '' });
    return identifier;
  }

  function parseBody(raw: unknown): Record<string, unknown> {
    const text = typeof raw === 'string' ? raw : '';
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      refuse(ErrorCode.RestJsonParseFailed, text.trim() === '' ? 'the request body is empty; send a JSON object' : 'the request body is not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(ErrorCode.RestJsonParseFailed, 'the request body must be a JSON object');
    return value as Record<string, unknown>;
  }

  function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
    if (err instanceof ServiceError) return reply.code(200).send(failure(err.code, err.message));
    request.log.error({ err, url: request.url.split('?')[0] }, 'admin API request failed');
    return reply.code(500).send(failure(ErrorCode.InternalError, 'internal server error'));
  }

  return async function register(app: FastifyInstance): Promise<void> {
    // Tencent's clients send JSON with any (or no) Content-Type: read every body as text and parse it here.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_request, body, done) => done(null, body));

    // Failures before the handler (body too large, a broken request): still Tencent's envelope.
    app.setErrorHandler((err: { code?: string; statusCode?: number; message?: string }, request, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(200).send(failure(ErrorCode.RestBodyTooLarge, `the request body is over ${bodyLimit} bytes`));
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        return reply.code(200).send(failure(ErrorCode.RestInvalidUrl, err.message ?? 'bad request'));
      }
      return sendError(request, reply, err);
    });

    app.post<CommandRoute>('/v4/:service/:command', async (request, reply) => {
      const { service: serviceName, command: commandName } = request.params;
      try {
        const service = Object.hasOwn(services, serviceName) ? services[serviceName] : undefined;
        if (!service) refuse(ErrorCode.RestUnknownResource, `no service "${serviceName}" (served: ${Object.keys(services).join(', ')})`);
        const command = Object.hasOwn(service.commands, commandName) ? service.commands[commandName] : undefined;
        if (!command) refuse(service.unknownCommand, `${serviceName} has no command "${commandName}" (served: ${Object.keys(service.commands).join(', ')})`);
        const identifier = authenticate(request.query);
        const body = new RestBody(parseBody(request.body), service.invalidParameters);
        const fields = await command({ caller: { userID: identifier, connectionID: REST_CONNECTION_ID }, body });
        request.log.info({ service: serviceName, command: commandName, identifier }, 'admin API');
        return reply.code(200).send(ok(fields));
      } catch (err) {
        return sendError(request, reply, err);
      }
    });

    // Anything else under /v4: a wrong method, or a path that is no command.
    // (OPTIONS stays with the CORS plugin's preflight route.)
    app.route({
      method: ['GET', 'PUT', 'DELETE', 'PATCH', 'POST'],
      url: '/v4/*',
      handler: async (request, reply) => {
        const path = request.url.split('?')[0] ?? '';
        if (request.method !== 'POST') return reply.code(200).send(failure(ErrorCode.RestInvalidUrl, `use POST for ${path}`));
        return reply.code(200).send(failure(ErrorCode.RestUnknownResource, `no command at ${path}; the form is /v4/<service>/<command>`));
      },
    });
  };
}
