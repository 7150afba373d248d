// maxRetries N: one first attempt plus exactly N retries, then RECONNECT_EXHAUSTED and CLOSED.
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { fastBackoff, freePort, quietPeriod, record, track } from './helpers.js';

describe('maxRetries against a port with nothing listening', () => {
  for (const maxRetries of [0, 1, 5]) {
    test(`maxRetries ${maxRetries}: exactly ${maxRetries + 1} attempts, then gives up`, async () => {
      const port = await freePort();
      let attempts = 0;
      const ws = track(
        new ReconnectingWebSocket(
          () => {
            attempts++;
            return `ws://127.0.0.1:${port}`;
          },
          [],
          { maxRetries, backoff: fastBackoff },
        ),
      );
      const log = record(ws);
      await vi.waitFor(() => expect(log.of('error').map((e) => e.error?.code)).toContain('RECONNECT_EXHAUSTED'));
      expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
      // Every attempt ended with its own close event, as a failed `new WebSocket()` does.
      expect(log.count('close')).toBe(maxRetries + 1);
      expect(log.count('open')).toBe(0);
      // Retries go far beyond maxMs (20 ms) here: nothing more may happen.
      await quietPeriod(150);
      expect(attempts).toBe(maxRetries + 1);
      expect(log.count('close')).toBe(maxRetries + 1);
      expect(log.of('error').filter((e) => e.error?.code === 'RECONNECT_EXHAUSTED')).toHaveLength(1);
    });
  }
});
