/**
 * Wire protocol version. A client sends the version it speaks in its `login`
 * frame; the server closes with {@link CloseCode.UnsupportedVersion} when it
 * cannot serve it. Bump on any incompatible change and record it in
 * docs/protocol.md ("History").
 */
export const PROTOCOL_VERSION = 1;

/** Oldest client protocol version the server still accepts. */
export const MIN_PROTOCOL_VERSION = 1;

/** WebSocket path the gateway listens on. */
export const WS_PATH = '/ws';

/**
 * Capability flags the server advertises in the login response, one per
 * optional feature, so clients can adapt without a version bump.
 */
export const CAPABILITIES = {
  /** Server-assigned per-conversation sequences and `msg.pull` gap fill. */
  seqSync: 'seq-sync',
  /** `onlineUserOnly` sends: delivered live, never stored. */
  onlineOnly: 'online-only',
  /** Message revoke with a server-enforced window. */
  revoke: 'revoke',
  /** `profile.*` and `blacklist.*` commands, `push.profile`/`push.blacklist`, `WireConversation.peerProfile`. */
  profileBlacklist: 'profile-blacklist',
  /** `file.slot`/`file.info` and the HTTP upload/download endpoints. */
  uploads: 'uploads',
  /** `group.*` and `conv.set-remind` commands, group messages, tips and system notices. */
  groups: 'groups',
} as const;

export type Capability = (typeof CAPABILITIES)[keyof typeof CAPABILITIES];
