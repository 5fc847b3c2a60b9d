/**
 * The SDK's error type. Rejections stay TIM-shaped (`code`, `message`,
 * `data`) while being real `Error` instances (spec §2.4).
 */
import { ErrorCode } from '@parley/protocol';

export class ImError extends Error {
  override readonly name = 'ImError';
  readonly code: number;
  readonly data: Record<string, unknown>;

  constructor(code: number, message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.data = data;
  }

  /** Normalises anything thrown inside an API into an ImError (unknown throwables → 2903). */
  static from(err: unknown, fallbackCode: number = ErrorCode.UncaughtError): ImError {
    if (err instanceof ImError) return err;
    if (err instanceof Error) return new ImError(fallbackCode, err.message, {}, { cause: err });
    return new ImError(fallbackCode, String(err));
  }

  static network(message = 'network error'): ImError {
    return new ImError(ErrorCode.NetworkError, message);
  }

  static timeout(what: string): ImError {
    return new ImError(ErrorCode.NetworkTimeout, `${what} timed out`);
  }

  /** Same error with extra `data` (e.g. the failed message). */
  withData(data: Record<string, unknown>): ImError {
    return new ImError(this.code, this.message, { ...this.data, ...data }, { cause: this.cause });
  }
}

/** What TIM throws synchronously when parameters fail validation (spec §2.3). */
export class ParamsValidateError extends Error {
  override readonly name = 'Error';
  constructor(readonly detail: string) {
    super('Params validate failed.');
  }
}
