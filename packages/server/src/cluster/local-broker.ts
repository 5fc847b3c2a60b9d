/** In-process broker: delivery is a synchronous call into the subscribed handlers, in publish order. */
import type { Broker, DeliveryHandler, UserDelivery } from './broker.js';

export class LocalBroker implements Broker {
  private readonly subscribers = new Map<string, Set<DeliveryHandler>>();

  async publishToUser(userID: string, delivery: UserDelivery): Promise<void> {
    const handlers = this.subscribers.get(userID);
    if (!handlers) return;
    for (const handler of handlers) handler(userID, delivery);
  }

  subscribeUser(userID: string, handler: DeliveryHandler): () => void {
    let set = this.subscribers.get(userID);
    if (!set) {
      set = new Set();
      this.subscribers.set(userID, set);
    }
    set.add(handler);
    return () => {
      const current = this.subscribers.get(userID);
      if (!current) return;
      current.delete(handler);
      if (current.size === 0) this.subscribers.delete(userID);
    };
  }

  async close(): Promise<void> {
    this.subscribers.clear();
  }
}
