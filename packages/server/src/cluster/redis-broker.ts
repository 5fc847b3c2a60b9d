/**
 * The broker of a cluster: node processes (on one machine or many) that share
 * a Redis reach each other's users through its pub/sub.
 *
 * Channels (all under `prefix`):
 *   u:<userID>   deliveries to one user; a node subscribes while the user has a connection there
 *   g:<groupID>  AVChatRoom deliveries; a node subscribes while a connection there joined the room
 *   bulk         one delivery to many users (a group message): every node receives it once and
 *                hands it to those of the listed users it holds, so a fan-out to 5,000 members
 *                is one PUBLISH, not 5,000
 *   inv          cache invalidations
 *   rooms        each node's AVChatRoom member counts: what changed, once a second, and all
 *                of them every few seconds (a count not refreshed in time is dropped, so a
 *                node that died stops counting)
 *
 * Every delivery is handed to this node's handlers synchronously (as LocalBroker
 * does) and published once to Redis for the other nodes; a node ignores what it
 * published itself (it reads the sender's node ID before parsing anything). A
 * message is `<nodeID> <header JSON>\n<frame>`: the frame, already serialised
 * once per fan-out, is appended as-is (never escaped again).
 *
 * Order: one publishing connection and one subscribing connection per node, and
 * Redis keeps the order of one connection's commands, so deliveries from one node
 * reach every other node in the order they were published (per user and per room).
 * Pub/sub is not stored: a node that loses Redis misses what was published
 * meanwhile, so on reconnecting it asks its clients to reconnect (`onResync`), and
 * each client then fills the gap from storage, as after any reconnect.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Broker, DeliveryHandler, Invalidation, InvalidationHandler, RoomDelivery, RoomDeliveryHandler, UserDelivery } from './broker.js';
import { HandlerMap } from './handler-map.js';

export interface RedisBrokerOptions {
  /** redis://[user:password@]host[:port][/db] */
  url: string;
  /** Start of every channel name; nodes with the same Redis and prefix form one cluster. Default "parley:". */
  prefix?: string;
  log?: Logger;
  /** How long `ready()` and the first connection wait for Redis, ms. Default 5000. */
  timeoutMs?: number;
  /** How often changed AVChatRoom counts are published, ms; all of them every 5 periods, dropped after 15. Default 1000. */
  roomCountIntervalMs?: number;
}

/** publishToUsers with at least this many users goes out as one `bulk` message instead of one PUBLISH per user. */
const BULK_FROM = 8;
/** Every this many periods a node publishes all its room counts; counts older than the TTL (in periods) are dropped. */
const ROOM_COUNT_FULL_EVERY = 5;
const ROOM_COUNT_TTL_PERIODS = 15;
/** Channels per PUBSUB NUMSUB call in `onlineAmong`. */
const NUMSUB_CHUNK = 1000;

/** The header of a published message (after the sender's node ID and a space; the frame, if any, follows the newline). */
type Header =
  | { t: 'u'; d: Omit<UserDelivery, 'frame'> }
  | { t: 'b'; u: string[]; d: Omit<UserDelivery, 'frame'> }
  | { t: 'g'; d: Omit<RoomDelivery, 'frame'> }
  | { t: 'i'; d: Invalidation }
  /** Room counts of node `o`; `f`: all of them (rooms left out have none there). */
  | { t: 'r'; c: Record<string, number>; f: boolean };

export class RedisBroker implements Broker {
  /** This node's identity in published messages (its own are ignored when they come back). */
  readonly nodeID = randomUUID();
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly users = new HandlerMap<DeliveryHandler>();
  private readonly rooms = new HandlerMap<RoomDeliveryHandler>();
  private readonly invalidationHandlers = new Set<InvalidationHandler>();
  private readonly resyncHandlers = new Set<() => void>();
  /** The newest SUBSCRIBE sent: Redis answers in order, so once it is confirmed all earlier ones are too. */
  private lastSubscribe: Promise<unknown> = Promise.resolve();
  private subscriberWasReady = false;
  private closed = false;
  /** This node's AVChatRoom counts, and which changed since the last publish. */
  private readonly roomCounts = new Map<string, number>();
  private readonly changedRooms = new Set<string>();
  /** Other nodes' counts: groupID → nodeID → count and when it was heard. */
  private readonly remoteRooms = new Map<string, Map<string, { count: number; at: number }>>();
  private readonly roomTimer: NodeJS.Timeout;
  private roomTicks = 0;
  private readonly roomIntervalMs: number;

