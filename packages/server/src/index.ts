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
export { withExpiry, ExpiringIdentity } from './expiry.js';
export { LIMIT_DEFAULTS } from './limits.js';
export type { LimitsOptions } from './limits.js';
export { jsonLogger, silentLogger } from './logger.js';
export type { Logger, LogLevel, LogFields, JsonLoggerOptions } from './logger.js';
export { shutdownOnSignals } from './shutdown.js';
export type { GracefulShutdown, GracefulShutdownOptions, Closable } from './shutdown.js';
export { DEFAULTS } from './options.js';
export { CHANNEL_DEFAULTS, createMemoryChannelLog, newEpoch } from './channels.js';
export type {
  Authorize,
  ChannelAction,
  ChannelHistory,
  ChannelLog,
  ChannelOptions,
  ChannelStats,
  HistoryLimits,
  Publication,
} from './channels.js';
export type { ServerOptions, SessionOptions, Authenticate, AuthenticateContext } from './options.js';
