// The side panels: open alerts (the feed an operator works from), the
// selected node (risk, ETA, cause path, plan) and the immunization targets
// with their expected savings. Plain DOM; every value shown comes from the
// DashboardState.

import { BAND, bandOf } from './store.js';
import { BAND_COLORS, BAND_LABELS, hazardName } from './colors.js';

const MAX_ROWS = 200;

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

export const pct = (p) => `${(100 * Number(p || 0)).toFixed(p >= 0.995 || p < 0.01 ? 0 : 1)}%`;

export function etaText(steps, stepSeconds) {
  const s = Number(steps);
  if (!(s >= 0)) return 'beyond horizon';
  const days = (s * stepSeconds) / 86400;
  if (s === 0) return 'now';
  return days >= 1 ? `${days.toFixed(days < 10 ? 1 : 0)} d` : `${((s * stepSeconds) / 3600).toFixed(1)} h`;
}

const stateName = (s) => (s || 'NODE_STATE_SUSCEPTIBLE').replace('NODE_STATE_', '').toLowerCase();
const severityName = (s) => (s || '').replace('SEVERITY_', '').toLowerCase();

function swatch(band) {
  return el('span', { class: 'swatch', style: `background:${BAND_COLORS[band]}`, title: BAND_LABELS[band] });
}

export class Panels {
  constructor(state, { session, api, onSelectNode, onShowPath, onNotice }) {
    this.state = state;
    this.session = session;
    this.api = api;
    this.onSelectNode = onSelectNode;
    this.onShowPath = onShowPath;
    this.onNotice = onNotice;
    this.selected = null;
    this.alertList = document.getElementById('alerts');
    this.alertCount = document.getElementById('alert-count');
    this.nodePanel = document.getElementById('node-panel');
    this.targets = document.getElementById('targets');
    this.footprintList = document.getElementById('footprints');
  }

  update(dirty) {
    if (dirty.all || dirty.alerts) this.renderAlerts();
    if (dirty.all || dirty.plans) this.renderTargets();
    if (dirty.all || dirty.footprints) this.renderFootprints();
    if (this.selected && (dirty.all || dirty.alerts || dirty.nodes.has(this.selected))) this.renderNode();
  }

  setSession(session) {
    this.session = session;
    this.renderTargets();
    this.renderNode();
  }

  renderAlerts() {
    const alerts = [...this.state.alerts.values()].sort(
      (a, b) =>
        (b.severity === 'SEVERITY_CRITICAL') - (a.severity === 'SEVERITY_CRITICAL') ||
        Number(b.probability || 0) - Number(a.probability || 0) ||
        (a.alertId < b.alertId ? -1 : 1),
    );
    this.alertCount.textContent = String(alerts.length);
    const step = this.state.stepSeconds();
    const rows = alerts.slice(0, MAX_ROWS).map((a) => {
      const node = this.state.nodes.get(a.nodeId);
      const band = bandOf('NODE_STATE_SUSCEPTIBLE', Number(a.probability || 0));
      return el(
        'li',
        {
          class: `alert ${severityName(a.severity)}`,
          dataset: { alertId: a.alertId, nodeId: a.nodeId },
          onclick: () => this.onSelectNode(a.nodeId),
          title: `alert ${a.alertId} (${a.lifecycle.replace('LIFECYCLE_', '').toLowerCase()})`,
        },
        swatch(band),
        el('span', { class: 'name' }, node ? node.name : a.nodeName || a.nodeId),
        el('span', { class: 'meta' }, `${a.riskType} · ${severityName(a.severity)}`),
        el('span', { class: 'prob' }, pct(a.probability)),
        el('span', { class: 'eta' }, etaText(a.etaSteps, Number(a.stepSeconds) || step)),
      );
    });
    if (alerts.length > MAX_ROWS) rows.push(el('li', { class: 'more' }, `… and ${alerts.length - MAX_ROWS} more`));
    if (!alerts.length) rows.push(el('li', { class: 'empty' }, 'No open alerts.'));
    this.alertList.replaceChildren(...rows);
  }

  renderFootprints() {
    const fps = [...this.state.footprints.values()].sort((a, b) => Number(b.journalSeq) - Number(a.journalSeq));
    this.footprintList.replaceChildren(
      ...fps.slice(0, 50).map((f) =>
        el(
          'li',
          { class: 'footprint', dataset: { eventId: f.eventId } },
          el('span', { class: 'hazard' }, hazardName(f.hazard)),
          el('span', { class: 'name' }, f.title || f.eventId),
          el('span', { class: 'meta' }, `${f.riskType} · ${f.nodesStillDisrupted || 0}/${f.nodesHit || 0} down`),
        ),
      ),
      ...(fps.length ? [] : [el('li', { class: 'empty' }, 'No active disruption.')]),
    );
  }

  select(id) {
    this.selected = id;
    this.renderNode();
  }

