// The home's side of a booked tour, at 375 px and on a desktop, each width
// with a home of its own booked today and tomorrow: the provider sets the
// home's access instructions in the listing form (write-only: "not set",
// then "set", never shown back), then changes its showing rules so the
// booked tours break them and sees those tours listed; the assigned
// realtor opens the access instructions of today's tour from the agenda
// (inside the window, OPENHOUSE_ACCESS_LEAD 6h here) and learns when
// tomorrow's opens (the 409's opens_at); a customer opening a home not
// shown now, or with it in the cart, reads its provider's message instead
// of times; the provider's
// activity page charts the home's showings per week.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, call, login, until, tourTime, Visitor, artefacts } from './harness.js';
import { account, worksEveryDay, listHome, book } from './setup.js';

let srv, browser, adminToken, when, provider, realtor, customer, hidden;
const tabs = [];
const homes = {}; // by width label: {home, today, tomorrow}

function listing(title, lat, lng, extra = {}) {
  return listHome(srv.base, provider, when.zone, { title, description: 'A home with a lockbox.', location: { lat, lng }, ...extra });
}

before(async () => {
  srv = await startServer({ OPENHOUSE_ACCESS_LEAD: '6h' });
  browser = await launch();
  adminToken = await login(srv.base, srv.admin.email, srv.admin.password);
  when = tourTime();
  provider = await account(srv.base, adminToken, 'provider', 'Keyholder Homes');
  realtor = await account(srv.base, adminToken, 'realtor', 'Rita Realtor');
  await worksEveryDay(srv.base, realtor, when.zone);
  customer = await account(srv.base, adminToken, 'customer', 'Carl Customer');
  const tomorrow = when.at(new Date(when.start.getTime() + 24 * 3600e3)).iso;
  const later = when.at(new Date(when.start.getTime() + 3600e3)).iso;
  for (const [label, lat, today, next] of [['phone', 41.9001, when.iso, tomorrow], ['desktop', 41.9102, later, when.at(new Date(when.start.getTime() + 25 * 3600e3)).iso]]) {
    const home = await listing(`Lockbox house ${label}`, lat, -87.6502);
    const booked = (start, key) => book(srv.base, customer, home, start, key, realtor.id);
    homes[label] = { home, today: await booked(today, `homeside-${label}-today`), tomorrow: await booked(next, `homeside-${label}-tomorrow`) };
  }
  hidden = await listing('Renovation cottage', 41.92, -87.66, {
    showing: { mode: 'none', message: 'Back on the market in spring.', min_notice_minutes: 0, max_per_day: 0, windows: [], blackouts: [], visit_minutes: 0 },
  });
});

after(async () => {
  for (const v of tabs) await v.close().catch(() => {});
  await browser?.close();
  await srv?.stop();
  console.log(`screenshots: ${artefacts}`);
});

async function signedIn(who, label, width, link, heading) {
  const v = await Visitor.signedIn(browser, srv.base, `${who.role}-${label}`, who, width, link, heading);
  tabs.push(v);
  return v;
}

