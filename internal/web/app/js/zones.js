// Time-zone arithmetic with Intl only: a tour's time is picked in the home's
// zone, whatever zone the browser is in.

function parts(date, timeZone) {
  const f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const p = Object.fromEntries(f.formatToParts(date).map((x) => [x.type, x.value]));
  return { y: +p.year, mo: +p.month, d: +p.day, h: +p.hour, mi: +p.minute, s: +p.second };
}

/** offsetMs is how far timeZone's wall clock is ahead of UTC at date. */
function offsetMs(date, timeZone) {
  const p = parts(date, timeZone);
  return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(date.getTime() / 1000) * 1000;
}

/** zonedToISO turns a wall-clock date ("2026-11-26") and time ("14:30") in timeZone into an RFC 3339 UTC instant. */
export function zonedToISO(day, time, timeZone) {
  const [y, mo, d] = day.split('-').map(Number);
  const [hh, mi] = time.split(':').map(Number);
  const wall = Date.UTC(y, mo - 1, d, hh, mi);
  let t = wall - offsetMs(new Date(wall), timeZone);
  t = wall - offsetMs(new Date(t), timeZone); // again, across a DST change
  return new Date(t).toISOString().replace('.000Z', 'Z');
}

/** wallClock is {day: "YYYY-MM-DD", time: "HH:MM"} of an instant in timeZone. */
export function wallClock(iso, timeZone) {
  const p = parts(new Date(iso), timeZone);
  const two = (n) => String(n).padStart(2, '0');
  return { day: `${p.y}-${two(p.mo)}-${two(p.d)}`, time: `${two(p.h)}:${two(p.mi)}` };
}
