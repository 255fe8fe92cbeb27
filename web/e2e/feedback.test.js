// After the visit, at 375 px and on a desktop: four tours of one home are
// booked, then the server starts again with its clock moved past them
// (OPENHOUSE_CLOCK_OFFSET) and completes them. The customer rates a home
// from their tours; the realtor rates it from the agenda's tours that took
// place and marks another tour's buyer as not having come (whose request
// for feedback is withdrawn); the provider's activity page lists both
// opinions as from a buyer and an agent, never who.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, call, login, until, tourTime, Visitor, artefacts } from './harness.js';
import { account, worksEveryDay, listHome, book } from './setup.js';

let srv, browser, adminToken, when, provider, realtor, customer, home;
const tabs = [];
const tours = [];
const people = [];

before(async () => {
  srv = await startServer();
  adminToken = await login(srv.base, srv.admin.email, srv.admin.password);
  when = tourTime();
  provider = await account(srv.base, adminToken, 'provider', 'Opinion Homes');
  realtor = await account(srv.base, adminToken, 'realtor', 'Vera Visit');
  await worksEveryDay(srv.base, realtor, when.zone);
  customer = await account(srv.base, adminToken, 'customer', 'Nora Nearby');
  people.push(provider, realtor, customer);
  home = await listHome(srv.base, provider, when.zone, {
    title: 'Garden flat', description: 'Visitors say what they think.', location: { lat: 41.9001, lng: -87.6502 },
  });
  for (let i = 0; i < 4; i++) {
    const start = when.at(new Date(when.start.getTime() + i * 3600e3)).iso;
    tours.push(await book(srv.base, customer, home, start, `feedback-${i}`, realtor.id));
  }
  // The same data, served with a clock past the last tour's end.
  const past = Math.ceil((new Date(tours[3].ends_at).getTime() - Date.now()) / 3600e3) + 1;
  await srv.stop(true);
  srv = await startServer({ OPENHOUSE_CLOCK_OFFSET: `${past}h` }, srv.dir);
  for (const who of people) who.token = await login(srv.base, who.email, who.password);
  for (const t of tours) {
    await until('the tour to be completed', async () => (await call(srv.base, 'GET', '/tours/' + t.id, customer.token)).status === 'completed');
  }
  browser = await launch();
});

after(async () => {
  for (const v of tabs) await v.close().catch(() => {});
  await browser?.close();
  await srv?.stop();
  console.log(`screenshots: ${artefacts}`);
});

async function signedIn(who, label, width, link, heading) {
  const v = await Visitor.signedIn(browser, srv.base, `feedback-${who.role}-${label}`, who, width, link, heading);
  tabs.push(v);
  return v;
}

for (const [label, width, rated, missed] of [['phone', 375, 0, 2], ['desktop', 1280, 1, 3]]) {
  test(`feedback after the visit (${label})`, async () => {
    const t = tours[rated];

    // The customer rates the home from their tours.
    const c = await signedIn(customer, label, width, 'My tours', 'My tours');
    const mine = c.page.locator(`#tours [data-tour="${t.id}"] form.feedback`);
    await mine.getByLabel('Rating of Garden flat').selectOption('4');
    await mine.getByLabel('Your interest').selectOption('high');
    await mine.getByLabel('The asking price is').selectOption('right');
    await mine.getByLabel('Comment').fill(`Lovely light (${label}).`);
    await c.shot('customer-feedback');
    await mine.getByRole('button', { name: 'Send feedback on Garden flat' }).click();
    await mine.getByText('Thank you: feedback saved.').waitFor();

    // The realtor rates it, and marks another tour's buyer as not come.
    const r = await signedIn(realtor, label, width, 'Agenda', 'Agenda');
    const theirs = r.page.locator(`#past-tours [data-tour="${t.id}"] form.feedback`);
    await theirs.getByLabel('Rating of Garden flat').selectOption('3');
    await theirs.getByLabel('Comment').fill(`Buyer asked about the roof (${label}).`);
    await theirs.getByRole('button', { name: 'Send feedback on Garden flat' }).click();
    await theirs.getByText('Thank you: feedback saved.').waitFor();
    const other = r.page.locator(`#past-tours [data-tour="${tours[missed].id}"]`);
    await other.getByRole('button', { name: /as not having come/ }).click();
    await r.page.locator(`#past-tours [data-tour="${tours[missed].id}"] .no-show`).waitFor();
    await r.shot('realtor-feedback');
    const withdrawn = await call(srv.base, 'GET', `/tours/${tours[missed].id}/feedback`, customer.token);
    assert.equal(withdrawn.requested, false);
    assert.equal(withdrawn.no_show, true);

    // The provider reads both, as from a buyer and an agent.
    const p = await signedIn(provider, label, width, 'My listings', 'My listings');
    await p.page.locator(`[data-listing="${home.id}"]`).getByRole('link', { name: 'Activity' }).click();
    await p.page.getByRole('heading', { level: 1, name: 'Activity: Garden flat' }).waitFor();
    const opinions = p.page.locator('#feedback .opinion');
    await until('both opinions to show', async () => {
      if (await opinions.filter({ hasText: `(${label})` }).count() === 2) return true;
      await p.page.reload();
      await p.page.getByRole('heading', { level: 1, name: 'Activity: Garden flat' }).waitFor();
      return false;
    });
    assert.match(await opinions.filter({ hasText: `Lovely light (${label}).` }).textContent(), /Buyer · 4 of 5 · interest high · priced right/);
    assert.match(await opinions.filter({ hasText: `roof (${label})` }).textContent(), /Agent · 3 of 5/);
    const page = await p.page.content();
    for (const name of [customer.name, realtor.name, customer.email]) assert.ok(!page.includes(name), `${name} is on the provider's page`);
    await p.shot('activity-feedback');
    for (const v of [c, r, p]) v.check();
  });
}
