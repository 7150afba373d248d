// What an app's own bundler does with @continuum/browser: resolve the package (its
// `browser`/`import` conditions pick the ESM build), bundle it with the app, minify.
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

export default {
  input: 'src/main.js',
  output: { file: 'dist/app.js', format: 'es', sourcemap: true },
  plugins: [
    nodeResolve({ browser: true }),
    // eventemitter3 (inside @continuum/core) ships its ESM wrapper over a CommonJS file.
    commonjs(),
    terser(),
  ],
};
