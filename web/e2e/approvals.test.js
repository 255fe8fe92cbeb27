// A provider's approvals inbox: a customer pays for a tour of two homes
// whose provider approves each showing (mode confirm); the tour awaits
// approval. The provider, on a 375 px phone, sees both homes with their
// visit time and the deadline and approves one; on a desktop window the
// other is still pending and is declined. The tour goes on with the
// approved home (scheduled), the declined one's fee refunded.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, call, login, until, tourTime, Visitor, artefacts } from './harness.js';

let srv, browser, adminToken, when, provider, customer, tourId;
const tabs = [];
const CONFIRM = { mode: 'confirm', min_notice_minutes: 0, max_per_day: 0, windows: [], blackouts: [], visit_minutes: 0, message: '' };

async function account(role, name) {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@e2e.openhouse.test`;
  const password = `${role} passphrase for e2e`;
  const u = await call(srv.base, 'POST', '/iam/register', '', { email, password, name, role });
  if (role !== 'customer') await call(srv.base, 'PATCH', '/iam/users/' + u.id, adminToken, { verified: true });
  return { ...u, email, password, token: await login(srv.base, email, password) };
}

before(async () => {
  srv = await startServer();
  browser = await launch();
  adminToken = await login(srv.base, srv.admin.email, srv.admin.password);
  when = tourTime();
  provider = await account('provider', 'Careful Homes');
  const homes = [];
  for (const [title, lat, lng] of [['Willow house', 41.9001, -87.6502], ['Birch flat', 41.9102, -87.6405]]) {
    homes.push(await until('the provider to be allowed to list', () => call(srv.base, 'POST', '/listings', provider.token, {
      title, description: 'Shown with the owner\'s approval.', time_zone: when.zone,
      address: { line1: '3 Orchard Lane', city: 'Lakeside', region: 'IL', postal_code: '60601', country: 'US' },
      location: { lat, lng }, price: { amount: 40000000, currency: 'USD' }, tour_fee: { amount: 2500, currency: 'USD' },
      bedrooms: 2, bathrooms: 1, showing: CONFIRM,
    })));
  }
  const realtor = await account('realtor', 'Ada Agent');
  await call(srv.base, 'PATCH', '/iam/me', realtor.token, {
    location: { lat: 41.905, lng: -87.645 }, service_radius_km: 30, time_zone: when.zone, status: 'available',
    working_hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '08:00', end: '20:00' })),
  });
  customer = await account('customer', 'Cleo Careful');
  for (const h of homes) await call(srv.base, 'POST', '/cart/items', customer.token, { listing_id: h.id });
  await until('the start to be open', async () => (await call(srv.base, 'GET', '/cart/slots', customer.token)).items.some((s) => s.start === when.iso));
  const order = await call(srv.base, 'POST', '/cart/checkout', customer.token, { scheduled_at: when.iso, payment_method: 'tok_visa' }, { 'Idempotency-Key': 'approvals-e2e' });
  tourId = order.order_id;
  await until('the tour to await approval', async () => (await call(srv.base, 'GET', '/tours/' + tourId, customer.token)).status === 'awaiting_approval');
});

after(async () => {
  for (const v of tabs) await v.close().catch(() => {});
  await browser?.close();
  await srv?.stop();
  console.log(`screenshots: ${artefacts}`);
});

async function signedIn(width) {
  const v = await Visitor.open(browser, srv.base, `provider-${width}`);
  tabs.push(v);
  await v.page.setViewportSize({ width, height: 900 });
  await v.signIn(provider.email, provider.password);
  if (width === 375) {
    await v.nav('Approvals', 'Approvals'); // checks it fits the phone
  } else {
    await v.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
    await v.page.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
  }
  return v;
}

test('a provider approves one home on a phone and declines the other on a desktop', async () => {
  const tour = await call(srv.base, 'GET', '/tours/' + tourId, customer.token);
  const phone = await signedIn(375);
  const willow = phone.page.locator('#approvals li', { hasText: 'Willow house' });
  await willow.waitFor();
  assert.equal(await phone.page.locator('#approvals li').count(), 2);
  // The deadline is shown on the homes' clock.
  const deadline = new Intl.DateTimeFormat('en-US', { timeZone: when.zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(tour.approval_deadline));
  assert.match(await willow.locator('.deadline').textContent(), new RegExp(`Answer by .*${deadline}`));
  await phone.shot('approvals-phone');
  await willow.getByRole('button', { name: 'Approve the showing of Willow house' }).click();
  await until('the home to show approved, without buttons', async () => (await willow.locator('.badge.approved').count()) === 1 && (await willow.getByRole('button').count()) === 0);

  const desk = await signedIn(1280);
  const birch = desk.page.locator('#approvals li', { hasText: 'Birch flat' });
  await birch.getByText('pending').waitFor();
  await desk.shot('approvals-desktop');
  await birch.getByRole('button', { name: 'Decline the showing of Birch flat' }).click();
  await desk.page.getByText('Nothing waits for your answer.').waitFor();

  const after = await until('the tour to go on without the declined home', async () => {
    const t = await call(srv.base, 'GET', '/tours/' + tourId, customer.token);
    return t.status !== 'awaiting_approval' && t;
  });
  assert.equal(after.listing_ids.length, 1);
  assert.equal(after.declined[0].title, 'Birch flat');
  await until('the declined fee to be refunded', async () => (await call(srv.base, 'GET', '/payments/' + after.payment_id, adminToken)).refunded.amount === 2500);
  phone.check();
  desk.check();
});
