/**
 * Server configuration: defaults, then environment (`PARLEY_*`), then CLI
 * flags. Validated once at start; an invalid value fails with a message that
 * names the setting and what to fix.
 */
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
  /** Time a new socket has to send `login`, ms. Env PARLEY_LOGIN_TIMEOUT_MS. Default 10000. */
  loginTimeoutMs: number;
  /** Largest `msg.list` page. Default 15 (TIM's page size). */
  pageSize: number;
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
    loginTimeoutMs: 10_000,
    pageSize: 15,
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
  { key: 'heartbeatIntervalMs', env: 'PARLEY_HEARTBEAT_INTERVAL_MS', flag: '--heartbeat-interval', parse: (raw, name) => integer(raw, name, 100, 600_000) },
  { key: 'loginTimeoutMs', env: 'PARLEY_LOGIN_TIMEOUT_MS', flag: '--login-timeout', parse: (raw, name) => integer(raw, name, 100, 600_000) },
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

function nonEmpty(raw: string, name: string): string {
  if (raw.trim() === '') throw new ConfigError(`${name} must not be empty`);
  return raw;
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
  return config;
}