  static async connect(options: RedisBrokerOptions): Promise<RedisBroker> {
    const broker = new RedisBroker(options);
    try {
      await broker.start();
    } catch (err) {
      clearInterval(broker.roomTimer);
      broker.closed = true;
      broker.pub.disconnect();
      broker.sub.disconnect();
      throw err;
    }
    return broker;
  }

  private constructor(private readonly options: RedisBrokerOptions) {
    this.prefix = options.prefix ?? 'parley:';
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.roomIntervalMs = options.roomCountIntervalMs ?? 1000;
    this.roomTimer = setInterval(() => this.publishRoomCounts(++this.roomTicks % ROOM_COUNT_FULL_EVERY === 0), this.roomIntervalMs);
    this.roomTimer.unref();
    const common = { lazyConnect: true, connectTimeout: this.timeoutMs, connectionName: `parley-${this.nodeID}` };
    // Commands issued in one tick leave in one write.
    this.pub = new Redis(options.url, { ...common, enableAutoPipelining: true });
    this.sub = new Redis(options.url, common);
    for (const [name, conn] of [['publisher', this.pub], ['subscriber', this.sub]] as const) {
      conn.on('error', (err: Error) => this.options.log?.warn({ err: err.message, connection: name }, 'redis broker connection error'));
    }
    this.sub.on('message', (channel: string, message: string) => this.receive(channel, message));
    this.sub.on('ready', () => {
      // ioredis re-subscribes by itself; what was published while we were away is lost.
      if (this.subscriberWasReady && !this.closed) {
        this.options.log?.warn('redis broker reconnected: asking this node’s clients to reconnect and resync');
        for (const handler of this.resyncHandlers) handler();
      }
      this.subscriberWasReady = true;
    });
  }

  private async start(): Promise<void> {
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    await this.sub.subscribe(this.channel('bulk'), this.channel('inv'), this.channel('rooms'));
  }

  private channel(name: string): string {
    return this.prefix + name;
  }

  // ------------------------------------------------------------- users

  async publishToUser(userID: string, delivery: UserDelivery): Promise<void> {
    this.deliverUser(userID, delivery);
    await this.publish(this.channel(`u:${userID}`), { t: 'u', d: headerOf(delivery) }, delivery);
  }

  async publishToUsers(userIDs: Iterable<string>, delivery: UserDelivery): Promise<void> {
    const list = [...userIDs];
    for (const userID of list) this.deliverUser(userID, delivery);
    if (list.length >= BULK_FROM) {
      await this.publish(this.channel('bulk'), { t: 'b', u: list, d: headerOf(delivery) }, delivery);
      return;
    }
    const header = { t: 'u', d: headerOf(delivery) } as const;
    await Promise.all(list.map((userID) => this.publish(this.channel(`u:${userID}`), header, delivery)));
  }

  subscribeUser(userID: string, handler: DeliveryHandler): () => void {
    return this.track(this.users, userID, this.channel(`u:${userID}`), handler);
  }

  private deliverUser(userID: string, delivery: UserDelivery): void {
    const handlers = this.users.get(userID);
    if (handlers) for (const handler of handlers) handler(userID, delivery);
  }

