/**
 * The fan-out port (style guide practice 5). The gateway always delivers
 * through a broker, so a single node is not a special path: `LocalBroker`
 * serves one process, `RedisBroker` joins several node processes (one
 * machine or many) through Redis pub/sub.
 */

/** Something addressed to every connection of one user, on every node. */
export type UserDelivery =
  | {
      kind: 'frame';
      /** An already-serialised server frame: serialised once per fan-out, sent as-is to each socket. */
      frame: string;
      /** Skip this connection (the sender's own instance). */
      excludeConnectionID?: string;
    }
  | {
      kind: 'session-opened';
      /** The new connection; sessions of the same user older than it may be kicked. */
      connectionID: string;
      instanceID: string;
      platform: string;
      openedAt: number;
    }
  | {
      /** An app administrator logged the user out (REST `im_open_login_svc/kick`): every node closes all the user's connections. */
      kind: 'kicked';
      type: 'REST_API_Kick';
    };

export type DeliveryHandler = (userID: string, delivery: UserDelivery) => void;

/** Something addressed to every connection that joined an AVChatRoom (logged-in or anonymous), on every node. */
export type RoomDelivery =
  | {
      kind: 'frame';
      /** An already-serialised server frame. */
      frame: string;
      /** Skip this connection (the sender's). */
      excludeConnectionID?: string;
    }
  | {
      /** The room is gone (dismissed): every node drops its connections from it. */
      kind: 'closed';
    }
  | {
      /** These users were banned from the room: every node drops their connections from it (anonymous sockets stay). */
      kind: 'evicted';
      userIDList: string[];
    };

export type RoomDeliveryHandler = (groupID: string, delivery: RoomDelivery) => void;

/** Something other nodes must forget because this node changed it in storage (their caches are stale). */
export type Invalidation = { kind: 'profile'; userIDs: string[] };

export type InvalidationHandler = (invalidation: Invalidation) => void;

export interface Broker {
  /** Delivers to the user's connections on every node (including this one). */
  publishToUser(userID: string, delivery: UserDelivery): Promise<void>;
  /**
   * The same delivery to many users: one call per fan-out (a group message), so the
   * per-member cost is the socket write alone (a networked broker groups by node here).
   */
  publishToUsers(userIDs: Iterable<string>, delivery: UserDelivery): Promise<void>;
  /** Starts receiving deliveries for `userID` on this node; returns the unsubscribe function. */
  subscribeUser(userID: string, handler: DeliveryHandler): () => void;
  /** Delivers to the AVChatRoom's joined connections on every node. */
  publishToGroup(groupID: string, delivery: RoomDelivery): Promise<void>;
  /** Starts receiving an AVChatRoom's deliveries on this node; returns the unsubscribe function. */
  subscribeGroup(groupID: string, handler: RoomDeliveryHandler): () => void;
  /**
   * Settles once every subscription made so far receives deliveries from all nodes
   * (a networked broker subscribes asynchronously). The gateway awaits it before it
   * answers a login or a room join, so nothing published after the answer is missed.
   * Rejects when the broker cannot confirm in time (its server is unreachable).
   */
  ready(): Promise<void>;
  /** Those of `userIDs` with a logged-in connection on any node (one round trip at most). */
  onlineAmong(userIDs: readonly string[]): Promise<Set<string>>;
  /**
   * This node's member count of an AVChatRoom changed (logged-in users plus anonymous sockets
   * here). A networked broker shares it with the other nodes, at most about once a second.
   */
  setRoomCount(groupID: string, count: number): void;
  /** The room's members on the other nodes, as last heard (0 for a node alone). */
  roomCountElsewhere(groupID: string): number;
  /** Tells the other nodes to drop what they cached of a change this node made (this node updates its own caches). */
  publishInvalidation(invalidation: Invalidation): Promise<void>;
  /** Receives the other nodes' invalidations; returns the unsubscribe function. */
  onInvalidation(handler: InvalidationHandler): () => void;
  close(): Promise<void>;
}
