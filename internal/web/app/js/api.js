// The public HTTP API, same origin, with the signed-in user's bearer token.
// Errors arrive as RFC 9457 problem+json and become ApiError, which pages
// show with showError (dom.js).

const KEY = 'openhouse.token';

/** ApiError is a failed call: the problem the server answered with. */
export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem || {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.title = p.title || 'Something went wrong';
    this.detail = p.detail || '';
    this.fields = Array.isArray(p.errors) ? p.errors : [];
  }
}

/** session holds the token (sessionStorage: gone when the tab closes) and the user. */
export const session = {
  token: sessionStorage.getItem(KEY),
  me: null,
  set(token) { this.token = token; sessionStorage.setItem(KEY, token); },
  clear() { this.token = null; this.me = null; sessionStorage.removeItem(KEY); },
  get role() { return this.me ? this.me.role : null; },
};

/** api calls the API and returns the decoded JSON answer (null for 204). */
export async function api(method, path, body, headers = {}) {
  const h = { Accept: 'application/json, application/problem+json', ...headers };
  if (session.token) h.Authorization = 'Bearer ' + session.token;
  const init = { method, headers: h };
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, { title: 'Network error', detail: 'The server could not be reached. Check the connection and try again.' });
  }
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    if (res.status === 401 && session.token && path !== '/iam/login') {
      session.clear();
      window.dispatchEvent(new CustomEvent('openhouse:signed-out', { detail: 'Your session ended; sign in again.' }));
    }
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

/** signIn exchanges credentials for a token and loads the user. */
export async function signIn(email, password) {
  const tok = await api('POST', '/iam/login', { email, password });
  session.set(tok.access_token);
  return loadMe();
}

/** loadMe reads the signed-in user (GET /iam/me). */
export async function loadMe() {
  session.me = await api('GET', '/iam/me');
  return session.me;
}
