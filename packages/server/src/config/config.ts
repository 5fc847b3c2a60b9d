/**
 * Server configuration: defaults, then environment (`PARLEY_*`), then CLI
 * flags. Validated once at start; an invalid value fails with a message that
 * names the setting and what to fix.
 */
import { join } from 'node:path';
import { isValidUserID, type WireGroupType } from '@parley/protocol';

export interface ServerConfig {
  /** Interface to bind. Env PARLEY_HOST, flag --host. Default 127.0.0.1. */
  host: string;
  /** TCP port; 0 picks a free one. Env PARLEY_PORT, flag --port. Default 8080. */
  port: number;
  /** Directory for the SQLite file and generated app identity. Env PARLEY_DATA_DIR, flag --data-dir. Default ./data. */
  dataDir: string;
  /** Storage location: a file path, or ":memory:" for tests. Default `<dataDir>/parley.db`. */
  sqlitePath: string;
  /** App identity. Env PARLEY_SDKAPPID / PARLEY_SECRET_KEY; generated on first start when both are unset. */
  sdkAppID: number | null;
  secretKey: string | null;
  /** Largest message body, bytes. Env PARLEY_MAX_BODY_BYTES. Default 12288 (Tencent's 12 KB). */
  maxBodyBytes: number;
  /** Largest inbound WebSocket frame, bytes; bigger frames close the socket with 1009. Env PARLEY_MAX_FRAME_BYTES. Default 65536. */
  maxFrameBytes: number;
  /** C2C revoke window, seconds. Env PARLEY_REVOKE_WINDOW_SECONDS. Default 120. */
  revokeWindowSeconds: number;
  /** Concurrent web/Node instances per user; a newer login kicks the oldest beyond it; 0 = unlimited. Env PARLEY_MAX_WEB_INSTANCES. Default 1 (Tencent's default). */
  maxWebInstances: number;
  /** Client heartbeat interval announced at login, ms. The server reaps a socket silent for 2.5× this. Env PARLEY_HEARTBEAT_INTERVAL_MS. Default 30000. */
  heartbeatIntervalMs: number;
  /** Unsent bytes one socket may hold before its client is cut off as a slow consumer (close 4010). Env PARLEY_MAX_SOCKET_BUFFER_BYTES, flag --max-socket-buffer-bytes. Default 8 MiB. */
  maxSocketBufferBytes: number;
  /** Time a new socket has to send `login`, ms. Env PARLEY_LOGIN_TIMEOUT_MS. Default 10000. */
  loginTimeoutMs: number;
  /** Largest `msg.list` page. Default 15 (TIM's page size). */
  pageSize: number;
  /** Most entries one user's blacklist may hold (30013 beyond). Env PARLEY_MAX_BLACKLIST_SIZE, flag --max-blacklist-size. Default 1000. */
  maxBlacklistSize: number;
  /** Most userIDs one `blacklist.add`/`blacklist.remove` may name (30001 beyond). Env PARLEY_MAX_BLACKLIST_BATCH, flag --max-blacklist-batch. Default 1000. */
  maxBlacklistBatch: number;
  /** Most custom profile fields a user may store (40001 beyond). Env PARLEY_MAX_PROFILE_CUSTOM_FIELDS, flag --max-profile-custom-fields. Default 20. */
  maxProfileCustomFields: number;
  /** Base of the upload/download URLs handed to clients, e.g. "https://chat.example.com" (no trailing slash). Env PARLEY_PUBLIC_URL, flag --public-url. Default null: `http://<Host header of the client's WebSocket request>`. */
  publicUrl: string | null;
  /** Largest image upload, bytes (95010 beyond). Env PARLEY_MAX_IMAGE_BYTES, flag --max-image-bytes. Default 20 MiB. */
  maxImageBytes: number;
  /** Largest audio upload, bytes. Env PARLEY_MAX_AUDIO_BYTES, flag --max-audio-bytes. Default 20 MiB. */
  maxAudioBytes: number;
  /** Largest video upload, bytes. Env PARLEY_MAX_VIDEO_BYTES, flag --max-video-bytes. Default 100 MiB. */
  maxVideoBytes: number;
  /** Largest file (fileType 255) upload, bytes. Env PARLEY_MAX_FILE_BYTES, flag --max-file-bytes. Default 100 MiB. */
  maxFileBytes: number;
  /** ffmpeg binary for video snapshots ('' disables). Env PARLEY_FFMPEG_PATH, flag --ffmpeg-path. Default "ffmpeg" (from PATH). */
  ffmpegPath: string;
  /** ffprobe binary for audio/video durations ('' disables). Env PARLEY_FFPROBE_PATH, flag --ffprobe-path. Default "ffprobe". */
  ffprobePath: string;
  /**
   * Largest (and default) `maxMemberCount` per group type, overriding the spec §9 defaults
   * (Private 200, Public 2000, ChatRoom 10000, Community 100000, AVChatRoom 0 = unlimited).
   * Env PARLEY_GROUP_MAX_MEMBERS, flag --group-max-members: JSON, e.g. {"Private":6000,"Public":6000}. Default {}.
   */
  groupMaxMembers: Partial<Record<WireGroupType, number>>;
  /** AVChatRoom send rate limit per group, messages per second (Low/Lowest shed first, High never; 10023). 0 = unlimited. Env PARLEY_GROUP_SEND_RATE, flag --group-send-rate. Default 40. */
  groupSendRatePerSecond: number;
  /** AVChatRoom size (sockets) from which join/quit tips are coalesced into one tip a second naming up to 500 users; 0 = never. Env PARLEY_ROOM_TIP_BATCH_FROM, flag --room-tip-batch-from. Default 200. */
  roomTipBatchFrom: number;
  /** Groups one user may be a member of (10037 beyond). 0 = unlimited. Env PARLEY_MAX_GROUPS_PER_USER, flag --max-groups-per-user. Default 0. */
  maxGroupsPerUser: number;
  /** Allowed group member custom-field keys (10004 for others); empty = any key. Env PARLEY_GROUP_MEMBER_CUSTOM_KEYS, flag --group-member-custom-keys: comma-separated. Default empty. */
  groupMemberCustomKeys: string[];
  /**
   * The app administrator accounts (Tencent's "App admin", spec §11.2 item 7): the only identifiers the
   * admin REST API (`/v4/…`) accepts, and users who, logged in over WebSocket with a valid UserSig, pass
   * every owner/admin check of the group rules (spec §9 "app admin only" cells).
   * Env PARLEY_ADMIN_USER_IDS, flag --admin-user-ids: comma-separated userIDs. Default "administrator".
   */
  adminUserIDs: string[];
  /**
   * Redis that joins this node to others (cluster mode): deliveries, kicks and cache invalidations go
   * through its pub/sub, so users on different nodes reach each other. null = this node is alone
   * (in-process broker). Env PARLEY_REDIS_URL, flag --redis-url, e.g. redis://127.0.0.1:6379. Default null.
   */
  redisUrl: string | null;
  /** Prefix of every Redis channel: nodes with the same Redis and prefix form one cluster. Env PARLEY_REDIS_PREFIX, flag --redis-prefix. Default "parley:". */
  redisPrefix: string;
  /**
   * Node processes `parley start` runs on this machine, all serving one port (node:cluster) and sharing
   * the SQLite file; more than 1 needs `redisUrl`. Env PARLEY_PROCESSES, flag --processes. Default 1.
   */
  processes: number;
  /**
   * Run the SQLite work of 1:1 sends (statements, commits, checkpoints) on a storage thread with its
   * own write connection, off the event loop: the second core. Applies to one process alone on its
   * file (not cluster mode). Env PARLEY_STORAGE_THREAD, flag --storage-thread: on or off. Default on.
   */
  storageThread: boolean;
  /** pino level: fatal, error, warn, info, debug, trace, silent. Env PARLEY_LOG_LEVEL. Default info. */
  logLevel: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function defaultConfig(): ServerConfig {
  return {
    host: '127.0.0.1',
    port: 8080,
    dataDir: './data',
    sqlitePath: '',
    sdkAppID: null,
    secretKey: null,
    maxBodyBytes: 12 * 1024,
    maxFrameBytes: 64 * 1024,
    revokeWindowSeconds: 120,
    maxWebInstances: 1,
    heartbeatIntervalMs: 30_000,
    maxSocketBufferBytes: 8 * 1024 * 1024,
    loginTimeoutMs: 10_000,
    pageSize: 15,
    maxBlacklistSize: 1000,
    maxBlacklistBatch: 1000,
    maxProfileCustomFields: 20,
    publicUrl: null,
    maxImageBytes: 20 * 1024 * 1024,
    maxAudioBytes: 20 * 1024 * 1024,
    maxVideoBytes: 100 * 1024 * 1024,
    maxFileBytes: 100 * 1024 * 1024,
    ffmpegPath: 'ffmpeg',
    ffprobePath: 'ffprobe',
    groupMaxMembers: {},
    groupSendRatePerSecond: 40,
    roomTipBatchFrom: 200,
    maxGroupsPerUser: 0,
    groupMemberCustomKeys: [],
    adminUserIDs: ['administrator'],
    redisUrl: null,
    redisPrefix: 'parley:',
    processes: 1,
    storageThread: true,
    logLevel: 'info',
  };
}

type Key = keyof ServerConfig;

/** How each setting is named in env and flags, and how its text is parsed. */
const SETTINGS: Array<{ key: Key; env: string; flag: string; parse: (raw: string, name: string) => ServerConfig[Key] }> = [
  { key: 'host', env: 'PARLEY_HOST', flag: '--host', parse: (raw, name) => nonEmpty(raw, name) },
  { key: 'port', env: 'PARLEY_PORT', flag: '--port', parse: (raw, name) => integer(raw, name, 0, 65535) },
  { key: 'dataDir', env: 'PARLEY_DATA_DIR', flag: '--data-dir', parse: (raw, name) => nonEmpty(raw, name) },
  { key: 'sdkAppID', env: 'PARLEY_SDKAPPID', flag: '--sdkappid', parse: (raw, name) => integer(raw, name, 1, 2 ** 32 - 1) },
  { key: 'secretKey', env: 'PARLEY_SECRET_KEY', flag: '--secret-key', parse: (raw, name) => nonEmpty(raw, name) },
  { key: 'maxBodyBytes', env: 'PARLEY_MAX_BODY_BYTES', flag: '--max-body-bytes', parse: (raw, name) => integer(raw, name, 256, 1024 * 1024) },
  { key: 'maxFrameBytes', env: 'PARLEY_MAX_FRAME_BYTES', flag: '--max-frame-bytes', parse: (raw, name) => integer(raw, name, 1024, 16 * 1024 * 1024) },
  { key: 'revokeWindowSeconds', env: 'PARLEY_REVOKE_WINDOW_SECONDS', flag: '--revoke-window', parse: (raw, name) => integer(raw, name, 0, 365 * 86400) },
  { key: 'maxWebInstances', env: 'PARLEY_MAX_WEB_INSTANCES', flag: '--max-web-instances', parse: (raw, name) => integer(raw, name, 0, 1000) },
  { key: 'maxSocketBufferBytes', env: 'PARLEY_MAX_SOCKET_BUFFER_BYTES', flag: '--max-socket-buffer-bytes', parse: (raw, name) => integer(raw, name, 64 * 1024, 1024 * 1024 * 1024) },
  { key: 'heartbeatIntervalMs', env: 'PARLEY_HEARTBEAT_INTERVAL_MS', flag: '--heartbeat-interval', parse: (raw, name) => integer(raw, name, 100, 600_000) },
  { key: 'loginTimeoutMs', env: 'PARLEY_LOGIN_TIMEOUT_MS', flag: '--login-timeout', parse: (raw, name) => integer(raw, name, 100, 600_000) },
  { key: 'maxBlacklistSize', env: 'PARLEY_MAX_BLACKLIST_SIZE', flag: '--max-blacklist-size', parse: (raw, name) => integer(raw, name, 1, 1_000_000) },
  // The protocol codec accepts at most 10000 IDs per call.
  { key: 'maxBlacklistBatch', env: 'PARLEY_MAX_BLACKLIST_BATCH', flag: '--max-blacklist-batch', parse: (raw, name) => integer(raw, name, 1, 10_000) },
  { key: 'maxProfileCustomFields', env: 'PARLEY_MAX_PROFILE_CUSTOM_FIELDS', flag: '--max-profile-custom-fields', parse: (raw, name) => integer(raw, name, 0, 1000) },
  { key: 'publicUrl', env: 'PARLEY_PUBLIC_URL', flag: '--public-url', parse: (raw, name) => publicUrl(raw, name) },
  { key: 'maxImageBytes', env: 'PARLEY_MAX_IMAGE_BYTES', flag: '--max-image-bytes', parse: (raw, name) => integer(raw, name, 1, 2 ** 40) },
  { key: 'maxAudioBytes', env: 'PARLEY_MAX_AUDIO_BYTES', flag: '--max-audio-bytes', parse: (raw, name) => integer(raw, name, 1, 2 ** 40) },
  { key: 'maxVideoBytes', env: 'PARLEY_MAX_VIDEO_BYTES', flag: '--max-video-bytes', parse: (raw, name) => integer(raw, name, 1, 2 ** 40) },
  { key: 'maxFileBytes', env: 'PARLEY_MAX_FILE_BYTES', flag: '--max-file-bytes', parse: (raw, name) => integer(raw, name, 1, 2 ** 40) },
  { key: 'ffmpegPath', env: 'PARLEY_FFMPEG_PATH', flag: '--ffmpeg-path', parse: (raw) => raw.trim() },
  { key: 'ffprobePath', env: 'PARLEY_FFPROBE_PATH', flag: '--ffprobe-path', parse: (raw) => raw.trim() },
  { key: 'groupMaxMembers', env: 'PARLEY_GROUP_MAX_MEMBERS', flag: '--group-max-members', parse: (raw, name) => groupMaxMembers(raw, name) },
  { key: 'roomTipBatchFrom', env: 'PARLEY_ROOM_TIP_BATCH_FROM', flag: '--room-tip-batch-from', parse: (raw, name) => integer(raw, name, 0, 10_000_000) },
  { key: 'groupSendRatePerSecond', env: 'PARLEY_GROUP_SEND_RATE', flag: '--group-send-rate', parse: (raw, name) => integer(raw, name, 0, 1_000_000) },
  { key: 'maxGroupsPerUser', env: 'PARLEY_MAX_GROUPS_PER_USER', flag: '--max-groups-per-user', parse: (raw, name) => integer(raw, name, 0, 1_000_000) },
  {
    key: 'groupMemberCustomKeys',
    env: 'PARLEY_GROUP_MEMBER_CUSTOM_KEYS',
    flag: '--group-member-custom-keys',
    parse: (raw) =>
      raw
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k !== ''),
  },
  { key: 'adminUserIDs', env: 'PARLEY_ADMIN_USER_IDS', flag: '--admin-user-ids', parse: (raw, name) => adminUserIDs(raw, name) },
  { key: 'redisUrl', env: 'PARLEY_REDIS_URL', flag: '--redis-url', parse: (raw, name) => redisUrl(raw, name) },
  { key: 'redisPrefix', env: 'PARLEY_REDIS_PREFIX', flag: '--redis-prefix', parse: (raw, name) => redisPrefix(raw, name) },
  { key: 'processes', env: 'PARLEY_PROCESSES', flag: '--processes', parse: (raw, name) => integer(raw, name, 1, 64) },
  { key: 'storageThread', env: 'PARLEY_STORAGE_THREAD', flag: '--storage-thread', parse: (raw, name) => onOff(raw, name) },
  {
    key: 'logLevel',
    env: 'PARLEY_LOG_LEVEL',
    flag: '--log-level',
    parse: (raw, name) => {
      const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
      if (!levels.includes(raw)) throw new ConfigError(`${name} must be one of ${levels.join(', ')} (got "${raw}")`);
      return raw;
    },
  },
];

