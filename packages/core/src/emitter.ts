import { EventEmitter } from 'eventemitter3';

/**
 * A typed event emitter. eventemitter3 stays behind this wrapper so its types
 * never leak into our `.d.ts`. A listener that throws does not break the
 * emitter's caller (the client's receive loop): the exception is re-thrown in a
 * microtask, where the platform reports it like any uncaught app error.
 */
export class Emitter<Events extends Record<string, (...args: any[]) => void>> {
  private readonly ee = new EventEmitter();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events & string>(event: K, listener: Events[K]): () => void {
    this.ee.on(event, listener);
    return () => this.off(event, listener);
  }

  once<K extends keyof Events & string>(event: K, listener: Events[K]): () => void {
    this.ee.once(event, listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events & string>(event: K, listener?: Events[K]): void {
    this.ee.off(event, listener);
  }

  listenerCount<K extends keyof Events & string>(event: K): number {
    return this.ee.listenerCount(event);
  }

  /** @internal */
  protected emit<K extends keyof Events & string>(event: K, ...args: Parameters<Events[K]>): void {
    try {
      this.ee.emit(event, ...args);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  /** @internal */
  protected removeAllListeners(): void {
    this.ee.removeAllListeners();
  }
}
