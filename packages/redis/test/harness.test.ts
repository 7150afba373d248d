// Without redis-server the Redis tests fail with the fix, never skip.
import { describe, expect, it } from 'vitest';
import { requireRedisServer } from './helpers/redis-server.js';

describe('test harness', () => {
  it('fails with "apt-get install redis-server" when redis-server is missing', () => {
    expect(() => requireRedisServer('/nonexistent/redis-server')).toThrow(/apt-get install redis-server/);
  });

  it('finds the redis-server these tests run against', () => {
    expect(() => requireRedisServer()).not.toThrow();
  });
});
