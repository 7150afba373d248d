// @continuum/browser: the core client with the page's WebSocket bound, and the
// browser's signals turned into hints: online/offline, page visibility, bfcache.
import { Client as CoreClient, ContinuumError, type ClientOptions, type SendData, type SendOptions } from '@continuum/core';

export * from '@continuum/core';

const page = globalThis as unknown as {
  WebSocket?: ClientOptions['WebSocket'];
  addEventListener?: (type: string, fn: (event: any) => void) => void;
  removeEventListener: (type: string, fn: (event: any) => void) => void;
  document?: { visibilityState?: string };
};
/** The page events that are worth checking the link for (`visibilitychange` is fired at the document and bubbles to the window). */
const signals = ['online', 'offline', 'visibilitychange', 'pageshow'];
const isBlob = (data: unknown): data is Blob => typeof Blob == 'function' && data instanceof Blob;

/**
 * The Continuum client for browsers.
 *
 * Liveness does not depend on this page's timers firing on time (background tabs
 * throttle them): the server's pings are the signal, silence is measured with
 * timestamps, and the link is checked at once when the network comes back or the
 * page becomes visible.
 *
 * `send()` also takes a `Blob` (e.g. a `File`), read asynchronously: messages sent
 * after it wait until it is read, so the server gets them in `send()` order.
 */
export class Client<TSend = SendData, TReceive = string | Uint8Array> extends CoreClient<TSend, TReceive> {
  private watching = false;
  /** Settles once every earlier Blob send was read and handed to the core client. */
  private blobsRead: Promise<void> | undefined;

  constructor(url: string | (() => string | Promise<string>), options: ClientOptions = {}) {
    // The core takes `transport` first, then `WebSocket`, and says what to do when neither is there.
    super(url, { ...options, WebSocket: options.WebSocket ?? page.WebSocket });
    this.watchPage(true);
    // A client that stops by itself (a terminal close code, retries exhausted) lets go
    // of the page too; connect()/reconnect() attach again.
    this.on('state', ({ state }) => {
      if (state === 'closed') this.watchPage(false);
    });
  }

  override send(data: TSend | Blob, options?: SendOptions): Promise<void> {
    if (!this.blobsRead && !isBlob(data)) return super.send(data as TSend, options);
    // In order behind the Blobs still being read. The core's promise is wrapped so the
    // chain waits for the hand-over only, not for the server's acknowledgement.
    const handedOver = (this.blobsRead ?? Promise.resolve()).then(async () => [
      super.send((isBlob(data) ? new Uint8Array(await data.arrayBuffer()) : data) as TSend, options),
    ]);
    const settled = (): void => {
      if (this.blobsRead == read) this.blobsRead = undefined;
    };
    const read: Promise<void> = (this.blobsRead = handedOver.then(settled, settled));
    const result = handedOver.then(
      ([ack]) => ack,
      (cause: unknown) => {
        throw cause instanceof ContinuumError ? cause : new ContinuumError('INVALID_ARGUMENT', `could not read the Blob: ${String(cause)}`, { cause });
      },
    );
    result.catch(() => {}); // marked handled, like every send() promise
    return result;
  }

  override connect(): void {
    this.watchPage(true);
    super.connect();
  }

  override reconnect(): void {
    this.watchPage(true);
    super.reconnect();
  }

  override close(...args: Parameters<CoreClient['close']>): Promise<void> {
    const closing = super.close(...args); // throws INVALID_ARGUMENT for a bad code, like the core's
    this.watchPage(false);
    return closing;
  }

  private readonly onSignal = ({ type, persisted }: { type: string; persisted?: boolean }): void => {
    if (
      type == 'online' ||
      // Going offline makes an open link suspect (probe it now). While reconnecting it
      // must not skip the backoff: an attempt now could only fail, and `online` will
      // start one the moment the network is back.
      (type == 'offline' ? this.state == 'open' : type == 'pageshow' ? persisted : page.document?.visibilityState == 'visible')
    )
      this.checkConnection(type);
  };

  /** Adds (`on`) or removes the page listeners, once: they follow the client's life. */
  private watchPage(on: boolean): void {
    if (on == this.watching || typeof page.addEventListener != 'function') return;
    this.watching = on;
    for (const type of signals) page[on ? 'addEventListener' : 'removeEventListener']!(type, this.onSignal);
  }
}
