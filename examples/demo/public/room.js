// The demo's client logic without the DOM, so the page (app.js) and the Node smoke test
// (smoke.mjs) run the same code. A plain script: it defines `ContinuumDemo.createRoom`
// on the global object, in a browser and in Node alike.
//
// What it shows about using Continuum well:
// - the server's chat messages are applied once, in room order (`n`), whatever happened to
//   the link: resumes need nothing from the app;
// - when continuity was lost (a `gap`), the app resyncs from its source of truth: here a
//   history snapshot from the server, merged by `n`;
// - it counts what the SDK promises never to happen (a sequence number or channel offset
//   delivered twice), so a test can assert it stayed at zero.
(function (root) {
  'use strict';

  /**
   * @param client a Continuum `Client` created with `codec: 'json'`
   * @param options `{ channels }`: whether the server publishes on channels
   */
  function createRoom(client, options) {
    var useChannels = Boolean(options && options.channels) && typeof client.subscribe === 'function';
    var listeners = {};
    var messages = []; // sorted by n
    var byN = new Map();
    var pending = new Map(); // id -> { id, name, text, error }
    var stats = {
      mode: useChannels ? 'channels' : 'session messages',
      lastSeq: 0,
      offsets: {}, // channel -> { offset, epoch }
      duplicates: 0,
      gaps: 0,
      lastGap: null,
      historySnapshots: 0,
    };
    var counter = 0;
    var clientId = Math.random().toString(36).slice(2, 10);

    function on(type, fn) {
      (listeners[type] = listeners[type] || []).push(fn);
    }
    function emit(type, arg) {
      (listeners[type] || []).forEach(function (fn) {
        fn(arg);
      });
    }

    /** Inserts a chat message by its room sequence; returns false if it was there already. */
    function insert(message) {
      if (byN.has(message.n)) return false;
      byN.set(message.n, message);
      var i = messages.length;
      while (i > 0 && messages[i - 1].n > message.n) i--;
      messages.splice(i, 0, message);
      if (pending.delete(message.id)) emit('pending', pending);
      emit('message', { message: message, index: i });
      return true;
    }

    function onData(data) {
      if (!data || typeof data !== 'object') return;
      if (data.type === 'history') {
        stats.historySnapshots++;
        data.messages.forEach(insert);
        emit('history', { count: data.messages.length });
      } else if (data.type === 'chat') {
        insert(data);
      } else if (data.type === 'metrics') {
        emit('metrics', data);
      }
    }

    client.on('session', function (event) {
      // A new session numbers its messages from 1 again.
      if (!event.resumed) stats.lastSeq = 0;
      if (event.gap) {
        stats.gaps++;
        stats.lastGap = { source: 'session', from: event.gap.from, to: event.gap.to };
      }
    });

    client.on('message', function (data, meta) {
      if (meta.seq) {
        if (meta.seq <= stats.lastSeq) stats.duplicates++;
        stats.lastSeq = meta.seq;
      }
      onData(data);
    });

    function track(channel, offset, epoch) {
      var last = stats.offsets[channel];
      if (last && last.epoch === epoch && offset <= last.offset) stats.duplicates++;
      stats.offsets[channel] = { offset: offset, epoch: epoch };
    }

    var subscriptions = [];
    if (useChannels) {
      var chat = client.subscribe('chat');
      chat.on('publication', function (data, meta) {
        track('chat', meta.offset, meta.epoch);
        onData(data);
      });
      chat.on('subscribed', function (event) {
        // First subscription, or history could not be replayed: take a snapshot now that
        // live publications flow, and merge it by `n`; nothing falls in between.
        if (!event.recovered || stats.historySnapshots === 0) client.send({ type: 'sync' });
      });
      chat.on('gap', function (gap) {
        stats.gaps++;
        stats.lastGap = { source: 'chat', from: gap.from, to: gap.to };
        emit('gap', stats.lastGap);
      });
      var dashboard = client.subscribe('dashboard');
      dashboard.on('publication', function (data, meta) {
        track('dashboard', meta.offset, meta.epoch);
        onData(data);
      });
      // The dashboard only wants what comes next; a gap there is just a hole in the chart.
      dashboard.on('gap', function () {});
      subscriptions.push(chat, dashboard);
      [chat, dashboard].forEach(function (sub) {
        sub.on('error', function (err) {
          emit('error', err);
        });
      });
    }

    /** Sends a chat message; it shows as pending until the room's copy comes back. */
    function post(name, text) {
      var id = clientId + '-' + ++counter;
      var entry = { id: id, name: name, text: text, error: null };
      pending.set(id, entry);
      emit('pending', pending);
      var sent = client.send({ type: 'chat', id: id, name: name, text: text });
      sent.catch(function (err) {
        if (!pending.has(id)) return;
        entry.error = err.code + ': ' + err.message;
        emit('pending', pending);
      });
      return { id: id, sent: sent };
    }

    return {
      on: on,
      post: post,
      messages: messages,
      pending: pending,
      stats: stats,
      subscriptions: subscriptions,
      /** Ids of this room's own messages start with it. */
      clientId: clientId,
    };
  }

  root.ContinuumDemo = { createRoom: createRoom };
})(typeof window !== 'undefined' ? window : globalThis);
