// The test pages' recorder. Loaded with a classic <script>, it waits for a page to
// hand it the Continuum namespace (window.Continuum from the IIFE, or the ESM
// bundle's exports) and exposes `window.h`, which the tests drive with
// page.evaluate(). It records what the app would see — messages, events, the
// settling of every send() — with timestamps, and counts the sockets the page
// opens (by wrapping window.WebSocket before any client binds it).
(function () {
  'use strict';
  var NativeWebSocket = window.WebSocket;

  /** Binary payloads are recorded as `bin:<hex>` so tests compare plain strings. */
  function describe(data) {
    if (typeof data === 'string') return data;
    if (data instanceof Uint8Array) {
      return 'bin:' + Array.prototype.map.call(data, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
    }
    if (data instanceof ArrayBuffer) return 'ab:' + describe(new Uint8Array(data)).slice(4);
    if (typeof Blob === 'function' && data instanceof Blob) return 'blob:' + data.size;
    return 'other:' + Object.prototype.toString.call(data);
  }

  function install(ns, kind) {
    var h = {
      kind: kind,
      ns: ns,
      client: null,
      /** One entry per WebSocket the page constructed: { t, url }. */
      sockets: [],
      /** Client events: { t, at, type, ...fields }. `t` is performance.now(), `at` Date.now(). */
      events: [],
      /** Messages received: { data, seq, t }. */
      messages: [],
      /** send() outcomes by index: 'pending' | 'ok' | error code. */
      sends: [],
      /** Marks set by tests (e.g. when `online` was dispatched). */
      marks: {},

      connect: function (url, options) {
        var opts = Object.assign({}, options || {});
        if (typeof opts.randomFixed === 'number') {
          var r = opts.randomFixed;
          opts.random = function () { return r; };
          delete opts.randomFixed;
        }
        var client = new ns.Client(url, opts);
        h.client = client;
        var log = function (type, fields) {
          h.events.push(Object.assign({ t: performance.now(), at: Date.now(), type: type }, fields || {}));
        };
        client.on('state', function (e) { log('state', { state: e.state, previous: e.previous, reason: e.reason }); });
        client.on('open', function () { log('open'); });
        client.on('close', function (e) { log('close', { code: e.code, reason: e.reason, wasClean: e.wasClean, willReconnect: e.willReconnect }); });
        client.on('retry', function (e) { log('retry', { attempt: e.attempt, delayMs: e.delayMs, reason: e.reason }); });
        client.on('error', function (e) { log('error', { code: e.code, message: e.message }); });
        client.on('session', function (e) {
          log('session', JSON.parse(JSON.stringify({ id: e.id, resumed: e.resumed, previousId: e.previousId, gap: e.gap, unsent: e.unsent })));
        });
        client.on('message', function (data, meta) {
          h.messages.push({ data: describe(data), seq: meta.seq, t: performance.now() });
        });
        return true;
      },

      /**
       * Sends one message; `bytes` (an array) sends binary, `blob` (a string) a Blob of
       * that text. Returns its index in h.sends.
       */
      send: function (data, bytes, blob) {
        var i = h.sends.length;
        h.sends.push('pending');
        var payload = blob !== undefined ? new Blob([blob]) : bytes ? new Uint8Array(bytes) : data;
        h.client.send(payload).then(
          function () { h.sends[i] = 'ok'; },
          function (e) { h.sends[i] = (e && e.code) || String(e); }
        );
        return i;
      },

      /**
       * Sends `${prefix}${i}` for i in [from, to], `chunk` per turn every `everyMs`,
       * paced by the page's own timers. Resolves when all were handed to send().
       */
      sendMany: function (prefix, from, to, chunk, everyMs) {
        return new Promise(function (resolve) {
          var i = from;
          (function next() {
            var end = Math.min(to + 1, i + chunk);
            for (; i < end; i++) h.send(prefix + i);
            if (i > to) resolve(true);
            else setTimeout(next, everyMs);
          })();
        });
      },

      texts: function () {
        return h.messages.map(function (m) { return m.data; });
      },
      of: function (type) {
        return h.events.filter(function (e) { return e.type === type; });
      },
      stats: function () {
        return h.client.stats();
      },
      mark: function (name) {
        h.marks[name] = { t: performance.now(), at: Date.now() };
        return h.marks[name];
      },
      describe: describe,
    };
    window.h = h;
    return h;
  }

  // Every socket the page opens goes through here, so tests can count attempts and
  // time them. The constructor returns the native socket itself, so the client gets a
  // real WebSocket (binaryType, readyState, events) and `instanceof` still holds.
  function CountingWebSocket(url, protocols) {
    var ws = protocols === undefined ? new NativeWebSocket(url) : new NativeWebSocket(url, protocols);
    if (window.h) window.h.sockets.push({ t: performance.now(), at: Date.now(), url: String(url) });
    return ws;
  }
  CountingWebSocket.prototype = NativeWebSocket.prototype;
  ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach(function (k) { CountingWebSocket[k] = NativeWebSocket[k]; });
  window.WebSocket = CountingWebSocket;

  window.Harness = { install: install, describe: describe, NativeWebSocket: NativeWebSocket };
})();
