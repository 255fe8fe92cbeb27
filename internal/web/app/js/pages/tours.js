// A customer's tours (GET /tours), live: the status moves from pending to
// scheduled (with the realtor's name) as the saga runs, without a reload.
// Move a tour to one of its open times (GET /tours/{id}/slots, PATCH
// /tours/{id}) and cancel it (DELETE /tours/{id}); once it is over, give
// feedback on each home (feedback.js).

import { api, all } from '../api.js';
import { h, errorBox, busy, badge, showError } from '../dom.js';
import { money, when } from '../format.js';
import { slotPicker, slotName, isSlotTaken, alternativesBox } from '../slots.js';
import { local } from '../zones.js';
import { follow } from '../live.js';
import { feedbackPanel } from '../feedback.js';

// movers keeps each tour's move panel (its picker and choice) by tour id
// and version, so a live reload of the list does not read the week again.
const movers = new Map();

/**
 * mover is the panel that moves a tour: the week of times it could move to
 * (GET /tours/{id}/slots), then PATCH /tours/{id}. A time taken meanwhile
 * (409 slot-taken) leaves the tour as it was and offers the nearest open
 * times.
 */
function mover(t, zone, reload) {
  const kept = movers.get(t.id);
  if (kept && kept.version === t.version) return kept.el;
  const box = errorBox();
  const note = h('p', { class: 'slot-chosen', 'aria-live': 'polite' }, 'Pick a new start time.');
  const move = h('button', { type: 'button', disabled: true }, 'Move the tour to this time');
  const picker = slotPicker({
    path: `/tours/${encodeURIComponent(t.id)}/slots`, title: 'Times to move to',
    onPick: (slot, z) => {
      note.textContent = `New time: ${slotName(slot.start)} until ${local(slot.end).time} (${z}).`;
      move.disabled = false;
      showError(box, null);
    },
  });
  move.addEventListener('click', async () => {
    const slot = picker.selected();
    if (!slot) return;
    move.disabled = true;
    try {
      showError(box, null);
      await api('PATCH', '/tours/' + encodeURIComponent(t.id), { scheduled_at: slot.start });
      movers.delete(t.id);
      await reload();
    } catch (err) {
      if (!isSlotTaken(err)) { showError(box, err); move.disabled = false; return; }
      box.hidden = false;
      box.removeAttribute('class');
      box.removeAttribute('role');
      box.replaceChildren(alternativesBox(err, 'Your tour is unchanged.', picker.zone() || zone, (alt) => picker.select(alt)));
      note.textContent = 'Pick another start time.';
      picker.clear();
      await picker.reload();
    }
  });
  const el = h('section', { class: 'stack mover', 'aria-label': 'Move this tour' }, h('h3', {}, 'Move this tour'), picker.el, note, box, h('div', { class: 'row' }, move));
  movers.set(t.id, { version: t.version, el });
  return el;
}

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
  if (t.status === 'completed') card.append(feedbackPanel(t));
  if (t.status === 'cancelled' || t.status === 'completed') return card;

  const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel tour');
  const sure = h('button', { type: 'button', class: 'danger', hidden: true }, 'Yes, cancel it');
  cancel.addEventListener('click', () => { sure.hidden = false; sure.focus(); });
  sure.addEventListener('click', () => busy(sure, box, async () => { await api('DELETE', '/tours/' + t.id); await reload(); }));
  const details = h('details', {}, h('summary', {}, 'Change or cancel'));
  const panel = h('div', { class: 'stack' });
  details.append(panel);
  // The week of times to move to is read when the panel opens, and kept
  // across the live reloads of the list while the tour stays as it is.
  const draw = () => {
    if (panel.childElementCount) return;
    panel.append(mover(t, zone, reload), h('div', { class: 'row' }, cancel, sure));
  };
  details.addEventListener('toggle', () => { if (details.open) draw(); });
  card.append(details);
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