for (const [label, width] of [['phone', 375], ['desktop', 1280]]) {
  test(`the home's side of a booked tour (${label})`, async () => {
    const { home, today, tomorrow } = homes[label];
    const code = `${label === 'phone' ? 4821 : 7390}#`;

    // The provider sets the access instructions: write-only.
    const prov = await signedIn(provider, label, width, 'My listings', 'My listings');
    const p = prov.page;
    const card = p.locator(`[data-listing="${home.id}"]`);
    await card.getByRole('link', { name: 'Edit' }).click();
    await p.getByRole('heading', { level: 1, name: `Edit ${home.title}` }).waitFor();
    assert.match(await p.locator('#access-state').textContent(), /not set/);
    await p.getByLabel('Instructions').fill('Lockbox on the back gate.');
    await p.getByLabel('Lockbox or door code').fill(code);
    await prov.shot('access');
    await p.getByRole('button', { name: 'Save changes' }).click();
    await p.getByText(`Saved ${home.title}.`).waitFor();
    assert.equal((await call(srv.base, 'GET', '/listings/' + home.id, provider.token)).access_set, true);
    await p.locator(`[data-listing="${home.id}"]`).getByRole('link', { name: 'Edit' }).click();
    await p.getByRole('heading', { level: 1, name: `Edit ${home.title}` }).waitFor();
    assert.match(await p.locator('#access-state').textContent(), /: set\./);
    assert.equal(await p.getByLabel('Lockbox or door code').inputValue(), '');
    assert.ok(!(await p.content()).includes(code), 'the code is shown back');

    // New showing rules the booked tours break: shown early on the day
    // after today only. The tours are listed, and go on.
    await p.goto(`/app/my-listings/${home.id}/showing`);
    await p.getByRole('heading', { level: 1, name: `Showing rules: ${home.title}` }).waitFor();
    const weekday = ((new Date(`${when.day}T12:00:00Z`).getUTCDay() + 6) % 7) + 2; // ISO weekday of today, plus one
    await p.getByRole('button', { name: 'Add a window' }).click();
    const row = p.locator('#windows .window').first();
    await row.getByLabel('Day').selectOption(String(weekday > 7 ? 1 : weekday));
    await row.getByLabel('From').fill('08:00');
    await row.getByLabel('Until').fill('08:30');
    await p.getByRole('button', { name: 'Save showing rules' }).click();
    await p.getByText(/Showing rules saved\. 2 booked tours break them/).waitFor();
    const listed = p.locator('#conflicts .conflict');
    assert.deepEqual(await listed.evaluateAll((els) => els.map((e) => e.dataset.tour)), [today.id, tomorrow.id]);
    assert.match(await listed.first().textContent(), /outside the home's showing windows/);
    await prov.shot('conflicts');
    assert.equal((await call(srv.base, 'GET', '/tours/' + today.id, customer.token)).status, 'scheduled');

    // The home's activity: its two showings in the chart of showings per
    // week (its numbers in the table beside it), no feedback yet.
    await p.goto('/app/my-listings');
    await p.locator(`[data-listing="${home.id}"]`).getByRole('link', { name: 'Activity' }).click();
    await p.getByRole('heading', { level: 1, name: `Activity: ${home.title}` }).waitFor();
    const perWeek = p.locator('#showings-per-week');
    await until('the chart to be drawn', () => perWeek.locator('canvas').evaluate((c) => c.width > 0 && c.height > 0));
    await perWeek.getByText('Numbers').click();
    const counts = await perWeek.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.cells].slice(1).reduce((n, c) => n + Number(c.textContent), 0)));
    assert.equal(counts.reduce((a, b) => a + b, 0), 2);
    await p.locator('#feedback').getByText('No feedback yet.').waitFor();
    await prov.shot('activity');

    // The realtor: today's access is open, tomorrow's opens later.
    const r = await signedIn(realtor, label, width, 'Agenda', 'Agenda');
    const todayCard = r.page.locator(`#agenda [data-tour="${today.id}"]`);
    await todayCard.getByRole('button', { name: /Show access instructions/ }).click();
    await todayCard.locator('.access-code').getByText(code).waitFor();
    assert.match(await todayCard.locator('.access-instructions').textContent(), /Lockbox on the back gate\./);
    const tomorrowCard = r.page.locator(`#agenda [data-tour="${tomorrow.id}"]`);
    r.expectConsoleError(/409/);
    await tomorrowCard.getByRole('button', { name: /Show access instructions/ }).click();
    const opens = new Date(new Date(tomorrow.scheduled_at).getTime() - 6 * 3600e3);
    const clock = new Intl.DateTimeFormat('en-US', { timeZone: when.zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(opens);
    assert.match(await tomorrowCard.locator('.access-opens').textContent(), new RegExp(`Access opens at .*${clock}`));
    assert.equal(await tomorrowCard.locator('.access-code').count(), 0);
    await r.shot('agenda-access');

    // A customer on a home not shown now: its message, no times.
    const c = await signedIn(customer, label, width);
    await c.page.goto('/app/listings/' + hidden.id);
    await c.page.getByText('Not being shown now: Back on the market in spring.').waitFor();
    assert.equal(await c.page.locator('.next-times button[data-start]').count(), 0);
    await c.shot('not-shown');
    // In the cart too: the week of times gives way to the message.
    await call(srv.base, 'POST', '/cart/items', customer.token, { listing_id: hidden.id }).catch(() => {}); // there already on the second width
    await c.page.goto('/app/cart');
    await c.page.locator('.slots .not-shown').getByText('Not being shown now: Back on the market in spring.').waitFor();
    assert.equal(await c.page.locator('.slots button[data-start]').count(), 0);
    for (const v of [prov, r, c]) v.check();
  });
}
