/**
 * A tiny Redis client for the bench's own bookkeeping (no npm dependency): one connection per
 * call over node:net, RESP2 requests and replies. Used to read what a multi-process server's
 * Redis costs (`INFO`: used_cpu_user + used_cpu_sys, used_memory_rss), to check that Redis is
 * reachable before spawning a cluster, and to remove a run's keys (its unique prefix) afterwards.
 * The server under test talks to the same Redis with its own client; this one only observes.
 */
import { connect } from 'node:net';

/** A RESP2 reply: simple string / bulk (string, `null` for a nil bulk), integer, array, or an error reply. */
export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {}

/** Encodes a command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(a, 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Parses one reply from `buf` at `offset`: the value and the offset after it, or `null` when
 * the buffer does not hold the whole reply yet.
 */
export function parseReply(buf: Buffer, offset = 0): { value: RespValue; next: number } | null {
  if (offset >= buf.length) return null;
  const lineEnd = buf.indexOf('\r\n', offset);
  if (lineEnd === -1) return null;
  const type = String.fromCharCode(buf[offset]!);
  const line = buf.toString('utf8', offset + 1, lineEnd);
  const after = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RespError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return null;
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let pos = after;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, pos);
        if (item === null) return null;
        items.push(item.value);
        pos = item.next;
      }
      return { value: items, next: pos };
    }
    default:
      throw new RespError(`unexpected RESP reply type ${JSON.stringify(type)}`);
  }
}

/** `field:value` lines of an INFO reply (sections and comments skipped). */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) out.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return out;
}

export interface RedisTarget {
  host: string;
  port: number;
  password: string | null;
  username: string | null;
  db: number | null;
}

/** `redis://[[user]:password@]host[:port][/db]`; loopback only (the bench talks to this machine). */
export function parseRedisUrl(text: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`the Redis URL "${text}" is not a URL`);
  }
  if (url.protocol !== 'redis:') throw new Error(`the Redis URL must be redis:// (got "${url.protocol}")`);
  const host = url.hostname === '' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, '');
  if (!(host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host))) {
    throw new Error(`the Redis URL must point at a loopback address (127.0.0.1, localhost, [::1]); got "${host}"`);
  }
  const dbText = url.pathname.replace(/^\//, '');
  return {
    host,
    port: url.port === '' ? 6379 : Number(url.port),
    username: url.username !== '' ? decodeURIComponent(url.username) : null,
    password: url.password !== '' ? decodeURIComponent(url.password) : null,
    db: dbText !== '' ? Number(dbText) : null,
  };
}

/**
 * Opens a connection, sends `commands` (after AUTH / SELECT from the URL), and resolves with
 * their replies in order; an error reply to AUTH/SELECT or a socket error rejects. At most
 * `timeoutMs` in all.
 */
export function redisCommands(target: RedisTarget, commands: ReadonlyArray<readonly string[]>, timeoutMs = 5000): Promise<RespValue[]> {
  const setup: string[][] = [];
  if (target.password !== null) setup.push(target.username !== null ? ['AUTH', target.username, target.password] : ['AUTH', target.password]);
  if (target.db !== null) setup.push(['SELECT', String(target.db)]);
  const all = [...setup, ...commands];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    let buf: Buffer = Buffer.alloc(0);
    let offset = 0;
    const replies: RespValue[] = [];
    const done = (err: Error | null) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(replies.slice(setup.length));
    };
    const timer = setTimeout(() => done(new Error(`Redis at ${target.host}:${target.port} did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(Buffer.concat(all.map((c) => encodeCommand(c)))));
    socket.on('data', (chunk: Buffer) => {
      buf = offset < buf.length ? Buffer.concat([buf.subarray(offset), chunk]) : chunk;
      offset = 0;
      try {
        for (;;) {
          const r = parseReply(buf, offset);
          if (r === null) break;
          offset = r.next;
          if (replies.length < setup.length && r.value instanceof RespError) {
            done(new Error(`Redis refused ${all[replies.length]![0]}: ${r.value.message}`));
            return;
          }
          replies.push(r.value);
          if (replies.length === all.length) {
            done(null);
            return;
          }
        }
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.once('error', (err) => done(new Error(`Redis at ${target.host}:${target.port}: ${err.message}`)));
    socket.once('close', () => done(new Error(`Redis at ${target.host}:${target.port} closed the connection`)));
  });
}

/** What the bench reads from Redis: its CPU so far (user + system, s) and resident memory (bytes). */
export interface RedisSample {
  cpuS: number;
  rssBytes: number;
}

/** CPU and RSS of the Redis server from `INFO` (used_cpu_user + used_cpu_sys, used_memory_rss). */
export function redisSampleFromInfo(info: ReadonlyMap<string, string>): RedisSample | null {
  const user = Number(info.get('used_cpu_user'));
  const sys = Number(info.get('used_cpu_sys'));
  const rss = Number(info.get('used_memory_rss'));
  if (!Number.isFinite(user) || !Number.isFinite(sys) || !Number.isFinite(rss) || !info.has('used_memory_rss')) return null;
  return { cpuS: user + sys, rssBytes: rss };
}

export async function sampleRedis(target: RedisTarget): Promise<RedisSample | null> {
  const [reply] = await redisCommands(target, [['INFO']]);
  if (typeof reply !== 'string') return null;
  return redisSampleFromInfo(parseInfo(reply));
}

/** PING; resolves when Redis answers, rejects with the reason otherwise. */
export async function pingRedis(target: RedisTarget): Promise<void> {
  const [reply] = await redisCommands(target, [['PING']]);
  if (reply instanceof RespError) throw new Error(`Redis answered PING with an error: ${reply.message}`);
}

/** Removes every key that starts with `prefix` (SCAN + UNLINK); resolves with how many. */
export async function removeKeysWithPrefix(target: RedisTarget, prefix: string, timeoutMs = 30_000): Promise<number> {
  if (prefix === '') throw new Error('refusing to remove every key (empty prefix)');
  const pattern = prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + '*';
  const deadline = Date.now() + timeoutMs;
  let cursor = '0';
  let removed = 0;
  do {
    const [reply] = await redisCommands(target, [['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000']], Math.max(1000, deadline - Date.now()));
    if (!Array.isArray(reply) || reply.length !== 2 || typeof reply[0] !== 'string' || !Array.isArray(reply[1])) throw new Error('unexpected SCAN reply');
    cursor = reply[0];
    const keys = reply[1].filter((k): k is string => typeof k === 'string' && k.startsWith(prefix));
    if (keys.length > 0) {
      const [n] = await redisCommands(target, [['UNLINK', ...keys]], Math.max(1000, deadline - Date.now()));
      if (typeof n === 'number') removed += n;
    }
    if (Date.now() > deadline) throw new Error(`removing the run's keys took longer than ${Math.round(timeoutMs / 1000)} s`);
  } while (cursor !== '0');
  return removed;
}
