// CONTRACT "encode-once fan-out": a publication is encoded once and the very same bytes
// (the same Uint8Array instance) are written to every subscriber's socket.
import { describe, expect, it, vi } from 'vitest';
import { FrameKind } from '@continuum/protocol';
import { Connection } from '../../src/connection.js';
import { connect, offsets, record, startServer } from './helpers.js';

describe('encode-once fan-out', () => {
  it('writes the same Uint8Array to every subscriber', async () => {
    const server = await startServer();
    const recorders = Array.from({ length: 5 }, () => record(connect(server.url).subscribe('wide')));
    await vi.waitFor(() => expect(server.channels.subscribers('wide')).toBe(5));

    const write = vi.spyOn(Connection.prototype, 'write');
    try {
      await server.publish('wide', 'to everyone');
      const frames = write.mock.calls.map(([data]) => data).filter((d): d is Uint8Array => typeof d !== 'string' && d[0] === FrameKind.PUBLICATION);
      expect(frames).toHaveLength(5);
      expect(new Set(frames).size).toBe(1);
      expect(new Set(write.mock.instances).size).toBe(5);
    } finally {
      write.mockRestore();
    }
    for (const r of recorders) await vi.waitFor(() => expect(offsets(r)).toEqual([1]));
  });
});
