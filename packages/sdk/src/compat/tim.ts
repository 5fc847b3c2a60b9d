/** The `TIM` namespace object: `create`, `EVENT`, `TYPES`, `TSignaling`, `VERSION` (spec §1). */
import { create } from './create.js';
import { EVENT, TSIGNALING } from './event.js';
import { TYPES } from './types.js';

/** Parley SDK version. */
export const VERSION = '0.1.0';

export const TIM = {
  create,
  EVENT,
  TYPES,
  TSignaling: TSIGNALING,
  VERSION,
} as const;
