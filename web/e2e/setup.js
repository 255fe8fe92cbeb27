// The API steps journeys take to set up what their pages show: accounts,
// a realtor who works every day, homes, paid tours with a realtor. Set-up
// only: the pages under test are never driven through here.

import { call, login, until } from './harness.js';

/**
 * account registers a user of role and signs them in; providers and
 * realtors are verified by the admin (adminToken) so they may work. It
 * returns the user with email, password and an access token.
 */
export async function account(base, adminToken, role, name) {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@e2e.openhouse.test`;
  const password = `${role} passphrase for e2e`;
  const u = await call(base, 'POST', '/iam/register', '', { email, password, name, role });
  if (role !== 'customer') await call(base, 'PATCH', '/iam/users/' + u.id, adminToken, { verified: true });
  return { ...u, email, password, token: await login(base, email, password) };
}

/**
 * worksEveryDay makes realtor available from 08:00 to 20:00 every day of
 * the week in zone, 30 km around a point near every home the journeys list.
 */
export function worksEveryDay(base, realtor, zone) {
  return call(base, 'PATCH', '/iam/me', realtor.token, {
    location: { lat: 41.905, lng: -87.645 }, service_radius_km: 30, time_zone: zone, status: 'available',
    working_hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '08:00', end: '20:00' })),
  });
}

/**
 * listHome lists a home of provider in zone, shown by the default rules;
 * fields (a title and a location at least) override the defaults. It waits
 * for the listing service to learn the provider was verified.
 */
export function listHome(base, provider, zone, fields) {
  return until('the provider to be allowed to list', () => call(base, 'POST', '/listings', provider.token, {
    description: 'A home to visit.', time_zone: zone,
    address: { line1: '5 Key Street', city: 'Lakeside', region: 'IL', postal_code: '60601', country: 'US' },
    price: { amount: 38000000, currency: 'USD' }, tour_fee: { amount: 2000, currency: 'USD' },
    bedrooms: 2, bathrooms: 1, ...fields,
  }));
}

/**
 * book pays for customer's tour of home at start (as the API writes it,
 * within two days), once for key, and waits until realtorID is assigned.
 * It returns the scheduled tour.
 */
export async function book(base, customer, home, start, key, realtorID) {
  await call(base, 'POST', '/cart/items', customer.token, { listing_id: home.id });
  await until(`${start} to be open`, async () => (await call(base, 'GET', '/cart/slots?days=2', customer.token)).items.some((s) => s.start === start));
  const order = await call(base, 'POST', '/cart/checkout', customer.token, { scheduled_at: start, payment_method: 'tok_visa' }, { 'Idempotency-Key': key });
  return until('the tour to be scheduled', async () => {
    const t = await call(base, 'GET', '/tours/' + order.order_id, customer.token);
    return t.status === 'scheduled' && t.realtor_id === realtorID && t;
  });
}
