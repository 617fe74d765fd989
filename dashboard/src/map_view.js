// The map: an offline basemap (Natural Earth countries from the world-atlas
// npm package, bundled: no tiles, no network), the network's nodes coloured
// by their worst risk band and clustered so that 100,000 nodes draw as a few
// hundred marks at any zoom, the active hazard footprints (circles,
// polygons, named nodes) and a selected node's cause path.
//
// Clustering is a screen grid computed at every redraw: each located node's
// Web Mercator position is kept in a typed array, and a redraw bins the nodes
// in view into cells of CELL pixels, one mark per cell at its members'
// centroid, sized by their count and coloured by their worst band. A redraw
// is one pass over the nodes (a few milliseconds for 100,000) and a risk
// change costs only its node's band: no index to rebuild, so updates stay
// cheap however many nodes are at risk.

import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { feature, mesh } from 'topojson-client';
import countries from 'world-atlas/countries-50m.json';
import { BAND } from './store.js';
import { BAND_COLORS, hazardColor, hazardName } from './colors.js';

const MAX_ZOOM = 14;
const CELL = 44; // pixels per cluster cell

// Web Mercator in [0, 1) (Leaflet's EPSG:3857 divided by the world size).
function mercatorX(lon) {
  return (lon + 180) / 360;
}
function mercatorY(lat) {
  const phi = (Math.max(-85.0511287798, Math.min(85.0511287798, lat)) * Math.PI) / 180;
  return 0.5 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / (2 * Math.PI);
}

// The canvas of node marks, in its own pane, redrawn after every move.
const NodeCanvas = L.Layer.extend({
  initialize(view) {
    this.view = view;
  },
  onAdd(map) {
    this.canvas = L.DomUtil.create('canvas', 'riskd-nodes leaflet-zoom-hide');
    this.canvas.style.pointerEvents = 'none';
    map.getPane('nodes').appendChild(this.canvas);
    map.on('moveend zoomend resize viewreset', this.redraw, this);
    this.redraw();
  },
  onRemove(map) {
    map.off('moveend zoomend resize viewreset', this.redraw, this);
    this.canvas.remove();
  },
  redraw() {
    if (this._map) this.view.drawNodes(this._map, this.canvas);
  },
});

export class MapView {
  constructor(element, state, { onSelectNode = () => {} } = {}) {
    this.state = state;
    this.onSelectNode = onSelectNode;
    this.xs = new Float64Array(0); // per node index: Web Mercator x, y; NaN if unlocated
    this.ys = new Float64Array(0);
    this.bands = new Uint8Array(0); // per node index: worst band
    this.drawn = []; // marks of the last draw, for clicks
    this.draws = 0;

    const map = L.map(element, { minZoom: 1, maxZoom: MAX_ZOOM, worldCopyJump: true, zoomSnap: 1 });
    this.map = map;
    map.createPane('basemap').style.zIndex = 200;
    map.createPane('footprints').style.zIndex = 380;
    map.createPane('nodes').style.zIndex = 420;
    map.createPane('paths').style.zIndex = 440;
    const basemap = L.canvas({ pane: 'basemap', padding: 0.5 });
    L.geoJSON(feature(countries, countries.objects.countries), {
      pane: 'basemap',
      renderer: basemap,
      interactive: false,
      style: { color: '#c9c4b8', weight: 0.6, fillColor: '#f4f1ea', fillOpacity: 1 },
    }).addTo(map);
    L.geoJSON(mesh(countries, countries.objects.countries, (a, b) => a !== b), {
      pane: 'basemap',
      renderer: basemap,
      interactive: false,
      style: { color: '#b3ab9c', weight: 0.8, fill: false },
    }).addTo(map);
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution('Basemap: Natural Earth (public domain), offline');
    this.footprintLayer = L.featureGroup([], { pane: 'footprints' }).addTo(map);
    this.pathLayer = L.featureGroup([], { pane: 'paths' }).addTo(map);
    this.svgFootprints = L.svg({ pane: 'footprints' });
    this.svgPaths = L.svg({ pane: 'paths' });
    this.nodes = new NodeCanvas(this);
    this.nodes.addTo(map);
    map.setView([25, 30], 2);
    map.on('click', (e) => this.click(e.containerPoint));
    map.on('mousemove', (e) => {
      element.style.cursor = this.hit(e.containerPoint) ? 'pointer' : '';
    });
  }

