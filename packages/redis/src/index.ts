export { createRedisStore } from './store.js';
export type { RedisStore, RedisStoreOptions } from './store.js';
export { createRedisChannelLog } from './channel-log.js';
export type { RedisChannelLogOptions } from './channel-log.js';
export { keysFor, TTL, DEFAULT_PREFIX } from './keys.js';
export type { Keys } from './keys.js';
