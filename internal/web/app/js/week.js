// A realtor's week (GET /appointments/agenda): a column per day of their
// zone with their bookings, tours being booked, busy times from their own
// calendar and their time off, and the previous and next week. The API
// writes every instant with the realtor's UTC offset, so dates and times
// are read straight from the strings, whatever the browser's zone.

import { api } from './api.js';
import { h, errorBox, showError } from './dom.js';
import { addDays, dayName, spansOn } from './zones.js';

const LABELS = { booking: 'Tour', hold: 'Being booked', busy: 'Busy (your calendar)', time_off: 'Time off' };

/**
 * weekView draws the week from day (undefined: today in the realtor's
 * zone) into el; reasons maps a time off's start to its reason. It returns
 * a function that draws it again (after a change).
 */
export function weekView(el, reasons = () => '') {
  const box = errorBox();
  const range = h('p', { class: 'slot-range', id: 'week-range', 'aria-live': 'polite' });
  const grid = h('div', { class: 'week', id: 'week' });
  let first;
  const prev = h('button', { type: 'button', class: 'secondary', id: 'week-prev' }, '← Previous week');
  const next = h('button', { type: 'button', class: 'secondary', id: 'week-next' }, 'Next week →');
  async function draw() {
    try {
      const a = await api('GET', '/appointments/agenda?days=7' + (first ? '&from=' + first : ''));
      first = a.from.slice(0, 10);
      const days = Array.from({ length: 7 }, (_, i) => addDays(first, i));
      range.textContent = `${dayName(days[0])} – ${dayName(days[6])} (${a.time_zone})` + (a.max_tours_per_day ? `, at most ${a.max_tours_per_day} tour${a.max_tours_per_day === 1 ? '' : 's'} a day` : '');
      const placed = spansOn(a.items, days);
      grid.replaceChildren(...days.map((d) => h('section', { class: 'week-day', 'data-day': d, 'aria-label': dayName(d) },
        h('h3', {}, dayName(d)),
        placed[d].length ? h('ul', {}, placed[d].map((it) => h('li', { class: `week-item ${it.kind}`, 'data-kind': it.kind, 'data-tour': it.tour_id },
          h('strong', {}, `${it.from}–${it.until}`), ' ', LABELS[it.kind] || it.kind,
          it.kind === 'booking' || it.kind === 'hold' ? ` · ${it.listing_ids.length} home${it.listing_ids.length === 1 ? '' : 's'}` : null,
          it.kind === 'time_off' && reasons(it.start) ? ` · ${reasons(it.start)}` : null)))
          : h('p', { class: 'muted' }, 'Free'))));
      showError(box, null);
    } catch (err) {
      showError(box, err);
    }
  }
  prev.addEventListener('click', () => { if (first) { first = addDays(first, -7); draw(); } });
  next.addEventListener('click', () => { if (first) { first = addDays(first, 7); draw(); } });
  el.append(h('div', { class: 'slot-nav' }, prev, next), range, box, grid);
  return draw;
}