/** "on" or "off". */
function onOff(raw: string, name: string): boolean {
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name} must be on or off (got "${raw}")`);
}

const GROUP_TYPES: readonly WireGroupType[] = ['Private', 'Public', 'ChatRoom', 'AVChatRoom', 'Community'];

/** `{"<group type>": <max members>, …}`; 0 = unlimited. */
function groupMaxMembers(raw: string, name: string): Partial<Record<WireGroupType, number>> {
  const hint = `${name} must be a JSON object of group type → member limit, e.g. {"Private":6000} (types: ${GROUP_TYPES.join(', ')}; 0 = unlimited)`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${hint} (got "${raw}")`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(hint);
  const out: Partial<Record<WireGroupType, number>> = {};
  for (const [type, value] of Object.entries(parsed)) {
    if (!(GROUP_TYPES as readonly string[]).includes(type)) throw new ConfigError(`${hint}; "${type}" is not a group type`);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ConfigError(`${hint}; "${type}" must be a whole number ≥ 0`);
    out[type as WireGroupType] = value;
  }
  return out;
}

/** Comma-separated userIDs (1–32 printable ASCII each, at least one); blanks around commas are ignored. */
function adminUserIDs(raw: string, name: string): string[] {
  const ids = [...new Set(raw.split(',').map((id) => id.trim()).filter((id) => id !== ''))];
  if (ids.length === 0) throw new ConfigError(`${name} must list at least one userID, e.g. "administrator" or "administrator,ops-bot"`);
  const bad = ids.find((id) => !isValidUserID(id));
  if (bad !== undefined) throw new ConfigError(`${name}: "${bad}" is not a valid userID (1–32 printable ASCII characters, no commas)`);
  return ids;
}

