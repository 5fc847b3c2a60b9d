/**
 * The HTTP layer (fastify): health check, media uploads and downloads, the admin
 * REST API (`/v4/…`, admin-api/), CORS.
 * The WebSocket gateway shares the same node:http server (`app.server`); it
 * attaches to its 'upgrade' event, which fastify does not handle.
 */
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ErrorCode, PROTOCOL_VERSION, WS_PATH } from '@parley/protocol';
import { adminApi, type AdminApiOptions } from '../admin-api/admin-api.js';
import type { FileService } from '../files/file-service.js';
import { fileRoutes } from '../files/file-routes.js';

export interface HttpAppOptions {
  log: Logger;
  files: FileService;
  /** Open WebSocket connections, for /healthz. */
  connectionCount: () => number;
  /** The services behind the admin REST API (`POST /v4/<service>/<command>`). */
  admin: AdminApiOptions;
}

export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.log,
    // No per-request log lines (the error handler logs failures).
    logController: new LogController({ disableRequestLogging: true }),
    // Long URL segments: download URLs end in the encoded file name (up to 255 characters).
    routerOptions: { maxParamLength: 4096 },
    // Uploads may take long; a stalled socket is cut after 2 minutes without data instead.
    requestTimeout: 0,
    connectionTimeout: 120_000,
  }) as unknown as FastifyInstance;

  // Browsers upload and download cross-origin (the app's page is not served by Parley).
  await app.register(cors, {
    origin: '*',
    methods: ['GET', 'HEAD', 'PUT', 'POST', 'OPTIONS'],
    exposedHeaders: ['Content-Length', 'Content-Range', 'Content-Disposition', 'Accept-Ranges', 'ETag'],
    maxAge: 86_400,
  });

  app.get('/healthz', async () => ({ status: 'ok', protocolVersion: PROTOCOL_VERSION, connections: options.connectionCount() }));

  await app.register(fileRoutes(options.files));
  await app.register(adminApi(options.admin));

  app.setNotFoundHandler((request, reply) => {
    if (/^\/(files|upload)\//.test(request.url)) {
      void reply.code(404).send({ code: ErrorCode.FileNotFound, message: 'no such file' });
      return;
    }
    void reply.code(404).send({ error: 'not found', hint: `WebSocket endpoint is ${WS_PATH}` });
  });

  app.setErrorHandler((err: { statusCode?: number; message?: string }, request, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err }, 'request failed');
    void reply.code(status).send({ code: status >= 500 ? ErrorCode.InternalError : ErrorCode.InvalidParameters, message: status >= 500 ? 'internal server error' : err.message });
  });

  return app;
}
