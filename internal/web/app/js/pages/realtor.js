// A realtor's pages: assignments to confirm or decline
// (POST /appointments/{id}/confirm|decline), the agenda: their week
// (bookings, busy times from their own calendar, time off) and the
// scheduled tours, each tour's route on a map and the homes' access
// instructions inside their window (GET /tours/{id}/access; before it, when
// it opens), and the tours that took place: mark a buyer who did not come
// (POST /tours/{id}/no-show) and give feedback on each home; and the
// profile: service
// area on a map, working hours, available toggle, the most tours a day,
// and time off (PATCH /iam/me; time off over a booked tour is refused with
// the tours listed).

import { api, all, loadMe } from '../api.js';
import { h, field, errorBox, busy, showError, badge, value } from '../dom.js';
import { when } from '../format.js';
import { mapView } from '../map.js';
import { placeField, findPlace } from '../places.js';
import { follow } from '../live.js';
import { weekView } from '../week.js';
import { feedbackPanel } from '../feedback.js';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

// Appointment ids heard of on the live stream before iam recorded them.
const heard = new Set();

async function myAppointments() {
  const me = await loadMe();
  const ids = new Set(me.records.appointments.filter((r) => r.realtor_id === me.id && r.status !== 'released').map((r) => r.appointment_id));
  for (const id of heard) ids.add(id);
  const list = await Promise.all([...ids].map((id) => api('GET', '/appointments/' + encodeURIComponent(id))));
  return list.filter((a) => a.realtor_id === me.id && a.status !== 'released').sort((a, b) => a.starts_at.localeCompare(b.starts_at));
}

// live reloads a page on news about tours and appointments.
async function live(load, box) {
  const f = follow(/\.(tour|appointment)\./, load, (err) => showError(box, err), (ev) => {
    if (ev.refs && ev.refs.appointment_id && /\.appointment\./.test(ev.type || '')) heard.add(ev.refs.appointment_id);
  });
  await f.ready;
  return f.stop;
}

export async function assignments(view) {
  const box = errorBox();
  const list = h('ul', { class: 'cards', id: 'assignments' });
  view.append(h('h1', {}, 'My assignments'), box, list);
  async function load() {
    const [appts, tours] = await Promise.all([myAppointments(), all('/tours')]);
    const byTour = Object.fromEntries(tours.map((t) => [t.id, t]));
    list.replaceChildren(...appts.map((a) => {
      const t = byTour[a.tour_id];
      const zone = t ? t.time_zone : undefined;
      const msg = errorBox();
      const card = h('li', { class: 'card', 'data-appointment': a.id, 'data-tour': a.tour_id, 'data-status': a.status },
        h('h2', {}, when(a.starts_at, zone)),
        h('p', {}, badge(a.status), ` until ${when(a.ends_at, zone)}`),
        t ? h('ol', {}, t.stops.map((s) => h('li', {}, `${s.title}, ${when(s.arrive, zone)}`))) : h('p', { class: 'muted' }, `${a.listing_ids.length} home(s)`),
        msg);
      if (a.status === 'scheduled') {
        const ok = h('button', { type: 'button' }, 'Confirm');
        const no = h('button', { type: 'button', class: 'danger' }, 'Decline');
        ok.addEventListener('click', () => busy(ok, msg, async () => { await api('POST', `/appointments/${a.id}/confirm`); await load(); }));
        no.addEventListener('click', () => busy(no, msg, async () => { await api('POST', `/appointments/${a.id}/decline`); heard.delete(a.id); await load(); }));
        card.append(h('div', { class: 'row' }, ok, no));
      }
      return card;
    }));
    if (!appts.length) list.append(h('li', {}, 'No assignments right now.'));
  }
  return live(load, box);
}

/**
 * accessPanel reads a tour's access instructions when asked (each read is
 * audited): inside the window the homes' instructions and codes, before it
 * when the window opens (the 409's opens_at), on the realtor's clock.
 */
