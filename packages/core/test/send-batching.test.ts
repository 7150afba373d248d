// Sends of one event-loop turn leave as one DATA frame with consecutive sequence
// numbers; with batch: false each send is its own frame.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { FrameKind } from '@continuum/protocol';
import { flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('send batching', () => {
  it('sends of one turn share one DATA frame with consecutive seqs', async () => {
    const { server, client } = start();
    const socket = await server.open();
    const bytes = new Uint8Array([1, 2, 3]);
    void client.send('a');
    void client.send(bytes);
    void client.send('c');
    expect(socket.dataFrames()).toEqual([]); // not before the end of the turn
    await flush();
    expect(socket.dataFrames()).toEqual([
      { kind: FrameKind.DATA, ack: 0, firstSeq: 1, entries: [{ data: 'a' }, { data: bytes }, { data: 'c' }] },
    ]);
    void client.send('d');
    void client.send('e');
    await flush();
    const frames = socket.dataFrames();
    expect(frames).toHaveLength(2);
    expect(frames[1]).toMatchObject({ kind: FrameKind.DATA, firstSeq: 4, entries: [{ data: 'd' }, { data: 'e' }] });
    expect(client.stats()).toMatchObject({ messagesOut: 5, framesOut: 2 });
  });

  it('a lone send leaves at the end of its turn, without waiting for a timer', async () => {
    const { server, client } = start();
    const socket = await server.open();
    void client.send('solo');
    await flush();
    expect(socket.dataFrames()).toHaveLength(1);
  });

  it('a batch stops at 64 KiB; a larger message goes alone', async () => {
    const { server, client } = start();
    const socket = await server.open();
    const medium = new Uint8Array(30_000).fill(1);
    const big = new Uint8Array(100_000).fill(2);
    for (let i = 0; i < 5; i++) void client.send(medium);
    void client.send(big);
    void client.send('after');
    await flush();
    const frames = socket.dataFrames().filter((f) => f.kind === FrameKind.DATA);
    expect(frames.map((f) => (f.kind === FrameKind.DATA ? f.entries.length : 0))).toEqual([2, 2, 1, 1, 1]);
    expect(frames.map((f) => (f.kind === FrameKind.DATA ? f.firstSeq : 0))).toEqual([1, 3, 5, 6, 7]);
  });

  it('volatile sends share frames under the same bounds, and batch: false sends each alone', async () => {
    const batched = start();
    const a = await batched.server.open();
    for (let i = 0; i < 3; i++) void batched.client.send(`v${i}`, { volatile: true });
    for (let i = 0; i < 3; i++) void batched.client.send(new Uint8Array(30_000), { volatile: true });
    await flush();
    const sizes = (frames: ReturnType<typeof a.dataFrames>) =>
      frames.filter((f) => f.kind === FrameKind.VOLATILE).map((f) => (f.kind === FrameKind.VOLATILE ? f.entries.length : 0));
    expect(sizes(a.dataFrames())).toEqual([5, 1]);

    const single = start({ batch: false });
    const b = await single.server.open();
    for (let i = 0; i < 3; i++) void single.client.send(`v${i}`, { volatile: true });
    await flush();
    expect(sizes(b.dataFrames())).toEqual([1, 1, 1]);
  });

  it('batch: false → one frame per send, seqs still consecutive', async () => {
    const { server, client } = start({ batch: false });
    const socket = await server.open();
    void client.send('a');
    void client.send('b');
    void client.send('c');
    await flush();
    expect(socket.dataFrames()).toEqual([
      { kind: FrameKind.DATA, ack: 0, firstSeq: 1, entries: [{ data: 'a' }] },
      { kind: FrameKind.DATA, ack: 0, firstSeq: 2, entries: [{ data: 'b' }] },
      { kind: FrameKind.DATA, ack: 0, firstSeq: 3, entries: [{ data: 'c' }] },
    ]);
  });

  it('binary stays binary and text stays text on the wire', async () => {
    const { server, client } = start();
    const socket = await server.open();
    void client.send(new Uint8Array([0xff]).buffer);
    void client.send(new DataView(new Uint8Array([7, 8]).buffer));
    void client.send('é');
    await flush();
    const [frame] = socket.dataFrames();
    if (frame.kind !== FrameKind.DATA) throw new Error('expected DATA');
    expect(frame.entries[0].data).toEqual(new Uint8Array([0xff]));
    expect(frame.entries[1].data).toEqual(new Uint8Array([7, 8]));
    expect(frame.entries[2].data).toBe('é');
  });
});