/** A redis:// or rediss:// URL (ioredis' form: redis://[user:password@]host[:port][/db]). */
function redisUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(`${name} must be a URL such as redis://127.0.0.1:6379 (got "${raw}")`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError(`${name} must start with redis:// or rediss:// (got "${raw}")`);
  return url.href;
}

/** 1–64 characters without whitespace (it starts every channel name). */
function redisPrefix(raw: string, name: string): string {
  if (!/^\S{1,64}$/.test(raw)) throw new ConfigError(`${name} must be 1–64 characters without spaces, e.g. "parley:" (got "${raw}")`);
  return raw;
}

function nonEmpty(raw: string, name: string): string {
  if (raw.trim() === '') throw new ConfigError(`${name} must not be empty`);
  return raw;
}

/** An absolute http(s) URL without query or fragment; returned without a trailing slash. */
function publicUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(`${name} must be an absolute URL such as https://chat.example.com (got "${raw}")`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(`${name} must be an http:// or https:// URL without query, fragment or credentials (got "${raw}")`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function integer(raw: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number between ${min} and ${max} (got "${raw}")`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max} (got ${n})`);
  return n;
}

/** Parses `--flag value` / `--flag=value` pairs; unknown flags are an error. Returns positional arguments too. */
export function parseFlags(argv: readonly string[], known: ReadonlySet<string>): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (!known.has(name)) throw new ConfigError(`unknown option ${name} (known: ${[...known].sort().join(', ')})`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new ConfigError(`option ${name} needs a value`);
    flags.set(name, value);
  }
  return { flags, positional };
}

