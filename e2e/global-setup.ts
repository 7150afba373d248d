// Runs once before any test file is loaded: makes sure the pages have something to
// load. `pnpm test` builds before this step; a bare `playwright test` on a fresh
// clone builds here. Then it bundles the ESM entry the way an app's bundler would.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const e2eDir = dirname(fileURLToPath(import.meta.url));
const root = join(e2eDir, '..');

/** Every file the fixture imports or serves. */
const needed = [
  'packages/browser/dist/continuum.min.js',
  'packages/browser/dist/reconnecting-websocket.min.js',
  'packages/browser/dist/index.mjs',
  'packages/core/dist/index.mjs',
  'packages/protocol/dist/index.mjs',
  'packages/server/dist/index.mjs',
  'packages/testing/dist/index.mjs',
];

export const esmBundlePath = join(e2eDir, '.build', 'continuum.esm.js');

export default async function globalSetup(): Promise<void> {
  const missing = needed.filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) {
    console.log(`[e2e] not built yet (${missing.join(', ')}): running rollup -c`);
    const r = spawnSync(join(root, 'node_modules', '.bin', 'rollup'), ['-c', '--silent'], { cwd: root, stdio: 'inherit' });
    const still = needed.filter((f) => !existsSync(join(root, f)));
    if (r.status !== 0 || still.length > 0) throw new Error(`[e2e] build failed (exit ${r.status}); missing ${still.join(', ')}`);
  }
  await bundleEsm();
}

/** The "tiny bundle made in the test setup": @continuum/browser's ESM entry through node-resolve. */
async function bundleEsm(): Promise<void> {
  const { rollup } = await import('rollup');
  const { nodeResolve } = await import('@rollup/plugin-node-resolve');
  // eventemitter3's ESM wrapper re-exports a CommonJS file (TOOLCHAIN trap 4).
  const { default: commonjs } = await import('@rollup/plugin-commonjs');
  const bundle = await rollup({
    input: join(e2eDir, 'fixtures', 'esm-entry.js'),
    plugins: [nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }), commonjs()],
    onwarn: (warning) => {
      throw new Error(`[e2e] ESM bundle: ${warning.message}`);
    },
  });
  try {
    mkdirSync(dirname(esmBundlePath), { recursive: true });
    await bundle.write({ file: esmBundlePath, format: 'es' });
  } finally {
    await bundle.close();
  }
}
