// Customers find homes: filters over GET /listings, near a town or ZIP code
// (GET /places) or a point picked on the map; results on a map or a list.

import { api } from '../api.js';
import { h, field, errorBox, busy, showError, value } from '../dom.js';
import { money } from '../format.js';
import { mapView } from '../map.js';
import { placeField, findPlace } from '../places.js';

/** addToCart puts a listing in the caller's cart and says so in box. */
export async function addToCart(listingId, box) {
  const cart = await api('POST', '/cart/items', { listing_id: listingId });
  box.hidden = false;
  box.className = 'notice';
  box.setAttribute('role', 'status');
  box.textContent = `In your cart: ${cart.items.length} home${cart.items.length === 1 ? '' : 's'}, tour fee ${money(cart.total)}.`;
}

function queryOf(form) {
  const q = new URLSearchParams();
  const lat = value(form, 'lat');
  const lng = value(form, 'lng');
  if (lat || lng) {
    q.set('near', `${lat},${lng}`);
    if (value(form, 'radius_km')) q.set('radius_km', value(form, 'radius_km'));
  }
  for (const k of ['city', 'q', 'bedrooms']) if (value(form, k)) q.set(k, value(form, k));
  for (const k of ['min_price', 'max_price']) {
    const v = value(form, k);
    if (v) q.set(k, String(Math.round(Number(v) * 100)));
  }
  q.set('limit', '50');
  return q;
}

export function render(view, _params, { navigate }) {
  const box = errorBox();
  const status = h('div', { hidden: true });
  const submit = h('button', { type: 'submit' }, 'Search');
  const form = h('form', { class: 'stack card', role: 'search', 'aria-label': 'Find homes' },
    box,
    h('div', { class: 'grid2' },
      field('Text', { name: 'q', type: 'search', placeholder: 'loft, garden…' }),
      field('City', { name: 'city' }),
      field('Min price ($)', { name: 'min_price', type: 'number', min: 0, step: 1000, inputmode: 'numeric' }),
      field('Max price ($)', { name: 'max_price', type: 'number', min: 0, step: 1000, inputmode: 'numeric' }),
      field('Bedrooms (at least)', { name: 'bedrooms', type: 'number', min: 0, max: 50 })),
    h('fieldset', {}, h('legend', {}, 'Near a place (optional)'),
      h('div', { class: 'grid2' },
        placeField('Town or ZIP code', { name: 'place', type: 'search', placeholder: 'Chicago, 60614…' }),
        field('Radius (km)', { name: 'radius_km', type: 'number', step: 'any', min: 1, max: 200 })),
      h('details', {}, h('summary', {}, 'Exact position'),
        h('div', { class: 'grid2' },
          field('Latitude', { name: 'lat', type: 'number', step: 'any', min: -90, max: 90 }),
          field('Longitude', { name: 'lng', type: 'number', step: 'any', min: -180, max: 180 })))),
    h('div', { class: 'row' }, submit));

  const mode = { map: true };
  const mapBtn = h('button', { type: 'button', 'aria-pressed': 'true' }, 'Map');
  const listBtn = h('button', { type: 'button', 'aria-pressed': 'false' }, 'List');
  const results = h('div', { id: 'results', 'aria-live': 'polite' });
  let items = [];

  function draw() {
    mapBtn.setAttribute('aria-pressed', String(mode.map));
    listBtn.setAttribute('aria-pressed', String(!mode.map));
    results.replaceChildren(h('p', { class: 'muted' }, `${items.length} home${items.length === 1 ? '' : 's'} found.`));
    if (!items.length) return;
    if (mode.map) {
      const lat = value(form, 'lat');
      const lng = value(form, 'lng');
      const near = lat !== '' && lng !== '' ? [{ lat: Number(lat), lng: Number(lng), km: Number(value(form, 'radius_km')) || 10 }] : [];
      results.append(mapView({
        title: 'Homes found on a map',
        points: items.map((l) => ({ id: l.id, lat: l.location.lat, lng: l.location.lng, label: `${l.title}, ${money(l.price)}` })),
        areas: near,
        onSelect: (p) => navigate('/app/listings/' + p.id),
        onPick: (pt) => {
          form.elements.namedItem('lat').value = pt.lat;
          form.elements.namedItem('lng').value = pt.lng;
          form.elements.namedItem('place').value = '';
          if (!value(form, 'radius_km')) form.elements.namedItem('radius_km').value = 5;
          busy(submit, box, run, form);
        },
      }), h('p', { class: 'muted' }, 'Select a home to open it (a number is a group of homes: select it to zoom in), or a point elsewhere to search near it; the list view shows the same homes.'));
      return;
    }
    results.append(h('ul', { class: 'cards' }, items.map((l) => {
      const msg = h('div', { hidden: true });
      const add = h('button', { type: 'button', class: 'secondary' }, 'Add to cart');
      add.addEventListener('click', () => busy(add, msg, () => addToCart(l.id, msg)));
      return h('li', { class: 'card' },
        h('h2', {}, h('a', { href: '/app/listings/' + l.id }, l.title)),
        h('p', {}, `${l.address.city} · ${l.bedrooms} bd · ${l.bathrooms} ba · ${money(l.price)}`),
        l.distance_km !== undefined ? h('p', { class: 'muted' }, `${l.distance_km.toFixed(1)} km away`) : null,
        h('p', { class: 'muted' }, `Tour fee ${money(l.tour_fee)}`),
        msg, add);
    })));
  }
  mapBtn.addEventListener('click', () => { mode.map = true; draw(); });
  listBtn.addEventListener('click', () => { mode.map = false; draw(); });

  async function run() {
    const place = value(form, 'place');
    if (place) {
      const p = await findPlace(place, 'place');
      form.elements.namedItem('lat').value = p.location.lat;
      form.elements.namedItem('lng').value = p.location.lng;
      if (!value(form, 'radius_km')) form.elements.namedItem('radius_km').value = p.kind === 'postal_code' ? 10 : 25;
    }
    const page = await api('GET', '/listings?' + queryOf(form));
    items = page.items;
    draw();
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); busy(submit, box, run, form); });
  view.append(h('h1', {}, 'Find homes'), form, status, h('div', { class: 'tabs', role: 'group', 'aria-label': 'Show results as' }, mapBtn, listBtn), results);
  return run().catch((err) => showError(box, err, form));
}
