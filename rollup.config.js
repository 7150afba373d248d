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

  // One output file per source module (dist/index.mjs re-exports them), so that with
  // `"sideEffects": false` a consumer's bundler drops every module it does not use,
  // and their imports with them: `ReconnectingWebSocket` alone never reaches
  // client.ts, the codec, or eventemitter3 (a CommonJS module without `sideEffects`,
  // which a single-file dist would always keep).
  const perModule = { dir: `${dir}/dist`, preserveModules: true, preserveModulesRoot: `${dir}/src` };
  out.push({
    input,
    external,
    plugins: [ts()],
    output: [
      formats.includes('esm') && { ...perModule, format: 'es', entryFileNames: '[name].mjs' },
      formats.includes('cjs') && { ...perModule, format: 'cjs', exports: 'named', entryFileNames: '[name].cjs' },
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

  // Script-tag builds: `buildOptions.scripts` maps each output file to its entry. Every
  // one extends the same global (`window.Continuum`), so a page loads the client, the
  // drop-in, or both, and pays only for what it loads.
  const scripts = formats.includes('iife') ? Object.entries(pkg.buildOptions.scripts ?? { 'continuum.min.js': 'src/iife.ts' }) : [];
  for (const [file, entry] of scripts) {
    if (!existsSync(`${dir}/${entry}`)) {
      console.warn(`rollup.config.js: ${pkg.name} asks for ${file} but ${dir}/${entry} does not exist`);
      continue;
    }
    // Workspace packages are bundled from their TypeScript sources: node-resolve lets
    // other plugins resolve first, and the TypeScript plugin resolves with the
    // `@continuum/source` condition of tsconfig's customConditions. eventemitter3's ESM
    // wrapper re-exports a CommonJS file, hence the CommonJS plugin.
    out.push({
      input: `${dir}/${entry}`,
      // Workspace sources are side-effect free, as their package.json says; only
      // node-resolve reads that field, and the TypeScript plugin resolves them here.
      treeshake: { moduleSideEffects: (id, external) => external || !/\/packages\/[^/]+\/src\//.test(id) },
      plugins: [
        nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }),
        commonjs(),
        ts(),
      ],
      output: {
        file: `${dir}/dist/${file}`,
        format: 'iife',
        name: globalName,
        extend: true,
        plugins: [terser({ ecma: 2020, compress: { passes: 3 }, format: { comments: false } })],
      },
    });
  }
  return out;
}

export default order.filter((n) => only.includes(n)).flatMap(configsFor);
