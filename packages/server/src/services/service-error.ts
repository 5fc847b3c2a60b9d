/** A domain error carrying the TIM error code the client receives. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
