// Compiles protocol, server and redis sources to plain ESM for child `node` processes
// (which cannot load TypeScript). The output lives under packages/redis/node_modules/.cache
// so that `ioredis` and `ws` resolve from there as they do for the package itself.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const packagesDir = fileURLToPath(new URL('../../../', import.meta.url));

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

/** Compiles and returns the file URL of the compiled `@continuum/redis` and `@continuum/server` entries. */
export function transpile(): { redis: string; server: string; dispose(): void } {
  const cache = join(packagesDir, 'redis', 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outDir = mkdtempSync(join(cache, 'continuum-test-'));
  const entry = (pkg: string) => pathToFileURL(join(outDir, pkg, 'index.js')).href;
  for (const pkg of ['protocol', 'server', 'redis']) {
    const srcDir = join(packagesDir, pkg, 'src');
    for (const file of sources(srcDir)) {
      const out = join(outDir, pkg, relative(srcDir, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(out), { recursive: true });
      let code = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      }).outputText;
      code = code
        .replace(/from '@continuum\/protocol'/g, `from '${entry('protocol')}'`)
        .replace(/from '@continuum\/server'/g, `from '${entry('server')}'`);
      writeFileSync(out, code);
    }
  }
  return { redis: entry('redis'), server: entry('server'), dispose: () => rmSync(outDir, { recursive: true, force: true }) };
}
