// One home (GET /listings/{id}): facts, position, and for customers the cart button.

import { api, session } from '../api.js';
import { h, busy } from '../dom.js';
import { money } from '../format.js';
import { mapView } from '../map.js';
import { addToCart } from './search.js';

export async function render(view, { id }) {
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
        h('p', { class: 'muted' }, `${l.location.lat}, ${l.location.lng}`))));
}
