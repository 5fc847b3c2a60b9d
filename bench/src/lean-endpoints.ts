/**
 * The lean endpoints: c2c and group members over one raw-protocol Conn each (conn.ts).
 *
 * The server serialises a group fan-out message once and writes the same bytes to every
 * member, so the group endpoint parses each distinct push.message frame once per process (a
 * small cache keyed by the exact bytes) and hands the same parsed result to every member
 * that got it. That keeps the load generator at a few µs of its own work per delivery.
 */
import { decodeServerFrame, type ClientFrame, type ServerFrame } from '@parley/protocol';
import { Conn, closeAll, describeResponse, type ConnTarget } from './conn.js';
import { EndpointError, parseBenchText, type C2CEndpoint, type C2CEvents, type GroupEndpoint, type GroupEvents, type GroupPush } from './endpoints.js';
import { PRIORITIES, type Priority } from './group-logic.js';

const CLOSE_WAIT_MS = 1500;

// ---------------------------------------------------------------- c2c

/** `msg.send` answers are matched to message numbers by request id. */
export class LeanC2CEndpoint implements C2CEndpoint {
  private readonly conn: Conn;
  private readonly numberOf = new Map<number, number>();

  constructor(
    userID: string,
    private readonly peerID: string,
    private readonly target: ConnTarget,
    private readonly localAddress: string | undefined,
    private readonly events: C2CEvents,
  ) {
    this.conn = new Conn(userID, {
      onFrame: (buf, recvEpoch, frame) => this.onFrame(buf, recvEpoch, frame),
      onClose: (_code, previous) => {
        if (previous === 'ready') events.closed();
      },
    });
  }

  get open(): boolean {
    return this.conn.state === 'ready';
  }

  async connect(): Promise<void> {
    await this.conn.connect(this.target, this.localAddress);
  }

  send(n: number, text: string, sentEpoch: number): void {
    const id = this.conn.nextRequestID();
    this.numberOf.set(id, n);
    this.conn.sendFrame({
      cmd: 'msg.send',
      id,
      body: {
        message: {
          ID: `${this.conn.userID}-${n}`,
          conversationType: 'C2C',
          to: this.peerID,
          type: 'TIMTextElem',
          payload: { text },
          clientTime: Math.floor(sentEpoch / 1000),
          random: Math.floor(Math.random() * 100_000_000),
        },
      },
    });
  }

  private onFrame(buf: Buffer, recvEpoch: number, decoded: ServerFrame | null | undefined): void {
    const frame = decoded === undefined ? decodeServerFrame(buf.toString('utf8')) : decoded;
    if (frame === null) {
      this.events.unexpected();
      return;
    }
    switch (frame.cmd) {
      case 'res': {
        const n = this.numberOf.get(frame.id);
        if (n === undefined) return;
        this.numberOf.delete(frame.id);
        const duplicate = 'data' in frame && (frame.data as { duplicate?: unknown } | undefined)?.duplicate === true;
        this.events.acked(n, frame.code, duplicate, recvEpoch);
        return;
      }
      case 'push.message': {
        const m = frame.data as Partial<typeof frame.data> | undefined;
        if (typeof m?.from !== 'string' || typeof m.payload !== 'object' || m.payload === null) {
          this.events.unexpected();
          return;
        }
        this.events.received(m.from, m.payload['text'], typeof m.seq === 'number' ? m.seq : 0, recvEpoch);
        return;
      }
      case 'push.kicked':
        this.events.kicked();
        return;
      case 'error':
        this.events.errorFrame();
        return;
      default:
        return; // push.read etc. are not expected in this scenario
    }
  }

  close(): Promise<void> {
    return closeAll([this.conn], CLOSE_WAIT_MS);
  }
}

// ---------------------------------------------------------------- group

/** What parsing a group push needs to know about the run (groupID is set once the group exists). */
export interface GroupContext {
  groupID: string;
  /** userID prefix of the run's members. */
  prefix: string;
  senders: number;
}

const PARSE_CACHE_SIZE = 64;
const PUSH_PREFIX = Buffer.from('{"cmd":"push.message",');
const parseCache: Array<{ buf: Buffer; parsed: GroupPush }> = [];
let parseCacheNext = 0;
let parseCacheHits = 0;
let parseCacheLookups = 0;

/** Share of push.message frames answered from the parse cache in this process. */
export function parseCacheHitRatio(): number {
  return parseCacheLookups > 0 ? parseCacheHits / parseCacheLookups : 0;
}

function parseGroupPush(buf: Buffer, ctx: GroupContext): GroupPush {
  const frame = decodeServerFrame(buf.toString('utf8'));
  if (frame?.cmd !== 'push.message') return { kind: 'unexpected' };
  const m = frame.data as Partial<typeof frame.data> | undefined;
  if (!m || m.conversationType !== 'GROUP' || m.to !== ctx.groupID) return { kind: 'unexpected' };
  if (m.type !== 'TIMTextElem' || typeof m.from !== 'string' || !m.from.startsWith(ctx.prefix)) return { kind: 'group-other' };
  const sender = Number(m.from.slice(ctx.prefix.length));
  const text = parseBenchText((m.payload as { text?: unknown } | undefined)?.text);
  if (!Number.isInteger(sender) || sender < 0 || sender >= ctx.senders || text === null) return { kind: 'unexpected' };
  if (m.ID !== `${m.from}-${text.n}`) return { kind: 'unexpected' };
  const priority = PRIORITIES.includes(m.priority as Priority) ? (m.priority as Priority) : 'Normal';
  return { kind: 'bench', sender, n: text.n, seq: typeof m.seq === 'number' ? m.seq : 0, refEpoch: text.dueEpoch, priority };
}

