// A realtor's schedule in a real browser, on a 375 px phone and on a
// desktop screen: they cap their day at one tour, add time off with a
// reason and see it beside their booked tour in the week of their agenda
// (a column per day on the desktop), are refused time off over that tour
// with the tour named, and remove their time off again.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, call, login, until, tourTime, Visitor, artefacts } from './harness.js';

const HOME = { lat: 41.9001, lng: -87.6502 };
let srv, browser, adminToken, when, realtor, tourId;
const tabs = [];

async function account(role, name) {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@e2e.openhouse.test`;
  const password = `${role} passphrase for e2e`;
  const u = await call(srv.base, 'POST', '/iam/register', '', { email, password, name, role });
  if (role !== 'customer') await call(srv.base, 'PATCH', '/iam/users/' + u.id, adminToken, { verified: true });
  return { ...u, email, password, token: await login(srv.base, email, password) };
}

/** day is the date n days after "YYYY-MM-DD". */
function day(d, n) {
  const [y, m, dd] = d.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, dd + n)).toISOString().slice(0, 10);
}

before(async () => {
  srv = await startServer();
  browser = await launch();
  adminToken = await login(srv.base, srv.admin.email, srv.admin.password);
  when = tourTime();
  const provider = await account('provider', 'Week Homes');
  const home = await until('the provider to be allowed to list', () => call(srv.base, 'POST', '/listings', provider.token, {
    title: 'Garden flat', description: 'Toured by a realtor with a full diary.', time_zone: when.zone,
    address: { line1: '5 Garden Row', city: 'Lakeside', region: 'IL', postal_code: '60601', country: 'US' },
    location: HOME, price: { amount: 30000000, currency: 'USD' }, tour_fee: { amount: 2000, currency: 'USD' },
    bedrooms: 1, bathrooms: 1,
  }));
  realtor = await account('realtor', 'Wendy Week');
  await call(srv.base, 'PATCH', '/iam/me', realtor.token, {
    location: HOME, service_radius_km: 20, time_zone: when.zone, status: 'available',
    working_hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '08:00', end: '20:00' })),
  });
  const customer = await account('customer', 'Carl Customer');
  await call(srv.base, 'POST', '/cart/items', customer.token, { listing_id: home.id });
  await until('the start to be open', async () => (await call(srv.base, 'GET', '/cart/slots', customer.token)).items.some((s) => s.start === when.iso));
  const order = await call(srv.base, 'POST', '/cart/checkout', customer.token, { scheduled_at: when.iso, payment_method: 'tok_visa' }, { 'Idempotency-Key': 'schedule-e2e' });
  tourId = await until('the tour to be scheduled', async () => {
    const [t] = (await call(srv.base, 'GET', '/tours?order_id=' + order.order_id, customer.token)).items;
    return t && t.status === 'scheduled' && t.realtor_id === realtor.id && t.id;
  });
});

after(async () => {
  for (const v of tabs) await v.close().catch(() => {});
  await browser?.close();
  await srv?.stop();
  console.log(`screenshots: ${artefacts}`);
});

test('a realtor caps their day, adds time off beside a booked tour, is refused time off over it, and removes it', async () => {
  const v = await Visitor.open(browser, srv.base, 'schedule');
  tabs.push(v);
  const p = v.page;
  await v.signIn(realtor.email, realtor.password);

  await v.nav('Profile', 'Profile');
  await p.getByLabel('Most tours a day').fill('1');
  await p.getByRole('button', { name: 'Save profile' }).click();
  await p.getByText('Profile saved.').waitFor();
  assert.equal((await call(srv.base, 'GET', '/iam/me', realtor.token)).profile.max_tours_per_day, 1);

  // Time off the day after the tour, on the realtor's own clock.
  const away = day(when.day, 1);
  const add = p.locator('#time-off-add');
  await add.getByLabel('Away from').fill(`${away}T09:00`);
  await add.getByLabel('Back at').fill(`${away}T12:00`);
  await add.getByLabel('Reason').fill('Dentist');
  await add.getByRole('button', { name: 'Add time off' }).click();
  const span = p.locator('#time-off li[data-start]');
  await span.getByText('Dentist').waitFor();
  const saved = (await call(srv.base, 'GET', '/iam/me', realtor.token)).profile.time_off;
  assert.equal(saved.length, 1);
  assert.equal(saved[0].start.slice(0, 16), `${away}T09:00`, `time off saved as ${saved[0].start}, want 09:00 on ${away} in ${when.zone}`);

  // Over the booked tour: refused, the tour named, nothing saved.
  v.expectConsoleError(/409/);
  await add.getByLabel('Away from').fill(`${when.day}T00:00`);
  await add.getByLabel('Back at').fill(`${day(when.day, 1)}T00:00`);
  await add.getByLabel('Reason').fill('Conference');
  await add.getByRole('button', { name: 'Add time off' }).click();
  await p.getByText('Time off over booked tours').waitFor();
  await p.locator(`#time-off-conflicts li[data-tour="${tourId}"]`).waitFor();
  await v.shot('time-off-refused');
  assert.equal((await call(srv.base, 'GET', '/iam/me', realtor.token)).profile.time_off.length, 1, 'the refused time off was saved');
  assert.equal(await span.count(), 1);

  // The week: the tour on its day, the time off on the next, the cap.
  await v.nav('Agenda', 'Agenda');
  const week = p.locator('#week');
  await week.locator(`[data-day="${when.day}"] [data-kind="booking"][data-tour="${tourId}"]`).getByText(when.time).waitFor();
  await week.locator(`[data-day="${away}"] [data-kind="time_off"]`).getByText('09:00–12:00 Time off · Dentist').waitFor();
  await p.getByText('at most 1 tour a day').waitFor();
  await v.shot('week-phone');

  // On a desktop screen the days are seven columns side by side.
  await p.setViewportSize({ width: 1280, height: 900 });
  const tops = await week.locator('.week-day').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top));
  assert.equal(tops.length, 7);
  assert.equal(new Set(tops).size, 1, `the days are not side by side: ${tops}`);
  await v.shot('week-desktop');
  await p.getByRole('button', { name: 'Next week →' }).click();
  await week.locator(`[data-day="${day(when.day, 7)}"], [data-day="${day(when.day, 6)}"]`).first().waitFor();
  assert.equal(await week.locator('[data-kind="booking"]').count(), 0, 'the tour shows in the next week too');
  await p.getByRole('button', { name: '← Previous week' }).click();
  await week.locator(`[data-tour="${tourId}"]`).waitFor();
  await p.setViewportSize({ width: 375, height: 812 });

  await v.nav('Profile', 'Profile');
  await span.getByRole('button', { name: /Remove time off Dentist/ }).click();
  await p.getByText('No time off planned.').waitFor();
  assert.equal((await call(srv.base, 'GET', '/iam/me', realtor.token)).profile.time_off.length, 0);
  v.check();
});
