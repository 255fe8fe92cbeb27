// Everyone's settings: which channels each kind of message goes to, reminder
// offsets and quiet hours (GET/PUT /notifications/preferences); the phone
// for SMS, verified by a one-time code (/notifications/phone); the secret
// calendar feed URL, with copy and rotate (POST /iam/me/calendar-token);
// and, for realtors, their own calendar whose busy times block tours
// (calendar_url on PATCH /iam/me) with its sync state.

import { api, loadMe } from '../api.js';
import { h, field, errorBox, busy, value } from '../dom.js';
import { when } from '../format.js';

const TOPICS = [
  ['booked', 'A tour is booked'], ['changed', 'A tour changes or is cancelled'], ['reminder', 'Reminders before a tour'],
  ['approval_request', 'Approval requests'], ['feedback_request', 'Feedback requests'],
];
const CHANNELS = [['email', 'Email'], ['sms', 'SMS'], ['webhook', 'Webhook']];

export async function render(view) {
  const me = await loadMe();
  view.append(h('h1', {}, 'Settings'));
  await preferences(view);
  await phone(view);
  feed(view);
  if (me.role === 'realtor') ownCalendar(view, me);
}

async function preferences(view) {
  const p = await api('GET', '/notifications/preferences');
  const box = errorBox();
  const saved = h('p', { role: 'status', class: 'muted' });
  const rows = TOPICS.map(([topic, label]) => h('tr', {},
    h('th', { scope: 'row' }, label),
    CHANNELS.map(([ch, name]) => h('td', { 'data-label': name }, h('input', {
      type: 'checkbox', name: `${topic}.${ch}`, 'aria-label': `${label}: ${name}`, checked: (p.channels[topic] || []).includes(ch),
    })))));
  const form = h('form', { id: 'preferences' },
    h('div', { class: 'table-wrap' }, h('table', { class: 'stacked' },
      h('caption', {}, 'Where each kind of message goes (your inbox always gets everything)'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Message'), CHANNELS.map(([, name]) => h('th', { scope: 'col' }, name)))),
      h('tbody', {}, rows))),
    field('Reminders, minutes before a tour', { name: 'offsets', value: (p.reminder_offsets_minutes || []).join(', '), inputmode: 'numeric' }, 'for example 1440, 60'),
    field('Quiet hours start', { name: 'quiet_start', type: 'time', value: p.quiet_hours ? p.quiet_hours.start : '' }),
    field('Quiet hours end', { name: 'quiet_end', type: 'time', value: p.quiet_hours ? p.quiet_hours.end : '' }, 'bookings and feedback requests wait until then; reminders and changes do not'),
    field('Time zone of the quiet hours', { name: 'time_zone', value: p.time_zone || Intl.DateTimeFormat().resolvedOptions().timeZone }),
    box, saved, h('button', { type: 'submit' }, 'Save preferences'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(form.querySelector('button'), box, async () => {
      const channels = {};
      for (const [topic] of TOPICS) {
        channels[topic] = ['inbox', ...CHANNELS.map(([ch]) => ch).filter((ch) => form.elements.namedItem(`${topic}.${ch}`).checked)];
      }
      const offsets = value(form, 'offsets');
      const qs = value(form, 'quiet_start'), qe = value(form, 'quiet_end');
      const body = { channels, time_zone: value(form, 'time_zone') };
      if (offsets) body.reminder_offsets_minutes = offsets.split(/[,\s]+/).filter(Boolean).map(Number);
      if (qs && qe) body.quiet_hours = { start: qs, end: qe };
      await api('PUT', '/notifications/preferences', body);
      saved.textContent = 'Preferences saved.';
    }, form);
  });
  view.append(h('section', { 'aria-labelledby': 'prefs-h' }, h('h2', { id: 'prefs-h' }, 'Notifications'), form));
}

async function phone(view) {
  const section = h('section', { 'aria-labelledby': 'phone-h', id: 'phone' }, h('h2', { id: 'phone-h' }, 'Phone for text messages'));
  const state = h('p', { id: 'phone-state', role: 'status' });
  const box = errorBox();
  const show = (p) => {
    state.textContent = !p ? 'No phone yet.'
      : p.opted_out ? `${p.number}: you replied STOP; texts are off until you reply START.`
        : p.verified ? `${p.number} is verified.` : `${p.number}: enter the code we texted you.`;
  };
  const got = await api('GET', '/notifications/phone');
  const current = got.number ? got : null;
  show(current);
  const numberForm = h('form', { id: 'phone-number' }, field('Mobile number', { name: 'number', type: 'tel', autocomplete: 'tel', value: current ? current.number : '' }, 'with its country code, e.g. +1 312 555 0123'),
    h('button', { type: 'submit' }, 'Text me a code'));
  const codeForm = h('form', { id: 'phone-code' }, field('Code', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 }),
    h('button', { type: 'submit' }, 'Verify'));
  numberForm.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(numberForm.querySelector('button'), box, async () => show(await api('PUT', '/notifications/phone', { number: value(numberForm, 'number') })), numberForm);
  });
  codeForm.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(codeForm.querySelector('button'), box, async () => show(await api('POST', '/notifications/phone/verify', { code: value(codeForm, 'code') })), codeForm);
  });
  section.append(state, box, numberForm, codeForm);
  view.append(section);
}

