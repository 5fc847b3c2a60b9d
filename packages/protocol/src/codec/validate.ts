/**
 * A minimal declarative validator, so the protocol package stays dependency-free.
 * Each rule returns an error message or `null`.
 *
 * `path` names the value in the message, which starts with it. Containers pass their items only
 * the last step (`key`, or '' for an array item) and put their own path in front of an error on
 * its way up, so a valid frame builds no path strings (one per field of every frame, before).
 */
export type Rule = (value: unknown, path: string) => string | null;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export const str =
  (opts: { min?: number; max?: number; pattern?: RegExp } = {}): Rule =>
  (v, path) => {
    if (typeof v !== 'string') return `${path} must be a string`;
    if (opts.min !== undefined && v.length < opts.min) return `${path} must have at least ${opts.min} characters`;
    if (opts.max !== undefined && v.length > opts.max) return `${path} must have at most ${opts.max} characters`;
    if (opts.pattern && !opts.pattern.test(v)) return `${path} has an invalid format`;
    return null;
  };

export const int =
  (opts: { min?: number; max?: number } = {}): Rule =>
  (v, path) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return `${path} must be an integer`;
    if (opts.min !== undefined && v < opts.min) return `${path} must be ≥ ${opts.min}`;
    if (opts.max !== undefined && v > opts.max) return `${path} must be ≤ ${opts.max}`;
    return null;
  };

export const bool = (): Rule => (v, path) => (typeof v === 'boolean' ? null : `${path} must be a boolean`);

export const oneOf =
  <T extends string>(values: readonly T[]): Rule =>
  (v, path) =>
    typeof v === 'string' && (values as readonly string[]).includes(v) ? null : `${path} must be one of ${values.join(', ')}`;

export const check =
  (predicate: (v: unknown) => boolean, what: string): Rule =>
  (v, path) =>
    predicate(v) ? null : `${path} ${what}`;

export const plainObject = (): Rule => (v, path) => (isPlainObject(v) ? null : `${path} must be an object`);

export const arrayOf =
  (item: Rule, opts: { min?: number; max?: number } = {}): Rule =>
  (v, path) => {
    if (!Array.isArray(v)) return `${path} must be an array`;
    if (opts.min !== undefined && v.length < opts.min) return `${path} must have at least ${opts.min} items`;
    if (opts.max !== undefined && v.length > opts.max) return `${path} must have at most ${opts.max} items`;
    for (let i = 0; i < v.length; i++) {
      const err = item(v[i], '');
      if (err) return `${path}[${i}]${err}`;
    }
    return null;
  };

export interface Field {
  rule: Rule;
  optional?: boolean;
}

export type Shape = Record<string, Field>;

/** Validates an object against a shape; unknown keys are rejected so typos surface. */
export const object = (shape: Shape): Rule => {
  // Computed once per rule, not per frame (this runs for every field of every frame).
  const fields = Object.entries(shape);
  return (v, path) => {
    if (!isPlainObject(v)) return `${path} must be an object`;
    // for…in over a JSON.parse result: own enumerable keys only, without allocating a key array.
    for (const key in v) {
      if (!Object.prototype.hasOwnProperty.call(shape, key)) return `${path}.${key} is not a known field`;
    }
    for (const [key, field] of fields) {
      const value = v[key];
      if (value === undefined) {
        if (field.optional) continue;
        return `${path}.${key} is required`;
      }
      const err = field.rule(value, key);
      if (err) return `${path}.${err}`;
    }
    return null;
  };
};

export const req = (rule: Rule): Field => ({ rule });
export const opt = (rule: Rule): Field => ({ rule, optional: true });
