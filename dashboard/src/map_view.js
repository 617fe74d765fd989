// The map: an offline basemap (Natural Earth countries from the world-atlas
// npm package, bundled: no tiles, no network), the network's nodes coloured
// by their worst risk band and clustered (supercluster) so that 100,000
// nodes draw as a few hundred marks at any zoom, the active hazard
// footprints (circles, polygons, named nodes) and a selected node's cause
// path.
//
// Nodes are drawn on one canvas. Two cluster indexes are kept: every
// located node (grey, rebuilt only when the network changes) and the nodes
// with a band above "no risk" (coloured by their worst member, rebuilt when
// some node's band changes; a risk change within a band costs no rebuild).

import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import Supercluster from 'supercluster';
import { feature, mesh } from 'topojson-client';
import countries from 'world-atlas/countries-50m.json';
import { BAND } from './store.js';
import { BAND_COLORS, hazardColor, hazardName } from './colors.js';

const MAX_ZOOM = 14;

function point(node, props) {
  return { type: 'Feature', geometry: { type: 'Point', coordinates: [node.lon, node.lat] }, properties: props };
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
    this.bands = new Map(); // node id -> band drawn
    this.drawn = []; // marks of the last draw, for clicks
    this.baseIndex = null;
    this.hotIndex = null;
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

  // After setNetwork(): every located node into the base index.
  rebuildBase() {
    const located = this.state.nodeList.filter((n) => n.lat !== null && n.lon !== null);
    this.baseIndex = new Supercluster({ radius: 48, maxZoom: MAX_ZOOM - 1, minPoints: 3 });
    this.baseIndex.load(located.map((n) => point(n, { i: n.index })));
    this.bands = new Map();
    this.rebuildHot(true);
  }

  // Recomputes the bands of `ids` (all when null); rebuilds the hot index
  // if any band changed. Returns whether it did.
  rebuildHot(force, ids = null) {
    let changed = force;
    const check = (id) => {
      const band = this.state.nodeStatus(id).band;
      if ((this.bands.get(id) || BAND.none) !== band) {
        changed = true;
        if (band === BAND.none) this.bands.delete(id);
        else this.bands.set(id, band);
      }
    };
    if (ids === null) {
      const all = new Set(this.bands.keys());
      for (const m of this.state.risks.values()) for (const id of m.keys()) all.add(id);
      for (const id of all) check(id);
    } else {
      for (const id of ids) check(id);
    }
    if (!changed) return false;
    const features = [];
    for (const [id, band] of this.bands) {
      const n = this.state.nodes.get(id);
      if (n && n.lat !== null && n.lon !== null) features.push(point(n, { i: n.index, band }));
    }
    this.hotIndex = new Supercluster({
      radius: 40,
      maxZoom: MAX_ZOOM - 1,
      minPoints: 3,
      map: (p) => ({ worst: p.band }),
      reduce: (acc, p) => {
        if (p.worst > acc.worst) acc.worst = p.worst;
      },
    });
    this.hotIndex.load(features);
    return true;
  }

  fitNetwork() {
    const pts = this.state.nodeList.filter((n) => n.lat !== null).map((n) => [n.lat, n.lon]);
    if (pts.length) this.map.fitBounds(L.latLngBounds(pts).pad(0.1), { maxZoom: 8, animate: false });
  }

  // Applies the state's dirty marks; returns whether anything was redrawn.
  update(dirty) {
    let redraw = false;
    if (dirty.all || !this.baseIndex) {
      this.rebuildBase();
      redraw = true;
    } else if (dirty.nodes.size) {
      redraw = this.rebuildHot(false, dirty.nodes);
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
    const origin = map.containerPointToLayerPoint([0, 0]);
    L.DomUtil.setPosition(canvas, origin);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    this.drawn = [];
    this.draws++;
    if (!this.baseIndex) return;
    const b = map.getBounds();
    const bbox = [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()), Math.min(180, b.getEast()), Math.min(85, b.getNorth())];
    const zoom = Math.round(map.getZoom());
    const draw = (index, hot) => {
      for (const c of index.getClusters(bbox, zoom)) {
        const [lon, lat] = c.geometry.coordinates;
        const p = map.latLngToContainerPoint([lat, lon]);
        const cluster = !!c.properties.cluster;
        const count = cluster ? c.properties.point_count : 1;
        const band = hot ? (cluster ? c.properties.worst : c.properties.band) : BAND.none;
        const r = cluster ? 7 + 3 * Math.log10(count) : hot ? 6 : 4;
        ctx.beginPath();
        ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
        ctx.fillStyle = BAND_COLORS[band];
        ctx.globalAlpha = hot ? 1 : 0.75;
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.lineWidth = band === BAND.disrupted ? 2 : 1;
        ctx.strokeStyle = band === BAND.disrupted ? '#3b0a0f' : '#ffffff';
        ctx.stroke();
        if (cluster) {
          ctx.fillStyle = hot && band >= BAND.warning ? '#ffffff' : '#1f2933';
          ctx.font = '600 10px system-ui, sans-serif';
          ctx.textAlign = 'center';
          ctx.textBaseline = 'middle';
          ctx.fillText(count >= 1000 ? `${Math.round(count / 1000)}k` : String(count), p.x, p.y);
        }
        this.drawn.push({ x: p.x, y: p.y, r, hot, cluster, id: cluster ? c.id : c.properties.i, index });
      }
    };
    draw(this.baseIndex, false);
    if (this.hotIndex) draw(this.hotIndex, true);
  }

  hit(p) {
    let best = null;
    // Hot marks were drawn last, on top: they win.
    for (let i = this.drawn.length - 1; i >= 0; i--) {
      const m = this.drawn[i];
      const d = Math.hypot(m.x - p.x, m.y - p.y);
      if (d <= m.r + 3 && (!best || d < best.d)) best = { ...m, d };
      if (best && best.hot) break;
    }
    return best;
  }

  click(p) {
    const m = this.hit(p);
    if (!m) return;
    if (m.cluster) {
      const zoom = Math.min(m.index.getClusterExpansionZoom(m.id), MAX_ZOOM);
      this.map.setView(this.map.containerPointToLatLng([m.x, m.y]), zoom);
      return;
    }
    const node = this.state.nodeList[m.id];
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
