// The admin overview: tours booked per hour and the time from payment to a
// realtor (GET /tours/stats, the tour service's own figures), tours waiting
// for a realtor, and dead letters (GET /admin/dead-letters).

import { all, api } from '../api.js';
import { h } from '../dom.js';
import { barChart } from '../charts.js';

const hourOf = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

export async function overview(view) {
  const [stats, dead] = await Promise.all([api('GET', '/tours/stats?hours=24'), all('/admin/dead-letters')]);
  const t = stats.time_to_schedule;
  const oldest = stats.unassigned.oldest_created_at;
  view.append(
    h('h1', {}, 'Overview'),
    h('dl', { class: 'facts card', id: 'overview-figures' },
      h('dt', {}, 'Tours booked, last 24 h'), h('dd', {}, String(stats.bookings_per_hour.reduce((n, b) => n + b.count, 0))),
      h('dt', {}, 'Waiting for a realtor'), h('dd', {}, h('a', { href: '/app/admin/tours?status=unassigned' }, String(stats.unassigned.count)),
        oldest ? ` (oldest booked ${new Date(oldest).toLocaleString('en-US')})` : ''),
      h('dt', {}, 'Dead letters'), h('dd', {}, h('a', { href: '/app/admin/dead-letters' }, String(dead.length)))),
    h('div', { class: 'charts' },
      barChart({ id: 'bookings-per-hour', title: 'Tours booked per hour, last 24 hours',
        labels: stats.bookings_per_hour.map((b) => hourOf.format(new Date(b.hour))),
        series: [{ label: 'Tours booked', data: stats.bookings_per_hour.map((b) => b.count) }] }),
      barChart({ id: 'time-to-schedule', title: `Payment to realtor (${t.count} tour${t.count === 1 ? '' : 's'} since this process started)`, unit: 's',
        labels: ['p50', 'p99'], series: [{ label: 'Seconds', data: [t.p50_seconds, t.p99_seconds] }] })),
    h('p', { class: 'muted' }, 'Payment to realtor is measured by the tour service that answered (each instance has its own), estimated within its histogram\'s buckets; Prometheus has every instance\'s.'));
}