/** The SQLite file: `sqlitePath` if set, else `<dataDir>/parley.db`. */
export function sqliteFileOf(config: Pick<ServerConfig, 'sqlitePath' | 'dataDir'>): string {
  return config.sqlitePath !== '' ? config.sqlitePath : join(config.dataDir, 'parley.db');
}

export const CONFIG_FLAGS: ReadonlySet<string> = new Set(SETTINGS.map((s) => s.flag));

/** Builds the config from env and already-parsed flags. Throws ConfigError with a fix-it message. */
export function loadConfig(env: NodeJS.ProcessEnv, flags: ReadonlyMap<string, string> = new Map()): ServerConfig {
  const config = defaultConfig();
  const target = config as unknown as Record<Key, ServerConfig[Key]>;
  for (const s of SETTINGS) {
    const fromFlag = flags.get(s.flag);
    const fromEnv = env[s.env];
    if (fromFlag !== undefined) target[s.key] = s.parse(fromFlag, `option ${s.flag}`);
    else if (fromEnv !== undefined && fromEnv !== '') target[s.key] = s.parse(fromEnv, `environment variable ${s.env}`);
  }
  if ((config.sdkAppID === null) !== (config.secretKey === null)) {
    throw new ConfigError('set both PARLEY_SDKAPPID and PARLEY_SECRET_KEY (or --sdkappid and --secret-key), or neither to use the generated identity');
  }
  if (config.processes > 1 && config.redisUrl === null) {
    throw new ConfigError('--processes (PARLEY_PROCESSES) above 1 needs --redis-url (PARLEY_REDIS_URL): the node processes reach each other through Redis');
  }
  return config;
}
