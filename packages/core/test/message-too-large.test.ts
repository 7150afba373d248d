// MESSAGE_TOO_LARGE: checked locally against the maxMessageBytes option and the
// server's limit from the welcome — a rejection, never a throw, never on the wire.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start, track } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MESSAGE_TOO_LARGE', () => {
  it('rejects a message over the maxMessageBytes option (UTF-8 bytes, not characters)', async () => {
    const { server, client } = start({ maxMessageBytes: 10 });
    const socket = await server.open();
    const big = track(client.send('x'.repeat(11)));
    const accented = track(client.send('é'.repeat(6))); // 12 bytes
    const bytes = track(client.send(new Uint8Array(11)));
    const fits = track(client.send('x'.repeat(10)));
    await flush();
    expect([big.status, accented.status, bytes.status, fits.status]).toEqual(['rejected', 'rejected', 'rejected', 'pending']);
    expect(big.error.code).toBe('MESSAGE_TOO_LARGE');
    expect(accented.error.code).toBe('MESSAGE_TOO_LARGE');
    expect(bytes.error.code).toBe('MESSAGE_TOO_LARGE');
    expect(socket.dataFrames()).toMatchObject([{ firstSeq: 1, entries: [{ data: 'x'.repeat(10) }] }]);
  });

  it("rejects a message over the server's welcome.maxMessageBytes", async () => {
    const { server, client } = start();
    await server.open({ maxMessageBytes: 8 });
    const big = track(client.send('123456789'));
    const fits = track(client.send('12345678'));
    await flush();
    expect(big.status).toBe('rejected');
    expect(big.error.code).toBe('MESSAGE_TOO_LARGE');
    expect(fits.status).toBe('pending');
  });

  it('a message accepted offline that the welcome says is too large rejects; its neighbours are still sent', async () => {
    const { server, client } = start();
    const before = track(client.send('small-1'));
    const big = track(client.send('y'.repeat(20)));
    const after = track(client.send('small-2'));
    const socket = await server.open({ maxMessageBytes: 10 });
    expect(big.status).toBe('rejected');
    expect(big.error.code).toBe('MESSAGE_TOO_LARGE');
    expect(socket.dataFrames()).toMatchObject([{ kind: 1, firstSeq: 1, entries: [{ data: 'small-1' }, { data: 'small-2' }] }]);
    socket.ack(2);
    await flush();
    expect([before.status, after.status]).toEqual(['resolved', 'resolved']);
    expect(client.stats().outboxMessages).toBe(0);
  });
});
