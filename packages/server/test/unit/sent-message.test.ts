/**
 * A 1:1 send is serialised once (services/c2c-send.ts, message-service.ts): the JSON the send's
 * procedure makes on the storage thread is the stored message as history gives it, and the
 * `msg.send` answer spliced from it is the text encodeFrame gives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodedData, encodeFrame } from '@parley/protocol';
import { sendC2C } from '../../src/services/c2c-send.js';
import { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { toWire } from '../../src/services/conversation-views.js';
import { encodeSentMessage } from '../../src/services/message-service.js';

const args = fc.record({
  ID: fc.string({ minLength: 1 }),
  from: fc.string({ minLength: 1 }),
  to: fc.string({ minLength: 1 }),
  time: fc.nat(),
  clientTime: fc.nat(),
  random: fc.nat(),
  type: fc.constantFrom('TIMTextElem', 'TIMCustomElem'),
  payload: fc.dictionary(fc.string(), fc.jsonValue()),
  cloudCustomData: fc.string(),
  priority: fc.constantFrom('High' as const, 'Normal' as const, 'Low' as const, 'Lowest' as const),
});

describe('a sent 1:1 message, serialised once', () => {
  it('the msg.send answer spliced from the JSON is the one encodeFrame gives', () => {
    fc.assert(
      fc.property(args, fc.boolean(), fc.integer({ min: 1 }), (a, duplicate, id) => {
        const message = { ...a, conversationType: 'C2C' as const, seq: 1, nick: '', avatar: '', isRevoked: false, revoker: '', onlineOnly: false };
        const data = encodeSentMessage({ duplicate, json: new EncodedData(JSON.stringify(message)) });
        expect(JSON.parse(data.json)).toEqual(JSON.parse(JSON.stringify({ message, duplicate })));
        expect(`{"cmd":"res","id":${id},"code":0,"data":${data.json}}`).toBe(encodeFrame({ cmd: 'res', id, code: 0, data: { message, duplicate } }));
      }),
      { numRuns: 200 },
    );
  });
});

describe('the JSON a 1:1 send procedure returns', () => {
  it('is the stored message as history gives it, made on the storage thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-sent-'));
    const storage = new SqliteStorage({ filename: join(dir, 'parley.db'), storageThread: true });
    try {
      await storage.migrate();
      expect(storage.threaded).toBe(true);
      const base = {
        ID: 'm-1', conversationType: 'C2C' as const, from: 'alice', to: 'bob', time: 1_765_000_000, clientTime: 1_765_000_001,
        random: 42, type: 'TIMTextElem', payload: { text: 'hé "quoted" \u2028' }, cloudCustomData: '{"k":1}', priority: 'High' as const,
        isRevoked: false, revoker: '',
      };
      const facts = { sender: { nick: 'Al', avatar: 'a.png', messageSettings: 0, adminForbidType: 'AdminForbid_Type_None' }, hiddenForReceiver: false };
      const result = await storage.call(sendC2C, { base, convKey: 'c2c:5:alice:bob', facts });
      if (result.kind !== 'stored') throw new Error(`expected stored, got ${result.kind}`);
      const stored = await storage.messages.findByClientID('alice', 'm-1');
      if (!stored) throw new Error('not stored');
      expect(result.json).toBe(JSON.stringify(toWire(stored)));
      expect(JSON.parse(result.json)).toMatchObject({ seq: 1, nick: 'Al', avatar: 'a.png', payload: base.payload, onlineOnly: false });
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
