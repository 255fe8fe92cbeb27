// A customer's tours (GET /tours), live: the status moves from pending to
// scheduled (with the realtor's name) as the saga runs, without a reload.
// Reschedule (PATCH /tours/{id}) and cancel (DELETE /tours/{id}).

import { api, all } from '../api.js';
import { h, field, errorBox, busy, badge, value, showError } from '../dom.js';
import { money, when } from '../format.js';
import { zonedToISO, wallClock } from '../zones.js';
import { follow } from '../live.js';

function tourCard(t, reload) {
  const box = errorBox();
  const zone = t.time_zone || 'UTC';
  const status = t.status === 'scheduled'
    ? `Scheduled with ${t.realtor_name || 'your realtor'}`
    : { pending: 'Pending: finding a realtor', unassigned: 'Waiting for a free realtor', cancelled: 'Cancelled', completed: 'Completed' }[t.status] || t.status;
  const card = h('li', { class: 'card', 'data-tour': t.id, 'data-status': t.status },
    h('h2', {}, when(t.scheduled_at, zone)),
    h('p', { class: 'tour-status' }, badge(t.status), ' ', status),
    h('ol', {}, t.stops.map((s) => h('li', {}, `${s.title}, ${when(s.arrive, zone)}`))),
    t.status === 'cancelled' && t.refund ? h('p', { class: 'muted' }, `Refund: ${money(t.refund)}`) : null,
    box);
  if (t.status === 'cancelled' || t.status === 'completed') return card;

  const at = wallClock(t.scheduled_at, zone);
  const move = h('button', { type: 'submit', class: 'secondary' }, 'Reschedule');
  const form = h('form', { class: 'grid2', 'aria-label': 'Reschedule this tour' },
    field(`New date (${zone})`, { name: 'day', type: 'date', value: at.day, required: true }),
    field(`New time (${zone})`, { name: 'time', type: 'time', value: at.time, step: 300, required: true }),
    h('div', { class: 'row' }, move));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(move, box, async () => {
      await api('PATCH', '/tours/' + t.id, { scheduled_at: zonedToISO(value(form, 'day'), value(form, 'time'), zone) });
      await reload();
    }, form);
  });
  const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel tour');
  const sure = h('button', { type: 'button', class: 'danger', hidden: true }, 'Yes, cancel it');
  cancel.addEventListener('click', () => { sure.hidden = false; sure.focus(); });
  sure.addEventListener('click', () => busy(sure, box, async () => { await api('DELETE', '/tours/' + t.id); await reload(); }));
  card.append(h('details', {}, h('summary', {}, 'Change or cancel'), h('div', { class: 'stack' }, form, h('div', { class: 'row' }, cancel, sure))));
  return card;
}

export async function render(view) {
  const box = errorBox();
  const list = h('ul', { class: 'cards', id: 'tours' });
  view.append(h('h1', {}, 'My tours'), box, list);
  async function load() {
    const tours = await all('/tours');
    // Keep the open "change or cancel" panels open across reloads.
    const open = new Set([...list.querySelectorAll('li[data-tour]')].filter((li) => li.querySelector('details[open]')).map((li) => li.dataset.tour));
    list.replaceChildren(...tours.map((t) => tourCard(t, load)));
    for (const li of list.querySelectorAll('li[data-tour]')) if (open.has(li.dataset.tour)) li.querySelector('details')?.setAttribute('open', '');
    if (!tours.length) list.append(h('li', {}, 'No tours yet. ', h('a', { href: '/app/search' }, 'Find homes to tour.')));
  }
  // Reload on news about tours and their appointments.
  const live = follow(/\.(tour|appointment)\./, load, (err) => showError(box, err));
  await live.ready;
  return live.stop;
}
