// Time-zone arithmetic with Intl only: a tour's time is picked in the home's
// zone, whatever zone the browser is in. Dates ("YYYY-MM-DD") and the API's
// instants, which it writes with the zone's UTC offset, are read as strings.

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

/** addDays is the date n days after day ("YYYY-MM-DD"). */
export function addDays(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** local is the date and time, on the clock the API wrote it in, of an API start ("2026-12-04T10:00:00-06:00"). */
export function local(start) {
  return { day: start.slice(0, 10), time: start.slice(11, 16) };
}

const dayFormat = new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' });

/** dayName is "Thu, Dec 3" for "2026-12-03". */
export function dayName(day) {
  const [y, m, d] = day.split('-').map(Number);
  return dayFormat.format(new Date(Date.UTC(y, m - 1, d)));
}

/**
 * spansOn places items ({start, end, ...}, API instants) on days (dates of
 * the zone the API wrote them in): under each day, the items that cover
 * part of it with from and until, its times that day ("00:00" and "24:00"
 * where it runs on from the day before or into the next).
 */
export function spansOn(items, days) {
  const out = Object.fromEntries(days.map((d) => [d, []]));
  for (const it of items) {
    const s = local(it.start), e = local(it.end);
    // An end at midnight ends the day before.
    const last = e.time === '00:00' ? addDays(e.day, -1) : e.day;
    for (const d of days) {
      if (d < s.day || d > last) continue;
      out[d].push({ ...it, from: d === s.day ? s.time : '00:00', until: d === e.day ? e.time : '24:00' });
    }
  }
  return out;
}
