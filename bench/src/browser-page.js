// The page of the browser phase (browser.mjs serves it after the script-tag build(s),
// which define `window.Continuum`). `benchOpen(options)` opens one connection of
// one stack; `benchRun()` sends `n` text messages of `bytes` bytes on it as fast as
// the stack's backpressure allows and resolves once the server reported (in one reply
// message) that all of them arrived; `benchClose()` closes it. Every wait is bounded
// by `timeLimitMs`.
//
// Backpressure, the same rule for every stack that exposes `bufferedAmount` (the plain
// WebSocket and Continuum's ReconnectingWebSocket): above `highWaterBytes` the loop
// waits for a 0 ms timer and looks again (see nextTimer).
// Continuum's Client bounds its outbox (1,000 messages / 4 MiB by default, overflow
// 'reject': a send past it rejects with OUTBOX_FULL), so the loop keeps at most
// `window` sends unacknowledged and, when the window is full, awaits the next
// acknowledgement (the send() promises resolve on the server's ack).
(function () {
  'use strict';

  // Times compared with the server's are Date.now() (the system clock, read as it is
  // then, in both processes); `performance.timeOrigin + performance.now()` drifts from it
  // by milliseconds in a long-lived process on this VM. Durations within the page use
  // performance.now().

  /**
   * How a sender blocked by `bufferedAmount` waits before it looks again: a 0 ms timer
   * (default), or one MessageChannel task (`waitMode: 'task'`). The task variant spins
   * the page's main thread while Chromium's own threads (the renderer's IO thread, the
   * network service) need the same two cores to drain the socket: measured on this
   * machine it made the plain WebSocket ~35 % slower, so the timer is the rule.
   */
  const nextTimer = () => new Promise((resolve) => setTimeout(resolve, 0));
  const channel = new MessageChannel();
  const yielded = [];
  channel.port1.onmessage = () => yielded.shift()();
  const nextTask = () =>
    new Promise((resolve) => {
      yielded.push(resolve);
      channel.port2.postMessage(0);
    });

  function deadlineAfter(ms, what) {
    let timer;
    const promise = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    });
    promise.catch(() => {});
    return { promise, cancel: () => clearTimeout(timer) };
  }

  /** A plain WHATWG-style socket (the page's WebSocket, or Continuum's drop-in). */
  async function openSocket(ws, o) {
    const reply = new Promise((resolve) => {
      ws.onmessage = (event) => resolve(event.data);
    });
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`${o.stack}: socket error before open`));
    });
    ws.onerror = null;
    return {
      reply,
      send: (data) => ws.send(data),
      blocked: () => ws.bufferedAmount > o.highWaterBytes,
      wait: o.waitMode === 'task' ? nextTask : nextTimer,
      close: () => ws.close(),
      stats: () => ({ bufferedAmount: ws.bufferedAmount }),
    };
  }

  async function openClient(o) {
    // o.clientOptions: diagnostics only (the bench measures the defaults).
    const client = new window.Continuum.Client(o.url, o.clientOptions);
    const errors = [];
    client.on('error', (e) => errors.push(e.code ?? String(e)));
    const reply = new Promise((resolve) => client.once('message', (data) => resolve(data)));
    await new Promise((resolve) => client.once('open', resolve));
    // Acks are cumulative: watching every 32nd promise is enough to know how many
    // sends are still unacknowledged (≈ the outbox's length).
    let sent = 0;
    let acked = 0;
    let rejected = 0;
    let waiter;
    const onAck = (k) => {
      if (k > acked) acked = k;
      if (waiter && sent - acked < o.window) {
        const wake = waiter;
        waiter = undefined;
        wake();
      }
    };
    return {
      reply,
      send: (data) => {
        const p = client.send(data);
        const k = ++sent;
        if ((k & 31) === 0 || k === o.n) p.then(() => onAck(k), () => (rejected++, onAck(k)));
      },
      blocked: () => sent - acked >= o.window,
      wait: () =>
        new Promise((resolve) => {
          waiter = resolve;
        }),
      close: () => client.close(),
      stats: () => {
        const s = client.stats();
        return { framesOut: s.framesOut, messagesOut: s.messagesOut, bytesOut: s.bytesOut, overflowed: s.overflowed, rejected, errors: errors.slice(0, 5) };
      },
    };
  }

  let current;

  /**
   * Opens one connection. o: { stack: 'ws' | 'continuum' | 'continuum-rws', url, n,
   * bytes, highWaterBytes, window, timeLimitMs }.
   */
  async function benchOpen(o) {
    if (current) throw new Error('a connection is already open');
    const limit = deadlineAfter(o.timeLimitMs, `${o.stack}: open`);
    try {
      if (o.stack === 'continuum-rws' && typeof window.Continuum.ReconnectingWebSocket !== 'function') {
        const error = new Error('no ReconnectingWebSocket in the script-tag build(s) loaded');
        error.skip = true;
        throw error;
      }
      const opening =
        o.stack === 'continuum'
          ? openClient(o)
          : openSocket(o.stack === 'ws' ? new WebSocket(o.url) : new window.Continuum.ReconnectingWebSocket(o.url), o);
      current = { o, s: await Promise.race([opening, limit.promise]) };
      return true;
    } finally {
      limit.cancel();
    }
  }

  /**
   * Sends o.n messages on the open connection. Resolves with the first send's and the
   * reply's Date.now(), durations from the first send (performance.now(), ms), the
   * server's reply and the stack's counters.
   */
  async function benchRun() {
    const { o, s } = current;
    const limit = deadlineAfter(o.timeLimitMs, `${o.stack}: ${o.n} sends`);
    try {
      const message = 'x'.repeat(o.bytes);
      const n = o.n;
      const stopAt = performance.now() + o.timeLimitMs;
      let waits = 0;
      let waitMs = 0;
      let i = 0;
      const trace = o.trace ? [] : undefined;
      const t0 = Date.now();
      const start = performance.now();
      while (i < n) {
        if (s.blocked()) {
          waits++;
          const blockedAt = performance.now();
          await Promise.race([s.wait(), limit.promise]);
          const t = performance.now();
          waitMs += t - blockedAt;
          // o.trace (diagnostics): when each wait began and ended, and how far the loop was.
          if (trace && trace.length < 4000) trace.push([+(blockedAt - start).toFixed(2), +(t - start).toFixed(2), i]);
          if (t > stopAt) throw new Error(`${o.stack}: sent ${i} of ${n} within ${o.timeLimitMs} ms`);
          continue;
        }
        s.send(message);
        i++;
      }
      const sendLoopMs = performance.now() - start;
      const reply = JSON.parse(await Promise.race([s.reply, limit.promise]));
      const replyMs = performance.now() - start;
      const replyAt = Date.now();
      return { t0, replyAt, sendLoopMs, replyMs, waits, waitMs, reply, stats: s.stats(), ...(trace && { trace }) };
    } catch (error) {
      throw new Error(`${error.message} (${JSON.stringify(s.stats())})`);
    } finally {
      limit.cancel();
    }
  }

  function benchClose() {
    if (current) current.s.close();
    current = undefined;
  }

  window.benchOpen = benchOpen;
  window.benchRun = benchRun;
  window.benchClose = benchClose;

  // Loaded as /?run=<id>&o=<options JSON>: the page runs by itself (no DevTools client
  // attached to it, see browser.mjs) and talks to the page server: GET /go?run=<id>
  // once its connection is open (answered when the bench has taken its CPU readings),
  // then POST /result?run=<id> with the outcome.
  const params = new URLSearchParams(location.search);
  const run = params.get('run');
  if (run) {
    (async () => {
      let result;
      try {
        const o = JSON.parse(params.get('o'));
        await benchOpen(o);
        const go = await fetch(`/go?run=${encodeURIComponent(run)}`, { cache: 'no-store' });
        if (!go.ok) throw new Error(`/go answered ${go.status}`);
        result = { ok: true, ...(await benchRun()) };
      } catch (error) {
        result = { ok: false, skip: Boolean(error && error.skip), error: String(error && error.message ? error.message : error) };
      } finally {
        try {
          benchClose();
        } catch {}
      }
      await fetch(`/result?run=${encodeURIComponent(run)}`, { method: 'POST', body: JSON.stringify(result) });
    })();
  }
})();
