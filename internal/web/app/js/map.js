// Maps: Leaflet (vendored, app/vendor/) over the tiles /app/config.json
// names (OpenStreetMap's by default, with their attribution). Without
// tiles, or with the tile server out of reach, the same map draws its
// markers, areas and routes on a blank base: nothing here needs the
// network. Every marker is a button (Tab, Enter) with a name; dense
// markers are grouped into counted clusters on a grid of the screen, which
// a click (or Enter) zooms into.

import * as L from '../vendor/leaflet-1.9.4/leaflet-src.esm.js';

let config = null;

/** mapConfig is the server's tile settings, fetched once. */
function mapConfig() {
  if (!config) {
    config = fetch('/app/config.json').then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  }
  return config;
}

const CLUSTER_PX = 56; // markers closer than this on screen share a cluster
const KM_PER_DEG = 111.32;

function icon(className, text, size = 22) {
  return L.divIcon({ className, html: text === undefined ? '' : String(text), iconSize: [size, size] });
}

/**
 * named gives a marker's element its accessible name once it is on the
 * map, and with onActivate makes Enter and Space act as a click (Leaflet
 * makes a marker focusable, but only a popup listens to its keys).
 */
function named(marker, label, onActivate) {
  marker.on('add', () => {
    const el = marker.getElement();
    if (!el) return;
    el.setAttribute('aria-label', label);
    if (onActivate) {
      el.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onActivate(); }
      });
    }
  });
  if (onActivate) marker.on('click', onActivate);
  return marker;
}

/**
 * mapView returns an element holding a map of:
 *  - points [{id, lat, lng, label}]: homes, clustered when dense; onSelect(point) on click or Enter;
 *  - areas [{lat, lng, km}]: a circle around a centre (a realtor's service area);
 *  - routes [{label, stops: [{lat, lng, label}]}]: a line through the stops, numbered in order;
 *  - pin {lat, lng} with onPick({lat, lng}): a draggable pin that a click on the map also moves;
 *    onPick alone: a click on the map picks that point.
 * center and spanDeg frame the map when there is nothing to fit.
 * The element's `ready` promise resolves once the map is drawn.
 */
export function mapView({ title, points = [], areas = [], routes = [], center, spanDeg = 0.4, onSelect, onPick, pin }) {
  const el = document.createElement('div');
  el.className = 'map';
  el.setAttribute('role', 'region');
  el.setAttribute('aria-label', title);
  let resolveReady;
  el.ready = new Promise((r) => { resolveReady = r; });
  let map = null;

  // The map is drawn once the element is on the page with a size, and
  // taken down (its listeners with it) when the page drops the element.
  let drawing = false;
  const observer = new ResizeObserver(() => {
    if (!el.isConnected) {
      observer.disconnect();
      if (map) { map.remove(); map = null; }
      return;
    }
    if (!el.clientWidth) return;
    if (map) { map.invalidateSize(); return; }
    if (!drawing) { drawing = true; draw().then(resolveReady); }
  });
  observer.observe(el);

  async function draw() {
    const cfg = await mapConfig();
    if (!el.isConnected) return;
    // No animations: a page redrawn mid-animation would leave Leaflet's
    // timers pointing at a map that is gone.
    map = L.map(el, { maxZoom: 19, zoomSnap: 0.5, worldCopyJump: true, zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false });
    if (cfg.tiles) L.tileLayer(cfg.tiles, { attribution: cfg.attribution || '', maxZoom: 19 }).addTo(map);

    const bounds = L.latLngBounds([]);
    for (const a of areas) {
      L.circle([a.lat, a.lng], { radius: a.km * 1000, className: 'area', interactive: false }).addTo(map);
      named(L.marker([a.lat, a.lng], { icon: icon('centre'), keyboard: false, interactive: false }), 'Centre').addTo(map);
      bounds.extend(L.latLng(a.lat, a.lng).toBounds(a.km * 2000)); // the map has no view yet to measure the circle in
    }
    for (const r of routes) {
      const line = r.stops.map((s) => [s.lat, s.lng]);
      if (line.length > 1) L.polyline(line, { className: 'route', interactive: false }).addTo(map);
      r.stops.forEach((s, i) => {
        named(L.marker([s.lat, s.lng], { icon: icon('route-stop', i + 1, 26), keyboard: true, title: s.label }),
          `${r.label}: stop ${i + 1} of ${r.stops.length}, ${s.label}`).addTo(map);
        bounds.extend([s.lat, s.lng]);
      });
    }
    for (const p of points) bounds.extend([p.lat, p.lng]);
    let pinMarker = null;
    if (pin) {
      pinMarker = named(L.marker([pin.lat, pin.lng], { icon: icon('pin', undefined, 26), draggable: !!onPick, keyboard: false }), 'This home').addTo(map);
      pinMarker.on('dragend', () => {
        const ll = pinMarker.getLatLng();
        onPick({ lat: +ll.lat.toFixed(5), lng: +ll.lng.toFixed(5) });
      });
      bounds.extend([pin.lat, pin.lng]);
    }
    if (onPick) {
      map.on('click', (e) => {
        const pt = { lat: +e.latlng.lat.toFixed(5), lng: +L.Util.wrapNum(e.latlng.lng, [-180, 180], true).toFixed(5) };
        if (pinMarker) pinMarker.setLatLng([pt.lat, pt.lng]);
        onPick(pt);
      });
    }

    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    } else if (center && center.lat !== undefined && center.lng !== undefined) {
      map.fitBounds([[center.lat - spanDeg / 2, center.lng - spanDeg / 2], [center.lat + spanDeg / 2, center.lng + spanDeg / 2]]);
    } else {
      map.setView([39.5, -98.35], 3); // the contiguous United States
    }

    if (points.length) {
      const layer = L.layerGroup().addTo(map);
      const cluster = () => drawPoints(map, layer, points, onSelect);
      map.on('zoomend', cluster);
      cluster();
    }
    el.map = map;
  }
  return el;
}

/**
 * drawPoints puts the points on the map, grouping those that fall in the
 * same CLUSTER_PX square of the screen at this zoom into one counted
 * cluster; a cluster zooms into its homes.
 */
function drawPoints(map, layer, points, onSelect) {
  layer.clearLayers();
  const cells = new Map();
  for (const p of points) {
    const px = map.project([p.lat, p.lng], map.getZoom());
    const key = `${Math.floor(px.x / CLUSTER_PX)},${Math.floor(px.y / CLUSTER_PX)}`;
    if (!cells.has(key)) cells.set(key, []);
    cells.get(key).push(p);
  }
  for (const group of cells.values()) {
    if (group.length === 1 || map.getZoom() >= map.getMaxZoom()) {
      for (const p of group) {
        named(L.marker([p.lat, p.lng], { icon: icon('home'), keyboard: !!onSelect, interactive: !!onSelect, title: p.label }), p.label,
          onSelect && (() => onSelect(p))).addTo(layer);
      }
      continue;
    }
    const b = L.latLngBounds(group.map((p) => [p.lat, p.lng]));
    named(L.marker(b.getCenter(), { icon: icon('cluster', group.length, 34), keyboard: true, title: `${group.length} homes` }),
      `${group.length} homes here: zoom in`, () => {
        const next = map.getBoundsZoom(b, false, L.point(48, 48));
        if (next > map.getZoom()) map.fitBounds(b, { padding: [48, 48] });
        else map.setView(b.getCenter(), map.getMaxZoom());
      }).addTo(layer);
  }
}

/** kmSpan is the span in degrees of latitude that shows about km kilometres. */
export function kmSpan(km) { return (2 * km) / KM_PER_DEG; }
