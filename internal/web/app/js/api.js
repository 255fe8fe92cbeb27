// The public HTTP API, same origin, with the signed-in user's bearer token.
// Errors arrive as RFC 9457 problem+json and become ApiError, which pages
// show with showError (dom.js).

const KEY = 'openhouse.token';
const REFRESH_KEY = 'openhouse.refresh';
const REFRESH_AT_KEY = 'openhouse.refresh_at';
// The access token is renewed at 80% of its life, so a request or the live
// stream's reconnection seldom meets an expired one; a 401 renews it too.
const AHEAD = 0.8;
// Routes whose 401 is an answer about credentials, not an expired token.
const NO_REFRESH = new Set(['/iam/login', '/iam/register', '/iam/refresh', '/iam/logout']);
const JSON_TYPES = 'application/json, application/problem+json';

/** ApiError is a failed call: the problem the server answered with. */
export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem || {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.title = p.title || 'Something went wrong';
    this.detail = p.detail || '';
    this.fields = Array.isArray(p.errors) ? p.errors : [];
    this.type = p.type || '';
    /** problem is the whole answer, extensions included (a slot-taken's alternatives). */
    this.problem = p;
  }
}

let timer = null;

function schedule(at) {
  clearTimeout(timer);
  timer = null;
  if (session.refreshToken && at) timer = setTimeout(() => { refresh(); }, Math.max(0, at - Date.now()));
}

/**
 * session holds the tokens (sessionStorage: gone when the tab closes) and the
 * user. The refresh token is used once: each refresh answers the next one.
 */
export const session = {
  token: sessionStorage.getItem(KEY),
  refreshToken: sessionStorage.getItem(REFRESH_KEY),
  me: null,
  /** set keeps a login's or a refresh's answer and plans the next refresh. */
  set(tok) {
    this.token = tok.access_token;
    this.refreshToken = tok.refresh_token || null;
    const at = Date.now() + tok.expires_in * 1000 * AHEAD;
    sessionStorage.setItem(KEY, this.token);
    if (this.refreshToken) {
      sessionStorage.setItem(REFRESH_KEY, this.refreshToken);
      sessionStorage.setItem(REFRESH_AT_KEY, String(at));
    }
    schedule(at);
  },
  clear() {
    this.token = null; this.refreshToken = null; this.me = null;
    for (const k of [KEY, REFRESH_KEY, REFRESH_AT_KEY]) sessionStorage.removeItem(k);
    schedule(0);
  },
  get role() { return this.me ? this.me.role : null; },
};
// After a reload, keep to the plan made before it.
schedule(Number(sessionStorage.getItem(REFRESH_AT_KEY)) || 0);

/** endSession forgets the tokens and tells the shell, which shows the sign-in page. */
export function endSession(message = 'Your session ended; sign in again.') {
  session.clear();
  window.dispatchEvent(new CustomEvent('openhouse:signed-out', { detail: message }));
}

let inflight = null;

/**
 * refresh exchanges the refresh token for new tokens. However many callers
 * ask at once (a burst of requests that all met an expired token), one
 * request goes out and all wait for it: a second request with the same,
 * then used-up, token would look like a stolen copy and end the session.
 * Resolves true when a fresh access token is in session.token. A refused
 * refresh token ends the session.
 */
export function refresh() {
  if (!inflight) inflight = refreshOnce().finally(() => { inflight = null; });
  return inflight;
}

async function refreshOnce() {
  const rt = session.refreshToken;
  if (!rt) return false;
  let res;
  try {
    res = await fetch('/iam/refresh', { method: 'POST', headers: { Accept: JSON_TYPES, 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: rt }) });
  } catch {
    return false; // offline: the next request tries again
  }
  if (session.refreshToken !== rt) return !!session.token; // signed out or in meanwhile
  if (res.ok) {
    session.set(await res.json());
    return true;
  }
  if (res.status === 401) endSession();
  return false;
}

async function send(method, path, body, headers) {
  const token = session.token;
  const h = { Accept: JSON_TYPES, ...headers };
  if (token) h.Authorization = 'Bearer ' + token;
  const init = { method, headers: h };
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    return { res: await fetch(path, init), token };
  } catch {
    throw new ApiError(0, { title: 'Network error', detail: 'The server could not be reached. Check the connection and try again.' });
  }
}

/**
 * api calls the API and returns the decoded JSON answer (null for 204). A
 * 401 means the access token expired: it is refreshed (unless another call
 * already did) and the call made once more.
 */
export async function api(method, path, body, headers = {}) {
  let { res, token } = await send(method, path, body, headers);
  const renewable = token && !NO_REFRESH.has(path);
  if (res.status === 401 && renewable && (session.token !== token || await refresh())) {
    ({ res, token } = await send(method, path, body, headers));
  }
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    if (res.status === 401 && renewable && session.token === token) endSession();
    throw new ApiError(res.status, data || { title: res.statusText });
  }
  return data;
}

/** all follows next_cursor up to max items. */
export async function all(path, max = 200) {
  const items = [];
  let cursor = '';
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=100${cursor ? '&cursor=' + encodeURIComponent(cursor) : ''}`);
    items.push(...page.items);
    cursor = page.next_cursor || '';
  } while (cursor && items.length < max);
  return items;
}

/** signIn exchanges credentials for tokens and loads the user. */
export async function signIn(email, password) {
  session.set(await api('POST', '/iam/login', { email, password }));
  return loadMe();
}

/**
 * signOut forgets the tokens at once and revokes the refresh token's family
 * at the server (POST /iam/logout), so a copy of it is worth nothing. The
 * access token is not revocable; it expires within minutes.
 */
export async function signOut() {
  const rt = session.refreshToken;
  session.clear();
  if (!rt) return;
  try {
    await fetch('/iam/logout', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: rt }), keepalive: true });
  } catch { /* offline: the refresh token expires on its own */ }
}

/** loadMe reads the signed-in user (GET /iam/me). */
export async function loadMe() {
  session.me = await api('GET', '/iam/me');
  return session.me;
}
