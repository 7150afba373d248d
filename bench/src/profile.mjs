// Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function and per
// module, as shares of the busy (non-idle) time.
import { readFileSync } from 'node:fs';

export function summarizeProfiles(file, top = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const modules = new Map();
  const deltas = profile.timeDeltas ?? [];
  let busy = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = deltas[i] ?? 0;
    if (!node) continue;
    const f = node.callFrame;
    if (f.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    const where = f.url ? `${shorten(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    const mod = moduleOf(f);
    modules.set(mod, (modules.get(mod) ?? 0) + dt);
  }
  const rows = (map, n) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([fn, us]) => ({ fn, selfMs: +(us / 1000).toFixed(1), share: +((us / busy) * 100).toFixed(1) }));
  return { busyMs: +(busy / 1000).toFixed(1), idleMs: +(idle / 1000).toFixed(1), top: rows(self, top), modules: rows(modules, 8) };
}

function moduleOf(f) {
  const url = f.url ?? '';
  const pkg = /packages\/([^/]+)\/dist\//.exec(url);
  if (pkg) return `@continuum/${pkg[1]}`;
  const nm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1];
  if (url.includes('/bench/src/')) return 'bench harness';
  if (url.startsWith('node:')) return 'node internals';
  if (f.functionName === '(garbage collector)') return '(garbage collector)';
  return '(native: syscalls, program)';
}

function shorten(url) {
  const u = url.replace(/^file:\/\//, '');
  const pkg = /(packages\/[^/]+\/dist\/[^/]+)$/.exec(u);
  if (pkg) return pkg[1];
  const nm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(.+)$/.exec(u);
  if (nm) return nm[1];
  if (u.startsWith('node:')) return u;
  return u.split('/').slice(-2).join('/');
}