function accessPanel(t, zone) {
  const out = h('div', { class: 'access', 'aria-live': 'polite' });
  const box = errorBox();
  const titles = new Map(t.stops.map((s) => [s.listing_id, s.title]));
  const show = h('button', { type: 'button', class: 'secondary' }, 'Show access instructions');
  show.setAttribute('aria-label', `Show access instructions for the tour at ${when(t.scheduled_at, zone)}`);
  show.addEventListener('click', () => busy(show, box, async () => {
    try {
      const a = await api('GET', `/tours/${encodeURIComponent(t.id)}/access`);
      out.replaceChildren(h('ul', {}, a.items.map((i) => h('li', { 'data-listing': i.listing_id },
        h('strong', {}, titles.get(i.listing_id) || 'Home'),
        i.code ? h('p', {}, 'Code: ', h('code', { class: 'access-code' }, i.code)) : null,
        i.instructions ? h('p', { class: 'access-instructions' }, i.instructions) : null,
        h('p', { class: 'muted' }, `Until ${when(i.closes_at, zone)}`)))));
    } catch (err) {
      if (err.status !== 409 || !err.problem.opens_at) throw err;
      out.replaceChildren(h('p', { class: 'notice access-opens' }, `Access opens at ${when(err.problem.opens_at, zone)}.`));
    }
  }));
  return h('div', { class: 'stack' }, h('div', { class: 'row' }, show), box, out);
}

/** pastTour is a tour that started: the no-show button until marked, and the feedback once over. */
function pastTour(t, zone, reload) {
  const box = errorBox();
  const card = h('li', { class: 'card past', 'data-tour': t.id },
    h('p', {}, h('strong', {}, when(t.scheduled_at, zone)), ' ', badge(t.status)),
    h('ol', {}, t.stops.map((s) => h('li', {}, s.title))), box);
  if (t.no_show_at) card.append(h('p', { class: 'muted no-show' }, 'You marked the buyer as not having come.'));
  else {
    const mark = h('button', { type: 'button', class: 'secondary' }, 'The buyer did not come');
    mark.setAttribute('aria-label', `Mark the buyer of the tour at ${when(t.scheduled_at, zone)} as not having come`);
    mark.addEventListener('click', () => busy(mark, box, async () => {
      await api('POST', `/tours/${encodeURIComponent(t.id)}/no-show`);
      await reload();
    }));
    card.append(h('div', { class: 'row' }, mark));
  }
  if (t.status === 'completed') card.append(feedbackPanel(t));
  return card;
}

export async function agenda(view) {
  const box = errorBox();
  const body = h('div', { id: 'agenda' });
  const week = h('section', { 'aria-labelledby': 'week-h' }, h('h2', { id: 'week-h' }, 'Your week'));
  let reasons = new Map();
  const drawWeek = weekView(week, (start) => reasons.get(new Date(start).getTime()) || '');
  const past = h('ul', { class: 'cards', id: 'past-tours' });
  view.append(h('h1', {}, 'Agenda'), box, week, h('h2', {}, 'Scheduled tours'), body, h('h2', {}, 'Tours that took place'), past);
  async function load() {
    const me = await loadMe();
    reasons = new Map(((me.profile && me.profile.time_off) || []).map((t) => [new Date(t.start).getTime(), t.reason]));
    await drawWeek();
    const zone = (me.profile && me.profile.time_zone) || undefined;
    const now = new Date().toISOString();
    const scheduled = await all('/tours?status=scheduled');
    const done = [...scheduled.filter((t) => new Date(t.scheduled_at).toISOString() <= now), ...await all('/tours?status=completed', 20)]
      .sort((a, b) => b.scheduled_at.localeCompare(a.scheduled_at));
    past.replaceChildren(...done.map((t) => pastTour(t, zone, load)));
    if (!done.length) past.append(h('li', {}, 'None yet.'));
    const tours = scheduled.filter((t) => new Date(t.ends_at).toISOString() > now).sort((a, b) => a.scheduled_at.localeCompare(b.scheduled_at));
    const days = new Map();
    for (const t of tours) {
      const day = new Intl.DateTimeFormat('en-US', { dateStyle: 'full', timeZone: zone }).format(new Date(t.scheduled_at));
      if (!days.has(day)) days.set(day, []);
      days.get(day).push(t);
    }
    body.replaceChildren();
    for (const [day, ts] of days) {
      body.append(h('h2', {}, day), h('ul', { class: 'cards' }, ts.map((t) => {
        const time = `${when(t.scheduled_at, zone)} – ${when(t.ends_at, zone)}`;
        return h('li', { class: 'card', 'data-tour': t.id },
          h('p', {}, h('strong', {}, time)),
          h('ol', {}, t.stops.map((s) => h('li', {}, `${s.title}, ${when(s.arrive, zone)}`))),
          accessPanel(t, zone),
          mapView({ title: `Route of the tour at ${time}`,
            routes: [{ label: `Tour at ${when(t.scheduled_at, zone)}`, stops: t.stops.map((s) => ({ lat: s.location.lat, lng: s.location.lng, label: s.title })) }] }));
      })));
    }
    if (!tours.length) body.append(h('p', {}, 'Nothing scheduled.'));
  }
  return live(load, box);
}