function feed(view) {
  const box = errorBox();
  const url = h('input', { type: 'url', readonly: true, id: 'feed-url', 'aria-label': 'Calendar feed URL', placeholder: 'No feed URL yet' });
  const copied = h('span', { role: 'status', class: 'muted' });
  const get = h('button', { type: 'button', id: 'feed-new' }, 'New feed URL');
  const copy = h('button', { type: 'button', class: 'secondary', id: 'feed-copy' }, 'Copy');
  get.addEventListener('click', () => busy(get, box, async () => {
    const out = await api('POST', '/iam/me/calendar-token');
    url.value = out.feed_url;
    copied.textContent = 'A new URL: any earlier one no longer works.';
  }));
  copy.addEventListener('click', async () => {
    if (!url.value) return;
    url.select();
    try { await navigator.clipboard.writeText(url.value); copied.textContent = 'Copied.'; } catch { copied.textContent = 'Select the URL and copy it.'; }
  });
  view.append(h('section', { 'aria-labelledby': 'feed-h' }, h('h2', { id: 'feed-h' }, 'Your tours in your calendar'),
    h('p', {}, 'Subscribe to this secret address in Google Calendar, Outlook or Apple Calendar. Anyone who has it sees your tours; make a new one if it leaked.'),
    url, h('div', { class: 'row' }, get, copy), copied, box));
}

function ownCalendar(view, me) {
  const box = errorBox();
  const state = h('p', { id: 'calendar-sync', role: 'status' });
  const show = (m) => {
    const s = m.calendar_sync || {};
    state.textContent = !s.url_set ? 'No calendar connected.'
      : s.last_error ? `Connected. The last sync failed: ${s.last_error}` + (s.last_success_at ? ` (last success ${when(s.last_success_at)})` : '')
        : s.last_success_at ? `Connected; synced ${when(s.last_success_at)}.` : 'Connected; the first sync is under way.';
  };
  show(me);
  const form = h('form', { id: 'own-calendar' },
    field('Your calendar\'s secret address (iCal)', { name: 'calendar_url', type: 'url', autocomplete: 'off', placeholder: 'https://calendar.google.com/calendar/ical/…/basic.ics' },
      'Busy times in it are kept free of tours. We never show this address again.'),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Connect'), h('button', { type: 'button', class: 'secondary', id: 'calendar-remove' }, 'Disconnect'),
      h('button', { type: 'button', class: 'secondary', id: 'calendar-check' }, 'Check the sync again')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(form.querySelector('button[type=submit]'), box, async () => {
      show(await api('PATCH', '/iam/me', { calendar_url: value(form, 'calendar_url') }));
      form.reset();
    }, form);
  });
  form.querySelector('#calendar-remove').addEventListener('click', (e) => busy(e.target, box, async () => show(await api('PATCH', '/iam/me', { calendar_url: '' }))));
  // Syncs run in the background: the state is read again on demand.
  form.querySelector('#calendar-check').addEventListener('click', (e) => busy(e.target, box, async () => show(await api('GET', '/iam/me'))));
  view.append(h('section', { 'aria-labelledby': 'own-h' }, h('h2', { id: 'own-h' }, 'Busy times from your own calendar'), state, box, form));
}
