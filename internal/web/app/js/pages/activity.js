// A provider's activity of one home (GET /listings/{id}/activity): a chart
// of showings per week (Chart.js, vendored; the numbers in a table beside
// it), showings by status, the upcoming showings (times only) and the
// visitors' feedback, each from a buyer or an agent, never who.

import { api } from '../api.js';
import { h, badge, table } from '../dom.js';
import { when } from '../format.js';
import { activityCharts } from '../charts.js';

const INTEREST = { none: 'none', low: 'low', medium: 'medium', high: 'high' };
const PRICE = { low: 'priced low', right: 'priced right', high: 'priced high' };

export async function render(view, { id }) {
  const l = await api('GET', '/listings/' + encodeURIComponent(id));
  const a = await api('GET', `/listings/${encodeURIComponent(id)}/activity`);
  const zone = l.time_zone;
  const fb = a.feedback;
  view.append(h('h1', {}, `Activity: ${l.title}`),
    h('p', {}, h('a', { href: '/app/my-listings' }, 'Back to my listings')),
    activityCharts(a),
    h('section', { class: 'card', 'aria-labelledby': 'upcoming-h' }, h('h2', { id: 'upcoming-h' }, 'Upcoming showings'),
      a.upcoming.length
        ? table('Upcoming showings', ['Starts', 'Ends', 'Status'], a.upcoming.map((u) => [when(u.start, zone), when(u.end, zone), badge(u.status)]))
        : h('p', {}, 'None booked.')),
    h('section', { class: 'card', 'aria-labelledby': 'feedback-h', id: 'feedback' },
      h('h2', { id: 'feedback-h' }, `Feedback (${fb.count})`),
      fb.count ? h('p', {}, `Average rating ${fb.average_rating} of 5.`) : null,
      fb.items.length
        ? h('ul', { class: 'cards' }, fb.items.map((f) => h('li', { class: 'card opinion', 'data-author': f.author },
          h('p', {}, h('strong', {}, f.author === 'agent' ? 'Agent' : 'Buyer'), ` · ${f.rating} of 5`,
            f.interest ? ` · interest ${INTEREST[f.interest] || f.interest}` : '', f.price_opinion ? ` · ${PRICE[f.price_opinion] || f.price_opinion}` : ''),
          f.comment ? h('p', { class: 'comment' }, f.comment) : null,
          h('p', { class: 'muted' }, when(f.at, zone)))))
        : h('p', {}, 'No feedback yet.')));
}
