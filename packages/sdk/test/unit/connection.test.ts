/**
 * Connection state machine (transition table, TIM net states) and the
 * reconnect backoff policy, tested without sockets.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CONNECTION_TRANSITIONS, canTransition, netStateOf, type ConnectionState } from '../../src/connection/connection-state.js';
import { FullJitterBackoff } from '../../src/connection/reconnect-policy.js';
import { kickTypeOfClose } from '../../src/connection/connection.js';
import { CloseCode } from '@parley/protocol';

const STATES: ConnectionState[] = ['idle', 'connecting', 'connected', 'disconnected', 'closed'];

/** The allowed transitions, written out independently of the implementation's table. */
const ALLOWED = new Set([
  'idle→connecting',
  'idle→closed',
  'connecting→connected',
  'connecting→disconnected',
  'connecting→closed',
  'connected→disconnected',
  'connected→closed',
  'disconnected→connecting',
  'disconnected→closed',
  'closed→idle',
]);

describe('connection state transitions', () => {
  it('the table covers exactly the five states', () => {
    expect(Object.keys(CONNECTION_TRANSITIONS).sort()).toEqual([...STATES].sort());
  });

  for (const from of STATES) {
    for (const to of STATES) {
      const allowed = ALLOWED.has(`${from}→${to}`);
      it(`${from} → ${to} is ${allowed ? 'allowed' : 'forbidden'}`, () => {
        expect(canTransition(from, to)).toBe(allowed);
      });
    }
  }

  it('no state may transition to itself', () => {
    for (const s of STATES) expect(canTransition(s, s)).toBe(false);
  });

  it('connected is only reachable through connecting (a login), and everything can be closed except closed itself', () => {
    for (const s of STATES) expect(canTransition(s, 'connected')).toBe(s === 'connecting');
    for (const s of STATES) expect(canTransition(s, 'closed')).toBe(s !== 'closed');
  });

  it('netStateOf maps to TIM NET_STATE values', () => {
    expect(netStateOf('connected')).toBe('connected');
    expect(netStateOf('connecting')).toBe('connecting');
    expect(netStateOf('disconnected')).toBe('disconnected');
    expect(netStateOf('closed')).toBe('disconnected');
    expect(netStateOf('idle')).toBe('disconnected');
  });
});

describe('FullJitterBackoff', () => {
  it('defaults: cap doubles from 500 ms and stops at 20 s', () => {
    const almostOne = 1 - Number.EPSILON;
    const p = new FullJitterBackoff({}, () => almostOne);
    const caps = [500, 1000, 2000, 4000, 8000, 16000, 20000, 20000];
    caps.forEach((cap, attempt) => {
      expect(p.nextDelayMs({ attempt, elapsedMs: 0 })).toBe(cap - 1);
    });
    // Very large attempts do not overflow.
    expect(p.nextDelayMs({ attempt: 10_000, elapsedMs: 0 })).toBe(19_999);
  });

  it('random 0 gives 0 and random 0.5 gives half the cap', () => {
    expect(new FullJitterBackoff({}, () => 0).nextDelayMs({ attempt: 5, elapsedMs: 0 })).toBe(0);
    expect(new FullJitterBackoff({}, () => 0.5).nextDelayMs({ attempt: 0, elapsedMs: 0 })).toBe(250);
    expect(new FullJitterBackoff({}, () => 0.5).nextDelayMs({ attempt: 3, elapsedMs: 0 })).toBe(2000);
  });

  it('honours custom min/max', () => {
    const p = new FullJitterBackoff({ minDelayMs: 10, maxDelayMs: 100 }, () => 0.5);
    expect(p.nextDelayMs({ attempt: 0, elapsedMs: 0 })).toBe(5);
    expect(p.nextDelayMs({ attempt: 2, elapsedMs: 0 })).toBe(20);
    expect(p.nextDelayMs({ attempt: 4, elapsedMs: 0 })).toBe(50); // cap 100, not 160
  });

  it('property: 0 ≤ delay < min(max, min·2^attempt), an integer, and never null', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (min, max, attempt, r) => {
          const delay = new FullJitterBackoff({ minDelayMs: min, maxDelayMs: max }, () => r).nextDelayMs({ attempt, elapsedMs: 0 });
          const cap = Math.min(max, min * 2 ** Math.min(attempt, 20));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(Math.max(cap, 1));
          expect(delay).toBeLessThanOrEqual(max);
        },
      ),
    );
  });

  it('uses Math.random by default and stays within bounds', () => {
    const p = new FullJitterBackoff();
    for (let attempt = 0; attempt < 50; attempt++) {
      const d = p.nextDelayMs({ attempt, elapsedMs: 0 });
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(20_000);
    }
  });
});

describe('kickTypeOfClose (a kick whose push.kicked was not seen)', () => {
  it('maps the terminal kick closes to their KICKED_OUT types, and nothing else', () => {
    expect(kickTypeOfClose(CloseCode.Kicked)).toBe('multipleAccount');
    expect(kickTypeOfClose(CloseCode.UserSigExpired)).toBe('userSigExpired');
    expect(kickTypeOfClose(CloseCode.KickedByAdmin)).toBe('REST_API_Kick');
    for (const code of [CloseCode.LoggedOut, CloseCode.AuthFailed, CloseCode.Replaced, CloseCode.ServerShutdown, 1006, 1009]) {
      expect(kickTypeOfClose(code)).toBeUndefined();
    }
  });
});
