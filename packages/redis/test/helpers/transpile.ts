// Compiles protocol, server and redis sources to plain ESM for child `node` processes
// (which cannot load TypeScript), with the server package's test transpiler. The output
// lives under packages/redis/node_modules/.cache so that `ioredis` and `ws` resolve from
// there as they do for the package itself.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packagesDir, transpilePackages } from '../../../server/test/helpers/transpile.js';

/** Compiles and returns the file URL of the compiled `@continuum/redis` and `@continuum/server` entries. */
export function transpile(): { redis: string; server: string; dispose(): void } {
  const cache = join(packagesDir, 'redis', 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outDir = mkdtempSync(join(cache, 'continuum-test-'));
  const entry = (pkg: string) => pathToFileURL(join(outDir, pkg, 'index.js')).href;
  transpilePackages(outDir, ['protocol', 'server', 'redis'], { verbatimModuleSyntax: true }, (code) =>
    code
      .replace(/from '@continuum\/protocol'/g, `from '${entry('protocol')}'`)
      .replace(/from '@continuum\/server'/g, `from '${entry('server')}'`),
  );
  return { redis: entry('redis'), server: entry('server'), dispose: () => rmSync(outDir, { recursive: true, force: true }) };
}
