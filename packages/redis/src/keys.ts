// Every Redis key and pub/sub channel the store uses, and their lifetimes, in one place.
// README.md documents the same list; change both together.
//
// Keys of one session or one channel share a hash tag ({…}), so the scripts that touch
// them together stay within one slot. (Redis Cluster is not supported yet: a client
// publish touches a channel's keys and its session's hash in one script.)

/** The keys of one store; `prefix` namespaces several apps on one Redis. */
export function keysFor(prefix: string) {
  return {
    /**
     * Hash: `owner` (node id of the server hosting it), `token`, `identityKey`, `sent`,
     * `received`, `handled`, `peerAck`, `expiresAt`, `nacks` (JSON).
     * TTL: see {@link TTL.sessionConnectedMs} / {@link TTL.sessionGraceMs}.
     */
    session: (id: string) => `${prefix}s:{${id}}`,
    /**
     * Stream of the session's unacknowledged server→client messages: entry id `<seq>-0`,
     * fields `b` (1 binary, 0 UTF-8 text) and `d` (payload). Trimmed (MINID) to what the
     * client has not acknowledged and to `session.replayMaxMessages`. Same TTL as the hash.
     */
    sessionOut: (id: string) => `${prefix}s:{${id}}:out`,
    /** String (JSON) of an ended session's tombstone; expires at its `expiresAt` (PXAT). */
    tombstone: (id: string) => `${prefix}t:{${id}}`,
    /** Integer: the channel's last offset (INCR). TTL {@link TTL.channelIdleMs}. */
    channelOffset: (channel: string) => `${prefix}c:{${channel}}:offset`,
    /** String: the channel's epoch; a new one whenever the offset or history was lost. TTL {@link TTL.channelIdleMs}. */
    channelEpoch: (channel: string) => `${prefix}c:{${channel}}:epoch`,
    /**
     * Stream of the channel's history: entry id `<offset>-0`, fields `b`, `d`, `t` (ms).
     * Trimmed with MAXLEN `historyMaxMessages` and by age. TTL {@link TTL.channelIdleMs}.
     */
    channelLog: (channel: string) => `${prefix}c:{${channel}}:log`,
    /** Pub/sub channel carrying the channel's live publications to every node. */
    channelPubSub: (channel: string) => `${prefix}p:${channel}`,
    /** The prefix of pub/sub channels, to map a message back to its channel name. */
    pubSubPrefix: `${prefix}p:`,
  };
}

export type Keys = ReturnType<typeof keysFor>;

/** Key lifetimes, ms. */
export const TTL = {
  /**
   * A session's keys while a socket is attached (`expiresAt` 0), refreshed on every write.
   * An attached session idle longer than this can no longer be resumed on another node if
   * its own node dies.
   */
  sessionConnectedMs: 24 * 60 * 60 * 1000,
  /**
   * After a disconnected session's `expiresAt`: how long its keys stay, so that a late
   * resume still finds the record and learns the exact gap (the server then writes a
   * tombstone and deletes it).
   */
  sessionGraceMs: 10 * 60 * 1000,
  /**
   * A channel's keys after the last publish or read, and refreshed every quarter of this
   * while any node has a subscriber. A channel idle longer than this starts a new epoch.
   */
  channelIdleMs: 24 * 60 * 60 * 1000,
} as const;

/** The default key prefix. */
export const DEFAULT_PREFIX = 'continuum:';
