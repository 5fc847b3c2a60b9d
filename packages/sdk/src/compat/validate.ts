/**
 * TIM's parameter validation (spec §2.3): on failure the SDK logs why and
 * throws `Error("Params validate failed.")` synchronously. "Required" uses
 * TIM's emptiness test: `0`, `""`, `[]`, `{}` count as missing.
 */
import { ParamsValidateError } from '../errors.js';
import type { Logger } from '../logger.js';

export function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class Validator {
  constructor(
    private readonly log: Logger,
    private readonly api: string,
  ) {}

  fail(detail: string): never {
    this.log.warn(`${this.api}: ${detail}`);
    throw new ParamsValidateError(`${this.api}: ${detail}`);
  }

  object(value: unknown, name: string): Record<string, unknown> {
    if (!isPlainObject(value)) this.fail(`${name} must be an object`);
    return value;
  }

  requiredString(value: unknown, name: string): string {
    if (isEmpty(value)) this.fail(`${name} is required`);
    if (typeof value !== 'string') this.fail(`${name} must be a string`);
    return value;
  }

  optionalString(value: unknown, name: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(`${name} must be a string`);
    return value;
  }

  requiredNumber(value: unknown, name: string): number {
    if (value === undefined || value === null || value === '') this.fail(`${name} is required`);
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(`${name} must be a number`);
    return value;
  }

  optionalBoolean(value: unknown, name: string): boolean | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') this.fail(`${name} must be a boolean`);
    return value;
  }

  /** `options.userIDList`: an array of strings (`nonEmpty`: TIM's "required", so `[]` fails too). */
  userIDList(options: unknown, nonEmpty: boolean): string[] {
    const list = this.object(options, 'options')['userIDList'];
    if (!Array.isArray(list)) this.fail('userIDList must be an array');
    if (nonEmpty && list.length === 0) this.fail('userIDList is required');
    if (!list.every((id) => typeof id === 'string')) this.fail('userIDList must contain only strings');
    return list as string[];
  }

  function(value: unknown, name: string): (...args: never[]) => unknown {
    if (typeof value !== 'function') this.fail(`${name} must be a function`);
    return value as (...args: never[]) => unknown;
  }
}
