export { createServer, ContinuumServer, SessionList } from './server.js';
export type { ServerEvents, CloseOptions } from './server.js';
export { Session } from './session.js';
export type { SessionEvents, SessionState, SessionEndReason, MessageMeta, SendOptions } from './session.js';
export { AuthError } from './errors.js';
export type { AuthRefusal } from './errors.js';
export { createMemoryStore } from './store.js';
export type {
  SessionStore,
  SessionRecord,
  Tombstone,
  ReplayMessage,
  RetainedNack,
  MemoryStoreOptions,
  MaybePromise,
} from './store.js';
export { DEFAULTS } from './options.js';
export type { ServerOptions, SessionOptions, Authenticate, AuthenticateContext } from './options.js';