  renderNode() {
    const id = this.selected;
    if (!id) {
      this.nodePanel.hidden = true;
      return;
    }
    const node = this.state.nodes.get(id) || { id, name: id, kind: '', tier: -1, region: '', alternates: [], planId: '' };
    const detail = this.state.nodeDetail(id);
    const step = this.state.stepSeconds();
    const status = this.state.nodeStatus(id);
    const path = detail.map((d) => d.alert && d.alert.causePath).find((p) => p && p.length > 1) || [];
    const name = (nid) => (this.state.nodes.get(nid) || { name: nid }).name;
    this.nodePanel.hidden = false;
    this.nodePanel.dataset.nodeId = id;
    const parts = [
      el('button', { class: 'close', title: 'close', onclick: () => this.onSelectNode(null) }, '×'),
      el('h2', {}, swatch(status.band), node.name),
      el('p', { class: 'meta' }, [node.id, node.kind, node.tier >= 0 ? `tier ${node.tier}` : '', node.region].filter(Boolean).join(' · ')),
      el(
        'table',
        { class: 'risks' },
        el('tr', {}, el('th', {}, 'risk type'), el('th', {}, 'state'), el('th', {}, 'P(disrupted)'), el('th', {}, 'ETA'), el('th', {}, 'alert')),
        ...(detail.length
          ? detail.map((d) =>
              el(
                'tr',
                { dataset: { riskType: d.riskType } },
                el('td', {}, d.riskType),
                el('td', { class: 'state' }, stateName(d.state)),
                el('td', { class: 'prob' }, pct(d.probability)),
                el('td', { class: 'eta' }, etaText(d.eta, step)),
                el('td', {}, d.alert ? severityName(d.alert.severity) : '—'),
              ),
            )
          : [el('tr', {}, el('td', { colspan: 5 }, 'No risk.'))]),
      ),
      el('h3', {}, 'Cause path'),
      path.length > 1
        ? el(
            'ol',
            { class: 'cause-path' },
            ...path.map((nid) => el('li', { dataset: { nodeId: nid } }, name(nid))),
          )
        : el('p', { class: 'empty' }, status.band === BAND.disrupted ? 'Disrupted itself (a source).' : 'No path: not at risk through the network.'),
      el('h3', {}, 'Plan'),
      el(
        'dl',
        { class: 'plan' },
        el('dt', {}, 'emergency plan'),
        el('dd', {}, node.planId || 'none configured'),
        el('dt', {}, 'alternate suppliers'),
        el('dd', {}, node.alternates && node.alternates.length ? node.alternates.map(name).join(', ') : 'none known'),
        el('dt', {}, 'inventory cover'),
        el('dd', {}, node.inventoryDays ? `${node.inventoryDays} d` : 'none'),
      ),
    ];
    if (this.canAct('intervention') && status.state !== 'NODE_STATE_IMMUNIZED') {
      parts.push(el('button', { class: 'act protect', onclick: () => this.protect(id) }, 'Protect this node'));
    }
    this.nodePanel.replaceChildren(...parts);
    this.onShowPath(path);
  }

  canAct(kind) {
    return !!(this.session && (this.session.actions || []).includes(kind));
  }

  async protect(id) {
    try {
      const ack = await this.api.act({ intervention: { kind: 'KIND_IMMUNIZE', nodeIds: [id], reason: 'protected from the dashboard' } });
      this.onNotice(ack.result === 'RESULT_REJECTED' ? `Refused: ${ack.reason}` : `Protection of ${id} journaled (#${ack.journalSeq}).`);
    } catch (err) {
      this.onNotice(`Refused: ${err.message}`);
    }
  }

  renderTargets() {
    const plans = [...this.state.plans.values()].sort((a, b) => (a.riskType < b.riskType ? -1 : 1));
    if (!plans.length) {
      this.targets.replaceChildren(el('p', { class: 'empty' }, 'No plan published yet.'));
      return;
    }
    this.targets.replaceChildren(
      ...plans.map((p) => {
        const before = Number(p.expectedDisruptedBefore || 0);
        const after = Number(p.expectedDisruptedAfter || 0);
        return el(
          'div',
          { class: 'plan-block', dataset: { riskType: p.riskType } },
          el('h3', {}, `${p.riskType}: ${before.toFixed(1)} → ${after.toFixed(1)} expected disrupted`),
          el(
            'ol',
            { class: 'targets' },
            ...(p.targets || []).map((t) =>
              el(
                'li',
                { dataset: { nodeId: t.nodeId }, onclick: () => this.onSelectNode(t.nodeId), title: t.reason || '' },
                el('span', { class: 'name' }, t.nodeName || t.nodeId),
                el('span', { class: 'saving' }, `−${Number(t.expectedAverted || 0).toFixed(2)}`),
              ),
            ),
          ),
        );
      }),
    );
  }
}
