/**
 * This node's AVChatRoom memberships: which connections (logged-in or
 * anonymous) joined which room. Subscribes to the broker's room channel while
 * at least one connection here is in the room, and writes each room frame
 * (serialised once) to every joined socket.
 */
import type { Broker, RoomDelivery } from '../cluster/broker.js';
import type { ClientConnection } from './client-connection.js';

interface Room {
  connections: Set<ClientConnection>;
  /** Logged-in users → their connections in the room. */
  users: Map<string, number>;
  anonymous: number;
  unsubscribe: () => void;
}

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();

  constructor(private readonly broker: Broker) {}

  /** False when the connection already was in the room. */
  join(connection: ClientConnection, groupID: string): boolean {
    if (connection.rooms.has(groupID)) return false;
    connection.addRoom(groupID);
    let room = this.rooms.get(groupID);
    if (!room) {
      const unsubscribe = this.broker.subscribeGroup(groupID, (id, delivery) => this.deliver(id, delivery));
      room = { connections: new Set(), users: new Map(), anonymous: 0, unsubscribe };
      this.rooms.set(groupID, room);
    }
    room.connections.add(connection);
    if (connection.userID === '') room.anonymous++;
    else room.users.set(connection.userID, (room.users.get(connection.userID) ?? 0) + 1);
    this.broker.setRoomCount(groupID, this.size(groupID));
    return true;
  }

  /** False when the connection was not in the room. */
  leave(connection: ClientConnection, groupID: string): boolean {
    const room = this.rooms.get(groupID);
    if (!connection.removeRoom(groupID) || !room || !room.connections.delete(connection)) return false;
    if (connection.userID === '') room.anonymous--;
    else {
      const left = (room.users.get(connection.userID) ?? 1) - 1;
      if (left <= 0) room.users.delete(connection.userID);
      else room.users.set(connection.userID, left);
    }
    if (room.connections.size === 0) {
      room.unsubscribe();
      this.rooms.delete(groupID);
    }
    this.broker.setRoomCount(groupID, this.size(groupID));
    return true;
  }

  leaveAll(connection: ClientConnection): void {
    for (const groupID of [...connection.rooms]) this.leave(connection, groupID);
  }

  hasUser(groupID: string, userID: string): boolean {
    return this.rooms.get(groupID)?.users.has(userID) ?? false;
  }

  users(groupID: string): string[] {
    return [...(this.rooms.get(groupID)?.users.keys() ?? [])];
  }

  /** This node's members of the room: distinct logged-in users plus anonymous sockets. */
  size(groupID: string): number {
    const room = this.rooms.get(groupID);
    return room ? room.users.size + room.anonymous : 0;
  }

  private deliver(groupID: string, delivery: RoomDelivery): void {
    const room = this.rooms.get(groupID);
    if (!room) return;
    if (delivery.kind === 'frame') {
      for (const connection of room.connections) {
        if (connection.id !== delivery.excludeConnectionID) connection.sendRaw(delivery.frame);
      }
      return;
    }
    if (delivery.kind === 'evicted') {
      const banned = new Set(delivery.userIDList);
      for (const connection of [...room.connections]) if (banned.has(connection.userID)) this.leave(connection, groupID);
      return;
    }
    // closed: the room was dismissed.
    for (const connection of [...room.connections]) this.leave(connection, groupID);
  }
}
