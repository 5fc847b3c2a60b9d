#!/usr/bin/env node
/**
 * `parley` command line.
 *
 *   parley start [--port N] [--host H] [--data-dir D] [...]   run the server (what `npm start` runs)
 *   parley usersig <userID> [--expire seconds] [--data-dir D] print a UserSig for userID
 *
 * Every option also reads from its PARLEY_* environment variable (flags win).
 */
import { CONFIG_FLAGS, ConfigError, loadConfig, parseFlags } from './config/config.js';
import { loadOrCreateIdentity, type AppIdentity } from './auth/app-identity.js';
import { DEFAULT_USERSIG_EXPIRE_SECONDS, genUserSig } from './auth/usersig.js';
import { announceListening, isClusterWorker, startPrimary } from './cluster/processes.js';
import { createServer } from './create-server.js';
import { isValidUserID } from '@parley/protocol';

const USAGE = `Usage:
  parley start [options]                 start the server
  parley usersig <userID> [--expire S]   print a UserSig (default expiry 180 days)

Options (environment variable in brackets):
  --host H                 [PARLEY_HOST]                   default 127.0.0.1
  --port N                 [PARLEY_PORT]                   default 8080
  --data-dir D             [PARLEY_DATA_DIR]               default ./data
  --sdkappid N             [PARLEY_SDKAPPID]               default: generated on first start
  --secret-key K           [PARLEY_SECRET_KEY]             default: generated on first start
  --max-body-bytes N       [PARLEY_MAX_BODY_BYTES]         default 12288
  --max-frame-bytes N      [PARLEY_MAX_FRAME_BYTES]        default 65536
  --revoke-window S        [PARLEY_REVOKE_WINDOW_SECONDS]  default 120
  --max-web-instances N    [PARLEY_MAX_WEB_INSTANCES]      default 1 (0 = unlimited)
  --heartbeat-interval MS  [PARLEY_HEARTBEAT_INTERVAL_MS]  default 30000
  --login-timeout MS       [PARLEY_LOGIN_TIMEOUT_MS]       default 10000
  --max-blacklist-size N   [PARLEY_MAX_BLACKLIST_SIZE]     default 1000
  --max-blacklist-batch N  [PARLEY_MAX_BLACKLIST_BATCH]    default 1000 (IDs per add/remove call)
  --max-profile-custom-fields N [PARLEY_MAX_PROFILE_CUSTOM_FIELDS] default 20
  --public-url URL         [PARLEY_PUBLIC_URL]             base of upload/download URLs (default http://<Host of the client's request>)
  --max-image-bytes N      [PARLEY_MAX_IMAGE_BYTES]        default 20971520 (20 MiB)
  --max-audio-bytes N      [PARLEY_MAX_AUDIO_BYTES]        default 20971520 (20 MiB)
  --max-video-bytes N      [PARLEY_MAX_VIDEO_BYTES]        default 104857600 (100 MiB)
  --max-file-bytes N       [PARLEY_MAX_FILE_BYTES]         default 104857600 (100 MiB)
  --ffmpeg-path P          [PARLEY_FFMPEG_PATH]            default ffmpeg ('' = no video snapshots)
  --ffprobe-path P         [PARLEY_FFPROBE_PATH]           default ffprobe ('' = no media durations)
  --group-max-members J    [PARLEY_GROUP_MAX_MEMBERS]      JSON per group type, e.g. {"Private":6000} (defaults: spec §9)
  --group-send-rate N      [PARLEY_GROUP_SEND_RATE]        default 40 (AVChatRoom messages/s per group; 0 = unlimited)
  --max-groups-per-user N  [PARLEY_MAX_GROUPS_PER_USER]    default 0 (unlimited)
  --group-member-custom-keys K [PARLEY_GROUP_MEMBER_CUSTOM_KEYS] comma-separated allow-list (default: any key)
  --admin-user-ids IDS     [PARLEY_ADMIN_USER_IDS]         app administrator userIDs, comma-separated (default administrator)
  --redis-url URL          [PARLEY_REDIS_URL]              join the nodes sharing this Redis, e.g. redis://127.0.0.1:6379 (default: none, alone)
  --redis-prefix P         [PARLEY_REDIS_PREFIX]           Redis channel prefix of this cluster (default parley:)
  --processes N            [PARLEY_PROCESSES]              node processes on this machine behind one port (default 1; >1 needs --redis-url)
  --storage-thread on|off  [PARLEY_STORAGE_THREAD]         1:1 sends' SQLite work on a storage thread, off the event loop (default on)
  --log-level L            [PARLEY_LOG_LEVEL]              default info
`;