export async function profile(view) {
  const me = await loadMe();
  const p = me.profile || { working_hours: [], time_zone: 'UTC', status: 'unavailable', service_radius_km: 25 };
  const box = errorBox();
  const submit = h('button', { type: 'submit' }, 'Save profile');
  const hours = Object.fromEntries((p.working_hours || []).map((w) => [w.weekday, w]));
  const form = h('form', { class: 'stack card', novalidate: true },
    box,
    me.verified ? null : h('p', { class: 'notice' }, 'An admin has not verified your account yet; you get tours once verified.'),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'available', role: 'switch', checked: p.status === 'available' }), 'Available for new tours'),
    h('fieldset', {}, h('legend', {}, 'Area'),
      h('div', { class: 'grid2' },
        placeField('Centre on a town or ZIP code', { name: 'centre', type: 'search' }, 'fills the coordinates'),
        field('Latitude', { name: 'location.lat', type: 'number', step: 'any', min: -90, max: 90, value: p.location?.lat, required: true }),
        field('Longitude', { name: 'location.lng', type: 'number', step: 'any', min: -180, max: 180, value: p.location?.lng, required: true }),
        field('Radius (km)', { name: 'service_radius_km', type: 'number', step: 'any', min: 1, max: 200, value: p.service_radius_km || 25, required: true }),
        field('Time zone', { name: 'time_zone', value: p.time_zone, required: true }, 'IANA name, e.g. America/Chicago'),
        field('Most tours a day', { name: 'max_tours_per_day', type: 'number', min: 0, max: 50, step: 1, value: p.max_tours_per_day || 0 }, '0: no limit')),
      h('div', { id: 'area' })),
    h('fieldset', {}, h('legend', {}, 'Working hours (your time zone)'),
      h('div', { class: 'stack' }, DAYS.map((d, i) => {
        const w = hours[i + 1];
        return h('div', { class: 'grid2', role: 'group', 'aria-label': d },
          h('label', { class: 'check' }, h('input', { type: 'checkbox', name: `day${i + 1}`, checked: !!w }), d),
          field(`${d} from`, { name: `start${i + 1}`, type: 'time', value: w ? w.start : '09:00' }),
          field(`${d} until`, { name: `end${i + 1}`, type: 'time', value: w ? w.end : '17:00' }));
      }))),
    submit);
  const area = form.querySelector('#area');
  function drawArea() {
    const lat = Number(value(form, 'location.lat'));
    const lng = Number(value(form, 'location.lng'));
    const km = Number(value(form, 'service_radius_km')) || 1;
    const has = value(form, 'location.lat') !== '' && value(form, 'location.lng') !== '';
    area.replaceChildren(h('p', { class: 'muted' }, 'Select the map to move the centre of your area.'),
      mapView({ title: 'Your service area', areas: has ? [{ lat, lng, km }] : [], center: { lat: 41.88, lng: -87.63 }, spanDeg: 0.5,
        onPick: (pt) => { form.elements.namedItem('location.lat').value = pt.lat; form.elements.namedItem('location.lng').value = pt.lng; drawArea(); } }));
  }
  form.addEventListener('change', (e) => {
    if (e.target.name === 'centre' && e.target.value.trim()) {
      busy(submit, box, async () => {
        const p = await findPlace(e.target.value.trim(), 'centre');
        form.elements.namedItem('location.lat').value = p.location.lat;
        form.elements.namedItem('location.lng').value = p.location.lng;
        drawArea();
      }, form);
    }
    if (/^(location\.|service_radius_km)/.test(e.target.name || '')) drawArea();
  });
  drawArea();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, box, async () => {
      const working = [];
      for (let d = 1; d <= 7; d++) {
        if (form.elements.namedItem(`day${d}`).checked) working.push({ weekday: d, start: value(form, `start${d}`), end: value(form, `end${d}`) });
      }
      const body = {
        status: form.elements.namedItem('available').checked ? 'available' : 'unavailable',
        service_radius_km: Number(value(form, 'service_radius_km')),
        time_zone: value(form, 'time_zone'),
        working_hours: working,
        max_tours_per_day: Number(value(form, 'max_tours_per_day') || 0),
      };
      if (value(form, 'location.lat') !== '' || value(form, 'location.lng') !== '') body.location = { lat: Number(value(form, 'location.lat')), lng: Number(value(form, 'location.lng')) };
      await api('PATCH', '/iam/me', body);
      box.hidden = false;
      box.className = 'notice';
      box.setAttribute('role', 'status');
      box.textContent = 'Profile saved.';
    }, form);
  });
  view.append(h('h1', {}, 'Profile'), form, timeOff(p));
}

