/**
 * Reads the fields of an admin REST request body (Tencent's field names, e.g.
 * `GroupId`, `Members_Account`) with one clear message per problem. Every
 * problem is a ServiceError with the command's "invalid parameters" code
 * (group service 10004, account service 70402). Unknown fields are ignored, as
 * Tencent's server does, so bodies written for Tencent keep working.
 */
import { isValidGroupID, isValidUserID } from '@parley/protocol';
import { ServiceError } from '../services/service-error.js';

export class RestBody {
  constructor(
    private readonly body: Record<string, unknown>,
    /** The code every invalid field is refused with. */
    private readonly invalidCode: number,
    /** Where this object sits in the body, for messages (e.g. "MemberList[2]."). */
    private readonly path = '',
  ) {}

  /** A required string (`minLength` characters at least, default 1). */
  string(key: string, options: { minLength?: number } = {}): string {
    const value = this.required(key);
    if (typeof value !== 'string') this.fail(`${this.path}${key} must be a string`);
    if (value.length < (options.minLength ?? 1)) this.fail(`${this.path}${key} must not be empty`);
    return value;
  }

  /** An optional string ("" allowed); undefined when absent. */
  optionalString(key: string): string | undefined {
    const value = this.body[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(`${this.path}${key} must be a string`);
    return value;
  }

  groupID(key = 'GroupId'): string {
    const value = this.string(key);
    if (!isValidGroupID(value)) this.fail(`${this.path}${key} must be 1–48 printable ASCII characters`);
    return value;
  }

  userID(key: string): string {
    const value = this.string(key);
    if (!isValidUserID(value)) this.fail(`${this.path}${key} must be a userID: 1–32 printable ASCII characters`);
    return value;
  }

  /** A required array of userIDs with `min`..`max` items (duplicates removed, order kept). */
  userIDs(key: string, options: { min?: number; max: number }): string[] {
    const value = this.required(key);
    return this.userIDArray(key, value, options.min ?? 1, options.max);
  }

  /** An optional array of userIDs; [] when absent. */
  optionalUserIDs(key: string, max: number): string[] {
    const value = this.body[key];
    if (value === undefined) return [];
    return this.userIDArray(key, value, 0, max);
  }

  /** A required array of objects with `min`..`max` items, each read with its own RestBody. */
  objects(key: string, options: { min?: number; max: number }): RestBody[] {
    const value = this.required(key);
    if (!Array.isArray(value)) this.fail(`${this.path}${key} must be an array`);
    this.checkCount(key, value.length, options.min ?? 1, options.max);
    return value.map((item, i) => {
      const at = `${this.path}${key}[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) this.fail(`${at} must be an object`);
      return new RestBody(item as Record<string, unknown>, this.invalidCode, `${at}.`);
    });
  }

  /** A required whole number in `min`..`max`. */
  integer(key: string, min: number, max: number): number {
    const value = this.required(key);
    return this.checkInteger(key, value, min, max);
  }

  /** Tencent's 0/1 switches (e.g. `Silence`): true for 1; absent = false. */
  flag(key: string): boolean {
    const value = this.body[key];
    if (value === undefined) return false;
    return this.checkInteger(key, value, 0, 1) === 1;
  }

  /** Refuses with the command's invalid-parameters code. */
  fail(message: string): never {
    throw new ServiceError(this.invalidCode, message);
  }

  private required(key: string): unknown {
    const value = this.body[key];
    if (value === undefined || value === null) this.fail(`${this.path}${key} is required`);
    return value;
  }

  private userIDArray(key: string, value: unknown, min: number, max: number): string[] {
    if (!Array.isArray(value)) this.fail(`${this.path}${key} must be an array of userIDs`);
    this.checkCount(key, value.length, min, max);
    value.forEach((item, i) => {
      if (!isValidUserID(item)) this.fail(`${this.path}${key}[${i}] must be a userID: 1–32 printable ASCII characters`);
    });
    return [...new Set(value as string[])];
  }

  private checkCount(key: string, count: number, min: number, max: number): void {
    if (count < min) this.fail(min === 1 ? `${this.path}${key} must not be empty` : `${this.path}${key} needs at least ${min} items`);
    if (count > max) this.fail(`${this.path}${key} has ${count} items; at most ${max} per request`);
  }

  private checkInteger(key: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(`${this.path}${key} must be a whole number`);
    if (value < min || value > max) this.fail(`${this.path}${key} must be between ${min} and ${max} (got ${value})`);
    return value;
  }
}
