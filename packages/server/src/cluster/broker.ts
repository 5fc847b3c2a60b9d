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
    };

export type DeliveryHandler = (userID: string, delivery: UserDelivery) => void;

export interface Broker {
  /** Delivers to the user's connections on every node (including this one). */
  publishToUser(userID: string, delivery: UserDelivery): Promise<void>;
  /** Starts receiving deliveries for `userID` on this node; returns the unsubscribe function. */
  subscribeUser(userID: string, handler: DeliveryHandler): () => void;
  close(): Promise<void>;
}
