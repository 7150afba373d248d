import type { ContinuumError, Payload } from '@continuum/protocol';

/** One accepted message, from `send()` until the server acknowledged it. */
export interface OutboxEntry {
  data: Payload;
  /** UTF-8 or byte length. */
  size: number;
  channel?: string;
  /** Sequence number in the current session; 0 until first transmitted. */
  seq: number;
  /** Idempotency key after its session was lost: the session and sequence number it had there. */
  origin?: { id: string; seq: number };
  /** Nacked: its promise already rejected; it only waits for the cumulative ack to leave. */
  settled: boolean;
  resolve: () => void;
  reject: (error: ContinuumError) => void;
}

/**
 * The ordered, bounded queue of accepted messages. Entries that were transmitted
 * come first (ascending seq), unsent ones after; acks remove from the front.
 * An array with a moving head: O(1) push and shift without copying on every ack.
 */
export class Outbox {
  private items: OutboxEntry[] = [];
  private head = 0;
  bytes = 0;
  /** How many entries, from the front, were transmitted on the current socket. */
  transmitted = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  at(index: number): OutboxEntry {
    return this.items[this.head + index];
  }

  push(entry: OutboxEntry): void {
    this.items.push(entry);
    this.bytes += entry.size;
  }

  shift(): OutboxEntry | undefined {
    if (this.head >= this.items.length) return undefined;
    const entry = this.items[this.head];
    this.items[this.head] = undefined as unknown as OutboxEntry;
    this.head++;
    if (this.transmitted > 0) this.transmitted--;
    this.bytes -= entry.size;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  /** Removes the oldest entry that was never transmitted (drop-oldest overflow). */
  evictOldestUnsent(): OutboxEntry | undefined {
    for (let i = this.head + this.transmitted; i < this.items.length; i++) {
      const entry = this.items[i];
      if (entry.seq === 0 && entry.origin === undefined) {
        this.items.splice(i, 1);
        this.bytes -= entry.size;
        return entry;
      }
    }
    return undefined;
  }

  /** Removes and returns everything. */
  drain(): OutboxEntry[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    this.transmitted = 0;
    return all;
  }

  /** Finds the transmitted entry with this sequence number. */
  findSeq(seq: number): OutboxEntry | undefined {
    if (this.length === 0) return undefined;
    const first = this.at(0).seq;
    const index = seq - first;
    if (first === 0 || index < 0 || index >= this.length) return undefined;
    const entry = this.at(index);
    return entry.seq === seq ? entry : undefined;
  }
}
