// A provider's approvals inbox: the homes of paid tours waiting for their
// answer (GET /tours/approvals), each with its visit time and the deadline
// after which it is declined unanswered, and Approve / Decline buttons
// (POST /tours/{id}/stops/{listing_id}/approve or /decline).

import { all, api } from '../api.js';
import { h, errorBox, busy, showError, badge } from '../dom.js';
import { when } from '../format.js';
import { follow } from '../live.js';

export async function render(view) {
  const box = errorBox();
  const items = h('ul', { class: 'cards', id: 'approvals' });
  view.append(h('h1', {}, 'Approvals'),
    h('p', {}, 'Buyers have paid to tour these homes of yours. Approve or decline each before its deadline; unanswered, it is declined and the buyer refunded.'),
    box, items);
  async function load() {
    const waiting = await all('/tours/approvals');
    items.replaceChildren(...waiting.map((a) => {
      const msg = errorBox();
      const answer = (verb) => {
        const b = h('button', { type: 'button', class: verb === 'decline' ? 'danger' : '' }, verb === 'approve' ? 'Approve' : 'Decline');
        b.setAttribute('aria-label', `${verb === 'approve' ? 'Approve' : 'Decline'} the showing of ${a.title}`);
        b.addEventListener('click', () => busy(b, msg, async () => {
          await api('POST', `/tours/${encodeURIComponent(a.tour_id)}/stops/${encodeURIComponent(a.listing_id)}/${verb}`);
          await load();
        }));
        return b;
      };
      const buttons = a.approval === 'pending' ? [answer('approve'), answer('decline')] : [];
      return h('li', { class: 'card', 'data-tour': a.tour_id, 'data-listing': a.listing_id },
        h('h2', {}, a.title),
        h('p', {}, badge(a.approval), ` Visit ${when(a.arrive, a.time_zone)}`),
        h('p', { class: 'deadline' }, `Answer by ${when(a.deadline, a.time_zone)}`),
        msg,
        h('div', { class: 'row' }, ...buttons));
    }));
    if (!waiting.length) items.append(h('li', {}, 'Nothing waits for your answer.'));
  }
  const live = follow(/notification\.sent|\.tour\./, load, (err) => showError(box, err));
  await live.ready;
  return live.stop;
}
