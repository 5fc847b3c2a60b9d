import { describe, expect, it } from 'vitest';
import { checkPage, conversationsOf, expectedPage, messagesIn, ownerOf, prng, validateDataset } from '../src/history-logic.js';

const d = { messages: 1003, conversations: 10, owners: 3 };

describe('dataset layout', () => {
  it('spreads the messages over the conversations, all of them', () => {
    expect(messagesIn(0, d)).toBe(101);
    expect(messagesIn(2, d)).toBe(101);
    expect(messagesIn(3, d)).toBe(100);
    let total = 0;
    for (let i = 0; i < d.conversations; i++) total += messagesIn(i, d);
    expect(total).toBe(d.messages);
  });

  it('gives every conversation to exactly one owner', () => {
    const all = [0, 1, 2].flatMap((o) => conversationsOf(o, d)).sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const i of conversationsOf(1, d)) expect(ownerOf(i, d)).toBe(1);
  });

  it('rejects impossible datasets', () => {
    expect(() => validateDataset({ messages: 5, conversations: 10, owners: 1 })).toThrow(RangeError);
    expect(() => validateDataset({ messages: 10, conversations: 2, owners: 3 })).toThrow(RangeError);
    expect(() => validateDataset({ messages: 10.5, conversations: 2, owners: 1 })).toThrow(RangeError);
  });
});

describe('expectedPage', () => {
  it('is the newest 15 without a cursor, older ones before a seq', () => {
    expect(expectedPage(1000, null, 15)).toEqual({ from: 986, to: 1000, isCompleted: false });
    expect(expectedPage(1000, 986, 15)).toEqual({ from: 971, to: 985, isCompleted: false });
    expect(expectedPage(20, 6, 15)).toEqual({ from: 1, to: 5, isCompleted: true });
    expect(expectedPage(15, null, 15)).toEqual({ from: 1, to: 15, isCompleted: true });
  });
});

describe('checkPage', () => {
  const senderOf = (seq: number) => (seq % 2 === 1 ? 'owner' : 'peer');
  const page = (seqs: number[]) => seqs.map((seq) => ({ seq, from: senderOf(seq) }));
  const expected = { from: 6, to: 10, isCompleted: false };

  it('accepts exactly the expected seqs in order', () => {
    expect(checkPage(page([6, 7, 8, 9, 10]), false, expected, senderOf)).toEqual({ good: true, missing: 0, duplicated: 0, outOfOrder: 0, bad: false });
  });

  it('counts missing, duplicated and out-of-order messages', () => {
    expect(checkPage(page([6, 7, 9, 10]), false, expected, senderOf)).toMatchObject({ good: false, missing: 1 });
    expect(checkPage(page([6, 7, 7, 8, 9, 10]), false, expected, senderOf)).toMatchObject({ good: false, duplicated: 1, outOfOrder: 0 });
    expect(checkPage(page([6, 8, 7, 9, 10]), false, expected, senderOf)).toMatchObject({ good: false, outOfOrder: 1, missing: 0 });
  });

  it('flags foreign messages, wrong senders and a wrong isCompleted', () => {
    expect(checkPage(page([5, 6, 7, 8, 9, 10]), false, expected, senderOf).bad).toBe(true);
    expect(checkPage([...page([6, 7, 8, 9]), { seq: 10, from: 'owner' }], false, expected, senderOf).bad).toBe(true);
    expect(checkPage(page([6, 7, 8, 9, 10]), true, expected, senderOf).bad).toBe(true);
  });
});

describe('prng', () => {
  it('is repeatable per seed and within [0, 1)', () => {
    const a = prng(42);
    const b = prng(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(xs).toEqual(Array.from({ length: 100 }, () => b()));
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
    expect(prng(1)()).not.toBe(prng(2)());
  });
});
