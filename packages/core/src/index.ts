export { Client, jsonCodec } from './client.js';
export type {
  ClientEvents,
  ClientStats,
  CloseEvent,
  CloseOptions,
  MessageMeta,
  RetryEvent,
  SendData,
  SendOptions,
  SessionEvent,
  StateEvent,
} from './client.js';
export { Subscription } from './channels.js';
export type {
  PublicationMeta,
  SubscribeOptions,
  SubscribedEvent,
  SubscriptionEvents,
  SubscriptionState,
  UnsubscribedEvent,
} from './channels.js';
export type { ClientOptions, Codec, ConnectionOptions, CloseInfo, OverflowPolicy } from './options.js';
export type { BackoffOptions } from './backoff.js';
export { reconnectDelay } from './backoff.js';
export type { ConnectionState } from './state.js';
export type { Clock } from './clock.js';
export { webSocketTransport } from './transport.js';
export type { Transport, TransportFactory, TransportHandlers, WebSocketConstructor, WebSocketLike } from './transport.js';
export { ContinuumError, isContinuumError, CloseCode, closePolicy, isRetryable } from '@continuum/protocol';
export type { ChannelPosition, ErrorCode, Gap, Payload } from '@continuum/protocol';
export { ReconnectingWebSocket } from './reconnecting-websocket.js';
export type { ReconnectingWebSocketOptions, RwsEvent } from './reconnecting-websocket.js';
