/** The protocol version this package speaks, and the WebSocket subprotocol naming it. */
export const PROTOCOL_VERSION = 1;
export const SUBPROTOCOL = 'continuum.v1';

/** A message payload as the app sees it: text stays text, binary stays bytes. */
export type Payload = string | Uint8Array;

/** Continuity the server could not keep: server→client sequence numbers the client never saw. */
export interface Gap {
  /** The first sequence number the client never received. */
  from: number;
  /** The last one, or null when the server cannot know (it restarted without state). */
  to: number | null;
}

/** Channel position a subscriber resumes from. */
export interface ChannelPosition {
  offset: number;
  epoch: string;
}

// ---- control messages: JSON in text frames -------------------------------------------

/** Client → server, first message on every socket. */
export interface HelloMessage {
  t: 'hello';
  /** Protocol version the client speaks. */
  v: number;
  /** Credential, for platforms that cannot set headers (browsers). */
  auth?: string;
  /** Present when the client had a session and wants it back. */
  resume?: { id: string; token: string; recv: number };
}

/** Server → client, the answer to hello. */
export interface WelcomeMessage {
  t: 'welcome';
  v: number;
  /** Session id, stable across resumes. */
  id: string;
  /** Secret the client presents to resume; bound to the authenticated identity. */
  token: string;
  resumed: boolean;
  /** Highest contiguous client sequence number the server has received: the client re-sends from recv + 1. */
  recv: number;
  /** Highest client sequence number the server has acknowledged (handled). */
  ack: number;
  /** Server→client messages the client never saw (only when resumed is false). */
  gap?: Gap;
  /**
   * When the session the client asked for is gone but the server still knows how it
   * ended: its id and the last client sequence number it acknowledged, so the client can
   * settle those messages instead of sending them again.
   */
  previous?: { id: string; ack: number };
  /** Interval of the server's app-level pings, ms. */
  pingMs: number;
  /** Largest app message the server accepts, bytes. */
  maxMessageBytes: number;
  /** Largest frame the server accepts (a batch may be larger than one message), bytes. */
  maxFrameBytes: number;
  /** How long the server keeps a session after its socket dropped, ms. */
  sessionTtlMs: number;
  /** Bounds of the server's replay buffer. */
  replayMaxMessages: number;
  replayMaxBytes: number;
  /** With `resumed: true`: the last sequence number the server assigned; it replays `resume.recv + 1 … sent`. */
  sent?: number;
}

export interface PingMessage {
  t: 'ping';
}
export interface PongMessage {
  t: 'pong';
}

/** Server → client: the message with this sequence number was not handled. */
export interface NackMessage {
  t: 'nack';
  seq: number;
  code: string;
  message: string;
}

/** Server → client: the credential expires in `inMs`; send a fresh one with `auth`. */
export interface RefreshMessage {
  t: 'refresh';
  inMs: number;
}

/** Client → server: a fresh credential for the running session. */
export interface AuthMessage {
  t: 'auth';
  token: string;
}

/** Server → client: a non-fatal error report (e.g. a refused credential refresh). */
export interface ErrorMessage {
  t: 'error';
  code: string;
  message: string;
}

/** Client → server: subscribe to a channel, optionally resuming from a position. */
export interface SubscribeMessage {
  t: 'sub';
  ch: string;
  since?: ChannelPosition;
}
export interface UnsubscribeMessage {
  t: 'unsub';
  ch: string;
}
/** The client's app closed it for good: it will never resume this session. */
export interface ByeMessage {
  t: 'bye';
}

/** Server → client: subscription confirmed; publications after `offset` follow. */
export interface SubscribedMessage {
  t: 'subscribed';
  ch: string;
  offset: number;
  epoch: string;
  recovered: boolean;
  gap?: Gap;
  /** The channel's last offset when the server answered: publications `offset + 1 … latest` are history sent again, later ones live. */
  latest?: number;
}

/** Server → client: the subscription ended or was refused. */
export interface UnsubscribedMessage {
  t: 'unsubscribed';
  ch: string;
  code?: string;
  message?: string;
}

export type ClientControl = HelloMessage | PingMessage | PongMessage | AuthMessage | SubscribeMessage | UnsubscribeMessage | ByeMessage;
export type ServerControl =
  | WelcomeMessage
  | PingMessage
  | PongMessage
  | NackMessage
  | RefreshMessage
  | ErrorMessage
  | SubscribedMessage
  | UnsubscribedMessage;
export type ControlMessage = ClientControl | ServerControl;

// ---- data frames: binary --------------------------------------------------------------

/** First byte of a binary frame. */
export const FrameKind = {
  ACK: 0x00,
  DATA: 0x01,
  RESEND: 0x02,
  VOLATILE: 0x03,
  PUBLICATION: 0x04,
} as const;

/** One message inside a frame; `channel` only when it is addressed to a channel. */
export interface FrameEntry {
  data: Payload;
  channel?: string;
}

export type DataFrame =
  | { kind: typeof FrameKind.ACK; ack: number }
  | { kind: typeof FrameKind.DATA; ack: number; firstSeq: number; entries: FrameEntry[] }
  | {
      kind: typeof FrameKind.RESEND;
      ack: number;
      seq: number;
      originId: string;
      originSeq: number;
      entry: FrameEntry;
    }
  | { kind: typeof FrameKind.VOLATILE; entries: FrameEntry[] }
  | { kind: typeof FrameKind.PUBLICATION; channel: string; epoch: string; firstOffset: number; entries: FrameEntry[] };

/** Protocol-wide bounds, so every implementation rejects the same hostile input. */
export const Limits = {
  /** Sequence numbers, offsets and lengths stay below 2^53. */
  maxInteger: Number.MAX_SAFE_INTEGER,
  /** Channel names: 1–200 bytes of [A-Za-z0-9_:.@/=-]. */
  maxChannelLength: 200,
  /** Session ids, tokens, epochs: at most 128 characters. */
  maxIdLength: 128,
  /** A close reason: 123 bytes (RFC 6455). */
  maxCloseReasonBytes: 123,
  /** Control messages (JSON text frames) are small; anything larger is hostile. */
  maxControlBytes: 65_536,
  /**
   * A sender stops adding messages to a batch once it would grow past this many bytes;
   * a larger message goes alone. Past this size batching saves no syscalls worth the
   * copy, and a frame above the allocator's mmap threshold (128 KiB in glibc) costs a
   * fresh zero-filled mapping per frame on both ends.
   */
  batchTargetBytes: 65_536,
} as const;

const CHANNEL_RE = /^[A-Za-z0-9_:.@/=-]{1,200}$/;

/** Whether a channel name is valid (length 1–200, characters `A-Za-z0-9_:.@/=-`). */
export function isValidChannel(name: unknown): name is string {
  return typeof name === 'string' && CHANNEL_RE.test(name);
}
