// Showing money (integer minor units) and instants (RFC 3339) to people.

/** money formats {amount, currency} in minor units. */
export function money(m) {
  if (!m) return '';
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: m.currency }).format(m.amount / 100);
  } catch {
    return `${(m.amount / 100).toFixed(2)} ${m.currency}`;
  }
}

/** when formats an instant in a time zone (default: the browser's), naming the zone. */
export function when(iso, timeZone) {
  if (!iso) return '';
  // dateStyle cannot be combined with timeZoneName, hence the fields.
  const opts = { year: 'numeric', month: 'short', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
  try {
    return new Intl.DateTimeFormat('en-US', timeZone ? { ...opts, timeZone } : opts).format(new Date(iso));
  } catch {
    return new Date(iso).toISOString();
  }
}

/** shortId is the first part of an opaque id, for compact tables. */
export function shortId(id) { return id ? String(id).slice(0, 8) : ''; }
