// A small typed emitter. Not node:events: `on()` returns an unsubscribe function like
// the client SDK's emitter, and the session needs the listeners' return values (a
// 'message' handler may return a promise, and the ack waits for it).

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => unknown;
type EventMap<T> = { [K in keyof T]: Listener };

/** Typed events; `on()` and `once()` return a function that removes the listener. */
export class Emitter<Events extends EventMap<Events>> {
  // Created on the first `on()`: an idle session without listeners costs one field.
  private listenerMap?: Map<keyof Events, Listener[]>;

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    const map = (this.listenerMap ??= new Map());
    // Copy on write: an emit in progress keeps iterating the array it started with.
    map.set(event, [...(map.get(event) ?? []), listener]);
    return () => this.off(event, listener);
  }

  /** Adds a listener that runs at most once; returns a function that removes it. */
  once<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    const wrapper = ((...args: unknown[]) => {
      this.off(event, wrapper);
      return listener(...args);
    }) as Events[K];
    return this.on(event, wrapper);
  }

  /** Removes one listener, or every listener of `event` when none is given. */
  off<K extends keyof Events>(event: K, listener?: Events[K]): void {
    const map = this.listenerMap;
    const current = map?.get(event);
    if (!map || !current) return;
    const next = listener === undefined ? [] : current.filter((l) => l !== listener);
    if (next.length === 0) map.delete(event);
    else map.set(event, next);
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.listenerMap?.get(event)?.length ?? 0;
  }

  /** The current listeners; safe to iterate while listeners are added or removed. */
  protected listenersOf<K extends keyof Events>(event: K): readonly Events[K][] {
    return (this.listenerMap?.get(event) ?? EMPTY) as Events[K][];
  }

  /**
   * Calls every listener. One that throws does not stop the others nor the caller (a
   * server's receive loop): the exception is re-thrown in a microtask, where Node reports
   * it like any uncaught exception of the app.
   */
  protected emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const listener of this.listenersOf(event)) {
      try {
        listener(...args);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  protected removeAllListeners(): void {
    this.listenerMap = undefined;
  }
}

const EMPTY: readonly Listener[] = [];
