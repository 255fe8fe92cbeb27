// A provider's listings: the list (ids from GET /iam/me records, details from
// GET /listings/{id}), create (POST /listings), edit (PUT /listings/{id})
// and delete (DELETE /listings/{id}). The home's access instructions are
// write-only: the form says whether they are set, never what they say, and
// sends them only when typed (or removed).

import { api, loadMe } from '../api.js';
import { h, field, errorBox, busy, showError, value, badge } from '../dom.js';
import { money } from '../format.js';
import { mapView } from '../map.js';
import { locate } from '../places.js';
import { follow } from '../live.js';

// iam learns of new and deleted listings by event, a moment later than the
// listing service; what this tab created or deleted is known at once.
const created = new Set();
const deleted = new Set();

async function myListings() {
  const me = await loadMe();
  const ids = new Set(me.records.listings.filter((r) => r.status !== 'deleted').map((r) => r.listing_id));
  for (const r of me.records.listings) if (r.status === 'deleted') deleted.add(r.listing_id);
  for (const id of created) ids.add(id);
  for (const id of deleted) ids.delete(id);
  const listings = await Promise.all([...ids].map((id) => api('GET', '/listings/' + encodeURIComponent(id))));
  return listings.sort((a, b) => b.created_at.localeCompare(a.created_at));
}

export async function list(view) {
  const box = errorBox();
  const items = h('ul', { class: 'cards', id: 'my-listings' });
  view.append(h('h1', {}, 'My listings'), h('p', {}, h('a', { href: '/app/my-listings/new' }, 'List a new home')), box, items);
  async function load() {
    const listings = await myListings();
    items.replaceChildren(...listings.map((l) => {
      const msg = errorBox();
      const del = h('button', { type: 'button', class: 'danger' }, 'Delete');
      del.setAttribute('aria-label', `Delete ${l.title}`);
      const sure = h('button', { type: 'button', class: 'danger', hidden: true }, `Yes, delete ${l.title}`);
      del.addEventListener('click', () => { sure.hidden = false; sure.focus(); });
      sure.addEventListener('click', () => busy(sure, msg, async () => {
        await api('DELETE', '/listings/' + l.id);
        deleted.add(l.id);
        created.delete(l.id);
        await load();
      }));
      return h('li', { class: 'card', 'data-listing': l.id },
        h('h2', {}, h('a', { href: '/app/listings/' + l.id }, l.title)),
        h('p', {}, badge(l.status), ` ${l.address.city} · ${money(l.price)} · tour fee ${money(l.tour_fee)}`),
        msg,
        h('div', { class: 'row' }, h('a', { href: `/app/my-listings/${l.id}/edit` }, 'Edit'),
          h('a', { href: `/app/my-listings/${l.id}/showing` }, 'Showing rules'),
          h('a', { href: `/app/my-listings/${l.id}/activity` }, 'Activity'), del, sure));
    }));
    if (!listings.length) items.append(h('li', {}, 'No listings yet.'));
  }
  const live = follow(/\.listing\./, load, (err) => showError(box, err), (ev) => {
    const id = ev.refs && ev.refs.listing_id;
    if (!id || !/\.listing\./.test(ev.type || '')) return;
    if (/deleted/.test(ev.type)) deleted.add(id);
    else created.add(id);
  });
  await live.ready;
  return live.stop;
}

function bodyOf(form) {
  const num = (n) => (value(form, n) === '' ? undefined : Number(value(form, n)));
  const cents = (n) => (value(form, n) === '' ? undefined : Math.round(Number(value(form, n)) * 100));
  return {
    title: value(form, 'title'),
    description: value(form, 'description'),
    address: { line1: value(form, 'address.line1'), city: value(form, 'address.city'), region: value(form, 'address.region'), postal_code: value(form, 'address.postal_code'), country: value(form, 'address.country') },
    location: { lat: num('location.lat'), lng: num('location.lng') },
    price: { amount: cents('price.amount'), currency: 'USD' },
    tour_fee: { amount: cents('tour_fee.amount'), currency: 'USD' },
    bedrooms: num('bedrooms'),
    bathrooms: num('bathrooms'),
    time_zone: value(form, 'time_zone'),
    access: accessOf(form),
  };
}

/** accessOf is the access to send: what was typed, empty to remove it, or nothing (kept). */
function accessOf(form) {
  if (form.elements.namedItem('access.remove')?.checked) return { instructions: '', code: '' };
  const instructions = value(form, 'access.instructions');
  const code = value(form, 'access.code');
  return instructions || code ? { instructions, code } : undefined;
}

/** accessFields is the write-only access part of the listing form. */
function accessFields(l) {
  const set = !!l?.access_set;
  return h('fieldset', { id: 'access' }, h('legend', {}, 'Access for the realtor'),
    h('p', { id: 'access-state' }, 'Access instructions: ', h('strong', {}, set ? 'set' : 'not set'),
      set ? '. They are not shown again; type new ones to replace them.' : '. The assigned realtor sees them shortly before their visit.'),
    field('Instructions', { name: 'access.instructions', type: 'textarea', rows: 2, maxlength: 2000, autocomplete: 'off' }),
    field('Lockbox or door code', { name: 'access.code', maxlength: 64, autocomplete: 'off' }),
    set ? h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'access.remove' }), ' Remove the access instructions') : null);
}

