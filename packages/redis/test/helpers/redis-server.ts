// Starts a real redis-server (the Debian package) on a free 127.0.0.1 port without
// persistence, and stops it. Never `--port 0`: that disables TCP in Redis (TOOLCHAIN
// trap 10). A machine without redis-server FAILS these tests with the fix: they are
// never skipped, so CI cannot pass without really running them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** Throws the install hint when redis-server is missing. */
export function requireRedisServer(binary: string = REDIS_SERVER): void {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `redis-server not found (looked for "${binary}"). The @continuum/redis tests need a real Redis: ` +
        'install it with `sudo apt-get install redis-server` (Debian/Ubuntu; `pnpm test` does this in CI), ' +
        'or set REDIS_SERVER to a redis-server binary.',
    );
  }
}

/** A free TCP port on 127.0.0.1 (the OS picks, we release it, redis takes it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(200);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export class RedisServer {
  private constructor(
    readonly port: number,
    private process: ChildProcess,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server on a free port; resolves once it answers PING. */
  static async start(port?: number): Promise<RedisServer> {
    requireRedisServer();
    const dir = mkdtempSync(join(tmpdir(), 'continuum-redis-'));
    for (let attempt = 0; attempt < 5; attempt++) {
      const p = port ?? (await freePort());
      const child = RedisServer.spawn(p, dir);
      if (await RedisServer.ready(p, child)) return new RedisServer(p, child, dir);
      child.kill('SIGKILL');
      if (port !== undefined) break;
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`redis-server did not start (${REDIS_SERVER})`);
  }

  private static spawn(port: number, dir: string): ChildProcess {
    const child = spawn(
      REDIS_SERVER,
      ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'],
      { stdio: 'ignore' },
    );
    child.on('error', () => {});
    return child;
  }

  private static async ready(port: number, child: ChildProcess): Promise<boolean> {
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) return false;
      if (await ping(port)) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  /** Kills Redis (no persistence: everything is lost) and starts it again on the same port. */
  async restart(): Promise<void> {
    await this.stop(false);
    this.process = RedisServer.spawn(this.port, this.dir);
    if (!(await RedisServer.ready(this.port, this.process))) throw new Error('redis-server did not restart');
  }

  /** Stops Redis and removes its directory. */
  async stop(removeDir = true): Promise<void> {
    const child = this.process;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    if (removeDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
