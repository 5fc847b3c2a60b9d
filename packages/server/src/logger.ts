/** Structured logs (pino). One logger per server, children per component. */
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'parley' } });
}
