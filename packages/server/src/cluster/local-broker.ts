/** In-process broker: delivery is a synchronous call into the subscribed handlers, in publish order. */
import type { Broker, DeliveryHandler, RoomDelivery, RoomDeliveryHandler, UserDelivery } from './broker.js';

export class LocalBroker implements Broker {
  private readonly subscribers = new Map<string, Set<DeliveryHandler>>();
  private readonly roomSubscribers = new Map<string, Set<RoomDeliveryHandler>>();

  async publishToUser(userID: string, delivery: UserDelivery): Promise<void> {
    const handlers = this.subscribers.get(userID);
    if (!handlers) return;
    for (const handler of handlers) handler(userID, delivery);
  }

  async publishToUsers(userIDs: Iterable<string>, delivery: UserDelivery): Promise<void> {
    for (const userID of userIDs) {
      const handlers = this.subscribers.get(userID);
      if (handlers) for (const handler of handlers) handler(userID, delivery);
    }
  }

  subscribeUser(userID: string, handler: DeliveryHandler): () => void {
    return subscribe(this.subscribers, userID, handler);
  }

  async publishToGroup(groupID: string, delivery: RoomDelivery): Promise<void> {
    const handlers = this.roomSubscribers.get(groupID);
    if (!handlers) return;
    for (const handler of [...handlers]) handler(groupID, delivery);
  }

  subscribeGroup(groupID: string, handler: RoomDeliveryHandler): () => void {
    return subscribe(this.roomSubscribers, groupID, handler);
  }

  async close(): Promise<void> {
    this.subscribers.clear();
    this.roomSubscribers.clear();
  }
}

function subscribe<H>(map: Map<string, Set<H>>, key: string, handler: H): () => void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(handler);
  return () => {
    const current = map.get(key);
    if (!current) return;
    current.delete(handler);
    if (current.size === 0) map.delete(key);
  };
}
