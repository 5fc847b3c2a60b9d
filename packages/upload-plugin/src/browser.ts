/**
 * Browser `<script>` entry (dist/umd/parley-upload-plugin.umd.js): defines
 * `window.ParleyUploadPlugin`, and `window.TIMUploadPlugin` too unless
 * Tencent's plugin already defined it — so replacing Tencent's script tag
 * with this one needs no code change.
 */
import ParleyUploadPlugin from './index.js';

const g = globalThis as { ParleyUploadPlugin?: unknown; TIMUploadPlugin?: unknown };
g.ParleyUploadPlugin = ParleyUploadPlugin;
if (g.TIMUploadPlugin === undefined) g.TIMUploadPlugin = ParleyUploadPlugin;
