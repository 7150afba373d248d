import { expect, test, vi } from 'vitest';
import { createServer, jsonLogger, type LogFields, type Logger } from '../src/index.js';
import { nextSession, sessionEvent } from './helpers/sessions.js';
import { connect, session, startServer } from './helpers/server.js';

/** A logger that records (level, message, fields). */
function recorder(): Logger & { records: { level: string; message: string; fields: LogFields }[] } {
  const records: { level: string; message: string; fields: LogFields }[] = [];
  const at = (level: string) => (fields: LogFields, message: string) => void records.push({ level, message, fields });
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

test('the session lifecycle is logged with the session id: listening, started, resumed, ended, shutdown', async () => {
  const logger = recorder();
  const server = await startServer({ logger });
  expect(logger.records[0]).toEqual({ level: 'info', message: 'listening', fields: { url: server.url } });

  const got = nextSession(server);
  const first = await session(server.url);
  const s = await got;
  expect(logger.records).toContainEqual({ level: 'info', message: 'session started', fields: { session: s.id } });

  const { id, token } = first.welcome!;
  await first.drop();
  await vi.waitFor(() => expect(logger.records.map((r) => r.message)).toContain('socket closed; session waits for a resume'));
  await session(server.url, { resume: { id, token, recv: 0 } });
  expect(logger.records).toContainEqual({ level: 'info', message: 'session resumed', fields: { session: id, replayFrom: 1 } });

  const ended = sessionEvent(s, 'end');
  await server.close({ timeoutMs: 100 });
  await ended;
  expect(logger.records).toContainEqual(
    expect.objectContaining({ level: 'info', message: 'shutting down', fields: expect.objectContaining({ code: 1012, sessions: 1 }) }),
  );
  expect(logger.records).toContainEqual({ level: 'info', message: 'session ended', fields: { session: id, reason: 'shutdown' } });
});

test('a failed resume and a refused handshake are logged with their reasons', async () => {
  const logger = recorder();
  const server = await startServer({ logger, allowedOrigins: ['https://app.example.com'] });
  await session(server.url, { resume: { id: 'unknown', token: 'x', recv: 3 } });
  expect(logger.records).toContainEqual(
    expect.objectContaining({ message: 'session started after a failed resume', fields: expect.objectContaining({ gap: { from: 4, to: null } }) }),
  );
  await connect(server.url, { origin: 'https://evil.example.com' }).catch(() => undefined);
  await vi.waitFor(() =>
    expect(logger.records).toContainEqual({ level: 'info', message: 'handshake refused', fields: { reason: 'origin' } }),
  );
});

test('jsonLogger writes one JSON object per line, filters by level and serializes errors', () => {
  const lines: string[] = [];
  const logger = jsonLogger({ level: 'info', write: (line) => lines.push(line), base: { service: 'chat' }, time: () => 't' });
  logger.debug({ a: 1 }, 'dropped');
  logger.info({ session: 'abc' }, 'session started');
  const err = Object.assign(new Error('boom'), { code: 'E_X' });
  logger.error({ err }, 'server error');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  logger.warn({ cyclic }, 'still written');
  expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
  const [a, b, c] = lines.map((l) => JSON.parse(l));
  expect(a).toEqual({ time: 't', level: 'info', msg: 'session started', service: 'chat', session: 'abc' });
  expect(b.err).toMatchObject({ name: 'Error', message: 'boom', code: 'E_X' });
  expect(typeof b.err.stack).toBe('string');
  expect(c).toEqual({ time: 't', level: 'warn', msg: 'still written', fieldsDropped: true });
  expect(lines).toHaveLength(3);
});

test('a logger without the four methods is refused at startup', async () => {
  await expect(createServer({ port: 0, logger: { info() {} } as never })).rejects.toThrow(/logger must have debug, info, warn and error/);
  expect(() => jsonLogger({ level: 'verbose' as never })).toThrow(RangeError);
});
