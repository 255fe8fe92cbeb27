// Live updates: GET /events/stream read with fetch (so the token travels in
// the Authorization header, never in a URL), parsed as server-sent events.
// Pages subscribe with onNews and reload what changed through the API. After
// a reconnect every listener gets a "resync" so nothing missed stays stale.

import { session, refresh, endSession } from './api.js';

const listeners = new Set();
let controller = null;
let running = false;
let statusEl = null;

/** onNews registers fn(event) and returns the function that removes it. */
export function onNews(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(ev) {
  for (const fn of [...listeners]) {
    try { fn(ev); } catch (err) { console.warn('live listener failed', err); }
  }
}

function status(text) { if (statusEl) statusEl.textContent = text; }

function parse(block) {
  const ev = { event: 'message', data: '' };
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const k = i < 0 ? line : line.slice(0, i);
    const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (k === 'event') ev.event = v;
    else if (k === 'data') ev.data += (ev.data ? '\n' : '') + v;
    else if (k === 'id') ev.id = v;
  }
  return ev;
}

/** start connects (once) and keeps reconnecting while a user is signed in. */
export function start(el) {
  statusEl = el;
  if (running) return;
  running = true;
  loop();
}

/** stop disconnects (on sign-out). */
export function stop() {
  running = false;
  if (controller) controller.abort();
  status('');
}

async function loop() {
  let delay = 1000;
  let first = true;
  let renewed = false; // one refresh per refusal, not a loop
  while (running && session.token) {
    controller = new AbortController();
    try {
      const token = session.token;
      const res = await fetch('/events/stream', { headers: { Authorization: 'Bearer ' + token, Accept: 'text/event-stream' }, signal: controller.signal });
      if (res.status === 401) {
        // The token expired while the tab slept, or the user was suspended:
        // a refresh tells which (api.js ends the session if it is refused).
        if (!renewed && (session.token !== token || await refresh())) { renewed = true; continue; }
        if (session.token) endSession();
        break;
      }
      if (!res.ok || !res.body) throw new Error('stream answered ' + res.status);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n/g, '\n');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const ev = parse(buf.slice(0, i));
          buf = buf.slice(i + 2);
          if (ev.event === 'ready') {
            status('Live updates on');
            delay = 1000;
            renewed = false;
            if (!first) emit({ type: 'resync' });
            first = false;
          } else if (ev.data) {
            try { emit(JSON.parse(ev.data)); } catch { /* not JSON: ignore */ }
          }
        }
      }
    } catch (err) {
      if (!running || err.name === 'AbortError') break;
    }
    if (!running) break;
    status('Live updates reconnecting…');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 15000);
  }
}

/**
 * follow keeps a view fresh: it runs load now and again whenever news whose
 * type matches pattern arrives (and after a reconnect), one load at a time,
 * with a load always after the latest news. It listens before the first
 * load, so news that arrives while the page draws is not lost (a booking's
 * whole saga can finish in that time). onEvent sees every event first.
 * Returns {stop, ready}: ready settles after the first load; errors go to
 * onError.
 */
export function follow(pattern, load, onError, onEvent) {
  let running = null;
  let again = false;
  const run = () => {
    if (running) { again = true; return running; }
    running = Promise.resolve().then(load).catch(onError).finally(() => {
      running = null;
      if (again) { again = false; run(); }
    });
    return running;
  };
  const stop = onNews((ev) => {
    if (onEvent) onEvent(ev);
    if (ev.type === 'resync' || pattern.test(ev.type || '')) run();
  });
  return { stop, ready: run() };
}