export async function edit(view, { id }, { navigate }) {
  const l = id ? await api('GET', '/listings/' + encodeURIComponent(id)) : null;
  const a = l ? l.address : { country: 'US' };
  const box = errorBox();
  const submit = h('button', { type: 'submit' }, l ? 'Save changes' : 'Create listing');
  const zone = l ? l.time_zone : Intl.DateTimeFormat().resolvedOptions().timeZone;
  const form = h('form', { class: 'stack card', novalidate: true },
    box,
    field('Title', { name: 'title', value: l?.title, required: true }),
    field('Description', { name: 'description', type: 'textarea', value: l?.description, rows: 3 }),
    h('fieldset', {}, h('legend', {}, 'Address'), h('div', { class: 'grid2' },
      field('Street', { name: 'address.line1', value: a.line1, required: true, autocomplete: 'address-line1' }),
      field('City', { name: 'address.city', value: a.city, required: true }),
      field('Region', { name: 'address.region', value: a.region }),
      field('Postal code', { name: 'address.postal_code', value: a.postal_code }),
      field('Country (2 letters)', { name: 'address.country', value: a.country, required: true, maxlength: 2 }))),
    h('div', { class: 'grid2' },
      field('Price ($)', { name: 'price.amount', type: 'number', min: 0, step: 1, value: l ? l.price.amount / 100 : '', required: true }),
      field('Tour fee ($)', { name: 'tour_fee.amount', type: 'number', min: 0, step: 0.01, value: l ? l.tour_fee.amount / 100 : '', required: true }),
      field('Bedrooms', { name: 'bedrooms', type: 'number', min: 0, value: l?.bedrooms, required: true }),
      field('Bathrooms', { name: 'bathrooms', type: 'number', min: 0, value: l?.bathrooms, required: true }),
      field('Time zone', { name: 'time_zone', value: zone, required: true }, 'IANA name, e.g. America/Chicago')),
    h('fieldset', {}, h('legend', {}, 'Position'),
      h('div', { class: 'row' }, h('button', { type: 'button', class: 'secondary', id: 'locate' }, 'Find from the address'), h('span', { id: 'located', role: 'status' })),
      h('div', { class: 'grid2' },
        field('Latitude', { name: 'location.lat', type: 'number', step: 'any', min: -90, max: 90, value: l?.location.lat, required: true }),
        field('Longitude', { name: 'location.lng', type: 'number', step: 'any', min: -180, max: 180, value: l?.location.lng, required: true })),
      h('div', { id: 'picker' })),
    accessFields(l),
    h('div', { class: 'row' }, submit, h('a', { href: '/app/my-listings' }, 'Back to my listings')));
  const picker = form.querySelector('#picker');
  const located = form.querySelector('#located');
  const setPosition = (p) => { form.elements.namedItem('location.lat').value = p.lat; form.elements.namedItem('location.lng').value = p.lng; };
  function drawPicker() {
    const lat = Number(value(form, 'location.lat'));
    const lng = Number(value(form, 'location.lng'));
    const has = value(form, 'location.lat') !== '' && value(form, 'location.lng') !== '';
    picker.replaceChildren(h('p', { class: 'muted' }, 'Drag the pin to the home, or select the map where it is; the coordinates follow.'),
      mapView({ title: 'Where the home is', pin: has ? { lat, lng } : undefined, center: { lat: 41.88, lng: -87.63 }, spanDeg: 0.3,
        onPick: (p) => { setPosition(p); located.textContent = `Pinned at ${p.lat}, ${p.lng}.`; } }));
  }
  const locateBtn = form.querySelector('#locate');
  locateBtn.addEventListener('click', () => busy(locateBtn, box, async () => {
    const a = bodyOf(form).address;
    const found = await locate(a);
    if (!found) {
      located.textContent = 'No position found for this address: type a town, a ZIP code or the coordinates.';
      return;
    }
    setPosition(found.location);
    located.textContent = `Placed at ${found.source}; drag the pin to the door.`;
    drawPicker();
  }, form));
  form.addEventListener('change', (e) => { if (e.target.name && e.target.name.startsWith('location.')) drawPicker(); });
  drawPicker();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, box, async () => {
      const saved = l ? await api('PUT', '/listings/' + l.id, bodyOf(form)) : await api('POST', '/listings', bodyOf(form));
      created.add(saved.id);
      navigate('/app/my-listings', l ? `Saved ${saved.title}.` : `Listed ${saved.title}.`);
    }, form);
  });
  view.append(h('h1', {}, l ? `Edit ${l.title}` : 'New listing'), form);
}
