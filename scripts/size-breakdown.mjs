// Where the script-tag bytes go: bundles one IIFE entry like rollup.config.js does,
// then minifies each module's rendered code on its own (top-level names kept, so a
// module is not dropped as unused) and prints its minified and gzip -9 size, largest
// first, and the whole bundle's. Per-module gzip sizes add up to more than the whole
// (each pays its own dictionary): compare a module with itself across changes.
//
//   node scripts/size-breakdown.mjs                                  # continuum.min.js
//   node scripts/size-breakdown.mjs packages/browser/src/iife-websocket.ts
//   node scripts/size-breakdown.mjs --floor      # the shared parts alone (see FLOOR below)
//   OUT=/tmp/bundle.js node scripts/size-breakdown.mjs   # also writes the minified bundle
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';

// terser is @rollup/plugin-terser's dependency, not the root's: resolve it from there.
const require = createRequire(createRequire(import.meta.url).resolve('@rollup/plugin-terser'));
const { minify } = require('terser');

// FLOOR: what a Client page cannot do without whatever the client's own logic looks
// like, as today's modules build it: the Link it shares with ReconnectingWebSocket,
// eventemitter3 (CONTRACT keeps it), the WebSocket transport, the error class, the close
// codes and the codec calls the client makes. Client, channels, options and the browser
// adapter come on top of this.
const FLOOR = `
export { Link } from '/packages/core/src/link.ts';
export { Emitter } from '/packages/core/src/emitter.ts';
export { chooseTransport } from '/packages/core/src/transport.ts';
export { ContinuumError, CloseCode, decodeFrame, decodeServerControl, encodeAck, encodeControl, encodeData, encodeResend,
  encodeVolatile, helloFor } from '/packages/protocol/src/index.ts';
`.replaceAll("'/packages/", `'${process.cwd()}/packages/`);
const floor = process.argv[2] === '--floor';
const entry = floor ? '\0floor' : (process.argv[2] ?? 'packages/browser/src/iife.ts');
const dir = floor ? 'packages/browser' : entry.replace(/\/src\/.*$/, '');
const bundle = await rollup({
  input: entry,
  treeshake: { moduleSideEffects: (id, external) => external || !/\/packages\/[^/]+\/src\//.test(id) },
  plugins: [
    { name: 'floor', resolveId: (id) => (id === '\0floor' ? id : null), load: (id) => (id === '\0floor' ? FLOOR : null) },
    nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }),
    commonjs(),
    typescript({ tsconfig: `${dir}/tsconfig.json`, outputToFilesystem: false}),
  ],
});
const { output } = await bundle.generate({ format: 'iife', name: 'Continuum', extend: true });
await bundle.close();
const gz = (code) => gzipSync(code, { level: 9 }).length;
const terserOptions = { ecma: 2020, compress: { passes: 3 }, format: { comments: false } };
const rows = [];
for (const [id, m] of Object.entries(output[0].modules)) {
  if (!m.code?.trim()) continue;
  const { code } = await minify(m.code, { ...terserOptions, toplevel: false });
  rows.push({ module: id.replace(/^.*\/(packages|node_modules)\//, '').replace(/^\0/, ''), min: code.length, gzip: gz(code) });
}
rows.sort((a, b) => b.min - a.min);
for (const r of rows) console.log(`${String(r.min).padStart(7)} ${String(r.gzip).padStart(6)}  ${r.module}`);
const { code } = await minify(output[0].code, terserOptions);
if (process.env.OUT) writeFileSync(process.env.OUT, code);
console.log(`${String(code.length).padStart(7)} ${String(gz(code)).padStart(6)}  whole bundle (min, gzip -9) = ${(gz(code) / 1024).toFixed(2)} KiB`);
