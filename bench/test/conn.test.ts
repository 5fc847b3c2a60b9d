import { describe, expect, it } from 'vitest';
import { ConnectError, failureReason, LoginError, RequestError, sourceAddressFor } from '../src/conn.js';
import { benchText, parseBenchText } from '../src/endpoints.js';

describe('sourceAddressFor', () => {
  it('leaves the choice to the kernel while one address is enough', () => {
    expect(sourceAddressFor(0, 26_000, 20_000)).toBeUndefined();
    expect(sourceAddressFor(19_999, 26_000, 26_000)).toBeUndefined();
  });

  it('moves to the next 127.0.0.x every perAddress connections', () => {
    expect(sourceAddressFor(0, 26_000, 100_000)).toBe('127.0.0.1');
    expect(sourceAddressFor(25_999, 26_000, 100_000)).toBe('127.0.0.1');
    expect(sourceAddressFor(26_000, 26_000, 100_000)).toBe('127.0.0.2');
    expect(sourceAddressFor(99_999, 26_000, 100_000)).toBe('127.0.0.4');
    expect(() => sourceAddressFor(254 * 1000, 1000, 300_000)).toThrow(RangeError);
  });
});

describe('failureReason', () => {
  it('names the login code, the errno code, or the request failure', () => {
    expect(failureReason(new LoginError(70001, 'expired'))).toBe('70001');
    expect(failureReason(new ConnectError('EADDRNOTAVAIL', 'x'))).toBe('EADDRNOTAVAIL');
    expect(failureReason(new RequestError('timeout', 'x'))).toBe('timeout');
    expect(failureReason(new Error('x'))).toBe('other');
  });
});

describe('bench message text', () => {
  it('round-trips the due time and number', () => {
    expect(parseBenchText(benchText(1700000000123.456, 1700000000100.5, 42))).toEqual({ dueEpoch: 1700000000100.5, n: 42 });
    expect(parseBenchText('hello')).toBeNull();
    expect(parseBenchText(undefined)).toBeNull();
  });
});
