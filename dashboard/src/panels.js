// The side panels: open alerts (the feed an operator works from), the
// selected node (risk, ETA, cause path, plan) and the immunization targets
// with their expected savings. Plain DOM; every value shown comes from the
// DashboardState.

import { BAND, bandOf, timeMs, timeText } from './store.js';
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
    this.incidentList = document.getElementById('incidents');
    this.incidentCount = document.getElementById('incident-count');
    this.expanded = null; // incident id shown in full
  }

  update(dirty) {
    if (dirty.all || dirty.incidents) this.renderIncidents();
    if (dirty.all || dirty.alerts) this.renderAlerts();
    if (dirty.all || dirty.plans) this.renderTargets();
    if (dirty.all || dirty.footprints) this.renderFootprints();
    if (this.selected && (dirty.all || dirty.alerts || dirty.nodes.has(this.selected))) this.renderNode();
  }

  setSession(session) {
    this.session = session;
    this.renderIncidents();
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
        el('span', { class: 'eta', title: this.etaTitle(a.etaSteps) }, etaText(a.etaSteps, Number(a.stepSeconds) || step)),
      );
    });
    if (alerts.length > MAX_ROWS) rows.push(el('li', { class: 'more' }, `… and ${alerts.length - MAX_ROWS} more`));
    if (!alerts.length) rows.push(el('li', { class: 'empty' }, 'No open alerts.'));
    this.alertList.replaceChildren(...rows);
  }

  renderIncidents() {
    const rank = { LIFECYCLE_POTENTIAL: 1, LIFECYCLE_CONFIRMED: 0, LIFECYCLE_RESTORED: 2, LIFECYCLE_CLOSED: 3 };
    const level = { SEVERITY_CRITICAL: 0, SEVERITY_WARNING: 1, SEVERITY_INFO: 2 };
    const incidents = [...this.state.incidents.values()].sort(
      (a, b) =>
        (rank[a.lifecycle] ?? 4) - (rank[b.lifecycle] ?? 4) ||
        (level[a.level] ?? 3) - (level[b.level] ?? 3) ||
        Number(b.valueAtRisk || 0) - Number(a.valueAtRisk || 0) ||
        (a.incidentId < b.incidentId ? -1 : 1),
    );
    const open = incidents.filter((i) => i.lifecycle !== 'LIFECYCLE_CLOSED').length;
    this.incidentCount.textContent = String(open);
    const rows = incidents.slice(0, MAX_ROWS).map((i) => this.incidentRow(i));
    if (!incidents.length) rows.push(el('li', { class: 'empty' }, 'No incident.'));
    this.incidentList.replaceChildren(...rows);
  }

  incidentRow(i) {
    const op = i.operatorState || {};
    const lifecycle = (i.lifecycle || '').replace('LIFECYCLE_', '').toLowerCase();
    const expected = Number(i.expectedDisrupted || 0);
    const band = i.level === 'SEVERITY_CRITICAL' ? BAND.critical : i.level === 'SEVERITY_WARNING' ? BAND.warning : BAND.low;
    const status = [op.acknowledged ? `acknowledged by ${op.acknowledgedBy || '?'}` : 'not acknowledged', op.assignee ? `assigned to ${op.assignee}` : ''].filter(Boolean).join(' · ');
    const li = el(
      'li',
      { class: `incident ${severityName(i.level)} ${lifecycle}`, dataset: { incidentId: i.incidentId, lifecycle, acknowledged: op.acknowledged ? 'yes' : 'no' } },
      swatch(band),
      el('span', { class: 'name', onclick: () => this.toggleIncident(i) }, i.title || i.incidentId),
      el('span', { class: 'meta' }, `${i.riskType} · ${lifecycle} · ${severityName(i.level)} · ${status}`),
      el('span', { class: 'prob', title: 'expected disrupted (90% interval)' }, `${expected.toFixed(1)}`),
      el('span', { class: 'eta', title: 'value at risk' }, Number(i.valueAtRisk || 0).toFixed(0)),
    );
    if (this.expanded === i.incidentId) li.append(this.incidentDetail(i));
    return li;
  }

  toggleIncident(i) {
    this.expanded = this.expanded === i.incidentId ? null : i.incidentId;
    this.renderIncidents();
    const first = (i.sourceIds || [])[0];
    if (this.expanded && first) this.onSelectNode(first);
  }

  incidentDetail(i) {
    const op = i.operatorState || {};
    const name = (nid) => (this.state.nodes.get(nid) || { name: nid }).name;
    const step = Number(i.stepSeconds) || this.state.stepSeconds();
    const parts = [
      el('p', { class: 'meta' },
        `${i.eventCount || 1} event(s) · sources ${i.sourcesDisrupted || 0}/${i.sourcesHit || 0} down · ` +
          `${i.nodesAtRisk || 0} node(s) at risk · expected ${Number(i.expectedDisrupted || 0).toFixed(1)} ` +
          `(${Number(i.disruptedP05 || 0).toFixed(0)}–${Number(i.disruptedP95 || 0).toFixed(0)})`),
      el('ol', { class: 'top-nodes' },
        ...(i.topNodes || []).map((n) =>
          el('li', { dataset: { nodeId: n.nodeId }, onclick: () => this.onSelectNode(n.nodeId) },
            el('span', { class: 'name' }, n.nodeName || name(n.nodeId)),
            el('span', { class: 'prob' }, pct(n.probability)),
            el('span', { class: 'eta' }, etaText(n.etaSteps, step)),
          ),
        ),
      ),
    ];
    for (const plan of i.plans || []) {
      parts.push(el('p', { class: 'plan-title' }, `Plan ${plan.planId}: ${plan.title || ''}`));
      parts.push(el('ul', { class: 'plan-actions' }, ...(plan.actions || []).map((a) => el('li', {}, a.description || a.kind))));
    }
    if ((op.history || []).length) {
      parts.push(el('ul', { class: 'history' }, ...op.history.map((h) => this.historyItem(h, step))));
    }
    if (this.canAct('operator_action') && i.lifecycle !== 'LIFECYCLE_CLOSED') {
      const act = (kind, extra = {}) => () => this.incidentAction(i, kind, extra);
      const assignee = el('input', { class: 'assignee', placeholder: 'assignee', size: 10 });
      const level = el('select', { class: 'level' }, ...['', 'SEVERITY_INFO', 'SEVERITY_WARNING', 'SEVERITY_CRITICAL'].map((v) => el('option', { value: v }, v ? severityName(v) : 'computed')));
      parts.push(
        el('div', { class: 'actions' },
          op.acknowledged ? null : el('button', { class: 'act acknowledge', onclick: act('KIND_ACKNOWLEDGE') }, 'Acknowledge'),
          assignee,
          el('button', { class: 'act assign', onclick: () => act('KIND_ASSIGN', { assignee: assignee.value.trim() })() }, 'Assign'),
          level,
          el('button', { class: 'act override', onclick: () => act('KIND_OVERRIDE_LEVEL', level.value ? { level: level.value } : {})() }, 'Set level'),
          i.lifecycle === 'LIFECYCLE_RESTORED' ? null : el('button', { class: 'act restored', onclick: act('KIND_MARK_RESTORED') }, 'Mark restored'),
          el('button', { class: 'act no-impact', onclick: act('KIND_MARK_NO_IMPACT') }, 'No impact'),
        ),
      );
    }
    return el('div', { class: 'incident-detail' }, ...parts);
  }

  // One OperatorActionRecord: the action as journaled (under `action`),
  // when it took effect in event time, and its journal sequence.
  historyItem(record, step) {
    const a = record.action || {};
    const what = (a.kind || 'KIND_UNSPECIFIED').replace('KIND_', '').toLowerCase().replace(/_/g, ' ');
    const detail = a.kind === 'KIND_ASSIGN' ? ` to ${a.assignee}` : a.kind === 'KIND_OVERRIDE_LEVEL' ? ` to ${a.level ? severityName(a.level) : 'computed'}` : '';
    const when = record.receivedAt ? ` · ${timeText(timeMs(record.receivedAt), step)}` : '';
    return el('li', { dataset: { kind: a.kind || '', operator: a.operator || '', journalSeq: record.journalSeq || '' } },
      `${what}${detail} by ${a.operator || '?'}${when}${a.note ? `: ${a.note}` : ''}`);
  }

  async incidentAction(incident, kind, extra) {
    try {
      const ack = await this.api.act({ operatorAction: { incidentId: incident.incidentId, kind, operator: this.session.name, ...extra } });
      this.onNotice(ack.result === 'RESULT_REJECTED' ? `Refused: ${ack.reason}` : `${kind.replace('KIND_', '').toLowerCase().replace(/_/g, ' ')} journaled (#${ack.journalSeq}).`);
    } catch (err) {
      this.onNotice(`Refused: ${err.message}`);
    }
  }

  // When an ETA falls, on the model clock (ETAs count from its now).
  etaTitle(steps) {
    const at = this.state.etaTime(steps);
    return at === null ? undefined : `by ${timeText(at, this.state.stepSeconds())} (model time)`;
  }

  renderFootprints() {
    const fps = [...this.state.footprints.values()].sort((a, b) => Number(b.journalSeq) - Number(a.journalSeq));
    const step = this.state.stepSeconds();
    const when = (f) =>
      [f.occurredAt ? `since ${timeText(timeMs(f.occurredAt), step)}` : '', f.expectedEnd ? `until ${timeText(timeMs(f.expectedEnd), step)}` : '']
        .filter(Boolean)
        .join(' ');
    this.footprintList.replaceChildren(
      ...fps.slice(0, 50).map((f) =>
        el(
          'li',
          { class: 'footprint', dataset: { eventId: f.eventId } },
          el('span', { class: 'hazard' }, hazardName(f.hazard)),
          el('span', { class: 'name' }, f.title || f.eventId),
          el('span', { class: 'meta' }, [f.riskType, `${f.nodesStillDisrupted || 0}/${f.nodesHit || 0} down`, when(f)].filter(Boolean).join(' · ')),
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
    // With incidents (issue 11) alerts carry each step's risk and share,
    // the emergency plan that applies, and the value at risk.
    const steps = detail.map((d) => d.alert && d.alert.cause).find((c) => c && c.length > 1) || null;
    const emergency = detail.map((d) => d.alert && d.alert.plan).find(Boolean) || null;
    const valueAtRisk = detail.map((d) => d.alert && d.alert.valueAtRisk).find((v) => v !== undefined);
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
                el('td', { class: 'eta', title: this.etaTitle(d.eta) }, etaText(d.eta, step)),
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
            ...path.map((nid, k) => {
              const step = steps && steps[k];
              const extra = step ? ` — ${pct(step.probability)}${k ? `, ${pct(step.share)} of its supply` : ''}` : '';
              return el('li', { dataset: { nodeId: nid } }, name(nid) + extra);
            }),
          )
        : el('p', { class: 'empty' }, status.band === BAND.disrupted ? 'Disrupted itself (a source).' : 'No path: not at risk through the network.'),
      el('h3', {}, 'Plan'),
      el(
        'dl',
        { class: 'plan' },
        el('dt', {}, 'emergency plan'),
        el('dd', { class: 'plan-id' }, emergency ? `${emergency.planId}: ${emergency.title || ''}` : node.planId || 'none configured'),
        ...(emergency
          ? [el('dt', {}, 'actions'), el('dd', {}, el('ul', { class: 'plan-actions' }, ...(emergency.actions || []).map((a) => el('li', {}, a.description || a.kind))))]
          : []),
        ...(valueAtRisk !== undefined ? [el('dt', {}, 'value at risk'), el('dd', {}, Number(valueAtRisk).toFixed(1))] : []),
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
