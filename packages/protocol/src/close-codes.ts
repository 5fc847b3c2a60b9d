/**
 * WebSocket close codes (RFC 6455 §7.4.2 leaves 4000–4999 to applications).
 * The gateway closes through one helper that sends one of these together with
 * an error code; the SDK's reconnect policy reads `retryable` to tell terminal
 * closes from transient ones.
 */
export const CloseCode = {
  /** The client logged out; the server closes the socket. Terminal. */
  LoggedOut: 4000,
  /** The `login` frame failed authentication (bad UserSig etc.). Terminal. */
  AuthFailed: 4001,
  /** No `login` frame arrived within the login deadline. Retryable. */
  LoginTimeout: 4002,
  /** Another login of the same user replaced this one (multi-instance limit). Terminal. */
  Kicked: 4003,
  /** The client speaks a protocol version the server does not serve. Terminal. */
  UnsupportedVersion: 4004,
  /** The client violated the protocol too often (malformed frames). Retryable after backoff. */
  ProtocolViolation: 4005,
  /** No heartbeat was seen within the deadline. Retryable. */
  HeartbeatTimeout: 4006,
  /** The server is shutting down or restarting. Retryable. */
  ServerShutdown: 4007,
  /** The UserSig of this session expired while connected. Terminal (log in with a new one). */
  UserSigExpired: 4008,
  /** A newer socket of the same SDK instance (same instanceID) logged in; this one is stale. Terminal for this socket. */
  Replaced: 4009,
  /**
   * The client read its socket too slowly: the server's send buffer for it passed the limit, so the
   * server stopped writing and closed it (memory stays bounded). Retryable: reconnect and fill the gap.
   */
  SlowConsumer: 4010,
  /**
   * An app administrator logged the user out (REST `im_open_login_svc/kick`, spec §12/§15
   * "REST_API_Kick"). Preceded by `push.kicked` `REST_API_Kick`. Terminal: the SDK reports
   * `KICKED_OUT` and waits for the app to log in again.
   */
  KickedByAdmin: 4011,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

const TERMINAL: ReadonlySet<number> = new Set<number>([
  CloseCode.LoggedOut,
  CloseCode.AuthFailed,
  CloseCode.Kicked,
  CloseCode.UnsupportedVersion,
  CloseCode.UserSigExpired,
  CloseCode.Replaced,
  CloseCode.KickedByAdmin,
]);

/** Whether a client should reconnect after the server closed with `code`. */
export function isRetryableClose(code: number): boolean {
  return !TERMINAL.has(code);
}
