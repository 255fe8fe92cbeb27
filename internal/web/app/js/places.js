// Places: a town or US ZIP code typed in a field becomes a position
// (GET /places), with suggestions as one types; a street address goes
// through the server's geocoder when it has one (GET /places/geocode).

import { api, ApiError } from './api.js';
import { h, field } from './dom.js';

let seq = 0;

/** describe is how a place reads in a field and in suggestions. */
export function describe(p) {
  if (p.kind === 'postal_code') return p.name;
  return [p.name, p.region].filter(Boolean).join(', ');
}

/** placeField is a labelled text field suggesting towns and ZIP codes as one types. */
export function placeField(label, attrs = {}, hint) {
  const list = h('datalist', { id: 'places' + ++seq });
  const wrap = field(label, { ...attrs, list: list.id, autocomplete: 'off' }, hint);
  const input = wrap.querySelector('input');
  let pending = 0;
  input.addEventListener('input', async () => {
    const q = input.value.trim();
    const mine = ++pending;
    if (!q || q.length > 100) { list.replaceChildren(); return; }
    try {
      const found = await api('GET', '/places?' + new URLSearchParams({ q, limit: '8' }));
      if (mine !== pending) return; // a later keystroke asked again
      list.replaceChildren(...found.items.map((p) => h('option', { value: describe(p) },
        p.kind === 'postal_code' ? `${p.city || ''} ${p.region}`.trim() : p.country)));
    } catch { /* suggestions are a convenience: the search says what is wrong */ }
  });
  wrap.append(list);
  return wrap;
}

/**
 * findPlace returns the best match of text ({name, region, location, ...});
 * none is a problem naming field, shown beside it like the API's own.
 */
export async function findPlace(text, field) {
  const found = await api('GET', '/places?' + new URLSearchParams({ q: text, limit: '1' }));
  if (!found.items.length) {
    throw new ApiError(422, { title: 'Unknown place', detail: `No town or US ZIP code matches “${text}”.`, errors: [{ field, message: 'is not a town or US ZIP code we know' }] });
  }
  return found.items[0];
}

/**
 * locate finds an address's position: the street address through the
 * server's geocoder if it has one, else the ZIP code, else the town.
 * It returns {location, source} or null.
 */
export async function locate({ line1, city, region, postal_code, country }) {
  if (line1 && (city || postal_code)) {
    const q = [line1, city, [region, postal_code].filter(Boolean).join(' '), country].filter(Boolean).join(', ');
    try {
      const g = await api('GET', '/places/geocode?' + new URLSearchParams({ q: q.slice(0, 100), limit: '1' }));
      if (g.items.length) return { location: g.items[0].location, source: g.items[0].name };
    } catch { /* the geocoder is optional: fall back to the gazetteer */ }
  }
  if (postal_code && (!country || country.toUpperCase() === 'US')) {
    const z = await api('GET', '/places?' + new URLSearchParams({ q: postal_code, limit: '1' }));
    if (z.items.length && z.items[0].kind === 'postal_code' && z.items[0].name === postal_code.slice(0, 5)) {
      return { location: z.items[0].location, source: `ZIP code ${z.items[0].name}` };
    }
  }
  if (city) {
    const q = region ? `${city}, ${region}` : country ? `${city}, ${country}` : city;
    const c = await api('GET', '/places?' + new URLSearchParams({ q: q.slice(0, 100), limit: '1' }));
    if (c.items.length) return { location: c.items[0].location, source: describe(c.items[0]) + ', ' + c.items[0].country };
  }
  return null;
}
