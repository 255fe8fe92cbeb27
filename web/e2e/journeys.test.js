// The web app's journeys in a real browser: a customer books a tour and
// watches it become scheduled without reloading; the realtor sees it arrive
// and confirms; the customer cancels late; an admin verifies a new provider
// (who then manages a listing) and refunds the cancelled tour. Every tab runs
// at 375 px and fails on any console error; screenshots go to artefacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, call, login, until, tourTime, Visitor, artefacts } from './harness.js';

let srv, browser, adminToken;
const tabs = [];
const ctx = {};

async function account(role, name, verify) {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@e2e.openhouse.test`;
  const password = `${role} passphrase for e2e`;
  const u = await call(srv.base, 'POST', '/iam/register', '', { email, password, name, role });
  if (verify) await call(srv.base, 'PATCH', '/iam/users/' + u.id, adminToken, { verified: true });
  return { ...u, email, password, token: await login(srv.base, email, password) };
}

async function tab(name) {
  const v = await Visitor.open(browser, srv.base, name);
  tabs.push(v);
  return v;
}

before(async () => {
  srv = await startServer();
  browser = await launch();
  adminToken = await login(srv.base, srv.admin.email, srv.admin.password);
  ctx.when = tourTime();
  // A verified provider with two homes in Lakeside (through the API: the
  // provider's pages are exercised by the admin journey's new provider).
  const provider = await account('provider', 'Lakeside Homes', true);
  ctx.homes = [];
  for (const [title, lat, lng] of [['Lakeside loft', 41.9001, -87.6502], ['Harbour cottage', 41.9102, -87.6405]]) {
    const body = {
      title, description: 'Bright, quiet, near the water.', time_zone: ctx.when.zone,
      address: { line1: '1 Shore Road', city: 'Lakeside', region: 'IL', postal_code: '60601', country: 'US' },
      location: { lat, lng }, price: { amount: 45000000, currency: 'USD' }, tour_fee: { amount: 2500, currency: 'USD' },
      bedrooms: 3, bathrooms: 2,
    };
    // The listing service learns of the verification by event.
    ctx.homes.push(await until('the provider to be allowed to list', () => call(srv.base, 'POST', '/listings', provider.token, body)));
  }
  ctx.realtor = await account('realtor', 'Rita Realtor', true);
});

after(async () => {
  for (const v of tabs) await v.close().catch(() => {});
  await browser?.close();
  await srv?.stop();
  console.log(`screenshots: ${artefacts}`);
});

test('a realtor sets their area, hours and availability', async () => {
  const r = await tab('realtor');
  ctx.realtorTab = r;
  await r.signIn(ctx.realtor.email, ctx.realtor.password);
  await r.nav('Profile', 'Profile');
  const p = r.page;
  await p.getByLabel('Latitude').fill('41.905');
  await p.getByLabel('Longitude').fill('-87.645');
  await p.getByLabel('Radius (km)').fill('30');
  await p.getByLabel('Time zone').fill(ctx.when.zone);
  for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']) {
    const group = p.getByRole('group', { name: day });
    await group.getByRole('checkbox').check();
    await group.getByLabel(`${day} from`).fill('08:00');
    await group.getByLabel(`${day} until`).fill('20:00');
  }
  await p.getByRole('switch', { name: 'Available for new tours' }).check();
  await p.getByRole('button', { name: 'Save profile' }).click();
  await p.getByText('Profile saved.').waitFor();
  await p.locator('#area .map path.area').waitFor(); // the service area, 30 km around the centre
  await r.shot('profile');
  // The realtor waits on the assignments page; the tour will arrive live.
  await r.nav('Assignments', 'My assignments');
  await p.getByText('No assignments right now.').waitFor();
  // Availability has taken in the profile before anyone books.
  const q = `lat=41.9001&lng=-87.6502&radius_km=5&start=${ctx.when.start.toISOString()}&end=${new Date(ctx.when.start.getTime() + 2 * 3600e3).toISOString()}`;
  await until('the realtor to be available', async () => (await call(srv.base, 'GET', '/availability?' + q, adminToken)).items.some((i) => i.realtor_id === ctx.realtor.id));
  r.check();
});

test('a customer finds homes, books a tour and sees it become scheduled without reloading', async () => {
  const c = await tab('customer');
  ctx.customerTab = c;
  const p = c.page;
  await p.goto('/app/register');
  await c.fits();
  await p.getByLabel('Name', { exact: true }).fill('Casey Customer');
  ctx.customerEmail = `customer-${Date.now()}@e2e.openhouse.test`;
  await p.getByLabel('Email', { exact: true }).fill(ctx.customerEmail);
  await p.getByLabel('Password').fill('customer passphrase for e2e');
  await p.getByLabel('I am a').selectOption('customer');
  await p.getByRole('button', { name: 'Register' }).click();
  await p.getByRole('heading', { level: 1, name: 'Find homes' }).waitFor();

  await p.getByLabel('City').fill('Lakeside');
  await p.getByRole('button', { name: 'Search' }).click();
  await p.getByText('2 homes found.').waitFor();
  await c.shot('search-map');
  // The map's dots are buttons too; the list shows the same homes.
  await p.getByRole('button', { name: /Lakeside loft/ }).focus();
  await p.keyboard.press('Enter');
  await p.getByRole('heading', { level: 1, name: 'Lakeside loft' }).waitFor();
  await c.shot('listing');
  await p.getByRole('button', { name: 'Add to cart' }).click();
  await p.getByText('In your cart: 1 home').waitFor();
  await p.goBack();
  await p.getByRole('heading', { level: 1, name: 'Find homes' }).waitFor();
  await p.getByRole('button', { name: 'List' }).click();
  const cottage = p.getByRole('listitem').filter({ has: p.getByRole('heading', { name: 'Harbour cottage' }) });
  await cottage.getByRole('button', { name: 'Add to cart' }).click();
  await cottage.getByText('In your cart: 2 homes').waitFor();
  await c.shot('search-list');
  // A click on the map between the homes searches near that point.
  await p.getByRole('button', { name: 'Map' }).click();
  await p.locator('#results .map .home').first().waitFor();
  await p.locator('#results .map').scrollIntoViewIfNeeded();
  const mapBox = await p.locator('#results .map').boundingBox();
  await p.mouse.click(mapBox.x + mapBox.width / 2, mapBox.y + mapBox.height / 2);
  await until('a search near the point', async () => (await p.getByLabel('Latitude').inputValue()) !== '');
  await p.getByText('2 homes found.').waitFor();
  await p.getByRole('button', { name: 'List' }).click();
  await p.getByText(/km away/).first().waitFor();

  await c.nav('Cart', 'Cart');
  // The week of open times for both homes, on their clock; the arrow keys
  // move between times, Enter picks one.
  const week = p.getByRole('region', { name: 'Open tour times' });
  await week.getByText(`on the homes\u2019 clock (${ctx.when.zone})`).waitFor();
  const slot = week.locator(`button[data-start="${ctx.when.iso}"]`);
  await slot.waitFor();
  const stop = week.locator('button[data-start][tabindex="0"]');
  const firstStop = await stop.getAttribute('data-start');
  await stop.focus();
  await p.keyboard.press('ArrowDown');
  const focused = await p.evaluate(() => document.activeElement.dataset.start);
  assert.ok(focused && focused > firstStop, `the arrow key moved from ${firstStop} to ${focused}`);
  await p.keyboard.press('Enter');
  assert.equal(await week.locator(`button[aria-pressed="true"][data-start="${focused}"]`).count(), 1, 'Enter picked no time');
  await slot.click();
  assert.equal(await slot.getAttribute('aria-pressed'), 'true');
  await p.getByText(`Your tour: `).filter({ hasText: ctx.when.time }).waitFor();
  await p.getByLabel('Payment method').selectOption('tok_visa');
  await c.shot('checkout');
  await p.evaluate(() => { window.noReload = true; });
  await p.getByRole('button', { name: /Pay .* and book/ }).click();
  await p.getByRole('heading', { level: 1, name: 'My tours' }).waitFor();
  await p.getByText('Booked and paid').waitFor();
  await c.shot('tours-booked');
  const card = p.locator('#tours li[data-status="scheduled"]');
  await card.getByText('Scheduled with Rita Realtor').waitFor();
  assert.equal(await p.evaluate(() => window.noReload), true, 'the page was reloaded');
  await c.shot('tours-scheduled');
  ctx.tourId = await card.getAttribute('data-tour');
  // The time picked on the homes' clock (the browser runs in UTC) is the
  // instant booked.
  const booked = await call(srv.base, 'GET', '/tours/' + ctx.tourId, adminToken);
  assert.equal(new Date(booked.scheduled_at).getTime(), ctx.when.start.getTime(), `booked ${booked.scheduled_at} for ${ctx.when.day} ${ctx.when.time} ${ctx.when.zone}`);

  await c.nav('Notifications', 'Notifications');
  await p.getByText(/Your home tour is booked/).first().waitFor();
  await c.shot('notifications');
  c.check();
});

test('the realtor sees the tour arrive and confirms it', async () => {
  const r = ctx.realtorTab;
  const p = r.page;
  const card = p.locator(`#assignments li[data-tour="${ctx.tourId}"]`);
  await card.waitFor(); // live, on the page opened before the booking
  await r.shot('assignment');
  await card.getByRole('button', { name: 'Confirm' }).click();
  await p.locator(`#assignments li[data-tour="${ctx.tourId}"][data-status="confirmed"]`).waitFor();
  await r.shot('confirmed');
  await r.nav('Agenda', 'Agenda');
  const tourCard = p.locator(`#agenda li[data-tour="${ctx.tourId}"]`);
  await tourCard.getByText('Lakeside loft').waitFor();
  // The tour's route on a map: a line through the homes, numbered in the
  // order the tour service planned.
  const stops = (await call(srv.base, 'GET', '/tours/' + ctx.tourId, adminToken)).stops.map((s) => s.title);
  assert.equal(stops.length, 2);
  await until('the route on the map', async () => (await tourCard.locator('.map .route-stop').count()) === stops.length);
  const markers = await tourCard.locator('.map .route-stop').evaluateAll((els) => els.map((e) => [e.textContent, e.getAttribute('aria-label')]));
  markers.forEach(([n, label], i) => {
    assert.equal(n, String(i + 1));
    assert.ok(label.endsWith(`stop ${i + 1} of ${stops.length}, ${stops[i]}`), `marker ${i + 1} is "${label}", want stop ${i + 1}: ${stops[i]}`);
  });
  assert.equal(await tourCard.locator('.map path.route').count(), 1, 'no line through the stops');
  await r.shot('agenda');
  r.check();
});

