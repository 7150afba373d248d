// CI machines are shared (two cores, test files in parallel): a `vi.waitFor` that
// gives up after vitest's default 1 s fails tests for load, not for behaviour.
// Waiting longer costs nothing when the condition holds early.
import { vi } from 'vitest';

const waitFor = vi.waitFor.bind(vi);
vi.waitFor = ((callback: Parameters<typeof vi.waitFor>[0], options?: Parameters<typeof vi.waitFor>[1]) =>
  waitFor(callback, typeof options === 'number' ? options : { timeout: 5000, ...options })) as typeof vi.waitFor;
