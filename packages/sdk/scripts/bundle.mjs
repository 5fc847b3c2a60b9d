// Builds the SDK bundles: ESM and CJS for npm (ws stays external), and a
// browser IIFE/UMD that defines window.TIM. Types come from `tsc -b`.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = { bundle: true, sourcemap: true, target: 'es2020', logLevel: 'warning', absWorkingDir: root };

await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/esm/index.js', format: 'esm', platform: 'neutral', external: ['ws'] });
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/cjs/index.cjs', format: 'cjs', platform: 'node', external: ['ws'] });
await build({ ...common, entryPoints: ['src/browser.ts'], outfile: 'dist/umd/parley-sdk.umd.js', format: 'iife', platform: 'browser', external: ['ws'], minify: true });
mkdirSync(join(root, 'dist/cjs'), { recursive: true });
writeFileSync(join(root, 'dist/cjs/package.json'), JSON.stringify({ type: 'commonjs' }) + '\n');
