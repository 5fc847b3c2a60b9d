/**
 * Runs `tsc` on usage.test-d.ts with an app-like strict configuration, so the
 * public types (the built `.d.ts` of @parley/sdk) are checked the way a
 * TypeScript app would see them.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('public types', () => {
  it('tim-js-sdk-style usage compiles under strict TypeScript (usage.test-d.ts)', () => {
    const result = spawnSync(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--pretty',
        'false',
        '--strict',
        '--target',
        'es2022',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--lib',
        'es2022,dom',
        '--types',
        'node',
        '--skipLibCheck',
        join(here, 'usage.test-d.ts'),
      ],
      { cwd: here, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  }, 60_000);
});
