// The dashboard's state, kept by the Clone pattern of docs/protocol.md: a
// Snapshot (GET /api/snapshot) consistent with publication sequence S, then
// every Publication of the live stream with a larger sequence, in order. A
// publication whose sequence is not the next one reveals a gap (the page
// missed something): applyPublication() says so and the caller reads a new
// snapshot. No DOM here: tests run it under node.
//
// JSON is protobuf's mapping of riskd.v1: lowerCamelCase names, enums by
// name, 64-bit integers as strings, fields at their default value omitted.

export const RISK_BANDS = ['none', 'recovered', 'immunized', 'low', 'warning', 'critical', 'disrupted'];
export const BAND = Object.fromEntries(RISK_BANDS.map((b, i) => [b, i]));

// The daemon's default alert thresholds (config alert_policy): the map's
// colour bands follow them.
export const WARNING_RISK = 0.3;
export const CRITICAL_RISK = 0.7;

const num = (v, d = 0) => (v === undefined || v === null ? d : Number(v));

// Milliseconds since the epoch of a protobuf JSON Timestamp (RFC 3339), or
// null when unset.
export const timeMs = (t) => (t ? Date.parse(t) : null);

// Where a projection summary sits on the timeline. Its model_time is the
// start of the model clock's step it is about; when the model clock is the
// wall clock (the wall time it was computed at falls in that step) the
// computed time places it finer within the step; when the model clock is
// elsewhere (clock.mode CLOCK_MANUAL: a replay, the demo) the model time is
// what the summary is about. Summaries from before the model clock have
// only computedAt.
export function timelineTime(summary, stepSeconds) {
  const computed = timeMs(summary.computedAt);
  const model = timeMs(summary.modelTime);
  if (model === null) return computed;
  if (computed !== null && computed >= model && computed < model + stepSeconds * 1000) return computed;
  return model;
}

// A time for people, in UTC: the date alone when steps are whole days,
// else with hours and minutes.
export function timeText(ms, stepSeconds = 86400) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '';
  const iso = new Date(ms).toISOString();
  return stepSeconds % 86400 === 0 ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

// Closed incidents a snapshot carries (and the page keeps).
export const MAX_CLOSED = 50;

// The band of one node for one risk type, from its observed state and risk.
export function bandOf(state, probability) {
  if (state === 'NODE_STATE_DISRUPTED') return BAND.disrupted;
  if (state === 'NODE_STATE_IMMUNIZED') return BAND.immunized;
  if (state === 'NODE_STATE_RECOVERED') return BAND.recovered;
  if (probability >= CRITICAL_RISK) return BAND.critical;
  if (probability >= WARNING_RISK) return BAND.warning;
  if (probability >= 0.01) return BAND.low;
  return BAND.none;
}

function nodeRiskEntry(r) {
  return {
    state: r.observedState || 'NODE_STATE_SUSCEPTIBLE',
    probability: num(r.probability),
    eta: num(r.etaSteps),
  };
}

export class DashboardState {
  constructor() {
    this.listeners = new Set();
    this.nodes = new Map();
    this.nodeList = [];
    this.networkVersion = null;
    this.reset();
  }

