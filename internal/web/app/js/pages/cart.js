// The cart (GET /cart, DELETE /cart/items/{id}) and checkout
// (POST /cart/checkout with an Idempotency-Key): the tour time is picked on
// the homes' wall clock, in their time zone, whatever the browser's zone.

import { api } from '../api.js';
import { h, field, select, errorBox, busy, value, showError } from '../dom.js';
import { money } from '../format.js';
import { zonedToISO, wallClock } from '../zones.js';

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function render(view, _params, { navigate }) {
  view.append(h('h1', {}, 'Cart'));
  const box = errorBox();
  const body = h('div', {});
  view.append(box, body);

  async function draw() {
    const cart = await api('GET', '/cart');
    body.replaceChildren();
    if (!cart.items.length) {
      body.append(h('p', {}, 'Your cart is empty. ', h('a', { href: '/app/search' }, 'Find homes to tour.')));
      return;
    }
    const first = await api('GET', '/listings/' + encodeURIComponent(cart.items[0].listing_id));
    const zone = first.time_zone;
    body.append(h('ul', { class: 'cards' }, cart.items.map((it) => {
      const remove = h('button', { type: 'button', class: 'secondary' }, 'Remove');
      remove.setAttribute('aria-label', `Remove ${it.title} from the cart`);
      remove.addEventListener('click', () => busy(remove, box, async () => { await api('DELETE', '/cart/items/' + encodeURIComponent(it.listing_id)); await draw(); }));
      return h('li', { class: 'card' }, h('h2', {}, h('a', { href: '/app/listings/' + it.listing_id }, it.title)), h('p', {}, `Tour fee ${money(it.tour_fee)}`), remove);
    })), h('p', {}, h('strong', {}, `Total: ${money(cart.total)}`)));

    // Tomorrow at 10:00 on the homes' clock is a sensible default.
    const tomorrow = wallClock(new Date(Date.now() + 24 * 3600e3).toISOString(), zone);
    const fbox = errorBox();
    const submit = h('button', { type: 'submit' }, `Pay ${money(cart.total)} and book`);
    const form = h('form', { class: 'stack card', novalidate: true, 'aria-label': 'Checkout' },
      h('h2', {}, 'Checkout'),
      fbox,
      h('fieldset', {}, h('legend', {}, `Tour start, ${zone} time`),
        h('div', { class: 'grid2' },
          field(`Date (${zone})`, { name: 'day', type: 'date', value: tomorrow.day, required: true }),
          field(`Time (${zone})`, { name: 'time', type: 'time', value: '10:00', step: 300, required: true }, 'Tours run between 08:00 and 20:00 on the homes\u2019 clock.'))),
      select('Payment method', 'payment_method', [['tok_visa', 'Test card that succeeds (tok_visa)'], ['tok_chargeDeclined', 'Test card that is declined (tok_chargeDeclined)']], 'tok_visa'),
      submit);
    // The same body retried (a lost answer, a double click) reuses its key,
    // so it is charged once; a changed body is a new checkout.
    let lastBody = '';
    let key = '';
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(submit, fbox, async () => {
        if (!value(form, 'day') || !value(form, 'time')) throw Object.assign(new Error(), { title: 'Pick a date and a time', fields: [] });
        const req = { scheduled_at: zonedToISO(value(form, 'day'), value(form, 'time'), zone), payment_method: value(form, 'payment_method') };
        const json = JSON.stringify(req);
        if (json !== lastBody) { lastBody = json; key = newKey(); }
        const order = await api('POST', '/cart/checkout', req, { 'Idempotency-Key': key });
        navigate('/app/tours', `Booked and paid (${money(order.payment.amount)}). Your tour is ${order.tour_status}; we are assigning a realtor.`);
      }, form);
    });
    body.append(form);
  }
  await draw().catch((err) => showError(box, err));
}
