// One home (GET /listings/{id}): facts, position, its next open tour times
// (GET /listings/{id}/slots; a home not shown now gives its provider's message
// instead), and for customers the cart button; a
// customer's click on a time puts the home in the cart and opens checkout
// at that time.

import { api, session } from '../api.js';
import { h, busy, errorBox, showError } from '../dom.js';
import { money } from '../format.js';
import { mapView } from '../map.js';
import { slotName } from '../slots.js';
import { addToCart } from './search.js';

/** NEXT is how many open times the page offers. */
const NEXT = 8;

/**
 * nextTimes lists the home's next open starts; for a customer each is a
 * button that adds the home to the cart (unless it is there) and opens
 * checkout with that time picked.
 */
function nextTimes(l, navigate) {
  const box = errorBox();
  const list = h('div', { class: 'row next-times' }, h('p', { class: 'muted' }, 'Looking for open times…'));
  const el = h('section', { class: 'card', 'aria-labelledby': 'next-times' },
    h('h2', { id: 'next-times' }, 'Next open tour times'), box, list);
  (async () => {
    const s = await api('GET', `/listings/${encodeURIComponent(l.id)}/slots?days=14`);
    const items = s.items.slice(0, NEXT);
    const zone = h('p', { class: 'muted' }, `On the home’s clock (${s.time_zone}); a tour of this home alone takes about ${s.duration_minutes} minutes.`);
    if (!items.length && s.message) { list.replaceChildren(h('p', { class: 'notice not-shown' }, `Not being shown now: ${s.message}`)); return; }
    if (!items.length) { list.replaceChildren(h('p', {}, 'No open times in the next two weeks.')); return; }
    const customer = session.role === 'customer';
    list.replaceChildren(...items.map((slot) => customer
      ? h('button', {
        type: 'button', class: 'secondary', 'data-start': slot.start, 'aria-label': `Book ${slotName(slot.start)}, ${s.time_zone}`,
        onclick: (e) => busy(e.currentTarget, box, async () => {
          const cart = await api('GET', '/cart');
          if (!cart.items.some((it) => it.listing_id === l.id)) await api('POST', '/cart/items', { listing_id: l.id });
          navigate('/app/cart?start=' + encodeURIComponent(slot.start));
        }),
      }, slotName(slot.start))
      : h('span', { class: 'badge' }, slotName(slot.start))));
    list.before(zone);
    if (customer) list.after(h('p', { class: 'muted' }, 'Picking a time puts the home in your cart; you pay at checkout.'));
  })().catch((err) => { list.replaceChildren(); showError(box, err); });
  return el;
}

export async function render(view, { id }, { navigate }) {
  const l = await api('GET', '/listings/' + encodeURIComponent(id));
  const a = l.address;
  const msg = h('div', { hidden: true });
  const actions = h('div', { class: 'row' });
  if (session.role === 'customer') {
    const add = h('button', { type: 'button' }, 'Add to cart');
    add.addEventListener('click', () => busy(add, msg, () => addToCart(l.id, msg)));
    actions.append(add, h('a', { href: '/app/cart' }, 'Go to cart'));
  }
  if (session.me && session.me.id === l.provider_id) actions.append(h('a', { href: `/app/my-listings/${l.id}/edit` }, 'Edit this listing'));
  view.append(
    h('h1', {}, l.title),
    h('div', { class: 'split' },
      h('div', { class: 'card' },
        h('p', {}, l.description),
        h('dl', { class: 'facts' },
          h('dt', {}, 'Price'), h('dd', {}, money(l.price)),
          h('dt', {}, 'Bedrooms'), h('dd', {}, l.bedrooms),
          h('dt', {}, 'Bathrooms'), h('dd', {}, l.bathrooms),
          h('dt', {}, 'Address'), h('dd', {}, `${a.line1}, ${a.city}, ${a.region} ${a.postal_code}, ${a.country}`),
          h('dt', {}, 'Tour fee'), h('dd', {}, money(l.tour_fee)),
          h('dt', {}, 'Time zone'), h('dd', {}, l.time_zone),
          h('dt', {}, 'Status'), h('dd', {}, l.status)),
        msg, actions),
      h('div', {},
        mapView({ title: `Where ${l.title} is`, points: [{ id: l.id, lat: l.location.lat, lng: l.location.lng, label: l.title }] }),
        h('p', { class: 'muted' }, `${l.location.lat}, ${l.location.lng}`))),
    nextTimes(l, navigate));
}