/** Parses a push.message frame once per distinct byte string. */
function parseCached(buf: Buffer, ctx: GroupContext): GroupPush {
  parseCacheLookups++;
  const len = buf.length;
  // Most recent first: fan-out frames arrive on many sockets in a row.
  for (let k = 0; k < parseCache.length; k++) {
    const entry = parseCache[(parseCacheNext - 1 - k + PARSE_CACHE_SIZE * 2) % PARSE_CACHE_SIZE];
    if (entry && entry.buf.length === len && entry.buf.equals(buf)) {
      parseCacheHits++;
      return entry.parsed;
    }
  }
  const parsed = parseGroupPush(buf, ctx);
  // Copy: the cache must not pin or alias a socket's receive buffer.
  parseCache[parseCacheNext] = { buf: Buffer.from(buf), parsed };
  parseCacheNext = (parseCacheNext + 1) % PARSE_CACHE_SIZE;
  return parsed;
}

export class LeanGroupEndpoint implements GroupEndpoint {
  private conn: Conn;
  private inGroup = false;
  private readonly numberOf = new Map<number, number>();

  constructor(
    private readonly userID: string,
    private readonly ctx: GroupContext,
    private readonly target: ConnTarget,
    private readonly localAddress: string | undefined,
    private readonly events: GroupEvents,
    /** Per-request timeout for setup and joins, ms. */
    private readonly requestTimeoutMs: number,
  ) {
    this.conn = this.newConn();
  }

  private newConn(): Conn {
    return new Conn(this.userID, {
      onFrame: (buf, recvEpoch, frame) => this.onFrame(buf, recvEpoch, frame),
      onClose: () => {
        const wasReady = this.inGroup;
        this.inGroup = false;
        this.events.closed(wasReady);
      },
    });
  }

  get ready(): boolean {
    return this.inGroup && this.conn.isOpen;
  }

  get loggedIn(): boolean {
    return this.conn.state === 'ready';
  }

  async login(): Promise<void> {
    await this.conn.connect(this.target, this.localAddress);
  }

  private async call(frame: Omit<ClientFrame, 'id'>, timeoutMs = this.requestTimeoutMs): Promise<unknown> {
    const res = await this.conn.request(frame, timeoutMs);
    if (res.code !== 0) throw new EndpointError(`${frame.cmd} failed: ${describeResponse(res)}`, res.code);
    return (res as { data: unknown }).data;
  }

  async join(groupID: string): Promise<void> {
    await this.call({ cmd: 'group.join', body: { groupID } } as Omit<ClientFrame, 'id'>);
    this.inGroup = true;
  }

  async joinAnonymously(groupID: string): Promise<void> {
    await this.conn.open(this.target, this.localAddress);
    await this.call({ cmd: 'group.join-anonymous', body: { sdkAppID: this.target.sdkAppID, groupID } } as Omit<ClientFrame, 'id'>);
    this.inGroup = true;
  }

  async createGroup(type: 'Private' | 'AVChatRoom', name: string): Promise<string> {
    const data = (await this.call({ cmd: 'group.create', body: { type, name } } as Omit<ClientFrame, 'id'>, 30_000)) as { group: { groupID: string } };
    return data.group.groupID;
  }

  async addMembers(groupID: string, userIDs: string[]): Promise<{ added: number; notAdded: number }> {
    const data = (await this.call({ cmd: 'group.add-members', body: { groupID, userIDList: userIDs } } as Omit<ClientFrame, 'id'>, 60_000)) as {
      successUserIDList: string[];
      existedUserIDList: string[];
      failureUserIDList: string[];
      overLimitUserIDList: string[];
    };
    return {
      added: data.successUserIDList.length + data.existedUserIDList.length,
      notAdded: data.failureUserIDList.length + data.overLimitUserIDList.length,
    };
  }

  markReady(): void {
    this.inGroup = true;
  }

  send(n: number, priority: Priority, text: string, sentEpoch: number): void {
    const id = this.conn.nextRequestID();
    this.numberOf.set(id, n);
    this.conn.sendFrame({
      cmd: 'msg.send',
      id,
      body: {
        message: {
          ID: `${this.userID}-${n}`,
          conversationType: 'GROUP',
          to: this.ctx.groupID,
          type: 'TIMTextElem',
          payload: { text },
          clientTime: Math.floor(sentEpoch / 1000),
          random: Math.floor(Math.random() * 100_000_000),
          priority,
        },
      },
    });
  }

  private onFrame(buf: Buffer, recvEpoch: number, decoded: ServerFrame | null | undefined): void {
    this.events.frame(recvEpoch);
    if (buf.length > PUSH_PREFIX.length && buf.compare(PUSH_PREFIX, 0, PUSH_PREFIX.length, 0, PUSH_PREFIX.length) === 0) {
      this.events.push(parseCached(buf, this.ctx), recvEpoch);
      return;
    }
    const frame = decoded === undefined ? decodeServerFrame(buf.toString('utf8')) : decoded;
    if (frame === null) {
      this.events.unexpected();
      return;
    }
    switch (frame.cmd) {
      case 'res': {
        const n = this.numberOf.get(frame.id);
        if (n === undefined) return;
        this.numberOf.delete(frame.id);
        this.events.acked(n, frame.code, recvEpoch);
        return;
      }
      case 'push.kicked':
        this.events.kicked();
        return;
      case 'error':
        this.events.errorFrame();
        return;
      default:
        return; // push.group-updated, push.system-notice, … from the setup: not part of the measurement
    }
  }

  close(): Promise<void> {
    return closeAll([this.conn], CLOSE_WAIT_MS);
  }

  drop(): void {
    this.inGroup = false;
    this.conn.drop();
  }
}
