// The cart (GET /cart, DELETE /cart/items/{id}) and checkout: the tour
// start is one of the cart's open slots (GET /cart/slots), on the homes'
// clock whatever the browser's zone, then POST /cart/checkout with an
// Idempotency-Key pays. A start taken meanwhile (409 slot-taken) charges
// nothing and offers the nearest open times.

import { api } from '../api.js';
import { h, select, errorBox, busy, value, showError } from '../dom.js';
import { money } from '../format.js';
import { slotPicker, slotName, isSlotTaken, alternativesBox } from '../slots.js';
import { local } from '../zones.js';

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
    body.append(h('ul', { class: 'cards' }, cart.items.map((it) => {
      const remove = h('button', { type: 'button', class: 'secondary' }, 'Remove');
      remove.setAttribute('aria-label', `Remove ${it.title} from the cart`);
      remove.addEventListener('click', () => busy(remove, box, async () => { await api('DELETE', '/cart/items/' + encodeURIComponent(it.listing_id)); await draw(); }));
      return h('li', { class: 'card' }, h('h2', {}, h('a', { href: '/app/listings/' + it.listing_id }, it.title)), h('p', {}, `Tour fee ${money(it.tour_fee)}`), remove);
    })), h('p', {}, h('strong', {}, `Total: ${money(cart.total)}`)));

    // The open starts for the whole cart, a week at a time; a time chosen
    // on a listing's page arrives as ?start= and is picked if still open.
    const fbox = errorBox();
    const chosen = h('p', { class: 'slot-chosen', 'aria-live': 'polite' }, 'Pick a start time above.');
    const submit = h('button', { type: 'submit' }, `Pay ${money(cart.total)} and book`);
    const picker = slotPicker({
      path: '/cart/slots', title: 'Open tour times', at: new URLSearchParams(location.search).get('start') || undefined,
      onPick: (slot, zone) => {
        chosen.textContent = `Your tour: ${slotName(slot.start)} until ${local(slot.end).time} (${zone}).`;
        showError(fbox, null, form);
      },
    });
    const form = h('form', { class: 'stack card', novalidate: true, 'aria-label': 'Checkout' },
      h('h2', {}, 'Checkout'),
      h('fieldset', {}, h('legend', {}, 'Tour start'), picker.el, chosen),
      select('Payment method', 'payment_method', [['tok_visa', 'Test card that succeeds (tok_visa)'], ['tok_chargeDeclined', 'Test card that is declined (tok_chargeDeclined)']], 'tok_visa'),
      fbox,
      submit);
    // The same body retried (a lost answer, a double click) reuses its key,
    // so it is charged once; a changed body is a new checkout.
    let lastBody = '';
    let key = '';
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const slot = picker.selected();
      if (!slot) {
        showError(fbox, { title: 'Pick a start time', detail: 'Choose one of the open times first.' }, form);
        return;
      }
      const req = { scheduled_at: slot.start, payment_method: value(form, 'payment_method') };
      const json = JSON.stringify(req);
      if (json !== lastBody) { lastBody = json; key = newKey(); }
      submit.disabled = true;
      try {
        showError(fbox, null, form);
        const order = await api('POST', '/cart/checkout', req, { 'Idempotency-Key': key });
        navigate('/app/tours', `Booked and paid (${money(order.payment.amount)}). Your tour is ${order.tour_status}; we are assigning a realtor.`);
      } catch (err) {
        if (!isSlotTaken(err)) { showError(fbox, err, form); return; }
        // Nothing was charged: say so, offer the nearest open times, and
        // read the week again so the taken time is gone from it.
        fbox.hidden = false;
        fbox.removeAttribute('class');
        fbox.removeAttribute('role');
        fbox.replaceChildren(alternativesBox(err, 'Nothing was charged.', picker.zone(), (alt) => picker.select(alt)));
        chosen.textContent = 'Pick another start time.';
        picker.clear();
        await picker.reload();
      } finally {
        submit.disabled = false;
      }
    });
    body.append(form);
  }
  await draw().catch((err) => showError(box, err));
}
