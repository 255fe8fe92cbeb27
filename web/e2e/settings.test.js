// Settings, for everyone: a realtor chooses SMS for bookings, verifies a
// phone with the code texted through Twilio's API (this file's twilio-fake),
// gets a calendar feed URL and a new one (the old one then answers 404), and
// connects their own calendar, whose sync state shows its refusal of an
// internal address.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, launch, call, until, freePort, root, Visitor, artefacts } from './harness.js';

const SID = 'ACe2e0000000000000000000000000000', TOKEN = 'e2etoken0123456789';
let srv, browser, v, fake, fakeURL;

before(async () => {
  const port = await freePort();
  fakeURL = `http://127.0.0.1:${port}`;
  const bin = join(process.env.TMPDIR || '/tmp', `twilio-fake-e2e-${process.pid}`);
  execFileSync('go', ['build', '-o', bin, './cmd/twilio-fake'], { cwd: root, stdio: 'inherit' });
  fake = spawn(bin, ['-listen', `127.0.0.1:${port}`, '-account-sid', SID, '-auth-token', TOKEN], { stdio: 'ignore' });
  await until('twilio-fake', async () => (await fetch(fakeURL + '/messages')).ok, 30000);
  srv = await startServer({ OPENHOUSE_TWILIO_ACCOUNT_SID: SID, OPENHOUSE_TWILIO_AUTH_TOKEN: TOKEN, OPENHOUSE_TWILIO_FROM: '+13125550000', OPENHOUSE_TWILIO_API_URL: fakeURL });
  browser = await launch();
});

after(async () => {
  await v?.close().catch(() => {});
  await browser?.close();
  await srv?.stop();
  fake?.kill();
  console.log(`screenshots: ${artefacts}`);
});

test('a realtor sets channels, verifies a phone, rotates the feed URL and connects their calendar', async () => {
  const email = `realtor-${Date.now()}@e2e.openhouse.test`;
  const password = 'realtor passphrase for e2e';
  await call(srv.base, 'POST', '/iam/register', '', { email, password, name: 'Sam Settings', role: 'realtor' });
  v = await Visitor.open(browser, srv.base, 'settings');
  const p = v.page;
  await v.signIn(email, password);
  await v.nav('Settings', 'Settings');

  await p.getByLabel('A tour is booked: SMS').check();
  await p.getByRole('button', { name: 'Save preferences' }).click();
  await p.getByText('Preferences saved.').waitFor();
  const tok = await p.evaluate(() => sessionStorage.getItem('openhouse.token'));
  const prefs = await call(srv.base, 'GET', '/notifications/preferences', tok);
  assert.deepEqual(prefs.channels.booked, ['inbox', 'email', 'sms', 'webhook']);

  await p.getByLabel('Mobile number').fill('+1 312 555 0188');
  await p.getByRole('button', { name: 'Text me a code' }).click();
  await p.getByText('enter the code we texted you').waitFor();
  const { messages } = await (await fetch(fakeURL + '/messages')).json();
  const code = messages.filter((m) => m.to === '+13125550188').pop().body.match(/\d{6}/)[0];
  await p.getByLabel('Code', { exact: true }).fill(code);
  await p.getByRole('button', { name: 'Verify' }).click();
  await p.getByText('+13125550188 is verified.').waitFor();

  await p.getByRole('button', { name: 'New feed URL' }).click();
  const first = await until('a feed URL', async () => p.getByLabel('Calendar feed URL').inputValue());
  assert.match(first, /\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
  await until('the feed to be served', async () => (await fetch(first)).status === 200);
  assert.match((await fetch(first)).headers.get('content-type'), /^text\/calendar/);
  await p.getByRole('button', { name: 'New feed URL' }).click();
  const second = await until('another feed URL', async () => { const u = await p.getByLabel('Calendar feed URL').inputValue(); return u !== first && u; });
  await until('the new feed to be served', async () => (await fetch(second)).status === 200);
  assert.equal((await fetch(first)).status, 404, 'the old feed URL still works');

  await p.getByLabel("Your calendar's secret address (iCal)").fill('https://127.0.0.1:9/private/basic.ics');
  await p.getByRole('button', { name: 'Connect', exact: true }).click();
  await p.getByText(/^Connected/).waitFor();
  await v.shot('settings');
  // The sync runs at once and refuses the loopback address; checking again shows it.
  await until('the sync to refuse the address', async () => {
    await p.getByRole('button', { name: 'Check the sync again' }).click();
    return (await p.locator('#calendar-sync').textContent()).includes('not allowed');
  });
  const page = await p.content();
  assert.ok(!page.includes('/private/basic.ics'), 'the calendar URL is shown back');
  v.check();
});
