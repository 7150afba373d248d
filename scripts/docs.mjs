#!/usr/bin/env node
// `pnpm run docs`: the API reference (TypeDoc, typedoc.json) into docs/api, from each
// publishable package's src/index.ts. A package whose sources are not written yet is
// skipped with a note, like the build does, so a new package never breaks the docs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const packages = readdirSync(join(root, 'packages'))
  .filter((dir) => existsSync(join(root, 'packages', dir, 'package.json')))
  .filter((dir) => !JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')).private)
  .sort();
const ready = packages.filter((dir) => existsSync(join(root, 'packages', dir, 'src', 'index.ts')));
for (const dir of packages.filter((d) => !ready.includes(d))) {
  console.warn(`docs: skipping packages/${dir}: src/index.ts does not exist yet`);
}
const entryPoints = ready.flatMap((dir) => ['--entryPoints', `packages/${dir}`]);
const r = spawnSync(join(root, 'node_modules', '.bin', 'typedoc'), [...entryPoints, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
