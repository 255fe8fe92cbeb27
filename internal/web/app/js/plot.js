// A map without tiles: positions drawn on a plain lat/lng plot (an
// equirectangular projection around the points). The browser has no
// internet, so there is no tile server; this is honest about what it shows.

const NS = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 360;
const KM_PER_DEG = 111.32;

function svg(tag, attrs = {}) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/**
 * plot draws points [{lat, lng, label, id}] and optional areas [{lat, lng, km}].
 * onSelect(point) runs when a point is clicked or chosen with Enter/Space;
 * onPick({lat, lng}) (picker mode) runs when the plot is clicked elsewhere.
 */
export function plot({ title, points = [], areas = [], center, spanDeg = 0.4, onSelect, onPick, selected }) {
  const lats = [...points.map((p) => p.lat), ...areas.flatMap((a) => [a.lat - a.km / KM_PER_DEG, a.lat + a.km / KM_PER_DEG])];
  const lngs = [...points.map((p) => p.lng), ...areas.flatMap((a) => {
    const d = a.km / (KM_PER_DEG * Math.max(Math.cos((a.lat * Math.PI) / 180), 0.01));
    return [a.lng - d, a.lng + d];
  })];
  if (center) { lats.push(center.lat - spanDeg / 2, center.lat + spanDeg / 2); lngs.push(center.lng - spanDeg / 2, center.lng + spanDeg / 2); }
  if (!lats.length) { lats.push(-60, 75); lngs.push(-170, 170); }
  let [minLat, maxLat, minLng, maxLng] = [Math.min(...lats), Math.max(...lats), Math.min(...lngs), Math.max(...lngs)];
  const padLat = Math.max((maxLat - minLat) * 0.1, 0.01);
  const padLng = Math.max((maxLng - minLng) * 0.1, 0.01);
  minLat -= padLat; maxLat += padLat; minLng -= padLng; maxLng += padLng;
  const x = (lng) => ((lng - minLng) / (maxLng - minLng)) * W;
  const y = (lat) => H - ((lat - minLat) / (maxLat - minLat)) * H;

  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'plot', role: 'group', 'aria-label': title });
  root.append(svg('title'));
  root.firstChild.textContent = title;
  for (let i = 1; i < 4; i++) {
    root.append(svg('line', { class: 'grid', x1: (W * i) / 4, y1: 0, x2: (W * i) / 4, y2: H }));
    root.append(svg('line', { class: 'grid', x1: 0, y1: (H * i) / 4, x2: W, y2: (H * i) / 4 }));
  }
  const corner = svg('text', { x: 4, y: H - 4 });
  corner.textContent = `${minLat.toFixed(3)}, ${minLng.toFixed(3)}`;
  const corner2 = svg('text', { x: W - 4, y: 12, 'text-anchor': 'end' });
  corner2.textContent = `${maxLat.toFixed(3)}, ${maxLng.toFixed(3)}`;
  root.append(corner, corner2);
  for (const a of areas) {
    const rx = Math.abs(x(a.lng + a.km / (KM_PER_DEG * Math.max(Math.cos((a.lat * Math.PI) / 180), 0.01))) - x(a.lng));
    const ry = Math.abs(y(a.lat + a.km / KM_PER_DEG) - y(a.lat));
    root.append(svg('ellipse', { class: 'area', cx: x(a.lng), cy: y(a.lat), rx, ry }));
    root.append(svg('circle', { class: 'me', cx: x(a.lng), cy: y(a.lat), r: 6 }));
  }
  for (const p of points) {
    const dot = svg('circle', { class: 'home' + (p.id && p.id === selected ? ' on' : ''), cx: x(p.lng), cy: y(p.lat), r: 9 });
    if (onSelect) {
      dot.setAttribute('tabindex', '0');
      dot.setAttribute('role', 'button');
      dot.setAttribute('aria-label', p.label);
      dot.addEventListener('click', (e) => { e.stopPropagation(); onSelect(p); });
      dot.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect(p); } });
    }
    const t = svg('title');
    t.textContent = p.label;
    dot.append(t);
    root.append(dot);
  }
  if (onPick) {
    root.addEventListener('click', (e) => {
      const box = root.getBoundingClientRect();
      const px = ((e.clientX - box.left) / box.width) * W;
      const py = ((e.clientY - box.top) / box.height) * H;
      const lng = minLng + (px / W) * (maxLng - minLng);
      const lat = minLat + ((H - py) / H) * (maxLat - minLat);
      onPick({ lat: +lat.toFixed(5), lng: +lng.toFixed(5) });
    });
  }
  return root;
}
