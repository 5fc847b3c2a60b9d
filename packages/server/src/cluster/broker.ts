/**
 * The fan-out port (style guide practice 5). The gateway always delivers
 * through a broker, so a single node is not a special path: `LocalBroker`
 * serves one process, a Redis broker (later) serves clusters.
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
  close(): Promise<void>;
}
