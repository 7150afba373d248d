// The demo page: DOM only. The Continuum client is `Continuum.Client` from the
// script-tag build; the room logic is in room.js.
(function () {
  'use strict';
  var config = window.DEMO_CONFIG;
  var $ = function (id) {
    return document.getElementById(id);
  };

  // The page connects through the fault proxy, on the same host as the page.
  var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.hostname + ':' + config.proxyPort + '/';
  var client = new Continuum.Client(url, {
    codec: 'json',
    // The client pings every 2 s as well (the server's pings come every 5 s here): the RTT
    // shown below is measured, and a silent link is declared dead after 2 s + 2 s.
    heartbeat: { intervalMs: 2000, timeoutMs: 2000 },
    // A demo wants to be watched recovering: shorter delays than the defaults.
    backoff: { initialMs: 250, maxMs: 2000, spreadMs: 500, fastMs: 250 },
    connectTimeoutMs: 3000,
  });
  var room = ContinuumDemo.createRoom(client, { channels: config.channels });
  // For the console (and the Playwright test): window.demo.client.stats()
  window.demo = { client: client, room: room };
  $('d-mode').textContent = '· ' + room.stats.mode;

  // ---- chat -----------------------------------------------------------------------

  var nameInput = $('name');
  var stored = null;
  try {
    stored = localStorage.getItem('continuum-demo-name');
  } catch (e) {}
  nameInput.value = stored || 'guest-' + Math.random().toString(36).slice(2, 6);
  nameInput.addEventListener('change', function () {
    try {
      localStorage.setItem('continuum-demo-name', nameInput.value);
    } catch (e) {}
  });

  var list = $('messages');
  var mine = function (m) {
    return m.id.indexOf(room.clientId + '-') === 0;
  };

  function messageItem(m) {
    var li = document.createElement('li');
    li.dataset.n = m.n;
    li.dataset.id = m.id;
    if (mine(m)) li.className = 'mine';
    var b = document.createElement('b');
    b.textContent = m.name;
    var time = document.createElement('time');
    time.textContent = new Date(m.at).toLocaleTimeString();
    li.append(b, document.createTextNode(m.text), time);
    return li;
  }

  room.on('message', function (event) {
    var atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    var li = messageItem(event.message);
    list.insertBefore(li, list.children[event.index] || null);
    if (atBottom) list.scrollTop = list.scrollHeight;
  });

  room.on('pending', function (pending) {
    var box = $('pending');
    box.textContent = '';
    pending.forEach(function (p) {
      var li = document.createElement('li');
      li.dataset.id = p.id;
      if (p.error) {
        li.className = 'failed';
        li.dataset.error = p.error;
      }
      var b = document.createElement('b');
      b.textContent = p.name;
      li.append(b, document.createTextNode(p.text));
      box.append(li);
    });
  });

  $('composer').addEventListener('submit', function (event) {
    event.preventDefault();
    var input = $('text');
    var text = input.value.trim();
    if (!text) return;
    room.post(nameInput.value.trim() || 'guest', text);
    input.value = '';
    input.focus();
  });

  // ---- connection panel -------------------------------------------------------------

  var events = $('events');
  function log(text, kind) {
    var li = document.createElement('li');
    if (kind) li.className = kind;
    li.textContent = new Date().toLocaleTimeString() + '  ' + text;
    events.prepend(li);
    while (events.children.length > 30) events.lastChild.remove();
  }

  var session = { id: null, resumed: null };
  client.on('state', function (e) {
    $('badge').textContent = e.state;
    $('badge').dataset.state = e.state;
    $('c-state').textContent = e.state;
    log(e.previous + ' → ' + e.state + (e.reason ? ' (' + e.reason + ')' : ''));
  });
  client.on('session', function (e) {
    var first = session.id === null;
    session = { id: e.id, resumed: e.resumed };
    if (e.resumed) log('session resumed: nothing lost either way', 'good');
    else if (first) log('session started');
    else {
      var gap = e.gap ? ' (server messages ' + e.gap.from + '…' + (e.gap.to === null ? 'unknown' : e.gap.to) + ' lost)' : '';
      var unsent = e.unsent && e.unsent.resent ? '; ' + e.unsent.resent + ' unacknowledged message(s) sent again' : '';
      log('session NOT resumed' + gap + unsent + ': resyncing from history', 'bad');
    }
  });
  client.on('close', function (e) {
    log('socket closed ' + e.code + (e.reason ? ' "' + e.reason + '"' : '') + (e.willReconnect ? ', reconnecting' : ''));
  });
  client.on('retry', function (e) {
    log('retry #' + e.attempt + ' in ' + Math.round(e.delayMs) + ' ms');
  });
  client.on('error', function (err) {
    log(err.code + ': ' + err.message, 'bad');
  });
  room.on('history', function (e) {
    log('history snapshot: ' + e.count + ' messages');
  });
  room.on('gap', function (g) {
    log('channel ' + g.source + ': gap ' + g.from + '…' + (g.to === null ? 'unknown' : g.to) + ', resyncing', 'bad');
  });
  room.on('error', function (err) {
    log(err.code + ': ' + err.message, 'bad');
  });

  function refreshPanel() {
    var s = client.stats();
    var r = room.stats;
    $('c-session').textContent = session.id ? session.id.slice(0, 12) + '…' : '—';
    $('c-resumed').textContent = session.resumed === null ? '—' : String(session.resumed);
    $('c-seq').textContent = String(r.lastSeq);
    var offsets = Object.keys(r.offsets).map(function (ch) {
      return ch + ' ' + r.offsets[ch].offset;
    });
    $('c-offsets').textContent = offsets.length ? offsets.join(' · ') : room.stats.mode === 'channels' ? '—' : 'n/a (no channels)';
    $('c-rtt').textContent = s.lastRttMs === undefined ? '—' : Math.round(s.lastRttMs) + ' ms';
    $('c-reconnects').textContent = String(s.reconnects);
    $('c-outbox').textContent = s.outboxMessages + (s.outboxMessages ? ' waiting' : '');
    $('c-gap').textContent = r.lastGap
      ? r.lastGap.source + ' ' + r.lastGap.from + '…' + (r.lastGap.to === null ? 'unknown' : r.lastGap.to)
      : 'none';
    $('c-duplicates').textContent = String(r.duplicates);
  }
  setInterval(refreshPanel, 250);
  refreshPanel();

  // ---- the fault buttons ----------------------------------------------------------------

  function button(id, path, label, holdMs) {
    var el = $(id);
    el.addEventListener('click', function () {
      el.disabled = true;
      log('→ ' + label);
      fetch(path, { method: 'POST' })
        .then(function (res) {
          if (!res.ok) throw new Error('HTTP ' + res.status);
        })
        .catch(function (err) {
          log(label + ' failed: ' + err.message, 'bad');
        })
        .then(function () {
          if (!holdMs) return (el.disabled = false);
          var until = Date.now() + holdMs;
          var original = el.textContent;
          var tick = setInterval(function () {
            var left = Math.ceil((until - Date.now()) / 1000);
            if (left > 0) return (el.textContent = original + ' (' + left + ' s)');
            clearInterval(tick);
            el.textContent = original;
            el.disabled = false;
            log('link restored by the proxy');
          }, 200);
        });
    });
  }
  button('btn-drop', '/demo/drop', 'drop connection (proxy reset)');
  button('btn-halfopen', '/demo/halfopen', 'half-open link (proxy blackhole)', config.halfOpenMs);
  button('btn-restart', '/demo/restart-store', 'restart server session store');

  // ---- dashboard ------------------------------------------------------------------------

  var WINDOW_MS = 60000;
  var samples = [];
  function pct(x) {
    return x === null ? '–' : (Math.floor(x * 1000) / 10).toFixed(x === 1 ? 0 : 1) + ' %';
  }
  room.on('metrics', function (m) {
    $('m-sessions').textContent = String(m.sessions);
    $('m-rate').textContent = String(m.messagesPerSecond);
    $('m-replayed').textContent = String(m.replayed);
    $('m-resume').textContent = pct(m.resumeSuccessRate);
    samples.push(m);
    while (samples.length && samples[0].at < m.at - WINDOW_MS) samples.shift();
    drawChart(m.at);
  });

  /** A path through the samples, broken where more than 1.5 s passed between two: an outage shows as a hole. */
  function path(now, max, value) {
    var d = '';
    var previous = null;
    samples.forEach(function (s) {
      var x = 300 - ((now - s.at) / WINDOW_MS) * 300;
      var y = 78 - (value(s) / max) * 72;
      d += (previous !== null && s.at - previous < 1500 ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1);
      previous = s.at;
    });
    return d;
  }

  function drawChart(now) {
    var max = 1;
    samples.forEach(function (s) {
      max = Math.max(max, s.messagesPerSecond, s.sessions);
    });
    var rate = path(now, max, function (s) {
      return s.messagesPerSecond;
    });
    $('chart-rate').setAttribute('d', rate);
    // The area under each unbroken run of the rate line.
    $('chart-rate-area').setAttribute(
      'd',
      rate.replace(/M([\d.-]+) ([\d.-]+)((?:L[\d.-]+ [\d.-]+)*)/g, function (run, x0, y0, rest) {
        var last = (rest.match(/L([\d.-]+) [\d.-]+$/) || [null, x0])[1];
        return 'M' + x0 + ' 78L' + x0 + ' ' + y0 + rest + 'L' + last + ' 78Z';
      }),
    );
    $('chart-sessions').setAttribute(
      'd',
      path(now, max, function (s) {
        return s.sessions;
      }),
    );
    $('chart-max').textContent = String(max);
  }
})();