  /** A user is online when some node subscribes to their channel: Redis knows, and a crashed node's subscriptions go with its connection. */
  async onlineAmong(userIDs: readonly string[]): Promise<Set<string>> {
    const online = new Set<string>();
    const remote: string[] = [];
    for (const userID of new Set(userIDs)) {
      if (this.users.has(userID)) online.add(userID);
      else remote.push(userID);
    }
    for (let i = 0; i < remote.length; i += NUMSUB_CHUNK) {
      const chunk = remote.slice(i, i + NUMSUB_CHUNK);
      const reply = (await this.pub.call('PUBSUB', 'NUMSUB', ...chunk.map((userID) => this.channel(`u:${userID}`)))) as Array<string | number>;
      for (let j = 0; j < chunk.length; j++) {
        const userID = chunk[j];
        if (userID !== undefined && Number(reply[2 * j + 1]) > 0) online.add(userID);
      }
    }
    return online;
  }

  // ------------------------------------------------------------- rooms

  async publishToGroup(groupID: string, delivery: RoomDelivery): Promise<void> {
    this.deliverRoom(groupID, delivery);
    await this.publish(this.channel(`g:${groupID}`), { t: 'g', d: headerOf(delivery) }, delivery);
  }

  subscribeGroup(groupID: string, handler: RoomDeliveryHandler): () => void {
    return this.track(this.rooms, groupID, this.channel(`g:${groupID}`), handler);
  }

  private deliverRoom(groupID: string, delivery: RoomDelivery): void {
    const handlers = this.rooms.get(groupID);
    if (handlers) for (const handler of [...handlers]) handler(groupID, delivery);
  }

  // ------------------------------------------------------------- AVChatRoom counts

  setRoomCount(groupID: string, count: number): void {
    if (count > 0) this.roomCounts.set(groupID, count);
    else this.roomCounts.delete(groupID);
    this.changedRooms.add(groupID);
  }

  roomCountElsewhere(groupID: string): number {
    const nodes = this.remoteRooms.get(groupID);
    if (!nodes) return 0;
    const freshFrom = Date.now() - ROOM_COUNT_TTL_PERIODS * this.roomIntervalMs;
    let total = 0;
    for (const [nodeID, entry] of nodes) {
      if (entry.at >= freshFrom) total += entry.count;
      else nodes.delete(nodeID);
    }
    if (nodes.size === 0) this.remoteRooms.delete(groupID);
    return total;
  }

  /** Timer: the changed counts, or all of them every few periods (which also refreshes them elsewhere). */
  private publishRoomCounts(full: boolean): void {
    if (this.closed) return;
    if (!full && this.changedRooms.size === 0) return;
    const counts: Record<string, number> = {};
    for (const groupID of full ? this.roomCounts.keys() : this.changedRooms) counts[groupID] = this.roomCounts.get(groupID) ?? 0;
    this.changedRooms.clear();
    if (full && Object.keys(counts).length === 0 && this.remoteRooms.size === 0) return;
    void this.publish(this.channel('rooms'), { t: 'r', c: counts, f: full }, null);
  }

  private receiveRoomCounts(nodeID: string, counts: Record<string, number>, full: boolean): void {
    const at = Date.now();
    if (full) {
      for (const [groupID, nodes] of this.remoteRooms) {
        if (!(groupID in counts)) nodes.delete(nodeID);
        if (nodes.size === 0) this.remoteRooms.delete(groupID);
      }
    }
    for (const [groupID, count] of Object.entries(counts)) {
      let nodes = this.remoteRooms.get(groupID);
      if (count > 0) {
        if (!nodes) this.remoteRooms.set(groupID, (nodes = new Map()));
        nodes.set(nodeID, { count, at });
      } else if (nodes) {
        nodes.delete(nodeID);
        if (nodes.size === 0) this.remoteRooms.delete(groupID);
      }
    }
  }

  // ------------------------------------------------------------- invalidations, resync

  async publishInvalidation(invalidation: Invalidation): Promise<void> {
    await this.publish(this.channel('inv'), { t: 'i', d: invalidation }, null);
  }

  onInvalidation(handler: InvalidationHandler): () => void {
    this.invalidationHandlers.add(handler);
    return () => void this.invalidationHandlers.delete(handler);
  }