  // After setNetwork(): positions and bands of every node.
  rebuildNodes() {
    const nodes = this.state.nodeList;
    this.xs = new Float64Array(nodes.length);
    this.ys = new Float64Array(nodes.length);
    this.bands = new Uint8Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      const located = n.lat !== null && n.lon !== null;
      this.xs[i] = located ? mercatorX(n.lon) : NaN;
      this.ys[i] = located ? mercatorY(n.lat) : NaN;
    }
    for (const m of this.state.risks.values()) for (const id of m.keys()) this.updateBand(id);
  }

  // Recomputes a node's band; returns whether it changed.
  updateBand(id) {
    const n = this.state.nodes.get(id);
    if (!n) return false;
    const band = this.state.nodeStatus(id).band;
    if (this.bands[n.index] === band) return false;
    this.bands[n.index] = band;
    return true;
  }

  fitNetwork() {
    const pts = this.state.nodeList.filter((n) => n.lat !== null).map((n) => [n.lat, n.lon]);
    if (pts.length) this.map.fitBounds(L.latLngBounds(pts).pad(0.1), { maxZoom: 8, animate: false });
  }

  // Applies the state's dirty marks; returns whether anything was redrawn.
  update(dirty) {
    let redraw = false;
    if (dirty.all || this.bands.length !== this.state.nodeList.length) {
      this.rebuildNodes();
      redraw = true;
    } else {
      for (const id of dirty.nodes) redraw = this.updateBand(id) || redraw;
    }
    if (dirty.all || dirty.footprints) this.drawFootprints();
    if (redraw) this.nodes.redraw();
    return redraw;
  }

  drawNodes(map, canvas) {
    const size = map.getSize();
    const ratio = window.devicePixelRatio || 1;
    canvas.width = size.x * ratio;
    canvas.height = size.y * ratio;
    canvas.style.width = `${size.x}px`;
    canvas.style.height = `${size.y}px`;
    L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    this.drawn = [];
    this.draws++;
    const n = this.xs.length;
    if (!n) return;
    // Container pixel = world pixel - top-left world pixel of the view.
    const world = 256 * Math.pow(2, map.getZoom());
    const origin = map.getPixelBounds().min;
    const offsets = world < size.x + 2 * CELL ? [-world, 0, world] : [0];
    const cols = Math.ceil(size.x / CELL) + 1;
    const cells = new Map(); // cell -> {count, sx, sy, worst, first}
    const xs = this.xs;
    const ys = this.ys;
    const bands = this.bands;
    for (let i = 0; i < n; i++) {
      const wx = xs[i];
      if (wx !== wx) continue; // unlocated
      const py = ys[i] * world - origin.y;
      if (py < -CELL || py > size.y + CELL) continue;
      for (const off of offsets) {
        const px = wx * world - origin.x + off;
        if (px < -CELL || px > size.x + CELL) continue;
        const key = Math.floor((py + CELL) / CELL) * (cols + 2) + Math.floor((px + CELL) / CELL);
        let c = cells.get(key);
        if (!c) {
          c = { count: 0, sx: 0, sy: 0, worst: 0, first: i };
          cells.set(key, c);
        }
        c.count++;
        c.sx += px;
        c.sy += py;
        if (bands[i] > c.worst) c.worst = bands[i];
      }
    }
    // Worst last, so red is on top.
    const marks = [...cells.values()].sort((a, b) => a.worst - b.worst || a.count - b.count);
    ctx.font = '600 10px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (const c of marks) {
      const x = c.sx / c.count;
      const y = c.sy / c.count;
      const cluster = c.count > 1;
      const r = cluster ? 7 + 3 * Math.log10(c.count) : c.worst > BAND.none ? 6 : 4;
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = BAND_COLORS[c.worst];
      ctx.globalAlpha = c.worst > BAND.none ? 1 : 0.75;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.lineWidth = c.worst === BAND.disrupted ? 2 : 1;
      ctx.strokeStyle = c.worst === BAND.disrupted ? '#3b0a0f' : '#ffffff';
      ctx.stroke();
      if (cluster) {
        ctx.fillStyle = c.worst >= BAND.warning ? '#ffffff' : '#1f2933';
        ctx.fillText(c.count >= 1000 ? `${Math.round(c.count / 1000)}k` : String(c.count), x, y);
      }
      this.drawn.push({ x, y, r, cluster, node: c.first });
    }
  }

  hit(p) {
    // The last drawn (the worst) mark under the pointer wins.
    for (let i = this.drawn.length - 1; i >= 0; i--) {
      const m = this.drawn[i];
      if (Math.hypot(m.x - p.x, m.y - p.y) <= m.r + 3) return m;
    }
    return null;
  }

  click(p) {
    const m = this.hit(p);
    if (!m) return;
    if (m.cluster) {
      this.map.setView(this.map.containerPointToLatLng([m.x, m.y]), Math.min(this.map.getZoom() + 2, MAX_ZOOM));
      return;
    }
    const node = this.state.nodeList[m.node];
    if (node) this.onSelectNode(node.id);
  }

  // Where a node is drawn, in container pixels (tests and the bench use it).
  nodePoint(id) {
    const n = this.state.nodes.get(id);
    if (!n || n.lat === null) return null;
    const p = this.map.latLngToContainerPoint([n.lat, n.lon]);
    return { x: p.x, y: p.y };
  }

  focusNode(id, zoom = 7) {
    const n = this.state.nodes.get(id);
    if (n && n.lat !== null) this.map.setView([n.lat, n.lon], Math.max(zoom, this.map.getZoom()), { animate: false });
  }

  drawFootprints() {
    this.footprintLayer.clearLayers();
    for (const f of this.state.footprints.values()) {
      const color = hazardColor(f.hazard);
      const style = {
        pane: 'footprints',
        renderer: this.svgFootprints,
        color,
        weight: 2,
        fillColor: color,
        fillOpacity: 0.12,
        className: 'riskd-footprint',
      };
      const label = `${f.title || f.eventId} — ${hazardName(f.hazard)}, ${f.nodesStillDisrupted || f.nodesHit || 0} of ${f.nodesHit || 0} node(s) still disrupted`;
      const shapes = [];
      const place = f.place || {};
      let centre = null;
      if (place.circle && place.circle.center) {
        const c = place.circle.center;
        centre = [Number(c.lat || 0), Number(c.lon || 0)];
        shapes.push(L.circle(centre, { ...style, radius: Number(place.circle.radiusKm) * 1000 }));
      } else if (place.polygon) {
        const ring = (place.polygon.vertices || []).map((v) => [Number(v.lat || 0), Number(v.lon || 0)]);
        shapes.push(L.polygon(ring, style));
        centre = L.polygon(ring).getBounds().getCenter();
      }
      // A mark of constant size at the centre keeps a small area visible
      // when zoomed out.
      if (centre) {
        shapes.push(L.circleMarker(centre, { ...style, radius: 11, weight: 2, dashArray: '3 3', fillOpacity: 0.2, className: 'riskd-footprint-mark' }));
      }
      for (const id of f.nodeIds || []) {
        const n = this.state.nodes.get(id);
        if (n && n.lat !== null) shapes.push(L.circleMarker([n.lat, n.lon], { ...style, radius: 16, fillOpacity: 0.08 }));
      }
      for (const s of shapes) {
        s.bindTooltip(label, { sticky: true });
        this.footprintLayer.addLayer(s);
        const el = s.getElement && s.getElement();
        if (el) el.dataset.eventId = f.eventId;
      }
    }
  }

  // Draws the path risk travels from a disrupted source to the node.
  showCausePath(ids) {
    this.pathLayer.clearLayers();
    const pts = ids.map((id) => this.state.nodes.get(id)).filter((n) => n && n.lat !== null);
    if (pts.length < 2) return;
    const latlngs = pts.map((n) => [n.lat, n.lon]);
    const line = L.polyline(latlngs, {
      pane: 'paths',
      renderer: this.svgPaths,
      color: '#7a0177',
      weight: 3,
      dashArray: '8 5',
      className: 'riskd-cause-path',
    });
    this.pathLayer.addLayer(line);
    pts.forEach((n, i) => {
      const hop = L.circleMarker([n.lat, n.lon], {
        pane: 'paths',
        renderer: this.svgPaths,
        radius: i === 0 ? 7 : 5,
        color: '#7a0177',
        weight: 2,
        fillColor: '#ffffff',
        fillOpacity: 1,
        className: 'riskd-cause-hop',
      }).bindTooltip(`${i + 1}. ${n.name}`);
      this.pathLayer.addLayer(hop);
    });
  }

  clearCausePath() {
    this.pathLayer.clearLayers();
  }
}