function identityFor(config: ReturnType<typeof loadConfig>): { identity: AppIdentity; created: boolean } {
  if (config.sdkAppID !== null && config.secretKey !== null) return { identity: { sdkAppID: config.sdkAppID, secretKey: config.secretKey }, created: false };
  return loadOrCreateIdentity(config.dataDir);
}

function banner(address: { httpUrl: string; wsUrl: string }, config: ReturnType<typeof loadConfig>, identity: AppIdentity, created: boolean): string {
  const lines = [`Parley is listening on ${address.httpUrl} (WebSocket: ${address.wsUrl})`];
  if (config.processes > 1) lines.push(`${config.processes} node processes, joined through ${redactedUrl(config.redisUrl ?? '')} (channel prefix ${config.redisPrefix})`);
  lines.push(`SDKAppID: ${identity.sdkAppID}`);
  if (created) {
    lines.push(
      `SecretKey: ${identity.secretKey}`,
      `A new app identity was generated and stored in ${config.dataDir}/app-identity.json (keep the secret key on your servers only).`,
    );
  }
  lines.push(`Issue a UserSig with: npx parley usersig <userID> --data-dir ${config.dataDir}`);
  return lines.join('\n') + '\n';
}

/** The URL without its password, for printing. */
function redactedUrl(raw: string): string {
  const url = new URL(raw);
  if (url.password !== '') url.password = '***';
  return url.href;
}

/** SIGTERM/SIGINT run `close` once, then exit (forced after 10 s). */
function onStopSignals(close: () => Promise<void>, announce: boolean): (reason: string) => void {
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    if (announce) process.stdout.write(`${reason} received, shutting down\n`);
    const force = setTimeout(() => process.exit(1), 12_000);
    force.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return stop;
}

async function start(argv: string[]): Promise<void> {
  const { flags, positional } = parseFlags(argv, CONFIG_FLAGS);
  if (positional.length > 0) throw new ConfigError(`unexpected argument "${positional[0]}"`);
  const config = loadConfig(process.env, flags);
  if (config.processes > 1 && !isClusterWorker()) {
    // The primary: creates the identity and schema once, then forks the node processes (cluster/processes.ts).
    const { identity, created } = identityFor(config);
    const primary = await startPrimary(config, (line) => process.stderr.write(`parley: ${line}\n`));
    onStopSignals(() => primary.stop(), true);
    const address = await primary.listening;
    process.stdout.write(banner(address, config, identity, created));
    return;
  }
  const server = await createServer({ config });
  const address = await server.listen();
  if (isClusterWorker()) {
    const stop = onStopSignals(() => server.close(), false);
    // Without its primary a worker has nobody to restart it or share its port: stop.
    process.on('disconnect', () => stop('disconnect'));
    announceListening(address);
    return;
  }
  process.stdout.write(banner(address, config, server.identity, server.identityCreated));
  onStopSignals(() => server.close(), true);
}

function usersig(argv: string[]): void {
  const known = new Set([...CONFIG_FLAGS, '--expire']);
  const { flags, positional } = parseFlags(argv, known);
  const userID = positional[0];
  if (positional.length !== 1 || userID === undefined) throw new ConfigError('usage: parley usersig <userID> [--expire seconds]');
  if (!isValidUserID(userID)) throw new ConfigError(`invalid userID "${userID}": 1–32 printable ASCII characters`);
  const expireRaw = flags.get('--expire');
  let expireSeconds = DEFAULT_USERSIG_EXPIRE_SECONDS;
  if (expireRaw !== undefined) {
    if (!/^\d+$/.test(expireRaw) || Number(expireRaw) < 1) throw new ConfigError(`--expire must be a positive number of seconds (got "${expireRaw}")`);
    expireSeconds = Number(expireRaw);
  }
  flags.delete('--expire');
  const config = loadConfig(process.env, flags);
  const { identity } = identityFor(config);
  process.stdout.write(genUserSig({ sdkAppID: identity.sdkAppID, secretKey: identity.secretKey, userID, expireSeconds }) + '\n');
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      await start(rest);
      return;
    case 'usersig':
      usersig(rest);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      throw new ConfigError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`parley: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`parley: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
