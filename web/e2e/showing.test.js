// A provider sets a home's showing rules in the web app, at 375 px and on a
// desktop: the mode, the most showings a day, a weekly window made with the
// editor (added, one removed) and blackout days; the listing then carries
// them (GET /listings/{id}), with the window on the home's clock and the
// blackout at the home's midnights.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, call, login, until, Visitor, artefacts } from './harness.js';

let srv, browser, adminToken;
const tabs = [];

before(async () => {
  srv = await startServer();
  browser = await launch();
  adminToken = await login(srv.base, srv.admin.email, srv.admin.password);
});

after(async () => {
  for (const v of tabs) await v.close().catch(() => {});
  await browser?.close();
  await srv?.stop();
  console.log(`screenshots: ${artefacts}`);
});

for (const [label, width] of [['phone', 375], ['desktop', 1280]]) {
  test(`a provider sets a home's showing rules (${label})`, async () => {
    const email = `provider-${label}-${Date.now()}@e2e.openhouse.test`;
    const password = 'provider passphrase for e2e';
    const u = await call(srv.base, 'POST', '/iam/register', '', { email, password, name: 'Paula Provider', role: 'provider' });
    await call(srv.base, 'PATCH', '/iam/users/' + u.id, adminToken, { verified: true });
    const token = await login(srv.base, email, password);
    const home = await until('the provider to be allowed to list', () => call(srv.base, 'POST', '/listings', token, {
      title: `Rules house ${label}`, description: 'Shown on Saturdays.', time_zone: 'America/Chicago',
      address: { line1: '9 Rule Rd', city: 'Chicago', region: 'IL', postal_code: '60601', country: 'US' },
      location: { lat: 41.88, lng: -87.63 }, price: { amount: 45000000, currency: 'USD' }, tour_fee: { amount: 2500, currency: 'USD' },
      bedrooms: 2, bathrooms: 1,
    }));

    const v = await Visitor.open(browser, srv.base, `showing-${label}`);
    tabs.push(v);
    if (width !== 375) await v.page.setViewportSize({ width, height: 900 });
    const p = v.page;
    await v.signIn(email, password);
    if (width === 375) await v.nav('My listings', 'My listings'); // and checks the page fits the phone
    else {
      await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My listings' }).click();
      await p.getByRole('heading', { level: 1, name: 'My listings' }).waitFor();
    }
    await p.locator(`[data-listing="${home.id}"]`).getByRole('link', { name: 'Showing rules' }).click();
    await p.getByRole('heading', { level: 1, name: `Showing rules: ${home.title}` }).waitFor();

    await p.getByLabel('How requests are answered').selectOption('confirm');
    await p.getByLabel('Most showings a day').fill('2');
    await p.getByLabel('Message to buyers').fill('Shoes off, please.');
    await p.getByRole('button', { name: 'Add a window' }).click();
    await p.getByRole('button', { name: 'Add a window' }).click();
    const rows = p.locator('#windows .window');
    await rows.nth(0).getByLabel('Day').selectOption('6');
    await rows.nth(0).getByLabel('From').fill('10:00');
    await rows.nth(0).getByLabel('Until').fill('14:00');
    await rows.nth(1).getByRole('button', { name: /Remove window/ }).click();
    await p.getByRole('button', { name: 'Add blackout days' }).click();
    await p.locator('#blackouts .blackout').getByLabel('First day').fill('2030-12-24');
    await p.locator('#blackouts .blackout').getByLabel('Last day').fill('2030-12-26');
    await v.shot('rules');
    await p.getByRole('button', { name: 'Save showing rules' }).click();
    await p.getByText('Showing rules saved.').waitFor();

    const saved = await call(srv.base, 'GET', '/listings/' + home.id, token);
    assert.equal(saved.showing.mode, 'confirm');
    assert.equal(saved.showing.max_per_day, 2);
    assert.equal(saved.showing.message, 'Shoes off, please.');
    assert.deepEqual(saved.showing.windows, [{ weekday: 6, start: '10:00', end: '14:00' }]);
    assert.equal(saved.showing.blackouts.length, 1);
    assert.equal(new Date(saved.showing.blackouts[0].start).toISOString(), '2030-12-24T06:00:00.000Z'); // midnight CST
    assert.equal(new Date(saved.showing.blackouts[0].end).toISOString(), '2030-12-27T06:00:00.000Z');

    // Opened again, the form shows what was saved.
    await p.reload();
    await p.getByRole('heading', { level: 1, name: `Showing rules: ${home.title}` }).waitFor();
    assert.equal(await p.locator('#windows .window').count(), 1);
    assert.equal(await p.locator('#blackouts .blackout').getByLabel('Last day').inputValue(), '2030-12-26');
    v.check();
  });
}