test('a customer finds homes by town and by ZIP code on the map', async () => {
  const c = ctx.customerTab;
  const p = c.page;
  await c.nav('Find homes', 'Find homes');
  await p.getByText('homes found.').first().waitFor();
  // Suggestions come from GET /places as the customer types.
  await p.getByLabel('Town or ZIP code').pressSequentially('Chic');
  await until('a suggestion for Chicago', async () => (await p.locator('datalist option[value="Chicago, IL"]').count()) === 1);
  await p.getByLabel('Town or ZIP code').fill('Chicago');
  await p.getByRole('button', { name: 'Search' }).click();
  await until('the search near Chicago', async () => (await p.getByLabel('Latitude').inputValue()) === '41.85');
  await p.getByText('2 homes found.').waitFor();
  // 25 km around Chicago: the two homes, 1.4 km apart, are one cluster.
  const cluster = p.getByRole('button', { name: '2 homes here: zoom in' });
  await cluster.waitFor();
  await c.shot('map-chicago');
  await cluster.focus();
  await p.keyboard.press('Enter');
  const loft = p.locator('#results .map').getByRole('button', { name: /^Lakeside loft/ });
  await loft.waitFor();
  await p.locator('#results .map').getByRole('button', { name: /^Harbour cottage/ }).waitFor();
  await c.shot('map-zoomed');
  await loft.click();
  await p.getByRole('heading', { level: 1, name: 'Lakeside loft' }).waitFor();
  await p.locator('.map .home').waitFor(); // the home's own map
  await p.goBack();
  await p.getByRole('heading', { level: 1, name: 'Find homes' }).waitFor();

  await p.getByLabel('Town or ZIP code').fill('60614');
  await p.getByRole('button', { name: 'Search' }).click();
  await until('the search near 60614', async () => (await p.getByLabel('Latitude').inputValue()) === '41.9227');
  await p.getByText('2 homes found.').waitFor();
  await until('both homes on the map', async () => {
    const homes = await p.locator('#results .map .home').count();
    const clustered = await p.locator('#results .map .cluster').evaluateAll((els) => els.reduce((n, e) => n + Number(e.textContent), 0));
    return homes + clustered === 2;
  });
  assert.equal(await p.locator('#results .map path.area').count(), 1, 'the search radius is not drawn');
  await c.shot('map-60614');
  c.check();
});

