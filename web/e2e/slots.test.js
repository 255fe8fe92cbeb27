// Open slots before paying, in a real browser: one realtor who works half
// an hour a day, so each day has one open start for the home. Two
// customers, each in their own browser context (one on a desktop screen
// picking in the cart's week, one on a 375 px phone picking among the
// home's next open times), choose today's start and pay at the same moment:
// one is scheduled, the other is told the time was taken and nothing was
// charged, shown the nearest open times as buttons, and books one of those
// instead. The payments through the API say who paid what. Then the
// winner tries to move their tour to the time the other just booked, from
// a week read before: refused with alternatives, the tour unchanged.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, call, login, until, tourTime, Visitor, artefacts } from './harness.js';

const HOME = { lat: 41.9001, lng: -87.6502 };
let srv, browser, adminToken, when, home;
const tabs = [];

async function account(role, name) {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@e2e.openhouse.test`;
  const password = `${role} passphrase for e2e`;
  const u = await call(srv.base, 'POST', '/iam/register', '', { email, password, name, role });
  if (role !== 'customer') await call(srv.base, 'PATCH', '/iam/users/' + u.id, adminToken, { verified: true });
  return { ...u, email, password, token: await login(srv.base, email, password) };
}

/** clock is an instant's "HH:MM" in zone. */
function clock(t, zone) {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(t);
}

before(async () => {
  srv = await startServer();
  browser = await launch();
  adminToken = await login(srv.base, srv.admin.email, srv.admin.password);
  when = tourTime();
  const provider = await account('provider', 'Slot Homes');
  home = await until('the provider to be allowed to list', () => call(srv.base, 'POST', '/listings', provider.token, {
    title: 'Corner flat', description: 'One realtor, half an hour a day.', time_zone: when.zone,
    address: { line1: '2 Corner Street', city: 'Lakeside', region: 'IL', postal_code: '60601', country: 'US' },
    location: HOME, price: { amount: 30000000, currency: 'USD' }, tour_fee: { amount: 2000, currency: 'USD' },
    bedrooms: 1, bathrooms: 1,
  }));
  // The one realtor works from the tour's start for the 30 minutes one
  // home takes, every day: one open start a day, at the same time.
  const realtor = await account('realtor', 'Nora Narrow');
  const end = clock(new Date(when.start.getTime() + 30 * 60e3), when.zone);
  await call(srv.base, 'PATCH', '/iam/me', realtor.token, {
    location: HOME, service_radius_km: 10, time_zone: when.zone, status: 'available',
    working_hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: when.time, end })),
  });
});

after(async () => {
  for (const v of tabs) await v.close().catch(() => {});
  await browser?.close();
  await srv?.stop();
  console.log(`screenshots: ${artefacts}`);
});

/** customer is a customer, with the home in the cart if inCart. */
async function customer(name, inCart) {
  const c = await account('customer', name);
  if (inCart) await call(srv.base, 'POST', '/cart/items', c.token, { listing_id: home.id });
  return c;
}

/** signedIn is c signed in in a tab of their own, width px wide. */
async function signedIn(c, width) {
  const v = await Visitor.open(browser, srv.base, c.name.split(' ')[0].toLowerCase());
  tabs.push(v);
  await v.page.setViewportSize({ width, height: 900 });
  await v.signIn(c.email, c.password);
  return { ...c, v, p: v.page };
}

const payments = async (customerId) => (await call(srv.base, 'GET', '/payments?limit=100', adminToken)).items.filter((x) => x.customer_id === customerId);

test('two customers race for the last open time: one is scheduled, the other is charged nothing, shown alternatives, and books one; a move to a taken time is refused', async () => {
  // Availability has taken in the realtor: today's start is open.
  const [annC, bobC] = [await customer('Ann Desktop', true), await customer('Bob Phone', false)];
  await until('the start to be open', async () => (await call(srv.base, 'GET', '/cart/slots', annC.token)).items.some((s) => s.start === when.iso));
  const week = (await call(srv.base, 'GET', '/cart/slots', annC.token)).items;
  assert.ok(week.every((s) => s.start.slice(11, 16) === when.time), `more than one start a day: ${week.map((s) => s.start)}`);

  const ann = await signedIn(annC, 1280);
  const bob = await signedIn(bobC, 375);
  // Ann picks the time in her cart's week.
  await ann.p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cart' }).click();
  const slot = ann.p.getByRole('region', { name: 'Open tour times' }).locator(`button[data-start="${when.iso}"]`);
  await slot.click();
  assert.equal(await slot.getAttribute('aria-pressed'), 'true');
  // Bob picks it among the home's next open times, which puts the home in
  // his cart and opens checkout with it picked.
  await bob.p.goto(`/app/listings/${home.id}`);
  const next = bob.p.getByRole('region', { name: 'Next open tour times' });
  await next.getByText(`(${when.zone})`).waitFor();
  await bob.v.shot('listing-times');
  await next.locator(`button[data-start="${when.iso}"]`).click();
  await bob.p.getByRole('heading', { level: 1, name: 'Cart' }).waitFor();
  await bob.p.getByRole('region', { name: 'Open tour times' }).locator(`button[data-start="${when.iso}"][aria-pressed="true"]`).waitFor();
  for (const c of [ann, bob]) await c.p.getByText(`Your tour: `).filter({ hasText: when.time }).waitFor();
  await bob.v.shot('picked');
  // Both pay at once.
  await Promise.all([ann, bob].map((c) => c.p.getByRole('button', { name: /Pay .* and book/ }).click()));
  const outcome = async (c) => {
    if (await c.p.getByRole('heading', { level: 1, name: 'My tours' }).count()) return 'booked';
    if (await c.p.locator('.slot-taken').count()) return 'taken';
    return '';
  };
  await until('both checkouts to be answered', async () => (await outcome(ann)) && (await outcome(bob)));
  const results = [await outcome(ann), await outcome(bob)];
  assert.deepEqual([...results].sort(), ['booked', 'taken'], `outcomes: ${results}`);
  const [winner, loser] = results[0] === 'booked' ? [ann, bob] : [bob, ann];
  loser.v.forgive(/status of 409/);

  // The winner sees the tour scheduled, at the time picked.
  const won = winner.p.locator('#tours li[data-status="scheduled"]');
  await won.getByText('Scheduled with Nora Narrow').waitFor();
  await won.getByRole('heading', { name: new RegExp(when.time) }).waitFor();
  await winner.v.shot('won');

  // The loser: a clear message, nothing charged, the cart kept, the taken
  // time gone from the week, the nearest open times as buttons.
  const alert = loser.p.locator('.slot-taken');
  await alert.getByText('That time is no longer open').waitFor();
  await alert.getByText('Nothing was charged.').waitFor();
  const alternatives = alert.locator('button[data-alternative]');
  assert.ok(await alternatives.count() >= 1, 'no alternatives offered');
  for (const s of await alternatives.evaluateAll((els) => els.map((e) => e.dataset.alternative))) {
    assert.notEqual(s, when.iso, 'the taken time is offered as an alternative');
    assert.equal(s.slice(11, 16), when.time, `alternative ${s} is not the realtor's one start of a day`);
  }
  await until('the taken time to leave the week', async () => (await loser.p.locator(`.slot-week button[data-start="${when.iso}"]`).count()) === 0);
  await loser.v.shot('taken');
  assert.equal((await payments(winner.id)).length, 1, 'the winner was not charged once');
  assert.deepEqual(await payments(loser.id), [], 'the loser was charged');
  assert.equal((await call(srv.base, 'GET', '/cart', loser.token)).items.length, 1, 'the loser\'s cart was emptied');

  // The winner opens the week of times to move to, where that alternative
  // is open for now.
  const alt = await alternatives.first().getAttribute('data-alternative');
  const wonId = await won.getAttribute('data-tour');
  await won.getByText('Change or cancel').click();
  const move = won.getByRole('region', { name: 'Move this tour' });
  const stale = move.locator(`button[data-start="${alt}"]`);
  await stale.waitFor();

  // The loser takes the first alternative and books it.
  await alternatives.first().click();
  await until('the alternative to be picked', async () => (await loser.p.locator(`.slot-week button[data-start="${alt}"][aria-pressed="true"]`).count()) === 1);
  await loser.p.getByRole('button', { name: /Pay .* and book/ }).click();
  await loser.p.getByRole('heading', { level: 1, name: 'My tours' }).waitFor();
  await loser.p.locator('#tours li[data-status="scheduled"]').getByText('Scheduled with Nora Narrow').waitFor();
  await loser.v.shot('booked-alternative');
  const paid = await payments(loser.id);
  assert.equal(paid.length, 1);
  assert.equal(new Date(paid[0].scheduled_at).getTime(), new Date(alt).getTime());
  assert.equal((await payments(winner.id)).length, 1);

  // The winner, on the week read before, moves their tour to that time,
  // now taken: refused with alternatives, the tour as it was.
  await stale.click();
  await move.getByRole('button', { name: 'Move the tour to this time' }).click();
  const refused = move.locator('.slot-taken');
  await refused.getByText('Your tour is unchanged.').waitFor();
  assert.ok(await refused.locator('button[data-alternative]').count() >= 1, 'no alternatives offered for the move');
  await until('the taken time to leave the week', async () => (await stale.count()) === 0);
  winner.v.forgive(/status of 409/);
  await winner.v.shot('move-refused');
  const kept = await call(srv.base, 'GET', '/tours/' + wonId, adminToken);
  assert.equal(kept.status, 'scheduled');
  assert.equal(new Date(kept.scheduled_at).getTime(), when.start.getTime(), 'the refused move changed the tour');
  for (const c of [ann, bob]) c.v.check();
});
