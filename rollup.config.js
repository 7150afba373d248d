// One build for every package, driven by each package's `buildOptions`
// (formats, global name), the way Vue's monorepo does it. Packages are built in
// dependency order (rollup builds an array of configs one after the other),
// derived from the workspace dependencies, so a new package (e.g. redis) needs
// no edit here. A package whose src/index.ts does not exist yet is skipped.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import typescript from '@rollup/plugin-typescript';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';

const readPkg = (name) => JSON.parse(readFileSync(`packages/${name}/package.json`, 'utf8'));

/** Package directory names under packages/ with `buildOptions`, dependencies first. */
function buildOrder() {
  const names = readdirSync('packages').filter(
    (n) => existsSync(`packages/${n}/package.json`) && readPkg(n).buildOptions,
  );
  const byPkgName = new Map(names.map((n) => [readPkg(n).name, n]));
  const order = [];
  const seen = new Set();
  const visit = (n, path = []) => {
    if (seen.has(n)) return;
    if (path.includes(n)) throw new Error(`dependency cycle: ${[...path, n].join(' -> ')}`);
    const pkg = readPkg(n);
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) {
      if (byPkgName.has(dep)) visit(byPkgName.get(dep), [...path, n]);
    }
    seen.add(n);
    order.push(n);
  };
  names.sort().forEach((n) => visit(n));
  return order;
}

const order = buildOrder();
// PACKAGES=protocol,core builds a subset (still in dependency order).
const only = process.env.PACKAGES ? process.env.PACKAGES.split(',') : order;

const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function configsFor(name) {
  const dir = `packages/${name}`;
  const pkg = readPkg(name);
  const deps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
  const external = (id) =>
    nodeBuiltins.has(id) || deps.some((d) => id === d || id.startsWith(`${d}/`));
  const { formats, name: globalName } = pkg.buildOptions;
  const input = `${dir}/src/index.ts`;
  const ts = () => typescript({ tsconfig: `${dir}/tsconfig.json`, outputToFilesystem: false });
  const out = [];
  // A package whose sources are not written yet is skipped, not faked: the
  // build reports it and builds the rest.
  if (!existsSync(input)) {
    console.warn(`rollup.config.js: skipping ${pkg.name}: ${input} does not exist yet`);
    return out;
  }

  out.push({
    input,
    external,
    plugins: [ts()],
    output: [
      formats.includes('esm') && { file: `${dir}/dist/index.mjs`, format: 'es' },
      formats.includes('cjs') && { file: `${dir}/dist/index.cjs`, format: 'cjs', exports: 'named' },
    ].filter(Boolean),
  });

  out.push({
    input,
    external,
    plugins: [dts({ tsconfig: `${dir}/tsconfig.json` })],
    output: [
      { file: `${dir}/dist/index.d.mts`, format: 'es' },
      { file: `${dir}/dist/index.d.cts`, format: 'es' },
    ],
  });

  if (formats.includes('iife') && !existsSync(`${dir}/src/iife.ts`)) {
    console.warn(`rollup.config.js: ${pkg.name} asks for an IIFE but ${dir}/src/iife.ts does not exist`);
  } else if (formats.includes('iife')) {
    // Everything a page needs in one file. Workspace packages are bundled from
    // their TypeScript sources: node-resolve lets other plugins resolve first,
    // and the TypeScript plugin resolves with the `@continuum/source` condition
    // of tsconfig's customConditions. eventemitter3's ESM wrapper re-exports a
    // CommonJS file, hence the CommonJS plugin.
    out.push({
      input: `${dir}/src/iife.ts`,
      plugins: [
        nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }),
        commonjs(),
        ts(),
      ],
      output: {
        file: `${dir}/dist/continuum.min.js`,
        format: 'iife',
        name: globalName,
        plugins: [terser({ compress: { passes: 2 }, format: { comments: false } })],
      },
    });
  }
  return out;
}

export default order.filter((n) => only.includes(n)).flatMap(configsFor);
