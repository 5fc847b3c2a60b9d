/**
 * HTTP endpoints for media (docs/protocol.md "Media uploads"):
 *
 *   PUT  /upload/:uuid?token=…   raw file bytes (what tim-upload-plugin sends)
 *   POST /upload/:uuid?token=…   multipart/form-data, the file in field "file"
 *   GET|HEAD /files/:uuid/:name  the original (any name), or the "thumb",
 *                                "large" and "snapshot" derivatives
 *
 * Bodies are never parsed by fastify here: uploads are streamed by
 * FileService straight to disk.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '@parley/protocol';
import { contentDisposition } from './file-names.js';
import { FileHttpError, type FileService, type UploadTicket } from './file-service.js';
import { decideRange } from './http-range.js';

/** After refusing an upload mid-body, read and discard the rest this long so the client sees the answer, then cut. */
const LINGER_MS = 2000;

const CACHE_FOREVER = 'public, max-age=31536000, immutable';

interface UploadRoute {
  Params: { uuid: string };
  Querystring: { token?: string };
}

interface DownloadRoute {
  Params: { uuid: string; name: string };
}

export function fileRoutes(files: FileService) {
  return async function register(app: FastifyInstance): Promise<void> {
    // Uploads are streamed, not parsed: every content type passes through untouched.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    await app.register(multipart, { limits: { files: 1, fields: 20, fieldSize: 4096, parts: 40, headerPairs: 100 } });

    app.put<UploadRoute>('/upload/:uuid', async (request, reply) => {
      const ticket = await begin(files, request, reply);
      if (!ticket) return reply;
      const length = contentLength(request.raw);
      try {
        const result = await files.receive(ticket, request.raw, length, request.headers.host);
        return reply.code(200).send({ code: 0, location: result.location, uuid: ticket.file.uuid, file: result.file });
      } catch (err) {
        return refuse(request, reply, err);
      }
    });

    app.post<UploadRoute>('/upload/:uuid', async (request, reply) => {
      if (!request.isMultipart()) {
        return refuse(request, reply, new FileHttpError(415, ErrorCode.InvalidParameters, 'POST needs multipart/form-data with the file in field "file" (or PUT the raw bytes)'));
      }
      const ticket = await begin(files, request, reply);
      if (!ticket) return reply;
      let handled = false;
      try {
        // Fields (e.g. key, success_action_status) are ignored; the first file part named "file" is the upload.
        for await (const part of request.parts({ limits: { fileSize: ticket.maxBytes + 1 } })) {
          if (part.type !== 'file') continue;
          if (handled || part.fieldname !== 'file') {
            part.file.resume();
            continue;
          }
          handled = true;
          try {
            const result = await files.receive(ticket, part.file, undefined, request.headers.host);
            return reply.code(200).send({ code: 0, location: result.location, uuid: ticket.file.uuid, file: result.file });
          } catch (err) {
            part.file.resume();
            return refuse(request, reply, err);
          }
        }
        throw new FileHttpError(400, ErrorCode.InvalidParameters, 'the multipart body has no file in field "file"');
      } catch (err) {
        if (!handled) files.abandon(ticket);
        if (reply.sent) return reply;
        return refuse(request, reply, err);
      }
    });

    app.route<DownloadRoute>({
      method: ['GET', 'HEAD'],
      url: '/files/:uuid/:name',
      exposeHeadRoute: false,
      handler: async (request, reply) => download(files, request, reply),
    });
  };
}

async function begin(files: FileService, request: FastifyRequest<UploadRoute>, reply: FastifyReply): Promise<UploadTicket | null> {
  try {
    return await files.beginUpload(request.params.uuid, request.query.token);
  } catch (err) {
    await refuse(request, reply, err);
    return null;
  }
}

function contentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** Sends the JSON error; if the body is still arriving, drains it for a while (so the client can read the answer) and then cuts the connection. */
function refuse(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const req = request.raw;
  if (!req.complete && !req.destroyed) {
    const cut = setTimeout(() => req.socket?.destroy(), LINGER_MS);
    cut.unref();
    req.once('end', () => clearTimeout(cut));
    req.once('close', () => clearTimeout(cut));
    req.resume();
  }
  if (err instanceof FileHttpError) return reply.code(err.status).send({ code: err.code, message: err.message });
  request.log.error({ err }, 'upload failed');
  return reply.code(500).send({ code: ErrorCode.InternalError, message: 'internal server error' });
}

async function download(files: FileService, request: FastifyRequest<DownloadRoute>, reply: FastifyReply): Promise<FastifyReply> {
  const { uuid, name } = request.params;
  const target = await files.resolveDownload(uuid, name);
  if (!target) return reply.code(404).send({ code: ErrorCode.FileNotFound, message: 'no such file' });

  const etag = `"${uuid}-${target.blob}"`;
  reply.header('etag', etag);
  reply.header('cache-control', CACHE_FOREVER);
  reply.header('last-modified', new Date(target.file.uploadedAt).toUTCString());
  reply.header('accept-ranges', 'bytes');
  reply.header('x-content-type-options', 'nosniff');
  // Never a document of this origin: uploaded HTML or SVG cannot run script here.
  reply.header('content-security-policy', "default-src 'none'; sandbox");
  reply.header('cross-origin-resource-policy', 'cross-origin');

  const ifNoneMatch = headerValue(request.headers['if-none-match']);
  if (ifNoneMatch !== undefined && (ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))) {
    return reply.code(304).send();
  }

  const ifRange = headerValue(request.headers['if-range']);
  const rangeHeader = ifRange === undefined || ifRange.trim() === etag ? request.headers.range : undefined;
  const decision = decideRange(headerValue(rangeHeader), target.size);
  if (decision.kind === 'unsatisfiable') {
    reply.header('content-range', `bytes */${target.size}`);
    return reply.code(416).send({ code: ErrorCode.InvalidParameters, message: 'range not satisfiable' });
  }

  reply.header('content-type', target.contentType);
  if (target.blob === 'original') {
    reply.header('content-disposition', contentDisposition(target.attachment ? 'attachment' : 'inline', target.file.fileName));
  }
  const range = decision.kind === 'partial' ? decision.range : undefined;
  const length = range ? range.end - range.start + 1 : target.size;
  if (range) {
    reply.code(206);
    reply.header('content-range', `bytes ${range.start}-${range.end}/${target.size}`);
  }
  reply.header('content-length', String(length));
  if (request.method === 'HEAD') return reply.send();

  const stream: Readable | null = await files.openBlob(uuid, target.blob, range);
  if (!stream) {
    for (const header of ['content-length', 'content-range', 'content-disposition', 'etag', 'cache-control', 'last-modified']) reply.removeHeader(header);
    reply.header('content-type', 'application/json; charset=utf-8');
    return reply.code(404).send({ code: ErrorCode.FileNotFound, message: 'no such file' });
  }
  return reply.send(stream);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
