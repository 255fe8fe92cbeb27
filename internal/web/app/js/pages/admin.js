// Admin pages: users to verify or suspend (GET/PATCH /iam/users), tours
// (GET /tours, filter unassigned; cancel), payments and refunds
// (GET /payments, POST /payments/{id}/refund). Each reloads on live news.

import { api, all } from '../api.js';
import { h, select, errorBox, busy, showError, badge, table, field, value } from '../dom.js';
import { money, when, shortId } from '../format.js';
import { follow } from '../live.js';

// live keeps an admin view fresh on news matching pattern.
async function live(load, box, pattern) {
  const f = follow(pattern, load, (err) => showError(box, err));
  await f.ready;
  return f.stop;
}

function filters(label, controls, onChange) {
  const form = h('form', { class: 'grid2 card', 'aria-label': label }, controls);
  form.addEventListener('change', onChange);
  form.addEventListener('submit', (e) => { e.preventDefault(); onChange(); });
  return form;
}

export async function users(view) {
  const box = errorBox();
  const out = h('div', { id: 'users' });
  const form = filters('Filter users', [
    select('Role', 'role', [['', 'Any role'], ['customer', 'Customers'], ['provider', 'Providers'], ['realtor', 'Realtors'], ['admin', 'Admins']], ''),
    select('Verified', 'verified', [['', 'Any'], ['false', 'Waiting for verification'], ['true', 'Verified']], ''),
    select('Status', 'status', [['', 'Any'], ['active', 'Active'], ['suspended', 'Suspended']], ''),
  ], () => load().catch((err) => showError(box, err)));
  view.append(h('h1', {}, 'Users'), form, box, out);
  async function load() {
    const q = new URLSearchParams();
    for (const k of ['role', 'verified', 'status']) if (value(form, k)) q.set(k, value(form, k));
    const list = await all('/iam/users?' + q);
    const act = (u, text, change, cls) => {
      const b = h('button', { type: 'button', class: cls || 'secondary' }, text);
      b.setAttribute('aria-label', `${text} ${u.name}`);
      b.addEventListener('click', () => busy(b, box, async () => { await api('PATCH', '/iam/users/' + u.id, change); await load(); }));
      return b;
    };
    out.replaceChildren(table('Users', ['Name', 'Email', 'Role', 'Verified', 'Status', 'Actions'], list.map((u) => [
      u.name, h('span', { class: 'wrap' }, u.email), u.role, u.verified ? 'yes' : 'no', badge(u.status),
      u.role === 'admin' ? '' : h('div', { class: 'row' },
        u.role !== 'customer' ? (u.verified ? act(u, 'Unverify', { verified: false }) : act(u, 'Verify', { verified: true }, 'primary')) : null,
        u.status === 'active' ? act(u, 'Suspend', { status: 'suspended' }, 'danger') : act(u, 'Reactivate', { status: 'active' })),
    ])));
    if (!list.length) out.append(h('p', {}, 'No users match.'));
  }
  return live(load, box, /\.iam\./);
}

export async function tours(view) {
  const box = errorBox();
  const out = h('div', { id: 'admin-tours' });
  const form = filters('Filter tours', [
    select('Status', 'status', [['', 'All'], ['unassigned', 'Unassigned'], ['pending', 'Pending'], ['scheduled', 'Scheduled'], ['cancelled', 'Cancelled'], ['completed', 'Completed']],
      new URLSearchParams(location.search).get('status') || ''),
  ], () => load().catch((err) => showError(box, err)));
  view.append(h('h1', {}, 'Tours'), form, box, out);
  async function load() {
    const status = value(form, 'status');
    const list = await all('/tours' + (status ? '?status=' + status : ''));
    out.replaceChildren(table('Tours', ['When', 'Status', 'Customer', 'Realtor', 'Homes', 'Refund', 'Actions'], list.map((t) => {
      let action = '';
      if (t.status !== 'cancelled' && t.status !== 'completed') {
        action = h('button', { type: 'button', class: 'danger' }, 'Cancel and refund');
        action.setAttribute('aria-label', `Cancel and refund the tour of ${when(t.scheduled_at, t.time_zone)}`);
        action.addEventListener('click', () => busy(action, box, async () => { await api('DELETE', '/tours/' + t.id); await load(); }));
      }
      return [when(t.scheduled_at, t.time_zone), badge(t.status), shortId(t.customer_id), t.realtor_id ? shortId(t.realtor_id) : '—',
        t.stops.map((s) => s.title).join(', '), t.refund ? money(t.refund) : '', action];
    })));
    if (!list.length) out.append(h('p', {}, 'No tours match.'));
  }
  return live(load, box, /\.(tour|appointment)\./);
}

export async function payments(view) {
  const box = errorBox();
  const out = h('div', { id: 'payments' });
  const form = filters('Filter payments', [
    select('Status', 'status', [['', 'All'], ['succeeded', 'Succeeded'], ['partially_refunded', 'Partially refunded'], ['refunded', 'Refunded'], ['failed', 'Failed'], ['pending', 'Pending']], ''),
  ], () => load().catch((err) => showError(box, err)));
  view.append(h('h1', {}, 'Payments'), form, box, out);
  async function load() {
    const status = value(form, 'status');
    const [list, tourList] = await Promise.all([all('/payments' + (status ? '?status=' + status : '')), all('/tours')]);
    const tourOf = Object.fromEntries(tourList.map((t) => [t.payment_id, t]));
    out.replaceChildren(table('Payments', ['Payment', 'Customer', 'Amount', 'Refunded', 'Status', 'Tour', 'Refund'], list.map((p) => {
      const t = tourOf[p.id];
      let action = '';
      if (p.status === 'succeeded' || p.status === 'partially_refunded') {
        const left = p.amount.amount - p.refunded.amount;
        const rbox = errorBox();
        const go = h('button', { type: 'submit', class: 'danger' }, 'Refund');
        go.setAttribute('aria-label', `Refund payment ${shortId(p.id)}`);
        const rform = h('form', { class: 'stack', 'aria-label': `Refund payment ${shortId(p.id)}`, 'data-payment': p.id },
          rbox,
          field('Amount ($)', { name: 'amount', type: 'number', min: 0.01, step: 0.01, value: (left / 100).toFixed(2) }),
          field('Reason', { name: 'reason', value: t && t.status === 'cancelled' ? 'tour cancelled' : '' }),
          go);
        rform.addEventListener('submit', (e) => {
          e.preventDefault();
          busy(go, rbox, async () => {
            const amount = Math.round(Number(value(rform, 'amount')) * 100);
            const body = { reason: value(rform, 'reason') };
            if (amount !== left) body.amount = { amount, currency: p.amount.currency };
            await api('POST', `/payments/${p.id}/refund`, body);
            await load();
          }, rform);
        });
        action = rform;
      }
      return [shortId(p.id), shortId(p.customer_id), money(p.amount), money(p.refunded), badge(p.status),
        t ? h('span', {}, badge(t.status), ' ', when(t.scheduled_at, t.time_zone)) : '—', action];
    })));
    if (!list.length) out.append(h('p', {}, 'No payments match.'));
  }
  return live(load, box, /\.(payment|tour)\./);
}
