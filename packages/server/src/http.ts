// The two HTTP routes: `/health` for load balancers, `/metrics` for Prometheus.
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';

/** What the routes report. */
export interface RouteSource {
  health(): { status: 'ok' | 'closing'; sessions: number; connections: number };
  metricsText(): string;
}

function pathnameOf(url: string | undefined): string {
  if (!url) return '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function reply(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Answers `GET /health` and `GET /metrics`; returns false for any other request. */
export function answerRoute(req: IncomingMessage, res: ServerResponse, source: RouteSource): boolean {
  const pathname = pathnameOf(req.url);
  if (pathname !== '/health' && pathname !== '/metrics') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 });
    res.end();
    return true;
  }
  if (pathname === '/health') {
    const health = source.health();
    // 503 while closing, so a load balancer stops routing new clients here.
    reply(req, res, health.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(health));
  } else {
    reply(req, res, 200, 'text/plain; version=0.0.4; charset=utf-8', source.metricsText());
  }
  return true;
}

/** The request listener of a server created by `createServer`. */
export function ownRequestListener(source: RouteSource | undefined, path: string | undefined) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (source && answerRoute(req, res, source)) return;
    if (path === undefined || pathnameOf(req.url) === path) {
      res.writeHead(426, { Upgrade: 'websocket', Connection: 'Upgrade', 'Content-Length': 0 });
      res.end();
      return;
    }
    reply(req, res, 404, 'text/plain; charset=utf-8', 'Not Found');
  };
}

/**
 * Puts the routes in front of the `request` listeners an app's server already has: they
 * see every request except `/health` and `/metrics`. Returns a function that restores
 * them. (Listeners added after `createServer` still see every request.)
 */
export function interceptRoutes(server: HttpServer, source: RouteSource): () => void {
  const previous = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    if (answerRoute(req, res, source)) return;
    for (const listener of previous) listener.call(server, req, res);
  };
  server.on('request', dispatch);
  return () => {
    server.off('request', dispatch);
    for (const listener of previous) server.on('request', listener);
  };
}
