// A provider's showing rules of one listing (PATCH /listings/{id} with the
// whole `showing` object): the mode, notice, most showings a day, visit
// length, a message for buyers, a weekly window editor (rows of a weekday
// and the hours, on the home's clock) and blackout days. Saving keeps the
// tours booked already; those the new rules would refuse are listed (GET
// /tours/conflicts) so the provider knows which to see to.

import { all, api } from '../api.js';
import { h, field, select, errorBox, busy, value, badge } from '../dom.js';
import { when } from '../format.js';
import { zonedToISO, wallClock } from '../zones.js';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** nextDay is the date after day ("YYYY-MM-DD"). */
function nextDay(day, by = 1) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + by)).toISOString().slice(0, 10);
}

let rows = 0;

function windowRow(list, w) {
  const n = ++rows;
  const row = h('div', { class: 'row window', role: 'group', 'aria-label': `Window ${n}` },
    select('Day', `weekday${n}`, DAYS.map((d, i) => [String(i + 1), d]), String(w.weekday)),
    field('From', { name: `start${n}`, type: 'time', value: w.start, required: true }),
    field('Until', { name: `end${n}`, type: 'time', value: w.end === '24:00' ? '23:59' : w.end, required: true }),
    h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove window ${n}` }, 'Remove'));
  row.dataset.n = n;
  row.querySelector('button').addEventListener('click', () => row.remove());
  list.append(row);
  return row;
}

function blackoutRow(list, b, zone) {
  const n = ++rows;
  const from = b ? wallClock(b.start, zone).day : '';
  const until = b ? nextDay(wallClock(b.end, zone).day, -1) : '';
  const row = h('div', { class: 'row blackout', role: 'group', 'aria-label': `Blackout ${n}` },
    field('First day', { name: `bfrom${n}`, type: 'date', value: from, required: true }),
    field('Last day', { name: `buntil${n}`, type: 'date', value: until, required: true }),
    h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove blackout ${n}` }, 'Remove'));
  row.dataset.n = n;
  row.querySelector('button').addEventListener('click', () => row.remove());
  list.append(row);
}

export async function render(view, { id }) {
  const l = await api('GET', '/listings/' + encodeURIComponent(id));
  const s = l.showing || { mode: 'auto', windows: [], blackouts: [] };
  const zone = l.time_zone;
  const box = errorBox();
  const windows = h('div', { class: 'stack', id: 'windows' });
  const blackouts = h('div', { class: 'stack', id: 'blackouts' });
  const addWindow = h('button', { type: 'button', class: 'secondary', id: 'add-window' }, 'Add a window');
  const addBlackout = h('button', { type: 'button', class: 'secondary', id: 'add-blackout' }, 'Add blackout days');
  const submit = h('button', { type: 'submit' }, 'Save showing rules');
  const form = h('form', { class: 'stack card', novalidate: true, id: 'showing-form' },
    box,
    select('How requests are answered', 'mode', [['auto', 'Shown: every paid tour goes ahead'], ['confirm', 'I approve each tour'], ['none', 'Not shown now']], s.mode),
    h('div', { class: 'grid2' },
      field('Minimum notice (minutes)', { name: 'min_notice_minutes', type: 'number', min: 0, max: 43200, value: s.min_notice_minutes || 0 }),
      field('Most showings a day', { name: 'max_per_day', type: 'number', min: 0, max: 50, value: s.max_per_day || 0 }, '0 for no limit'),
      field('Visit length (minutes)', { name: 'visit_minutes', type: 'number', min: 0, max: 240, value: s.visit_minutes || 0 }, '0 for the usual 30'),
      field('Message to buyers', { name: 'message', value: s.message || '', maxlength: 500 })),
    h('fieldset', {}, h('legend', {}, `Showing windows (${zone.replace('_', ' ')} time; none: any time)`), windows, addWindow),
    h('fieldset', {}, h('legend', {}, 'Blackout days (not shown)'), blackouts, addBlackout),
    h('div', { class: 'row' }, submit, h('a', { href: '/app/my-listings' }, 'Back to my listings')));
  for (const w of s.windows || []) windowRow(windows, w);
  for (const b of s.blackouts || []) blackoutRow(blackouts, b, zone);
  addWindow.addEventListener('click', () => windowRow(windows, { weekday: 6, start: '10:00', end: '14:00' }).querySelector('select').focus());
  addBlackout.addEventListener('click', () => { blackoutRow(blackouts, null, zone); blackouts.lastChild.querySelector('input').focus(); });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, box, async () => {
      const num = (n) => Number(value(form, n) || 0);
      const showing = {
        mode: value(form, 'mode'), min_notice_minutes: num('min_notice_minutes'), max_per_day: num('max_per_day'),
        visit_minutes: num('visit_minutes'), message: value(form, 'message'),
        windows: [...windows.querySelectorAll('.window')].map((r) => {
          const n = r.dataset.n;
          const end = value(form, `end${n}`);
          return { weekday: Number(value(form, `weekday${n}`)), start: value(form, `start${n}`), end: end === '23:59' ? '24:00' : end };
        }),
        blackouts: [...blackouts.querySelectorAll('.blackout')].map((r) => {
          const n = r.dataset.n;
          return { start: zonedToISO(value(form, `bfrom${n}`), '00:00', zone), end: zonedToISO(nextDay(value(form, `buntil${n}`)), '00:00', zone) };
        }),
      };
      await api('PATCH', '/listings/' + l.id, { showing });
      const found = await all('/tours/conflicts?listing_id=' + encodeURIComponent(l.id));
      box.hidden = false;
      box.className = 'notice';
      box.setAttribute('role', 'status');
      box.textContent = found.length
        ? `Showing rules saved. ${found.length === 1 ? 'One booked tour breaks' : `${found.length} booked tours break`} them; booked tours go ahead as booked.`
        : 'Showing rules saved. No booked tour breaks them.';
      drawConflicts(found);
    }, form);
  });
  const conflicts = h('section', { id: 'conflicts', 'aria-label': 'Booked tours that break these rules' });
  function drawConflicts(found) {
    conflicts.replaceChildren(...(found.length ? [h('h2', {}, 'Booked tours that break these rules'),
      h('ul', { class: 'cards' }, found.map((c) => h('li', { class: 'card conflict', 'data-tour': c.tour_id },
        h('p', {}, badge(c.status), ` Visit ${when(c.arrive, c.time_zone)}`),
        h('p', {}, c.message))))] : []));
  }
  drawConflicts(await all('/tours/conflicts?listing_id=' + encodeURIComponent(l.id)));
  view.append(h('h1', {}, `Showing rules: ${l.title}`), form, conflicts);
}
