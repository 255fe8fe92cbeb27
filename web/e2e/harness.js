// The e2e harness: builds openhouse, serves it on a fresh data directory and
// a free loopback port, drives Debian's Chromium through playwright-core,
// fails on any console error, checks every page at 375 px, and saves
// screenshots as artefacts.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
export const artefacts = resolve(process.env.OPENHOUSE_E2E_ARTEFACTS || join(here, 'artefacts'));
export const WIDTH = 375;
/** TIMEOUT bounds every wait for the page or the system. */
export const TIMEOUT = 45000;

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

/** until polls cond (async) until it returns a truthy value or the deadline passes. */
export async function until(what, cond, ms = TIMEOUT) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try { const v = await cond(); if (v) return v; } catch (err) { last = err; }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * tileOrigin is where the servers' maps take tiles from: a loopback port
 * nothing listens on, so every map runs as it does with no tile server in
 * reach (markers, areas and routes on a blank base), and the browser sends
 * nothing off this machine. Tabs ignore the failed tile loads it logs.
 */
export let tileOrigin = '';

/**
 * startServer builds the binary (unless OPENHOUSE_E2E_BINARY names one) and
 * serves it; env adds or overrides settings of that server alone. With
 * reuse (a stopped server's dir, stopped with keep), it serves that
 * server's data again: a restart.
 */
