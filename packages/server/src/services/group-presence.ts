/**
 * What the group services need to know about live connections, injected by
 * the composition root from the gateway (services never import the gateway).
 *
 * Scope: the gateway's implementation answers for the connections of this
 * node, except `roomSize`, which adds the other nodes' counts as the broker last
 * heard them. Whether a user is online anywhere is the broker's `onlineAmong`.
 */
export interface GroupPresence {
  /** Adds the connection to the AVChatRoom's live members; false when it already was one. */
  joinRoom(connectionID: string, groupID: string): boolean;
  /** Removes the connection from the room; false when it was not in it. */
  leaveRoom(connectionID: string, groupID: string): boolean;
  inRoom(connectionID: string, groupID: string): boolean;
  /** The AVChatRooms the connection has joined. */
  roomsOf(connectionID: string): string[];
  /** Distinct logged-in users with a connection in the room. */
  roomUsers(groupID: string): string[];
  /** The user has a logged-in connection in the room (O(1), unlike roomUsers). */
  userInRoom(groupID: string, userID: string): boolean;
  /** Logged-in users in the room plus anonymous sockets, on every node (the other nodes' part may be a second old). */
  roomSize(groupID: string): number;
}

/** Until the gateway attaches its presence: nobody is online, no rooms. */
export const NO_PRESENCE: GroupPresence = {
  joinRoom: () => false,
  leaveRoom: () => false,
  inRoom: () => false,
  roomsOf: () => [],
  roomUsers: () => [],
  userInRoom: () => false,
  roomSize: () => 0,
};