  // Forgets everything but the network.
  reset() {
    this.sequence = 0;
    this.journalSeq = 0;
    this.synced = false;
    this.risks = new Map(); // risk type -> Map(node id -> {state, probability, eta})
    this.alerts = new Map(); // alert id -> Alert (open ones)
    this.summaries = new Map(); // risk type -> latest ProjectionSummary
    this.history = new Map(); // risk type -> [ProjectionSummary], oldest first
    this.plans = new Map(); // risk type -> ImmunizationPlan
    this.footprints = new Map(); // event id -> DisruptionFootprint (active)
    this.incidents = new Map(); // incident id -> Incident (open, and the latest closed)
    this.modelTime = null; // ms: the model clock the risks are about (docs/protocol.md)
    this.unknownNodes = false; // a publication named a node the network lacks
    this.dirty = { nodes: new Set(), all: true, alerts: true, summaries: true, plans: true, footprints: true, incidents: true, clock: true };
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed() {
    for (const fn of this.listeners) fn(this);
  }

  // Takes the dirty marks (for the renderer) and clears them.
  takeDirty() {
    const d = this.dirty;
    this.dirty = { nodes: new Set(), all: false, alerts: false, summaries: false, plans: false, footprints: false, incidents: false, clock: false };
    return d;
  }

  // The answer of GET /api/network (QueryResponse: networkNodes, networkVersion).
  setNetwork(response) {
    this.nodes = new Map();
    this.nodeList = [];
    for (const n of response.networkNodes || []) {
      const node = {
        id: n.id,
        name: n.name || n.id,
        kind: n.kind || '',
        tier: num(n.tier),
        region: n.region || '',
        lat: n.location ? num(n.location.lat) : null,
        lon: n.location ? num(n.location.lon) : null,
        inventoryDays: num(n.inventoryDays),
        alternates: n.alternates || [],
        planId: n.emergencyPlanId || '',
        index: this.nodeList.length,
      };
      this.nodes.set(node.id, node);
      this.nodeList.push(node);
    }
    this.networkVersion = String(response.networkVersion || '0');
    this.unknownNodes = false;
    this.dirty.all = true;
    this.changed();
  }

  applySnapshot(snap) {
    this.reset();
    this.sequence = num(snap.sequence);
    this.journalSeq = num(snap.journalSeq);
    for (const r of snap.nodeRisks || []) this.riskMap(r.riskType).set(r.nodeId, nodeRiskEntry(r));
    for (const a of snap.openAlerts || []) this.alerts.set(a.alertId, a);
    for (const s of snap.projections || []) this.summaries.set(s.riskType, s);
    for (const s of snap.recentProjections || []) {
      if (!this.history.has(s.riskType)) this.history.set(s.riskType, []);
      this.history.get(s.riskType).push(s);
    }
    for (const p of snap.plans || []) this.plans.set(p.riskType, p);
    for (const f of snap.footprints || []) this.footprints.set(f.eventId, f);
    for (const i of snap.incidents || []) this.incidents.set(i.incidentId, i);
    this.snapshotNetworkVersion = String(snap.networkVersion || '0');
    this.modelTime = timeMs(snap.modelTime);
    this.synced = true;
    this.changed();
  }

  riskMap(riskType) {
    let m = this.risks.get(riskType);
    if (!m) {
      m = new Map();
      this.risks.set(riskType, m);
    }
    return m;
  }

  // Applies one Publication: 'applied', 'old' (its sequence is already in
  // the state) or 'gap' (one or more before it are missing: resync).
  applyPublication(pub) {
    const seq = num(pub.sequence);
    if (seq <= this.sequence) return 'old';
    if (seq !== this.sequence + 1) return 'gap';
    this.sequence = seq;
    if (pub.nodeRiskChanges) {
      const c = pub.nodeRiskChanges;
      const m = this.riskMap(c.riskType);
      for (const r of c.nodes || []) {
        const e = nodeRiskEntry(r);
        if (e.state === 'NODE_STATE_SUSCEPTIBLE' && e.probability === 0) m.delete(r.nodeId);
        else m.set(r.nodeId, e);
        this.dirty.nodes.add(r.nodeId);
        if (!this.nodes.has(r.nodeId) && (e.probability > 0 || e.state !== 'NODE_STATE_SUSCEPTIBLE')) {
          this.unknownNodes = true;
        }
      }
      this.journalSeq = Math.max(this.journalSeq, num(c.journalSeq));
    } else if (pub.alert) {
      const a = pub.alert;
      if (a.lifecycle === 'LIFECYCLE_RESOLVED') this.alerts.delete(a.alertId);
      else this.alerts.set(a.alertId, a);
      this.advanceModelTime(a.modelTime);
      this.dirty.alerts = true;
    } else if (pub.projectionSummary) {
      const s = pub.projectionSummary;
      this.summaries.set(s.riskType, s);
      if (!this.history.has(s.riskType)) this.history.set(s.riskType, []);
      const h = this.history.get(s.riskType);
      h.push(s);
      if (h.length > 720) h.shift();
      this.journalSeq = Math.max(this.journalSeq, num(s.journalSeq));
      this.advanceModelTime(s.modelTime);
      this.dirty.summaries = true;
    } else if (pub.immunizationPlan) {
      this.plans.set(pub.immunizationPlan.riskType, pub.immunizationPlan);
      this.dirty.plans = true;
    } else if (pub.incident) {
      this.applyIncident(pub.incident);
    } else if (pub.disruptionFootprint) {
      const f = pub.disruptionFootprint;
      if (f.lifecycle === 'LIFECYCLE_ENDED') this.footprints.delete(f.eventId);
      else this.footprints.set(f.eventId, f);
      this.dirty.footprints = true;
    }
    return 'applied';
  }

  // A projection's model time (alerts and summaries carry it): the model
  // clock only moves forward.
  advanceModelTime(t) {
    const ms = timeMs(t);
    if (ms !== null && (this.modelTime === null || ms > this.modelTime)) {
      this.modelTime = ms;
      this.dirty.clock = true;
    }
  }

  // Whether the model clock is the wall clock (`nowMs` falls in its
  // current step), rather than a manual clock elsewhere in time.
  modelClockIsWall(nowMs) {
    return this.modelTime !== null && nowMs >= this.modelTime && nowMs < this.modelTime + this.stepSeconds() * 1000;
  }

  // When an ETA of `steps` falls on the model clock (ms), or null.
  etaTime(steps) {
    const s = Number(steps);
    if (this.modelTime === null || !(s >= 0)) return null;
    return this.modelTime + s * this.stepSeconds() * 1000;
  }

  // An incident as published: it replaces the previous state of the same
  // id; the alerts it lists as resolved are closed with it (they get no
  // RESOLVED message of their own). Like the snapshot, the page keeps every
  // incident not closed and the latest MAX_CLOSED closed ones.
  applyIncident(incident) {
    this.incidents.delete(incident.incidentId); // re-inserted last: newest
    this.incidents.set(incident.incidentId, incident);
    for (const id of incident.resolvedAlertIds || []) this.alerts.delete(id);
    if ((incident.resolvedAlertIds || []).length) this.dirty.alerts = true;
    const closed = [...this.incidents.values()].filter((i) => i.lifecycle === 'LIFECYCLE_CLOSED');
    for (const old of closed.slice(0, Math.max(0, closed.length - MAX_CLOSED))) this.incidents.delete(old.incidentId);
    this.dirty.incidents = true;
  }

  // The node's worst band over all risk types and what makes it so.
  nodeStatus(id) {
    let best = { band: BAND.none, probability: 0, riskType: null, state: 'NODE_STATE_SUSCEPTIBLE', eta: -1 };
    for (const [riskType, m] of this.risks) {
      const e = m.get(id);
      if (!e) continue;
      const band = bandOf(e.state, e.probability);
      if (band > best.band || (band === best.band && e.probability > best.probability)) {
        best = { band, probability: e.probability, riskType, state: e.state, eta: e.eta };
      }
    }
    return best;
  }

  // Per risk type: the node's state, risk, ETA and open alert.
  nodeDetail(id) {
    const out = [];
    for (const [riskType, m] of this.risks) {
      const e = m.get(id);
      if (e) out.push({ riskType, ...e, alert: this.alertOf(riskType, id) });
    }
    for (const a of this.alerts.values()) {
      if (a.nodeId === id && !out.some((o) => o.riskType === a.riskType)) {
        out.push({ riskType: a.riskType, state: 'NODE_STATE_SUSCEPTIBLE', probability: num(a.probability), eta: num(a.etaSteps), alert: a });
      }
    }
    return out.sort((x, y) => y.probability - x.probability);
  }

  alertOf(riskType, nodeId) {
    for (const a of this.alerts.values()) {
      if (a.riskType === riskType && a.nodeId === nodeId) return a;
    }
    return null;
  }

  // Seconds per projection step (from any summary; 1 day by default).
  stepSeconds() {
    for (const s of this.summaries.values()) if (s.stepSeconds) return num(s.stepSeconds);
    return 86400;
  }

  // A canonical, order-independent summary of the state: two pages that
  // show the same thing have the same digest (tests compare them).
  digest() {
    const risks = [];
    for (const [riskType, m] of this.risks) {
      for (const [id, e] of m) risks.push([riskType, id, e.state, e.probability, e.eta]);
    }
    risks.sort((a, b) => (a[0] + '/' + a[1] < b[0] + '/' + b[1] ? -1 : 1));
    return {
      sequence: this.sequence,
      modelTime: this.modelTime,
      risks,
      alerts: [...this.alerts.values()]
        .map((a) => [a.alertId, a.lifecycle, a.severity, num(a.probability), num(a.etaSteps)])
        .sort(),
      footprints: [...this.footprints.values()]
        .map((f) => [f.eventId, f.lifecycle, num(f.nodesHit), num(f.nodesStillDisrupted)])
        .sort(),
      incidents: [...this.incidents.values()]
        .map((i) => {
          const op = i.operatorState || {};
          return [i.incidentId, i.lifecycle, i.level, !!op.acknowledged, op.acknowledgedBy || '', op.assignee || '', (op.history || []).length, num(i.expectedDisrupted)];
        })
        .sort(),
      summaries: [...this.summaries.values()].map((s) => [s.riskType, num(s.expectedDisrupted)]).sort(),
      plans: [...this.plans.values()]
        .map((p) => [p.riskType, (p.targets || []).map((t) => [t.nodeId, num(t.expectedAverted)])])
        .sort(),
    };
  }
}