export async function startServer(env = {}, reuse = '') {
  const dir = reuse || mkdtempSync(join(tmpdir(), 'openhouse-e2e-'));
  let bin = process.env.OPENHOUSE_E2E_BINARY;
  if (!bin && reuse && existsSync(join(dir, 'openhouse'))) bin = join(dir, 'openhouse');
  if (!bin) {
    bin = join(dir, 'openhouse');
    try {
      execFileSync('go', ['build', '-o', bin, './cmd/openhouse'], { cwd: root, stdio: 'inherit' });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const port = await freePort();
  if (!tileOrigin) tileOrigin = `http://127.0.0.1:${await freePort()}`;
  const admin = { email: 'admin@e2e.openhouse.test', password: 'e2e admin passphrase' };
  const log = openSync(join(dir, 'serve.log'), 'a');
  const proc = spawn(bin, ['serve'], {
    env: {
      ...process.env,
      OPENHOUSE_HTTP_ADDR: `127.0.0.1:${port}`, OPENHOUSE_DATA_DIR: join(dir, 'data'),
      OPENHOUSE_ADMIN_EMAIL: admin.email, OPENHOUSE_ADMIN_PASSWORD: admin.password,
      OPENHOUSE_LOG_LEVEL: 'warn', OPENHOUSE_DATABASE_URL: '', OPENHOUSE_NATS_URL: '', OPENHOUSE_REDIS_URL: '',
      OPENHOUSE_MAP_TILE_URL: `${tileOrigin}/tiles/{z}/{x}/{y}.png`, OPENHOUSE_GEOCODER_URL: '',
      ...env,
    },
    stdio: ['ignore', log, log],
  });
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise((r) => proc.once('exit', r));
  await until('openhouse to be ready', async () => (await fetch(base + '/readyz')).ok, 60000);
  return {
    base, admin, dir,
    /** stop ends the server; keep leaves its dir for a restart. */
    async stop(keep = false) {
      proc.kill('SIGTERM');
      await exited;
      if (!keep && !process.env.OPENHOUSE_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The tour starts in about three hours, at about noon in a zone chosen for
// it, so it is inside the homes' 08:00-20:00 whatever the time of day the
// suite runs, and less than a day ahead (a customer who cancels gets no
// refund; the admin gives one); on the quarter hour, the grid of open slots.
export function tourTime() {
  const start = new Date(Math.ceil((Date.now() + 3 * 3600e3) / 900e3) * 900e3);
  const offset = 12 - start.getUTCHours();
  const zone = offset === 0 ? 'Etc/GMT' : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
  const suffix = offset === 0 ? 'Z' : `${offset > 0 ? '+' : '-'}${String(Math.abs(offset)).padStart(2, '0')}:00`;
  // at is an instant as the API writes a start (the homes' date and time
  // and UTC offset: iso) and as people read it (day, time).
  const at = (t) => {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(t).map((x) => [x.type, x.value]));
    const day = `${p.year}-${p.month}-${p.day}`, time = `${p.hour}:${p.minute}`;
    return { day, time, iso: `${day}T${time}:00${suffix}` };
  };
  return { zone, start, at, ...at(start) };
}

/** call is the API as a test's setup uses it (never the pages under test). */
export async function call(base, method, path, token, body, headers = {}) {
  const h = { ...headers };
  if (token) h.Authorization = 'Bearer ' + token;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path} = ${res.status} ${text}`);
  return data;
}

export async function login(base, email, password) {
  return (await call(base, 'POST', '/iam/login', '', { email, password })).access_token;
}

/** launch starts headless Chromium with a fresh profile (playwright makes a new user-data-dir per launch). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.OPENHOUSE_E2E_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Visitor is one person's browser tab at 375 px. Every console error or
 * uncaught exception is recorded; check() fails the test on any not
 * explicitly expected. visit() and shot() check the page does not scroll
 * sideways at 375 px.
 */
export class Visitor {
  constructor(page, name) {
    this.page = page;
    this.name = name;
    this.errors = [];
    this.expected = [];
    this.shots = 0;
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const text = `${m.text()} @ ${m.location().url || ''}`;
      // A tile the unreachable tile server did not send (see tileOrigin).
      if (tileOrigin && text.startsWith('Failed to load resource') && (m.location().url || '').startsWith(tileOrigin + '/')) return;
      const i = this.expected.findIndex((re) => re.test(text));
      if (i >= 0) this.expected.splice(i, 1);
      else this.errors.push(text);
    });
    page.on('pageerror', (err) => this.errors.push('uncaught: ' + err.message));
    if (process.env.OPENHOUSE_E2E_DEBUG) {
      page.on('console', (m) => console.log(`[${name}] console ${m.type()}: ${m.text()}`));
      page.on('response', (r) => { if (!r.url().includes('/app/')) console.log(`[${name}] ${r.status()} ${r.request().method()} ${r.url()}`); });
    }
  }

  static async open(browser, base, name) {
    const ctx = await browser.newContext({ viewport: { width: WIDTH, height: 812 }, baseURL: base, timezoneId: 'UTC', locale: 'en-US' });
    // Generous: CI shares two cores with other suites. A wait that fails
    // still fails; it only fails later.
    ctx.setDefaultTimeout(TIMEOUT);
    const v = new Visitor(await ctx.newPage(), name);
    v.ctx = ctx;
    return v;
  }

  /** expect allows one console error matching re (a 4xx the step provokes on purpose). */
  expectConsoleError(re) { this.expected.push(re); }

  /**
   * forgive drops one console error matching re already recorded, for a
   * step whose outcome decides which tab provokes it (the loser of a race
   * is answered 409); it fails if there is none.
   */
  forgive(re) {
    const i = this.errors.findIndex((e) => re.test(e));
    if (i < 0) throw new Error(`${this.name}: no console error matching ${re} to forgive`);
    this.errors.splice(i, 1);
  }

  async signIn(email, password) {
    await this.page.goto('/app/login');
    await this.page.getByLabel('Email').fill(email);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.getByText('Welcome,').waitFor();
  }

  /**
   * signedIn opens a tab width px wide, signs who (with an email and a
   * password) in, and when link is given follows it to the page headed
   * heading.
   */
  static async signedIn(browser, base, name, who, width, link, heading) {
    const v = await Visitor.open(browser, base, name);
    try {
      await v.page.setViewportSize({ width, height: 900 });
      await v.signIn(who.email, who.password);
      if (link) await v.nav(link, heading);
    } catch (err) {
      await v.close().catch(() => {});
      throw err;
    }
    return v;
  }

  /**
   * nav follows a menu link (no reload) and waits for the page's heading;
   * at the phone width it checks the page fits.
   */
  async nav(link, heading) {
    await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
    await this.page.getByRole('heading', { level: 1, name: heading }).waitFor();
    if (this.page.viewportSize().width === WIDTH) await this.fits();
  }

  /**
   * fits fails if the page scrolls sideways at 375 px, or has a control
   * with no accessible name (an input without a label, an empty button).
   */
  async fits() {
    const w = await this.page.evaluate(() => document.scrollingElement.scrollWidth);
    if (w > WIDTH) throw new Error(`${this.page.url()} is ${w} px wide at ${WIDTH} px`);
    const unnamed = await this.page.evaluate(() => {
      const bad = [];
      for (const el of document.querySelectorAll('input, select, textarea')) {
        if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label')) bad.push(el.outerHTML.slice(0, 100));
      }
      for (const el of document.querySelectorAll('button, a[href], [role="button"], [role="switch"]')) {
        const name = el.getAttribute('aria-label') || el.textContent.trim() || (el.labels && el.labels.length);
        if (!name) bad.push(el.outerHTML.slice(0, 100));
      }
      return bad;
    });
    if (unnamed.length) throw new Error(`${this.page.url()} has controls with no accessible name:\n${unnamed.join('\n')}`);
  }

  /** shot saves a screenshot; at the phone width it checks the page fits first. */
  async shot(label) {
    if (this.page.viewportSize().width === WIDTH) await this.fits();
    mkdirSync(artefacts, { recursive: true });
    this.shots++;
    await this.page.screenshot({ path: join(artefacts, `${this.name}-${String(this.shots).padStart(2, '0')}-${label}.png`), fullPage: true });
  }

  check() {
    if (this.errors.length) throw new Error(`console errors in ${this.name}'s tab:\n${this.errors.join('\n')}`);
    if (this.expected.length) throw new Error(`${this.name}: expected console errors did not happen: ${this.expected}`);
  }

  async close() { await this.ctx.close(); }
}
