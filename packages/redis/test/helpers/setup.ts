// One redis-server per test file (started in beforeAll, stopped in afterAll), and stores
// that are closed after each test.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../src/index.js';
import { RedisServer } from './redis-server.js';

export const redis: { server: RedisServer } = {} as { server: RedisServer };
const stores = new Set<RedisStore>();

beforeAll(async () => {
  redis.server = await RedisServer.start();
}, 20_000);

afterEach(async () => {
  await Promise.all([...stores].map((s) => s.close()));
  stores.clear();
  // Every test starts from an empty Redis.
  const cleaner = createRedisStore({ url: redis.server.url });
  await cleaner.redis.flushall();
  await cleaner.close();
});

afterAll(async () => {
  await redis.server?.stop();
});

/** A store on the test Redis, closed after the test. */
export function newStore(options: RedisStoreOptions = {}): RedisStore {
  const store = createRedisStore({ url: redis.server.url, ...options });
  stores.add(store);
  return store;
}
