// `continuum.min.js`: what a page needs to talk to a Continuum server, as `window.Continuum`.
// The drop-in ReconnectingWebSocket is its own script (iife-websocket.ts): a page that
// uses one does not download the other, and loading both fills in the same global.
export { Client, Subscription, ContinuumError, isContinuumError, isRetryable, CloseCode, jsonCodec } from './index.js';
