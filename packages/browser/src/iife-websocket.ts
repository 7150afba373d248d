// `reconnecting-websocket.min.js`: the drop-in for servers that do not speak Continuum's
// protocol, as `window.Continuum.ReconnectingWebSocket` (with or without continuum.min.js).
export { ReconnectingWebSocket } from './index.js';
