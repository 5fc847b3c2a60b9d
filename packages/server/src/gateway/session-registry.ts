/**
 * This node's logged-in connections, by user. Subscribes to the broker for a
 * user while at least one of the user's connections is here, and applies the
 * multi-instance rule when any node announces a new session.
 */
import type { Broker, UserDelivery } from '../cluster/broker.js';
import type { ClientConnection } from './client-connection.js';

export interface KickRequest {
  connection: ClientConnection;
  /** multipleAccount: the multi-instance rule; replaced: a stale socket of the same instance; REST_API_Kick: an app administrator's kick. */
  reason: 'multipleAccount' | 'replaced' | 'REST_API_Kick';
}

export class SessionRegistry {
  private readonly byUser = new Map<string, { connections: Set<ClientConnection>; unsubscribe: () => void }>();

  constructor(
    private readonly broker: Broker,
    /** 0 = unlimited. */
    private readonly maxWebInstances: number,
    private readonly onKick: (request: KickRequest) => void,
  ) {}

  add(connection: ClientConnection): void {
    let entry = this.byUser.get(connection.userID);
    if (!entry) {
      const unsubscribe = this.broker.subscribeUser(connection.userID, (userID, delivery) => this.deliver(userID, delivery));
      entry = { connections: new Set(), unsubscribe };
      this.byUser.set(connection.userID, entry);
    }
    entry.connections.add(connection);
  }

  remove(connection: ClientConnection): void {
    const entry = this.byUser.get(connection.userID);
    if (!entry || !entry.connections.delete(connection)) return;
    if (entry.connections.size === 0) {
      entry.unsubscribe();
      this.byUser.delete(connection.userID);
    }
  }

  connectionsOf(userID: string): ReadonlySet<ClientConnection> {
    return this.byUser.get(userID)?.connections ?? new Set();
  }

  *all(): Iterable<ClientConnection> {
    for (const entry of this.byUser.values()) yield* entry.connections;
  }

  get size(): number {
    let n = 0;
    for (const entry of this.byUser.values()) n += entry.connections.size;
    return n;
  }

  private deliver(userID: string, delivery: UserDelivery): void {
    const entry = this.byUser.get(userID);
    if (!entry) return;
    if (delivery.kind === 'frame') {
      for (const connection of entry.connections) {
        if (connection.id !== delivery.excludeConnectionID) connection.sendRaw(delivery.frame);
      }
      return;
    }
    if (delivery.kind === 'kicked') {
      for (const connection of [...entry.connections]) this.onKick({ connection, reason: delivery.type });
      return;
    }
    // session-opened: a previous connection of the same SDK instance is stale (it reconnected).
    for (const connection of [...entry.connections]) {
      if (connection.id !== delivery.connectionID && connection.instanceID === delivery.instanceID) {
        this.onKick({ connection, reason: 'replaced' });
      }
    }
    if (this.maxWebInstances === 0 || delivery.platform === 'other') return;
    // Keep the newest `maxWebInstances` web/Node instances (the new one included); kick the older ones.
    const older = [...entry.connections]
      .filter((c) => c.id !== delivery.connectionID && c.instanceID !== delivery.instanceID && c.platform !== 'other' && c.openedAt <= delivery.openedAt)
      .sort((a, b) => b.openedAt - a.openedAt);
    for (const connection of older.slice(this.maxWebInstances - 1)) this.onKick({ connection, reason: 'multipleAccount' });
  }
}
