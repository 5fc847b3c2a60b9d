/** UMD/IIFE entry: defines `window.TIM` (and `TencentCloudChat`) and nothing else. */
import { TIM } from './compat/tim.js';

const g = globalThis as { TIM?: unknown; TencentCloudChat?: unknown };
g.TIM = TIM;
g.TencentCloudChat = TIM;
