// Open tour starts, shown before anyone pays: a week of them (GET
// /cart/slots, /listings/{id}/slots, /tours/{id}/slots), a column per day,
// each time a button on the homes' clock, with previous and next week; and
// the alternatives a 409 slot-taken answer offers. The API writes every
// start with the homes' UTC offset, so its date and time are read straight
// from the string, whatever the browser's zone.

import { api } from './api.js';
import { h, showError, errorBox } from './dom.js';
import { wallClock, addDays, local, dayName } from './zones.js';

/** WEEK is how many days the picker shows at once. */
export const WEEK = 7;
/** SLOT_TAKEN matches the problem type of a start that is not open (urn:openhouse:problem:slot-taken). */
const SLOT_TAKEN = /[:/]slot-taken$/;

/** slotName is a start as people read it: "Thu, Dec 3 at 10:00". */
export function slotName(start) {
  const l = local(start);
  return `${dayName(l.day)} at ${l.time}`;
}

/** isSlotTaken says whether err is a 409 slot-taken answer (with alternatives). */
export function isSlotTaken(err) {
  return !!err && err.status === 409 && SLOT_TAKEN.test(err.type || '');
}

/**
 * slotPicker is a week of open starts read from path (a slots route, with
 * from and days added). onPick(slot, zone) hears each choice. at (a start)
 * opens the week from its day and picks it if it is open. Arrow keys move
 * between times (up and down in a day, left and right across days); only
 * one time is a tab stop, so the week is one step of the page's tab order.
 * Returns {el, ready, selected(), zone(), clear(), select(slot), reload()}.
 */
