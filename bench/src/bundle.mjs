// Browser bundle sizes: every client bundled the same way (rollup + node-resolve with
// the browser condition + commonjs + terser, IIFE) from a small entry that constructs
// one client, then min + gzip -9 and brotli (quality 11).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const ENTRIES = [
  {
    name: 'Continuum Client (ESM, tree-shaken)',
    id: 'continuum-client',
    code: `import { Client } from '@continuum/browser';\nglobalThis.client = new Client('wss://example.com/live');\n`,
  },
  {
    name: 'Continuum ReconnectingWebSocket (ESM, tree-shaken)',
    id: 'continuum-rws',
    code: `import { ReconnectingWebSocket } from '@continuum/browser';\nglobalThis.client = new ReconnectingWebSocket('wss://example.com/live');\n`,
  },
  {
    name: 'socket.io-client',
    id: 'socketio',
    code: `import { io } from 'socket.io-client';\nglobalThis.client = io('wss://example.com', { transports: ['websocket'] });\n`,
  },
  {
    name: 'reconnecting-websocket',
    id: 'rws',
    code: `import ReconnectingWebSocket from 'reconnecting-websocket';\nglobalThis.client = new ReconnectingWebSocket('wss://example.com/live');\n`,
  },
  {
    name: 'partysocket (PartySocket)',
    id: 'partysocket',
    code: `import PartySocket from 'partysocket';\nglobalThis.client = new PartySocket({ host: 'example.com', room: 'live' });\n`,
  },
  {
    name: 'partysocket/ws (ReconnectingWebSocket)',
    id: 'partysocket-ws',
    code: `import ReconnectingWebSocket from 'partysocket/ws';\nglobalThis.client = new ReconnectingWebSocket('wss://example.com/live');\n`,
  },
];

function sizes(buf) {
  return {
    min: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  };
}

export async function measureBundles(benchDir, repoRoot) {
  const { rollup } = await import('rollup');
  const { nodeResolve } = await import('@rollup/plugin-node-resolve');
  const { default: commonjs } = await import('@rollup/plugin-commonjs');
  const { default: terser } = await import('@rollup/plugin-terser');
  const cache = join(benchDir, '.cache', 'bundles');
  mkdirSync(cache, { recursive: true });
  const entries = [];

  // The script-tag builds, exactly as shipped (built by the repo's rollup config with
  // the same plugins and terser settings): the client, and the drop-in on its own.
  for (const [file, name, id] of [
    ['continuum.min.js', 'Continuum full IIFE (dist/continuum.min.js)', 'continuum-iife'],
    ['reconnecting-websocket.min.js', 'Continuum drop-in IIFE (dist/reconnecting-websocket.min.js)', 'continuum-rws-iife'],
  ]) {
    try {
      entries.push({ name, id, ...sizes(readFileSync(join(repoRoot, 'packages', 'browser', 'dist', file))) });
    } catch (error) {
      entries.push({ name, id, error: String(error.message) });
    }
  }

  // Bundled concurrently (rollup and terser are mostly synchronous, but parsing and
  // file reads overlap); reported in ENTRIES order.
  const bundled = await Promise.all(ENTRIES.map(async (entry) => {
    const input = join(cache, `${entry.id}.entry.mjs`);
    writeFileSync(input, entry.code);
    try {
      const bundle = await rollup({
        input,
        onwarn: () => {},
        plugins: [nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }), commonjs()],
      });
      const { output } = await bundle.generate({
        format: 'iife',
        plugins: [terser({ compress: { passes: 2 }, format: { comments: false } })],
      });
      await bundle.close();
      const code = Buffer.from(output[0].code);
      writeFileSync(join(cache, `${entry.id}.min.js`), code);
      return { name: entry.name, id: entry.id, ...sizes(code), modules: Object.keys(output[0].modules).length };
    } catch (error) {
      return { name: entry.name, id: entry.id, error: String(error.message) };
    }
  }));
  entries.push(...bundled);
  return {
    method:
      'rollup 4 + @rollup/plugin-node-resolve (browser: true, conditions browser/import/default) + @rollup/plugin-commonjs, IIFE, @rollup/plugin-terser (compress.passes 2, no comments); gzip level 9, brotli quality 11. Entry: import the client and construct one.',
    entries,
  };
}
