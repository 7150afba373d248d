import type { ContinuumServer, Session } from '../../src/index.js';

/** The next 'session' event of `server`. */
export function nextSession<I>(server: ContinuumServer<I>): Promise<Session<I>> {
  return new Promise((resolve) => {
    const off = server.on('session', (s) => {
      off();
      resolve(s);
    });
  });
}

/** Resolves on the session's next `event`. */
export function sessionEvent<K extends 'close' | 'end'>(
  session: Session<any>,
  event: K,
): Promise<Parameters<Parameters<Session['on']>[1]>[0]> {
  return new Promise((resolve) => {
    const off = session.on(event, ((e: never) => {
      off();
      resolve(e);
    }) as never);
  });
}