export function slotPicker({ path, title, onPick, at }) {
  const box = errorBox();
  const zoneNote = h('p', { class: 'muted slot-zone' });
  const range = h('p', { class: 'slot-range', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'secondary' }, 'Previous week');
  const next = h('button', { type: 'button', class: 'secondary' }, 'Next week');
  const week = h('div', { class: 'slot-week' });
  const none = h('p', { class: 'muted', hidden: true }, 'No open times this week; try the next one.');
  // A home not shown now (showing mode none): its provider's message, no times.
  const closed = h('p', { class: 'notice not-shown', role: 'status', hidden: true });
  const nav = h('div', { class: 'slot-nav' }, prev, next);
  const el = h('section', { class: 'slots', 'aria-label': title },
    zoneNote, range, nav, box, closed, none, week);
  let first = '';
  let today = '';
  let zone = '';
  let selected = null;
  let seq = 0;

  function pick(slot, focus) {
    selected = slot;
    for (const b of week.querySelectorAll('button[data-start]')) b.setAttribute('aria-pressed', String(b.dataset.start === slot.start));
    roving(focus);
    onPick(slot, zone);
  }

  // The selected time, or the first, is the week's one tab stop.
  function roving(focus) {
    const buttons = [...week.querySelectorAll('button[data-start]')];
    const stop = buttons.find((b) => b.getAttribute('aria-pressed') === 'true') || buttons[0];
    for (const b of buttons) b.tabIndex = b === stop ? 0 : -1;
    if (focus && stop) stop.focus();
  }

  week.addEventListener('keydown', (e) => {
    const b = e.target.closest('button[data-start]');
    if (!b) return;
    const column = b.closest('.slot-day');
    const columns = [...week.querySelectorAll('.slot-day')];
    const inDay = [...column.querySelectorAll('button[data-start]')];
    const i = inDay.indexOf(b);
    let to = null;
    if (e.key === 'ArrowDown') to = inDay[i + 1];
    else if (e.key === 'ArrowUp') to = inDay[i - 1];
    else if (e.key === 'Home') to = inDay[0];
    else if (e.key === 'End') to = inDay[inDay.length - 1];
    else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const step = e.key === 'ArrowRight' ? 1 : -1;
      for (let c = columns.indexOf(column) + step; c >= 0 && c < columns.length && !to; c += step) {
        const times = [...columns[c].querySelectorAll('button[data-start]')];
        to = times[Math.min(i, times.length - 1)] || null;
      }
    } else return;
    e.preventDefault();
    if (!to) return;
    b.tabIndex = -1;
    to.tabIndex = 0;
    to.focus();
  });

  function draw(s) {
    const notShown = !!s.message && !s.items.length;
    closed.hidden = !notShown;
    closed.textContent = notShown ? `Not being shown now: ${s.message}` : '';
    for (const part of [zoneNote, range, nav, week]) part.hidden = notShown;
    if (notShown) { none.hidden = true; return; }
    const byDay = new Map();
    for (let i = 0; i < WEEK; i++) byDay.set(addDays(first, i), []);
    for (const slot of s.items) byDay.get(local(slot.start).day)?.push(slot);
    zoneNote.textContent = `Times are on the homes\u2019 clock (${zone}); a tour takes about ${s.duration_minutes} minutes.`;
    range.textContent = `${dayName(first)} to ${dayName(addDays(first, WEEK - 1))}`;
    prev.disabled = first <= today;
    week.replaceChildren(...[...byDay].map(([day, slots]) => h('div', { class: 'slot-day', role: 'group', 'aria-label': dayName(day) },
      h('h3', {}, dayName(day)),
      slots.length
        ? h('div', { class: 'slot-times' }, slots.map((slot) => h('button', {
          type: 'button', class: 'slot', 'data-start': slot.start, 'aria-pressed': String(selected?.start === slot.start),
          'aria-label': `${slotName(slot.start)}, ${zone}`, onclick: () => pick(slot, false),
        }, local(slot.start).time)))
        : h('p', { class: 'muted' }, 'No open times'))));
    none.hidden = s.items.length > 0;
    roving(false);
  }

  async function load(day) {
    const n = ++seq;
    if (zone) today = wallClock(new Date().toISOString(), zone).day;
    if (day && today && day < today) day = today;
    const q = new URLSearchParams({ days: String(WEEK) });
    if (day) q.set('from', day);
    try {
      const s = await api('GET', `${path}?${q}`);
      if (n !== seq) return; // a later week was asked for meanwhile
      zone = s.time_zone;
      today = wallClock(new Date().toISOString(), zone).day;
      first = day && day > today ? day : today; // the first answer is from the homes' today
      showError(box, null);
      draw(s);
    } catch (err) {
      if (n === seq) showError(box, err);
    }
  }

  prev.addEventListener('click', () => load(addDays(first, -WEEK)));
  next.addEventListener('click', () => load(addDays(first, WEEK)));

  const ready = (async () => {
    await load(at ? local(at).day : '');
    if (!at) return;
    const b = week.querySelector(`button[data-start="${CSS.escape(at)}"]`);
    if (b) b.click();
  })();

  return {
    el,
    ready,
    selected: () => selected,
    /** zone is the homes' time zone (known once a week was read). */
    zone: () => zone,
    /** clear forgets the choice (a start that was refused). */
    clear() {
      selected = null;
      for (const b of week.querySelectorAll('button[aria-pressed="true"]')) b.setAttribute('aria-pressed', 'false');
    },
    /** select shows slot's week and picks it (an alternative chosen elsewhere). */
    async select(slot) {
      selected = slot;
      await load(local(slot.start).day);
      const b = week.querySelector(`button[data-start="${CSS.escape(slot.start)}"]`);
      if (b) pick(slot, true);
      else onPick(slot, zone);
    },
    /** reload reads the shown week again (after a time was taken). */
    reload() { return load(first); },
  };
}

/**
 * alternativesBox shows a slot-taken answer: what happened, nothing
 * charged or changed (what says so), and the nearest open times as
 * buttons (on the homes' clock, zone); choose(slot) hears a choice.
 */
export function alternativesBox(err, what, zone, choose) {
  const alts = Array.isArray(err.problem?.alternatives) ? err.problem.alternatives : [];
  return h('div', { class: 'error slot-taken', role: 'alert' },
    h('strong', {}, 'That time is no longer open'),
    h('div', {}, `Someone else took it, or no realtor can come then. ${what}`),
    alts.length
      ? [h('p', {}, 'The nearest open times:'), h('div', { class: 'row' }, alts.map((slot) => h('button', {
        type: 'button', class: 'secondary', 'data-alternative': slot.start, 'aria-label': `${slotName(slot.start)}, ${zone}`,
        onclick: () => choose(slot),
      }, slotName(slot.start))))]
      : h('p', {}, 'No open times nearby; pick another week.'));
}