  /** Called when the subscription to Redis came back after a loss: deliveries may have been missed. */
  onResync(handler: () => void): () => void {
    this.resyncHandlers.add(handler);
    return () => void this.resyncHandlers.delete(handler);
  }

  // ------------------------------------------------------------- plumbing

  async ready(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis did not confirm the subscriptions within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await Promise.race([this.lastSubscribe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Registers a handler; the node subscribes to `channel` with the key's first handler and leaves it with the last. */
  private track<H>(handlers: HandlerMap<H>, key: string, channel: string, handler: H): () => void {
    if (handlers.add(key, handler).first) this.subscribe(channel);
    return () => {
      if (handlers.remove(key, handler).last) this.unsubscribe(channel);
    };
  }

  private subscribe(channel: string): void {
    const pending = this.sub.subscribe(channel);
    pending.catch((err: unknown) => this.options.log?.warn({ err: String(err), channel }, 'redis subscribe failed'));
    this.lastSubscribe = pending;
  }

  private unsubscribe(channel: string): void {
    if (this.closed) return;
    this.sub.unsubscribe(channel).catch((err: unknown) => this.options.log?.warn({ err: String(err), channel }, 'redis unsubscribe failed'));
  }

  private async publish(channel: string, header: Header, delivery: UserDelivery | RoomDelivery | null): Promise<void> {
    if (this.closed) return;
    const frame = delivery !== null && delivery.kind === 'frame' ? delivery.frame : '';
    try {
      await this.pub.publish(channel, `${this.nodeID} ${JSON.stringify(header)}\n${frame}`);
    } catch (err) {
      // Callers fire and forget: a lost publish is a gap the receiving clients fill on their next sync.
      this.options.log?.warn({ err: String(err), channel }, 'redis publish failed');
    }
  }

  private receive(channel: string, message: string): void {
    const space = message.indexOf(' ');
    const newline = message.indexOf('\n', space);
    if (space === -1 || newline === -1) return;
    const origin = message.slice(0, space);
    // Our own publish coming back: skipped before its header (a group's member list) is parsed.
    if (origin === this.nodeID) return;
    let header: Header;
    try {
      header = JSON.parse(message.slice(space + 1, newline)) as Header;
    } catch {
      this.options.log?.warn({ channel }, 'redis broker: unreadable message ignored');
      return;
    }
    const frame = message.slice(newline + 1);
    switch (header.t) {
      case 'u': {
        const userID = channel.slice(this.prefix.length + 2);
        this.deliverUser(userID, withFrame(header.d, frame) as UserDelivery);
        return;
      }
      case 'b': {
        const delivery = withFrame(header.d, frame) as UserDelivery;
        for (const userID of header.u) this.deliverUser(userID, delivery);
        return;
      }
      case 'g': {
        const groupID = channel.slice(this.prefix.length + 2);
        this.deliverRoom(groupID, withFrame(header.d, frame) as RoomDelivery);
        return;
      }
      case 'i':
        for (const handler of this.invalidationHandlers) handler(header.d);
        return;
      case 'r':
        this.receiveRoomCounts(origin, header.c, header.f);
        return;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.roomTimer);
    // The other nodes stop counting this node's rooms now rather than when the counts expire.
    if (this.roomCounts.size > 0) await this.publish(this.channel('rooms'), { t: 'r', c: {}, f: true }, null);
    this.closed = true;
    this.users.clear();
    this.rooms.clear();
    this.invalidationHandlers.clear();
    this.resyncHandlers.clear();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }
}

/** The delivery without its frame (the frame travels after the header line). */
function headerOf<D extends UserDelivery | RoomDelivery>(delivery: D): Omit<D, 'frame'> {
  if (delivery.kind !== 'frame') return delivery;
  const { frame: _frame, ...rest } = delivery;
  return rest as Omit<D, 'frame'>;
}

function withFrame(header: { kind: string }, frame: string): UserDelivery | RoomDelivery {
  return (header.kind === 'frame' ? { ...header, frame } : header) as UserDelivery | RoomDelivery;
}