// timeOff lists the realtor's time off, each with a remove button, and adds
// a span from a form; every change sends the whole list (PATCH /iam/me
// time_off replaces it). Time off over their tours is refused (409) with
// the tours, which are listed under the error.
function timeOff(p) {
  let spans = p.time_off || [];
  const zone = p.time_zone || undefined;
  const box = errorBox();
  const list = h('ul', { class: 'cards', id: 'time-off' });
  const save = async (next) => {
    try {
      const me = await api('PATCH', '/iam/me', { time_off: next.map((t) => ({ start: t.start, end: t.end, reason: t.reason })) });
      spans = (me.profile && me.profile.time_off) || [];
      draw();
      return true;
    } catch (err) {
      showError(box, err, form);
      const tours = (err.problem && err.problem.tours) || [];
      if (tours.length) {
        box.append(h('ul', { id: 'time-off-conflicts' }, tours.map((t) => h('li', { 'data-tour': t.tour_id }, `Tour ${when(t.starts_at, zone)} – ${when(t.ends_at, zone)} (${t.status})`))));
      }
      return false;
    }
  };
  function draw() {
    list.replaceChildren(...spans.map((t, i) => {
      const remove = h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove time off ${t.reason || ''} from ${when(t.start, zone)}`.replace('  ', ' ') }, 'Remove');
      remove.addEventListener('click', () => busy(remove, box, () => save(spans.filter((_, j) => j !== i))));
      return h('li', { class: 'card', 'data-start': t.start },
        h('p', {}, h('strong', {}, t.reason || 'Time off')),
        h('p', {}, `${when(t.start, zone)} – ${when(t.end, zone)}`), remove);
    }));
    if (!spans.length) list.append(h('li', { class: 'muted' }, 'No time off planned.'));
  }
  const submit = h('button', { type: 'submit' }, 'Add time off');
  const form = h('form', { class: 'stack card', id: 'time-off-add', novalidate: true },
    h('div', { class: 'grid2' },
      field('Away from', { name: 'start', type: 'datetime-local', required: true }),
      field('Back at', { name: 'end', type: 'datetime-local', required: true }),
      field('Reason', { name: 'reason', maxlength: 200 }, 'shown to you and admins')),
    h('p', { class: 'muted' }, `Times on your own clock (${p.time_zone || 'your time zone'}).`),
    submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, box, async () => {
      if (await save([...spans, { start: value(form, 'start'), end: value(form, 'end'), reason: value(form, 'reason') }])) form.reset();
    }, form);
  });
  draw();
  return h('section', { 'aria-labelledby': 'time-off-h' }, h('h2', { id: 'time-off-h' }, 'Time off'),
    h('p', {}, 'No tours are booked while you are away. Time off over a tour you already have is refused: hand the tour back first.'), box, list, form);
}
