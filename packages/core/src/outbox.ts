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

  /** Entries `start` (inclusive) to `end` (exclusive), for one frame. */
  slice(start: number, end: number): OutboxEntry[] {
    return this.items.slice(this.head + start, this.head + end);
  }

  /** Removes the entry at `index`, keeping `transmitted` pointing past the same entries. */
  removeAt(index: number): OutboxEntry {
    const [entry] = this.items.splice(this.head + index, 1);
    this.bytes -= entry.size;
    if (index < this.transmitted) this.transmitted--;
    return entry;
  }

  /** Removes the oldest entry that was never transmitted (drop-oldest overflow). */
  evictOldestUnsent(): OutboxEntry | undefined {
    for (let i = this.transmitted; i < this.length; i++) {
      const entry = this.at(i);
      if (!entry.seq && !entry.origin) return this.removeAt(i);
    }
    return undefined;
  }

  /** Drops the settled entries (after a lost session) in one pass; the rest keep their order. */
  removeSettled(): void {
    for (const e of this.drain()) if (!e.settled) this.push(e);
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
