// Sessions outlive the access token: with 5-second access tokens (this
// file's own server; the journeys keep the default 15 minutes) a signed-in
// customer keeps using the app while it refreshes ahead of expiry, a burst
// of requests that meet a refused token costs one refresh, the live stream
// reconnects with a fresh token, and signing out revokes the refresh token.
//
// The server's verifiers accept a token up to 30 s (their clock-skew
// leeway) after it expires, so waiting for a 5 s token to be refused would
// take 35 s; the test hands the app a token the server refuses instead.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, call, until, Visitor, artefacts } from './harness.js';

const TTL = 5; // seconds, OPENHOUSE_ACCESS_TOKEN_TTL
let srv, browser, v;

before(async () => {
  srv = await startServer({ OPENHOUSE_ACCESS_TOKEN_TTL: `${TTL}s` });
  browser = await launch();
});

after(async () => {
  await v?.close().catch(() => {});
  await browser?.close();
  await srv?.stop();
  console.log(`screenshots: ${artefacts}`);
});

test('a customer stays signed in past the access token and signing out revokes the refresh token', async () => {
  const email = `customer-${Date.now()}@e2e.openhouse.test`;
  const password = 'customer passphrase for e2e';
  await call(srv.base, 'POST', '/iam/register', '', { email, password, name: 'Riley Refresh', role: 'customer' });

  v = await Visitor.open(browser, srv.base, 'refresh');
  const p = v.page;
  const refreshes = []; // statuses of POST /iam/refresh, in order
  p.on('response', (r) => { if (new URL(r.url()).pathname === '/iam/refresh') refreshes.push(r.status()); });
  const stored = () => p.evaluate(() => ({ access: sessionStorage.getItem('openhouse.token'), refresh: sessionStorage.getItem('openhouse.refresh') }));
  const signedIn = async () => (await p.getByRole('button', { name: 'Sign out' }).count()) === 1;

  await v.signIn(email, password);
  const first = await stored();
  assert.ok(first.access && first.refresh, 'the tokens are kept in sessionStorage');
  await p.getByText('Live updates on').waitFor();

  // Ahead of expiry (at 80% of 5 s) the app renews both tokens, again and
  // again, while the customer goes on using it.
  const start = Date.now();
  await until('two refreshes ahead of expiry', () => refreshes.length >= 2, 30000);
  assert.ok((Date.now() - start) / 1000 >= TTL * 0.8, 'two refreshes came too fast to be at 80% of the lifetime');
  await v.nav('Cart', 'Cart');
  await v.nav('My tours', 'My tours');
  await v.nav('Find homes', 'Find homes');
  const now = await stored();
  assert.notEqual(now.access, first.access);
  assert.notEqual(now.refresh, first.refresh);
  assert.ok(await signedIn(), 'signed out while refreshing');

  // A burst of requests whose token the server refuses (as after a sleep
  // longer than the token's life): one refresh for all, each retried once.
  const n = refreshes.length;
  for (let i = 0; i < 5; i++) v.expectConsoleError(/status of 401/);
  const burst = await p.evaluate(async () => {
    const { api, session } = await import('/app/js/api.js');
    session.token = 'a-token-the-server-refuses';
    return Promise.all(['/iam/me', '/cart', '/tours', '/notifications', '/iam/me'].map((path) =>
      api('GET', path).then(() => 'ok', (err) => `${path}: ${err.status}`)));
  });
  assert.deepEqual(burst, ['ok', 'ok', 'ok', 'ok', 'ok']);
  const during = refreshes.length - n;
  assert.ok(during >= 1 && during <= 2, `${during} refreshes for a burst of five refused requests (one, or two if the timer fired meanwhile)`);
  assert.ok(refreshes.every((s) => s === 200), `a refresh was refused: ${refreshes}`);
  assert.ok(await signedIn(), 'the burst signed the customer out');

  // The live stream, reconnecting with a refused token, refreshes and is back.
  v.expectConsoleError(/status of 401/);
  await p.evaluate(async () => {
    const { session } = await import('/app/js/api.js');
    const live = await import('/app/js/live.js');
    live.stop();
    session.token = 'a-token-the-server-refuses';
    live.start(document.getElementById('live'));
  });
  await p.getByText('Live updates on').waitFor();
  assert.ok(await signedIn());
  await v.shot('still-signed-in');

  // Signing out revokes the family: the last refresh token is worth nothing.
  const last = (await stored()).refresh;
  const logout = p.waitForResponse((r) => new URL(r.url()).pathname === '/iam/logout');
  await p.getByRole('button', { name: 'Sign out' }).click();
  assert.equal((await logout).status(), 204);
  await p.getByText('Signed out.').waitFor();
  assert.deepEqual(await stored(), { access: null, refresh: null });
  const res = await fetch(srv.base + '/iam/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: last }) });
  assert.equal(res.status, 401, 'the signed-out refresh token still works');
  v.check();
});
