/**
 * The `create*Message` calls (spec §4.2): TIM's parameter validation and a
 * new Message in `unSend` state. Remembers what it made, because
 * `sendMessage` only accepts messages of its own instance (2105).
 */
import type { Logger } from '../logger.js';
import { Message } from '../modules/message/message.js';
import { MEDIA_ELEMENT_BUILDERS } from './media-elements.js';
import { TYPES } from './types.js';
import { Validator } from './validate.js';

export type CreatorOptions = Record<string, unknown> & { to?: unknown; conversationType?: unknown; payload?: unknown };

/** Turns a creator's validated `payload` (and the whole `options`, e.g. media `onProgress`) into the element type and content. */
type ElementBuilder = (v: Validator, payload: Record<string, unknown>, options: Record<string, unknown>) => { type: string; payload: Record<string, unknown> };

export const ELEMENT_BUILDERS = {
  createTextMessage: (v, payload) => ({ type: TYPES.MSG_TEXT, payload: { text: v.requiredString(payload['text'], 'payload.text') } }),
  createTextAtMessage: (v, payload) => {
    const text = v.requiredString(payload['text'], 'payload.text');
    const atUserList = payload['atUserList'] ?? [];
    if (!Array.isArray(atUserList) || !atUserList.every((u) => typeof u === 'string')) v.fail('payload.atUserList must be an array of strings');
    return { type: TYPES.MSG_TEXT, payload: { text, atUserList } };
  },
  createCustomMessage: (v, payload) => ({
    type: TYPES.MSG_CUSTOM,
    payload: {
      data: v.optionalString(payload['data'], 'payload.data') ?? '',
      description: v.optionalString(payload['description'], 'payload.description') ?? '',
      extension: v.optionalString(payload['extension'], 'payload.extension') ?? '',
    },
  }),
  createFaceMessage: (v, payload) => ({
    type: TYPES.MSG_FACE,
    payload: { index: v.requiredNumber(payload['index'], 'payload.index'), data: v.requiredString(payload['data'], 'payload.data') },
  }),
  createLocationMessage: (v, payload) => ({
    type: TYPES.MSG_LOCATION,
    payload: {
      description: v.requiredString(payload['description'], 'payload.description'),
      longitude: v.requiredNumber(payload['longitude'], 'payload.longitude'),
      latitude: v.requiredNumber(payload['latitude'], 'payload.latitude'),
    },
  }),
  ...MEDIA_ELEMENT_BUILDERS,
} satisfies Record<string, ElementBuilder>;

export type CreatorName = keyof typeof ELEMENT_BUILDERS;

export class MessageFactory {
  private readonly made = new WeakSet<Message>();
  private counter = 0;

  constructor(
    /** Random per SDK instance; with the counter it makes message IDs unique per sender. */
    private readonly instanceTag: string,
    private readonly me: () => string,
    private readonly log: Logger,
    /** The sender's current nick/avatar, shown on the message until the server's copy replaces them. */
    private readonly sender: () => { nick: string; avatar: string } = () => ({ nick: '', avatar: '' }),
  ) {}

  /** Validates (throwing "Params validate failed.") and builds the message. */
  create(api: CreatorName, options: CreatorOptions): Message {
    const v = new Validator(this.log, api);
    const o = v.object(options, 'options');
    const to = v.requiredString(o['to'], 'to');
    const conversationType = v.requiredString(o['conversationType'], 'conversationType');
    const build: ElementBuilder = ELEMENT_BUILDERS[api];
    const { type, payload } = build(v, v.object(o['payload'], 'payload'), o);
    const m = new Message();
    const now = Math.floor(Date.now() / 1000);
    m.random = Math.floor(Math.random() * 100_000_000);
    m.clientSequence = ++this.counter;
    m.ID = `${this.instanceTag}${m.clientSequence.toString(36)}-${now}-${m.random}`;
    m.type = type;
    m.payload = payload;
    m.to = to;
    m.conversationType = conversationType as Message['conversationType'];
    m.conversationID = (conversationType === TYPES.CONV_GROUP ? 'GROUP' : 'C2C') + to;
    m.from = this.me();
    ({ nick: m.nick, avatar: m.avatar } = this.sender());
    m.flow = 'out';
    m.time = now;
    m.clientTime = now;
    m.status = 'unSend';
    m.isRead = true;
    m.priority = priorityOf(o['priority']);
    m.cloudCustomData = v.optionalString(o['cloudCustomData'], 'cloudCustomData') ?? '';
    m.needReadReceipt = o['needReadReceipt'] === true;
    if (Array.isArray(payload['atUserList'])) m.atUserList = payload['atUserList'] as string[];
    this.made.add(m);
    return m;
  }

  /** Whether `message` was created by this instance. */
  owns(message: Message): boolean {
    return this.made.has(message);
  }
}

/** TIM accepts priority names or 1–4 (1 High … 4 Lowest); anything else is Normal. */
function priorityOf(value: unknown): string {
  if (value === 1 || value === TYPES.MSG_PRIORITY_HIGH) return TYPES.MSG_PRIORITY_HIGH;
  if (value === 3 || value === TYPES.MSG_PRIORITY_LOW) return TYPES.MSG_PRIORITY_LOW;
  if (value === 4 || value === TYPES.MSG_PRIORITY_LOWEST) return TYPES.MSG_PRIORITY_LOWEST;
  return TYPES.MSG_PRIORITY_NORMAL;
}
