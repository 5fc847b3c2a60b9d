/**
 * AVChatRoom join/quit tips in busy rooms, coalesced.
 *
 * One tip per join costs a write to every socket in the room, so a room that
 * fills up pays O(room size) per join — quadratic overall — and the tips eat
 * the room's send budget that real messages need. Below `threshold` sockets
 * a tip goes out at once (one user per tip, as Tencent sends them); at or
 * above it, joins (and quits) of the next `windowMs` are gathered into one
 * tip whose `userIDList` names them all (at most `maxUsers` per tip; the
 * operator is the first of them). Tip payloads carry `userIDList` for exactly
 * this reason, and the SDK surfaces every listed user.
 */
export interface RoomTipBatcherOptions {
  /** Room size (sockets) from which tips are coalesced. */
  threshold: number;
  /** How long a batch gathers users, ms. */
  windowMs: number;
  /** Most users named in one tip. */
  maxUsers: number;
}

interface Batch {
  userIDs: string[];
  timer: NodeJS.Timeout;
}

export class RoomTipBatcher {
  private readonly batches = new Map<string, Batch>();

  constructor(
    private readonly options: RoomTipBatcherOptions,
    /** Sends one tip naming `userIDs` (the first is the operator). */
    private readonly emit: (groupID: string, operationType: number, userIDs: string[]) => void,
  ) {}

  /** True when the tip was taken into a batch; false: the caller sends it now. */
  offer(groupID: string, roomSize: number, operationType: number, userID: string): boolean {
    const key = `${operationType}\u0000${groupID}`;
    const batch = this.batches.get(key);
    if (!batch && roomSize < this.options.threshold) return false;
    if (batch) {
      batch.userIDs.push(userID);
      if (batch.userIDs.length >= this.options.maxUsers) this.flush(key, groupID, operationType);
      return true;
    }
    const timer = setTimeout(() => this.flush(key, groupID, operationType), this.options.windowMs);
    timer.unref();
    this.batches.set(key, { userIDs: [userID], timer });
    return true;
  }

  private flush(key: string, groupID: string, operationType: number): void {
    const batch = this.batches.get(key);
    if (!batch) return;
    clearTimeout(batch.timer);
    this.batches.delete(key);
    this.emit(groupID, operationType, batch.userIDs);
  }
}
