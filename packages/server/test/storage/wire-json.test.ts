/**
 * History pages and gap fills are answered from JSON that SQLite renders (WIRE_JSON_SQL), not from row
 * objects serialised in JavaScript. Property: for any stored message, C2C or group, revoked or
 * not, the storage's JSON is exactly what the object path gives — JSON.stringify of the
 * service's toWire / toGroupWire of the row read back — and both paths return the same messages
 * in the same order for any page bounds and viewer, newest first (msg.list) and oldest first
 * after a seq (msg.pull).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStorage, type StoredMessage } from '@parley/server';
import { toWire } from '../../src/services/conversation-views.js';
import { toGroupWire } from '../../src/services/group-views.js';
import { groupKey } from '../../src/storage/group-repository.js';

let dir: string;
let storage: SqliteStorage;
let run = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-wire-json-'));
  storage = new SqliteStorage({ filename: join(dir, 'parley.db') });
  await storage.migrate();
});
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Text with what JSON must escape (quotes, backslashes, control characters) and any Unicode. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', '"', '\\', '\u0000', '\n\r\t\b\f', '\u001f\u007f', '\u2028\u2029', '</script>', '😀 emoji', '{"json":"inside"}'),
);
const payload = fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });
const int = (max: number) => fc.integer({ min: 0, max });

const messageFields = fc.record({
  from: text,
  to: text,
  time: int(2 ** 40),
  clientTime: int(2 ** 40),
  random: int(0xffffffff),
  type: fc.constantFrom('TIMTextElem', 'TIMCustomElem', 'TIMImageElem', 'TIMGroupTipElem'),
  payload,
  cloudCustomData: text,
  priority: fc.constantFrom('High', 'Normal', 'Low', 'Lowest'),
  nick: text,
  avatar: text,
  nameCard: text,
  revoke: fc.option(text, { nil: null }),
  hiddenForReceiver: fc.boolean(),
});
type Fields = typeof messageFields extends fc.Arbitrary<infer T> ? T : never;

function stored(fields: Fields, kind: 'C2C' | 'GROUP', convKey: string, seq: number): StoredMessage {
  const { revoke: _revoke, hiddenForReceiver, ...rest } = fields;
  return {
    ...rest,
    ID: `m-${run}-${seq}`,
    conversationType: kind,
    seq,
    isRevoked: false,
    revoker: '',
    onlineOnly: false,
    convKey,
    senderOrd: seq,
    revokeTime: 0,
    hiddenForReceiver: kind === 'C2C' && hiddenForReceiver,
  };
}

describe('history pages rendered as JSON by SQLite', () => {
  it('C2C: the same JSON, byte for byte, as toWire of the row, for any page bounds and viewer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(messageFields, { minLength: 1, maxLength: 8 }), int(10), int(10), int(10), fc.boolean(), async (all, before, floor, limit, asReceiver) => {
        const convKey = `c2c:wire-${++run}`;
        const messages = all.map((f, i) => stored(f, 'C2C', convKey, i + 1));
        await storage.transaction(async (tx) => {
          for (const m of messages) await tx.messages.insert(m);
          for (const [i, f] of all.entries()) if (f.revoke !== null) await tx.messages.markRevoked(convKey, i + 1, f.revoke, 7);
        });
        const viewer = asReceiver ? messages[0]!.to : '';
        const beforeSeq = before === 0 ? null : before;
        const objects = await storage.messages.listBefore(convKey, beforeSeq, floor, limit, viewer);
        const rendered = await storage.messages.listBeforeWire(convKey, beforeSeq, floor, limit, viewer);
        expect(rendered.map((r) => r.seq)).toEqual(objects.map((m) => m.seq));
        expect(rendered.map((r) => r.json)).toEqual(objects.map((m) => JSON.stringify(toWire(m))));
        // The gap-fill direction (msg.pull): oldest first after a seq.
        const after = await storage.messages.listAfterWire(convKey, floor, limit, viewer);
        expect(after.map((r) => r.json)).toEqual((await storage.messages.listAfter(convKey, floor, limit, viewer)).map((m) => JSON.stringify(toWire(m))));
      }),
      { numRuns: 150 },
    );
  });

  it('group: the same JSON, byte for byte, as toGroupWire of the row (with nameCard)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(messageFields, { minLength: 1, maxLength: 8 }), int(10), int(10), int(10), async (all, before, floor, limit) => {
        const groupID = `wire-${++run}`;
        const messages = all.map((f, i) => stored(f, 'GROUP', groupKey(groupID), i + 1));
        await storage.transaction(async (tx) => {
          for (const m of messages) await tx.groups.insertMessage(m);
          for (const [i, f] of all.entries()) if (f.revoke !== null) await tx.groups.markRevoked(groupID, i + 1, f.revoke, 7);
        });
        const beforeSeq = before === 0 ? null : before;
        const objects = await storage.groups.listBefore(groupID, beforeSeq, floor, limit);
        const rendered = await storage.groups.listBeforeWire(groupID, beforeSeq, floor, limit);
        expect(rendered.map((r) => r.seq)).toEqual(objects.map((m) => m.seq));
        expect(rendered.map((r) => r.json)).toEqual(objects.map((m) => JSON.stringify(toGroupWire(m))));
        const after = await storage.groups.listAfterWire(groupID, floor, limit);
        expect(after.map((r) => r.json)).toEqual((await storage.groups.listAfter(groupID, floor, limit)).map((m) => JSON.stringify(toGroupWire(m))));
      }),
      { numRuns: 150 },
    );
  });
});