test('the customer cancels late; an admin verifies a provider and refunds the cancelled tour', async () => {
  // The customer cancels less than a day ahead: under the rules, no refund.
  const c = ctx.customerTab;
  const p = c.page;
  await c.nav('My tours', 'My tours');
  const card = p.locator(`#tours li[data-tour="${ctx.tourId}"]`);
  const panel = async () => {
    if ((await card.locator('details').getAttribute('open')) === null) await card.getByText('Change or cancel').click();
  };
  // First the customer moves the tour two hours later (the times within
  // its own booking and the travel buffer around it are not offered): it
  // goes back to pending and is assigned again, live.
  const later = new Date(ctx.when.start.getTime() + 2 * 3600e3);
  const laterClock = ctx.when.at(later).time;
  await panel();
  const move = card.getByRole('region', { name: 'Move this tour' });
  await move.getByText(`on the homes\u2019 clock (${ctx.when.zone})`).waitFor();
  assert.equal(await move.locator(`button[data-start="${ctx.when.iso}"]`).count(), 0, 'the tour\'s own time is offered');
  await move.locator(`button[data-start="${ctx.when.at(later).iso}"]`).click();
  await move.getByText(`New time: `).filter({ hasText: laterClock }).waitFor();
  await c.shot('moving');
  await move.getByRole('button', { name: 'Move the tour to this time' }).click();
  await until('the tour to be scheduled at the new time', async () => {
    const t = await call(srv.base, 'GET', '/tours/' + ctx.tourId, adminToken);
    return t.status === 'scheduled' && new Date(t.scheduled_at).getTime() === later.getTime();
  });
  await p.locator(`#tours li[data-tour="${ctx.tourId}"][data-status="scheduled"]`).getByText(laterClock).first().waitFor();
  await c.shot('rescheduled');
  // Then cancels, less than a day ahead.
  await panel();
  await card.getByRole('button', { name: 'Cancel tour' }).click();
  await card.getByRole('button', { name: 'Yes, cancel it' }).click();
  const cancelled = p.locator(`#tours li[data-tour="${ctx.tourId}"][data-status="cancelled"]`);
  await cancelled.getByText('Refund: $0.00').waitFor();
  await c.shot('cancelled');
  c.check();

  // A new provider registers and waits for verification.
  const pv = await tab('provider');
  const pp = pv.page;
  await pp.goto('/app/register');
  await pp.getByLabel('Name', { exact: true }).fill('Bea Builder');
  const providerEmail = `bea-${Date.now()}@e2e.openhouse.test`;
  await pp.getByLabel('Email', { exact: true }).fill(providerEmail);
  await pp.getByLabel('Password').fill('provider passphrase for e2e');
  await pp.getByLabel('I am a').selectOption('provider');
  await pp.getByRole('button', { name: 'Register' }).click();
  await pp.getByText('An admin must verify it').waitFor();
  await pv.shot('registered');

  // The admin verifies them.
  const a = await tab('admin');
  const ap = a.page;
  await a.signIn(srv.admin.email, srv.admin.password);
  await ap.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  await ap.getByLabel('Verified').selectOption('false');
  await ap.getByRole('button', { name: 'Verify Bea Builder' }).click();
  await ap.getByRole('button', { name: 'Verify Bea Builder' }).waitFor({ state: 'detached' });
  await ap.getByLabel('Verified').selectOption('true');
  await ap.getByRole('button', { name: 'Unverify Bea Builder' }).waitFor();
  await a.shot('verified');
  // Suspend and reactivate another account.
  await account('customer', 'Sam Spare', false);
  await ap.getByLabel('Verified').selectOption('');
  await ap.getByRole('button', { name: 'Suspend Sam Spare' }).click();
  await ap.getByRole('button', { name: 'Reactivate Sam Spare' }).click();
  await ap.getByRole('button', { name: 'Suspend Sam Spare' }).waitFor();

  // ... and refunds the cancelled tour's payment.
  await a.nav('Payments', 'Payments');
  const tour = await call(srv.base, 'GET', '/tours/' + ctx.tourId, adminToken);
  const refund = ap.locator(`form[data-payment="${tour.payment_id}"]`);
  await refund.getByLabel('Reason').fill('courtesy refund after a late cancellation');
  await a.shot('payments');
  await refund.getByRole('button', { name: /Refund payment/ }).click();
  await refund.waitFor({ state: 'detached' });
  await until('the payment to be refunded', async () => (await call(srv.base, 'GET', '/payments/' + tour.payment_id, adminToken)).status === 'refunded');
  await ap.getByRole('cell', { name: /refunded/ }).first().waitFor();
  await a.shot('refunded');

  await a.nav('Tours', 'Tours');
  await ap.getByLabel('Status').selectOption('unassigned');
  await ap.getByText('No tours match.').waitFor();
  await ap.getByLabel('Status').selectOption('cancelled');
  await ap.getByRole('cell', { name: 'Lakeside loft, Harbour cottage' }).waitFor();
  await a.shot('tours');
  await a.nav('Dead letters', 'Dead letters');
  await ap.getByText('No dead letters.').waitFor();
  await a.shot('dead-letters');
  // The admin watches events flow while the provider works.
  await a.nav('Live events', 'Live events');
  await ap.getByText('Live updates on').waitFor();

  // The verified provider lists a home: a bad form first (a clear error from
  // the problem+json answer), then a good one; edits it; deletes it.
  await pv.nav('New listing', 'New listing');
  pv.expectConsoleError(/status of 4\d\d/);
  await pp.getByRole('button', { name: 'Create listing' }).click();
  await pp.getByRole('alert').waitFor();
  assert.equal(await pp.getByLabel('Title').getAttribute('aria-invalid'), 'true', 'the form does not point at the missing title');
  await pp.getByRole('alert').getByText(/^Title: /).waitFor(); // named as the form names it
  await pv.shot('listing-error');
  await pp.getByLabel('Title').fill('Builder bungalow');
  await pp.getByLabel('Street').fill('9 Quarry Lane');
  await pp.getByLabel('City', { exact: true }).fill('Lakeside');
  await pp.getByLabel('Country (2 letters)').fill('US');
  await pp.getByLabel('Price ($)').fill('300000');
  await pp.getByLabel('Tour fee ($)').fill('20');
  await pp.getByLabel('Bedrooms').fill('2');
  await pp.getByLabel('Bathrooms').fill('1');
  await pp.getByLabel('Time zone').fill('America/Chicago');
  // The position comes from the address (no geocoder here: from the ZIP
  // code), then the provider drops the pin on the door.
  await pp.getByLabel('Postal code').fill('60614');
  await pp.getByRole('button', { name: 'Find from the address' }).click();
  await pp.getByText('Placed at ZIP code 60614; drag the pin to the door.').waitFor();
  assert.equal(await pp.getByLabel('Latitude').inputValue(), '41.9227');
  assert.equal(await pp.getByLabel('Longitude').inputValue(), '-87.6472');
  const picker = pp.locator('#picker .map');
  await picker.locator('.pin').waitFor();
  await picker.scrollIntoViewIfNeeded();
  const box = await picker.boundingBox();
  await pp.mouse.click(box.x + box.width * 0.7, box.y + box.height * 0.3);
  await pp.getByText(/^Pinned at /).waitFor();
  assert.notEqual(await pp.getByLabel('Latitude').inputValue(), '41.9227', 'the pin did not move the position');
  await pv.shot('listing-pinned');
  await pp.getByRole('button', { name: 'Create listing' }).click();
  await pp.getByRole('heading', { level: 1, name: 'My listings' }).waitFor();
  const mine = pp.locator('#my-listings li[data-listing]');
  await mine.getByRole('link', { name: 'Builder bungalow' }).waitFor();
  await ap.locator('#events li[data-type="openhouse.listing.listing.created.v1"]').waitFor();
  await a.shot('live-events');
  await mine.getByRole('link', { name: 'Edit' }).click();
  await pp.getByLabel('Title').fill('Builder bungalow, renovated');
  await pp.getByRole('button', { name: 'Save changes' }).click();
  await mine.getByRole('link', { name: 'Builder bungalow, renovated' }).waitFor();
  await pv.shot('my-listings');
  await mine.getByRole('button', { name: 'Delete Builder bungalow, renovated' }).click();
  await mine.getByRole('button', { name: 'Yes, delete Builder bungalow, renovated' }).click();
  await pp.getByText('No listings yet.').waitFor();
  pv.check();
  a.check();
});

