import { describe, expect, it } from 'vitest';
import { encodeCommand, parseInfo, parseRedisUrl, parseReply, redisSampleFromInfo, RespError } from '../src/redis-info.js';

describe('RESP', () => {
  it('encodes a command as an array of bulk strings', () => {
    expect(encodeCommand(['INFO']).toString()).toBe('*1\r\n$4\r\nINFO\r\n');
    expect(encodeCommand(['SCAN', '0', 'MATCH', 'bench-é:*']).toString()).toBe('*4\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nMATCH\r\n$10\r\nbench-é:*\r\n');
  });

  it('parses every reply type and says when a reply is incomplete', () => {
    expect(parseReply(Buffer.from('+PONG\r\n'))).toEqual({ value: 'PONG', next: 7 });
    expect(parseReply(Buffer.from(':42\r\n'))?.value).toBe(42);
    expect(parseReply(Buffer.from('$-1\r\n'))?.value).toBeNull();
    expect(parseReply(Buffer.from('$5\r\nhello\r\n'))).toEqual({ value: 'hello', next: 11 });
    expect(parseReply(Buffer.from('$5\r\nhel'))).toBeNull();
    expect(parseReply(Buffer.from('*2\r\n$1\r\n0\r\n*2\r\n$3\r\nb:a\r\n$3\r\nb:b\r\n'))?.value).toEqual(['0', ['b:a', 'b:b']]);
    expect(parseReply(Buffer.from('*2\r\n$1\r\n0\r\n*2\r\n$3\r\nb:a\r\n'))).toBeNull();
    const err = parseReply(Buffer.from('-ERR unknown command\r\n'))?.value;
    expect(err).toBeInstanceOf(RespError);
    expect((err as RespError).message).toBe('ERR unknown command');
    // Two replies in one buffer: the second starts where the first ended.
    const two = Buffer.from('+OK\r\n:1\r\n');
    expect(parseReply(two, parseReply(two)!.next)?.value).toBe(1);
  });
});

describe('INFO', () => {
  const text = '# CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:2.500000\r\n\r\n# Memory\r\nused_memory_rss:10485760\r\nused_memory_rss_human:10.00M\r\n';

  it('reads fields and the CPU / RSS sample', () => {
    const info = parseInfo(text);
    expect(info.get('used_cpu_sys')).toBe('1.250000');
    expect(info.has('# CPU')).toBe(false);
    expect(redisSampleFromInfo(info)).toEqual({ cpuS: 3.75, rssBytes: 10_485_760 });
    expect(redisSampleFromInfo(parseInfo('# CPU\r\nused_cpu_sys:1\r\n'))).toBeNull();
  });
});

describe('parseRedisUrl', () => {
  it('reads host, port, credentials and db, loopback only', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ host: '127.0.0.1', port: 6379, username: null, password: null, db: null });
    expect(parseRedisUrl('redis://localhost')).toMatchObject({ host: 'localhost', port: 6379 });
    expect(parseRedisUrl('redis://:s%40cret@127.0.0.1:7000/2')).toEqual({ host: '127.0.0.1', port: 7000, username: null, password: 's@cret', db: 2 });
    expect(parseRedisUrl('redis://[::1]:6380')).toMatchObject({ host: '::1', port: 6380 });
    expect(() => parseRedisUrl('redis://10.0.0.5:6379')).toThrow(/loopback/);
    expect(() => parseRedisUrl('http://127.0.0.1:6379')).toThrow(/redis:\/\//);
  });
});
