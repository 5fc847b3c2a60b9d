// Builds the plugin's extra bundles (the ESM build and types come from `tsc -b`):
// CommonJS for require() (module.exports is the class itself, like Tencent's
// plugin, with `.default` too) and a browser IIFE for a <script> tag.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = { bundle: true, sourcemap: true, target: 'es2020', logLevel: 'warning', absWorkingDir: root };

await build({
  ...common,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/cjs/index.cjs',
  format: 'cjs',
  platform: 'node',
  footer: { js: 'module.exports = Object.assign(module.exports.default, module.exports);' },
});
await build({ ...common, entryPoints: ['src/browser.ts'], outfile: 'dist/umd/parley-upload-plugin.umd.js', format: 'iife', platform: 'browser', minify: true });
mkdirSync(join(root, 'dist/cjs'), { recursive: true });
writeFileSync(join(root, 'dist/cjs/package.json'), JSON.stringify({ type: 'commonjs' }) + '\n');