test('the realtor declines a tour; the admin finds it unassigned and cancels it with a full refund', async () => {
  // A second booking, made through the API this time.
  const token = await login(srv.base, ctx.customerEmail, 'customer passphrase for e2e');
  await call(srv.base, 'POST', '/cart/items', token, { listing_id: ctx.homes[0].id });
  const at = new Date(ctx.when.start.getTime() + 2 * 3600e3);
  const order = await call(srv.base, 'POST', '/cart/checkout', token, { scheduled_at: at.toISOString(), payment_method: 'tok_visa' }, { 'Idempotency-Key': 'e2e-decline' });

  const r = ctx.realtorTab;
  await r.nav('Assignments', 'My assignments');
  const card = r.page.locator('#assignments li[data-status="scheduled"]');
  await card.getByRole('button', { name: 'Decline' }).click(); // it arrives live, then is declined
  await r.page.getByText('No assignments right now.').waitFor();
  r.check();

  const a = tabs.find((t) => t.name === 'admin');
  const ap = a.page;
  // The overview's charts draw what the API says: tours booked per hour,
  // payment to realtor (p50, p99), one tour waiting, the dead letters.
  await until('the tour to wait unassigned', async () => (await call(srv.base, 'GET', '/tours/stats', adminToken)).unassigned.count === 1);
  await a.nav('Overview', 'Overview');
  const stats = await call(srv.base, 'GET', '/tours/stats?hours=24', adminToken);
  const dead = await call(srv.base, 'GET', '/admin/dead-letters?limit=100', adminToken);
  const drawn = await ap.evaluate(() => Object.fromEntries([...document.querySelectorAll('figure.chart')].map((f) => {
    const canvas = f.querySelector('canvas');
    const chart = globalThis.Chart.getChart(canvas);
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i]) inked++;
    return [f.id, { labels: chart.data.labels.length, data: chart.data.datasets.map((d) => d.data), inked }];
  })));
  assert.deepEqual(drawn['bookings-per-hour'].data, [stats.bookings_per_hour.map((b) => b.count)]);
  assert.equal(drawn['bookings-per-hour'].labels, 24);
  assert.ok(stats.bookings_per_hour.reduce((n, b) => n + b.count, 0) >= 2, 'the two bookings are not counted');
  assert.deepEqual(drawn['time-to-schedule'].data, [[stats.time_to_schedule.p50_seconds, stats.time_to_schedule.p99_seconds]]);
  assert.ok(stats.time_to_schedule.count >= 1 && stats.time_to_schedule.p99_seconds > 0, 'no time to schedule measured');
  for (const [id, c] of Object.entries(drawn)) assert.ok(c.inked > 1000, `chart ${id} is blank`);
  const figures = ap.locator('#overview-figures');
  await figures.getByRole('link', { name: '1', exact: true }).waitFor(); // one tour waiting
  await figures.getByRole('link', { name: String(dead.items.length), exact: true }).last().waitFor();
  await ap.locator('#bookings-per-hour').getByText('Numbers').click();
  await ap.locator('#bookings-per-hour table').waitFor();
  await a.shot('overview');
  // The provider activity charts (GET /listings/{id}/activity) draw the
  // documented shape: showings per week stacked by status.
  const activity = await ap.evaluate(async () => {
    const { activityCharts } = await import('/app/js/charts.js');
    const el = activityCharts({
      showings: { total: 3, by_status: { scheduled: 2, completed: 1 },
        by_week: [{ week: '2026-03-02', total: 2, by_status: { scheduled: 1, completed: 1 } }, { week: '2026-03-09', total: 1, by_status: { scheduled: 1 } }] },
      upcoming: [{ start: '2026-03-02T15:00:00Z', status: 'scheduled' }, { start: '2026-03-04T15:00:00Z', status: 'scheduled' }, { start: '2026-03-10T15:00:00Z', status: 'scheduled' }],
      feedback: { count: 3, average_rating: 4, items: [{ author: 'buyer', rating: 5 }, { author: 'agent', rating: 4 }, { author: 'buyer', rating: 3 }] },
    });
    document.querySelector('main').append(el);
    const out = Object.fromEntries([...el.querySelectorAll('figure.chart')].map((f) => {
      const c = globalThis.Chart.getChart(f.querySelector('canvas'));
      return [f.id, { labels: c.data.labels, data: c.data.datasets.map((d) => d.data) }];
    }));
    el.remove();
    return out;
  });
  assert.deepEqual(activity['showings-by-status'], { labels: ['completed', 'scheduled'], data: [[1, 2]] });
  assert.deepEqual(activity['showings-per-week'], { labels: ['Week of Mar 2', 'Week of Mar 9'], data: [[1, 0], [1, 1]] });
  assert.deepEqual(activity['feedback-ratings'].data, [[0, 0, 1, 0, 1], [0, 0, 0, 1, 0]]);
  await a.nav('Tours', 'Tours');
  await ap.getByLabel('Status').selectOption('unassigned');
  const cancel = ap.getByRole('button', { name: /^Cancel and refund/ });
  await cancel.click();
  await ap.getByText('No tours match.').waitFor();
  await until('the declined tour to be refunded in full', async () => {
    const p = await call(srv.base, 'GET', '/payments/' + order.payment.id, adminToken);
    return p.status === 'refunded' && p.refunded.amount === p.amount.amount;
  });
  a.check();

  const c = ctx.customerTab;
  await c.nav('My tours', 'My tours');
  await c.page.locator('#tours li[data-status="cancelled"]').getByText('Refund: $25.00').waitFor();
  await c.shot('refunded-by-admin');
  c.check();
});

