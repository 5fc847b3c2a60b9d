/** In-process broker: delivery is a synchronous call into the subscribed handlers, in publish order. */
import type { Broker, DeliveryHandler, InvalidationHandler, RoomDelivery, RoomDeliveryHandler, UserDelivery } from './broker.js';
import { HandlerMap } from './handler-map.js';

export class LocalBroker implements Broker {
  private readonly subscribers = new HandlerMap<DeliveryHandler>();
  private readonly roomSubscribers = new HandlerMap<RoomDeliveryHandler>();

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
    this.subscribers.add(userID, handler);
    return () => void this.subscribers.remove(userID, handler);
  }

  async publishToGroup(groupID: string, delivery: RoomDelivery): Promise<void> {
    const handlers = this.roomSubscribers.get(groupID);
    if (!handlers) return;
    for (const handler of [...handlers]) handler(groupID, delivery);
  }

  subscribeGroup(groupID: string, handler: RoomDeliveryHandler): () => void {
    this.roomSubscribers.add(groupID, handler);
    return () => void this.roomSubscribers.remove(groupID, handler);
  }

  /** Subscriptions are synchronous here. */
  async ready(): Promise<void> {}

  /** Every logged-in user is subscribed here (gateway/session-registry.ts). */
  async onlineAmong(userIDs: readonly string[]): Promise<Set<string>> {
    return new Set(userIDs.filter((userID) => this.subscribers.has(userID)));
  }

  /** No other node to tell. */
  setRoomCount(): void {}

  roomCountElsewhere(): number {
    return 0;
  }

  /** No other node to tell. */
  async publishInvalidation(): Promise<void> {}

  onInvalidation(_handler: InvalidationHandler): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.subscribers.clear();
    this.roomSubscribers.clear();
  }
}
