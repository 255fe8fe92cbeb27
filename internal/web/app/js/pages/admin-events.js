// Admin views of the event bus: dead letters with replay
// (GET /admin/dead-letters, POST /admin/dead-letters/{seq}/replay) and the
// live view of events flowing between services (GET /events/stream, which
// gives admins every event).

import { api, all } from '../api.js';
import { h, errorBox, busy, table } from '../dom.js';
import { onNews } from '../live.js';

// Who consumes each service's stream (the services' subscriptions; docs/events.md), to show each event's next hop.
const consumers = {
  iam: 'listing, tour, availability, appointment, notification',
  listing: 'iam, cart, tour',
  payment: 'iam, tour',
  tour: 'appointment, notification, tour',
  appointment: 'tour, availability, iam',
  notification: 'iam',
};

export async function deadLetters(view) {
  const box = errorBox();
  const out = h('div', { id: 'dead-letters' });
  view.append(h('h1', {}, 'Dead letters'), h('p', { class: 'muted' }, 'Events a consumer gave up on after its retries. Replay one once the cause is fixed.'), box, out);
  async function load() {
    const list = await all('/admin/dead-letters');
    out.replaceChildren(table('Dead letters', ['Seq', 'Consumer', 'Event', 'Error', 'Replay'], list.map((d) => {
      const b = h('button', { type: 'button', class: 'secondary' }, 'Replay');
      b.setAttribute('aria-label', `Replay dead letter ${d.seq}`);
      b.addEventListener('click', () => busy(b, box, async () => { await api('POST', `/admin/dead-letters/${d.seq}/replay`); await load(); }));
      const ev = d.event || {};
      return [String(d.seq), `${d.consumer || ''} ← ${d.stream || ''}`, h('span', { class: 'wrap' }, `${ev.type || d.type || ''} ${ev.id || d.event_id || ''}`), h('span', { class: 'wrap' }, d.error || d.reason || ''), b];
    })));
    if (!list.length) out.append(h('p', {}, 'No dead letters.'));
  }
  await load();
}

export function events(view) {
  const counts = {};
  const list = h('ol', { class: 'events', id: 'events', 'aria-label': 'Events, newest first' });
  const flow = h('div', { class: 'flow', 'aria-label': 'Events per service' });
  const pause = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false' }, 'Pause');
  let paused = false;
  pause.addEventListener('click', () => { paused = !paused; pause.setAttribute('aria-pressed', String(paused)); pause.textContent = paused ? 'Resume' : 'Pause'; });
  view.append(h('h1', {}, 'Live events'),
    h('p', { class: 'muted' }, 'Every event published from now on, as it reaches this server: the service that published it, its type and subject, and the services that consume it.'),
    h('div', { class: 'row' }, pause), flow, h('h2', {}, 'Latest'), list);
  const drawFlow = () => flow.replaceChildren(...Object.entries(counts).map(([svc, n]) => h('div', {}, h('strong', {}, svc), ` ${n} event${n === 1 ? '' : 's'} → ${consumers[svc] || '—'}`)));
  return onNews((ev) => {
    if (ev.type === 'resync' || paused) return;
    const svc = (ev.source || '').split('/').pop() || '?';
    counts[svc] = (counts[svc] || 0) + 1;
    drawFlow();
    const short = (ev.type || '').replace(/^openhouse\./, '');
    list.prepend(h('li', { 'data-type': ev.type }, `${new Date(ev.time).toISOString().slice(11, 23)} ${svc} → ${short} (${ev.subject || ''})`));
    while (list.children.length > 200) list.lastChild.remove();
  });
}
