// Charts: Chart.js (vendored, app/vendor/; its UMD build defines
// globalThis.Chart when loaded as a module). Every chart comes with the
// same numbers as a table ("Numbers"), so the figures are there for a
// screen reader, a keyboard or a copy, and nothing is only a picture.

import '../vendor/chart.js-4.6.1/chart.umd.min.js';
import { h, table } from './dom.js';

const { Chart } = globalThis;

const ink = '#1b2330';
const palette = ['#1f5f8b', '#b3261e', '#1d7a46', '#9a6200', '#5b6678'];

/**
 * barChart draws series over labels as bars: series [{label, data: [numbers]}].
 * It returns a figure whose canvas's chart is figure.chart.
 */
export function barChart({ id, title, labels, series, unit = '', stacked = false }) {
  const canvas = h('canvas', { role: 'img', 'aria-label': `${title}: chart; the numbers follow in a table` });
  const fig = h('figure', { class: 'chart card', id },
    h('figcaption', {}, h('h2', {}, title)),
    h('div', { class: 'chart-box' }, canvas),
    h('details', {}, h('summary', {}, 'Numbers'),
      table(title, ['', ...series.map((s) => s.label + (unit ? ` (${unit})` : ''))],
        labels.map((l, i) => [l, ...series.map((s) => (s.data[i] === null || s.data[i] === undefined ? '–' : String(s.data[i])))]))));
  fig.chart = new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets: series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: palette[i % palette.length] })) },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: series.length > 1, labels: { color: ink } } },
      scales: {
        x: { stacked, ticks: { color: ink, autoSkip: true, maxRotation: 0 } },
        y: { stacked, beginAtZero: true, ticks: { color: ink, precision: unit ? undefined : 0 } },
      },
    },
  });
  return fig;
}

const weekday = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/**
 * activityCharts draws a provider's GET /listings/{id}/activity: showings
 * per week (from Monday, on the home's clock), stacked by status, showings
 * by status, and the feedback's ratings (1 to 5) by author.
 */
export function activityCharts(activity) {
  const byStatus = activity.showings?.by_status || {};
  const statuses = Object.keys(byStatus).sort();
  const weeks = activity.showings?.by_week || [];
  const weekStatuses = [...new Set(weeks.flatMap((w) => Object.keys(w.by_status || {})))].sort();
  const items = activity.feedback?.items || [];
  const ratings = [1, 2, 3, 4, 5];
  const count = (author) => ratings.map((r) => items.filter((f) => f.author === author && f.rating === r).length);
  return h('div', { class: 'charts' },
    barChart({ id: 'showings-per-week', title: 'Showings per week', stacked: true,
      labels: weeks.map((w) => 'Week of ' + weekday.format(new Date(w.week + 'T00:00:00Z'))),
      series: weekStatuses.map((st) => ({ label: st.replace('_', ' '), data: weeks.map((w) => (w.by_status || {})[st] || 0) })) }),
    barChart({ id: 'showings-by-status', title: `Showings: ${activity.showings?.total ?? 0} in all`, labels: statuses.map((st) => st.replace('_', ' ')), series: [{ label: 'Showings', data: statuses.map((st) => byStatus[st]) }] }),
    barChart({ id: 'feedback-ratings', title: `Feedback: ${activity.feedback?.count ?? 0}, average ${activity.feedback?.average_rating ?? '–'}`, labels: ratings.map((r) => `${r} of 5`), stacked: true,
      series: [{ label: 'Buyers', data: count('buyer') }, { label: 'Agents', data: count('agent') }] }));
}
