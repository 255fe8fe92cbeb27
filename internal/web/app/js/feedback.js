// Feedback on the homes of a tour that took place, from its customer or
// its realtor (GET /tours/{id}/feedback, PUT /tours/{id}/feedback/{listing_id}):
// a rating, the interest, the price and a comment per home, what was said
// before filled in (saving again replaces it). The home's provider reads it
// in the listing's activity as from a buyer or an agent, never who.

import { api } from './api.js';
import { h, field, select, errorBox, busy, value } from './dom.js';

const RATINGS = [['5', '5: loved it'], ['4', '4'], ['3', '3'], ['2', '2'], ['1', '1: not for me']];
const INTEREST = [['', 'Not saying'], ['high', 'High'], ['medium', 'Medium'], ['low', 'Low'], ['none', 'None']];
const PRICE = [['', 'Not saying'], ['low', 'Low'], ['right', 'About right'], ['high', 'High']];

// thanked are the forms (tour/listing) saved in this tab, so a live reload
// of the page that draws them again still says so.
const thanked = new Set();

/** thank shows the saved notice in box. */
function thank(box) {
  box.hidden = false;
  box.className = 'notice';
  box.setAttribute('role', 'status');
  box.textContent = 'Thank you: feedback saved.';
}

/** homeForm is one home's feedback form; saved is what was said before (or undefined). */
function homeForm(t, stop, saved, who) {
  const box = errorBox();
  const key = `${t.id}/${stop.listing_id}`;
  if (thanked.has(key)) thank(box);
  const id = `${t.id}-${stop.listing_id}`;
  const submit = h('button', { type: 'submit' }, saved ? 'Update feedback' : 'Send feedback');
  submit.setAttribute('aria-label', `${saved ? 'Update' : 'Send'} feedback on ${stop.title}`);
  const form = h('form', { class: 'stack card feedback', novalidate: true, 'data-listing': stop.listing_id, 'aria-label': `Feedback on ${stop.title}` },
    h('h3', {}, stop.title), box,
    h('div', { class: 'grid2' },
      select(`Rating of ${stop.title}`, `rating-${id}`, RATINGS, String(saved?.rating || 5)),
      select(`${who} interest`, `interest-${id}`, INTEREST, saved?.interest || ''),
      select('The asking price is', `price-${id}`, PRICE, saved?.price_opinion || '')),
    field('Comment', { name: `comment-${id}`, type: 'textarea', rows: 2, maxlength: 2000, value: saved?.comment || '' }),
    h('div', { class: 'row' }, submit));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, box, async () => {
      const body = { rating: Number(value(form, `rating-${id}`)), comment: value(form, `comment-${id}`) };
      if (value(form, `interest-${id}`)) body.interest = value(form, `interest-${id}`);
      if (value(form, `price-${id}`)) body.price_opinion = value(form, `price-${id}`);
      await api('PUT', `/tours/${encodeURIComponent(t.id)}/feedback/${encodeURIComponent(stop.listing_id)}`, body);
      thanked.add(key);
      thank(box);
      submit.textContent = 'Update feedback';
      submit.setAttribute('aria-label', `Update feedback on ${stop.title}`);
    }, form);
  });
  return form;
}

/**
 * feedbackPanel asks the tour's customer or realtor for feedback on each
 * home once the tour is over, if they are asked; otherwise it says why not
 * (a no-show) or shows nothing.
 */
export function feedbackPanel(t) {
  const el = h('section', { class: 'stack feedback-panel', 'aria-label': 'Feedback on the homes' });
  (async () => {
    const mine = await api('GET', `/tours/${encodeURIComponent(t.id)}/feedback`);
    if (!mine.open) {
      if (mine.no_show && mine.author === 'customer') el.append(h('p', { class: 'muted no-show' }, 'You were marked as not having come to this tour.'));
      return;
    }
    const said = new Map(mine.items.map((f) => [f.listing_id, f]));
    const who = mine.author === 'realtor' ? 'Buyer\u2019s' : 'Your';
    el.append(h('h3', {}, 'How were the homes?'),
      ...t.stops.map((s) => homeForm(t, s, said.get(s.listing_id), who)));
  })().catch((err) => el.append(h('p', { class: 'error', role: 'alert' }, err.detail || err.message)));
  return el;
}