test('every page of every role fits 375 px, names its controls and logs no error', async () => {
  const menus = {
    customer: ['Find homes', 'Cart', 'My tours', 'Notifications'],
    realtor: ['Assignments', 'Agenda', 'Profile', 'Notifications'],
    provider: ['My listings', 'New listing', 'Notifications'],
    admin: ['Users', 'Tours', 'Payments', 'Dead letters', 'Live events'],
  };
  for (const v of tabs) {
    for (const link of menus[v.name]) {
      await v.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
      await v.page.locator('main h1').waitFor();
      await v.page.getByText('Loading…').waitFor({ state: 'detached' });
      await v.fits();
    }
    // The same last page on a desktop screen: the layout widens, nothing overflows.
    await v.page.setViewportSize({ width: 1280, height: 800 });
    assert.ok(await v.page.evaluate(() => document.scrollingElement.scrollWidth <= 1280));
    await v.shot('desktop');
    await v.page.setViewportSize({ width: 375, height: 812 });
    await v.page.goto('/app/no-such-page');
    await v.page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    await v.fits();
    await v.page.getByRole('button', { name: 'Sign out' }).click();
    await v.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await v.fits();
    v.check();
  }
});

test('a customer signs in with the keyboard alone', async () => {
  const v = tabs.find((t) => t.name === 'customer');
  const p = v.page;
  await p.goto('/app/login');
  const focusOn = async (label) => {
    for (let i = 0; i < 15; i++) {
      await p.keyboard.press('Tab');
      if (await p.evaluate((l) => document.activeElement?.labels?.[0]?.textContent.startsWith(l), label)) return;
    }
    throw new Error(`Tab never reached ${label}`);
  };
  await focusOn('Email');
  await p.keyboard.type(ctx.customerEmail);
  await p.keyboard.press('Tab');
  await p.keyboard.type('customer passphrase for e2e');
  await p.keyboard.press('Enter');
  await p.getByText('Welcome, Casey Customer.').waitFor();
  await p.getByRole('heading', { level: 1, name: 'Find homes' }).waitFor();
  v.check();
});
