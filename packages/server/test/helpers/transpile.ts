// Compiles the server and protocol sources to plain ESM in a temporary directory, so a
// child `node` process (which cannot load TypeScript) can run the real code.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The monorepo's `packages` directory. */
export const packagesDir = fileURLToPath(new URL('../../../', import.meta.url));

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

/**
 * Compiles every `.ts` file under `packages/<pkg>/src` to `outDir/<pkg>` as ESM (ES2022,
 * plus `compilerOptions`), passing each file's code through `rewrite` (for import specifiers).
 */
export function transpilePackages(
  outDir: string,
  pkgs: string[],
  compilerOptions: ts.CompilerOptions,
  rewrite: (code: string) => string,
): void {
  for (const pkg of pkgs) {
    const srcDir = join(packagesDir, pkg, 'src');
    for (const file of sources(srcDir)) {
      const out = join(outDir, pkg, relative(srcDir, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(out), { recursive: true });
      const code = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, ...compilerOptions },
      }).outputText;
      writeFileSync(out, rewrite(code));
    }
  }
}

/** Returns file URLs of the compiled server entry and of `ws`. */
export function transpileServer(outDir: string): { server: string; ws: string } {
  const require = createRequire(join(packagesDir, 'server', 'package.json'));
  const ws = pathToFileURL(join(dirname(require.resolve('ws')), 'wrapper.mjs')).href;
  const protocolEntry = pathToFileURL(join(outDir, 'protocol', 'index.js')).href;
  transpilePackages(outDir, ['protocol', 'server'], {}, (code) =>
    code.replace(/from '@continuum\/protocol'/g, `from '${protocolEntry}'`).replace(/from 'ws'/g, `from '${ws}'`),
  );
  return { server: pathToFileURL(join(outDir, 'server', 'index.js')).href, ws };
}
