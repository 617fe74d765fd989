// The dashboard's state under node: the Clone pattern's rules (old, next,
// gap), node risk changes, alert and footprint lifecycles, bands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BAND, DashboardState, bandOf, timeText, timelineTime } from '../src/store.js';
import { Sync } from '../src/sync.js';

const snapshot = {
  sequence: '10',
  journalSeq: '4',
  networkVersion: '2',
  nodeRisks: [
    { nodeId: 'A', riskType: 'supply', observedState: 'NODE_STATE_DISRUPTED', probability: 1 },
    { nodeId: 'B', riskType: 'supply', observedState: 'NODE_STATE_SUSCEPTIBLE', probability: 0.8, etaSteps: 2 },
  ],
  openAlerts: [{ alertId: 'supply/B/3', lifecycle: 'LIFECYCLE_RAISED', severity: 'SEVERITY_CRITICAL', riskType: 'supply', nodeId: 'B', probability: 0.8, etaSteps: 2 }],
  footprints: [{ eventId: 'q', lifecycle: 'LIFECYCLE_ACTIVE', nodesHit: 1 }],
  projections: [{ riskType: 'supply', expectedDisrupted: 2.5, stepSeconds: 3600 }],
  recentProjections: [{ riskType: 'supply', expectedDisrupted: 1 }, { riskType: 'supply', expectedDisrupted: 2.5, stepSeconds: 3600 }],
};

const network = {
  networkVersion: '2',
  networkNodes: [
    { id: 'A', name: 'Alpha', location: { lat: 1, lon: 2 } },
    { id: 'B', location: { lat: 3, lon: 4 } },
    { id: 'C', tier: 2 },
  ],
};

test('bands follow observed state first, then the default alert thresholds', () => {
  assert.equal(bandOf('NODE_STATE_DISRUPTED', 0.2), BAND.disrupted);
  assert.equal(bandOf('NODE_STATE_IMMUNIZED', 0.9), BAND.immunized);
  assert.equal(bandOf('NODE_STATE_SUSCEPTIBLE', 0.7), BAND.critical);
  assert.equal(bandOf('NODE_STATE_SUSCEPTIBLE', 0.69), BAND.warning);
  assert.equal(bandOf('NODE_STATE_SUSCEPTIBLE', 0.3), BAND.warning);
  assert.equal(bandOf('NODE_STATE_SUSCEPTIBLE', 0.05), BAND.low);
  assert.equal(bandOf('NODE_STATE_SUSCEPTIBLE', 0), BAND.none);
});

test('a snapshot, then only the next sequence applies; older is ignored, a jump is a gap', () => {
  const s = new DashboardState();
  s.setNetwork(network);
  assert.equal(s.nodes.get('A').name, 'Alpha');
  assert.equal(s.nodes.get('B').name, 'B');
  assert.equal(s.nodes.get('C').lat, null);
  s.applySnapshot(snapshot);
  assert.equal(s.sequence, 10);
  assert.equal(s.nodeStatus('A').band, BAND.disrupted);
  assert.equal(s.nodeStatus('B').band, BAND.critical);
  assert.equal(s.history.get('supply').length, 2);
  assert.equal(s.stepSeconds(), 3600);
  assert.equal(s.applyPublication({ sequence: '9', alert: { alertId: 'x', lifecycle: 'LIFECYCLE_RAISED' } }), 'old');
  assert.equal(s.applyPublication({ sequence: '10' }), 'old');
  assert.equal(s.applyPublication({ sequence: '12', alert: { alertId: 'x' } }), 'gap');
  assert.equal(s.sequence, 10, 'a gap changes nothing');
  assert.equal(s.alerts.has('x'), false);
});

test('risk changes, alert and footprint lifecycles, summaries and plans apply in order', () => {
  const s = new DashboardState();
  s.setNetwork(network);
  s.applySnapshot(snapshot);
  s.takeDirty();
  const pubs = [
    { sequence: '11', nodeRiskChanges: { riskType: 'supply', journalSeq: '5', nodes: [
      { nodeId: 'A', riskType: 'supply', observedState: 'NODE_STATE_RECOVERED' },
      { nodeId: 'B', riskType: 'supply', observedState: 'NODE_STATE_SUSCEPTIBLE' },
      { nodeId: 'C', riskType: 'supply', observedState: 'NODE_STATE_SUSCEPTIBLE', probability: 0.4, etaSteps: 0 } ] } },
    { sequence: '12', alert: { alertId: 'supply/B/3', lifecycle: 'LIFECYCLE_RESOLVED', nodeId: 'B', riskType: 'supply' } },
    { sequence: '13', disruptionFootprint: { eventId: 'q', lifecycle: 'LIFECYCLE_ENDED' } },
    { sequence: '14', projectionSummary: { riskType: 'supply', expectedDisrupted: 0.4, journalSeq: '5' } },
    { sequence: '15', immunizationPlan: { riskType: 'supply', targets: [{ nodeId: 'C', expectedAverted: 0.3 }] } },
  ];
  for (const p of pubs) assert.equal(s.applyPublication(p), 'applied');
  assert.equal(s.sequence, 15);
  assert.equal(s.journalSeq, 5);
  assert.equal(s.nodeStatus('A').band, BAND.recovered);
  assert.equal(s.risks.get('supply').has('B'), false, 'susceptible at 0 leaves the map');
  assert.equal(s.nodeStatus('C').band, BAND.warning);
  assert.equal(s.nodeStatus('C').eta, 0);
  assert.equal(s.alerts.size, 0);
  assert.equal(s.footprints.size, 0);
  assert.equal(s.history.get('supply').length, 3);
  assert.equal(s.plans.get('supply').targets[0].nodeId, 'C');
  const dirty = s.takeDirty();
  assert.deepEqual([...dirty.nodes].sort(), ['A', 'B', 'C']);
  assert.ok(dirty.alerts && dirty.footprints && dirty.summaries && dirty.plans);
  assert.equal(s.unknownNodes, false);
  s.applyPublication({ sequence: '16', nodeRiskChanges: { riskType: 'supply', nodes: [{ nodeId: 'NEW', observedState: 'NODE_STATE_DISRUPTED', probability: 1 }] } });
  assert.equal(s.unknownNodes, true, 'a node the page lacks: the network is re-read');
});

// A stand-in for the browser's EventSource, driven by the test.
class FakeEventSource {
  constructor(url) {
    this.url = url;
    this.listeners = {};
    FakeEventSource.last = this;
  }
  addEventListener(type, fn) {
    this.listeners[type] = fn;
  }
  close() {}
}

test('sync buffers the stream while it reads a snapshot and applies what is newer, resyncing on a gap', async () => {
  const state = new DashboardState();
  let snapshots = 0;
  let pending = [];
  const served = [snapshot, { ...snapshot, sequence: '13', nodeRiskChanges: undefined }];
  const api = (path) =>
    new Promise((resolve) => {
      if (path === '/api/network') resolve(network);
      else pending.push(() => resolve(served[snapshots++]));
    });
  const sync = new Sync(state, { api, eventsUrl: () => '/api/events', EventSourceImpl: FakeEventSource });
  sync.start();
  const es = FakeEventSource.last;
  es.onopen();
  // While the snapshot is on its way, the stream delivers 10 (in it), 11, 12.
  for (const seq of ['10', '11', '12']) es.onmessage({ data: JSON.stringify({ sequence: seq, projectionSummary: { riskType: 'supply', expectedDisrupted: Number(seq) } }) });
  await new Promise((r) => setTimeout(r, 0));
  pending.shift()();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(state.sequence, 12);
  assert.equal(state.summaries.get('supply').expectedDisrupted, 12);
  // 14 skips 13: a gap; the second snapshot (sequence 13) is read.
  es.onmessage({ data: JSON.stringify({ sequence: '14', alert: { alertId: 'late', lifecycle: 'LIFECYCLE_RAISED' } }) });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(pending.length, 1);
  pending.shift()();
  await new Promise((r) => setTimeout(r, 0));
  // The publication that revealed the gap follows the older snapshot.
  assert.equal(sync.resyncs, 2);
  assert.equal(state.sequence, 14);
  assert.ok(state.alerts.has('late'));
  es.onmessage({ data: JSON.stringify({ sequence: '15', alert: { alertId: 'later', lifecycle: 'LIFECYCLE_RAISED' } }) });
  assert.equal(state.sequence, 15);
});

test('incidents: published states replace each other, resolved alerts close with them, closed ones are capped', async () => {
  const { MAX_CLOSED } = await import('../src/store.js');
  const s = new DashboardState();
  s.applySnapshot({
    sequence: '1',
    openAlerts: [
      { alertId: 'supply/B/1', lifecycle: 'LIFECYCLE_RAISED', nodeId: 'B', riskType: 'supply' },
      { alertId: 'supply/C/1', lifecycle: 'LIFECYCLE_RAISED', nodeId: 'C', riskType: 'supply' },
    ],
    incidents: [{ incidentId: 'supply/1', lifecycle: 'LIFECYCLE_CONFIRMED', level: 'SEVERITY_CRITICAL' }],
  });
  assert.equal(s.incidents.get('supply/1').level, 'SEVERITY_CRITICAL');
  s.takeDirty();
  const acked = { incidentId: 'supply/1', lifecycle: 'LIFECYCLE_CONFIRMED', level: 'SEVERITY_CRITICAL', operatorState: { acknowledged: true, acknowledgedBy: 'olga' } };
  assert.equal(s.applyPublication({ sequence: '2', incident: acked }), 'applied');
  assert.equal(s.incidents.get('supply/1').operatorState.acknowledgedBy, 'olga');
  assert.ok(s.takeDirty().incidents);
  s.applyPublication({ sequence: '3', incident: { ...acked, lifecycle: 'LIFECYCLE_RESTORED', resolvedAlertIds: ['supply/B/1'] } });
  assert.deepEqual([...s.alerts.keys()], ['supply/C/1'], 'the incident resolved B with it');
  assert.equal(s.digest().incidents[0][1], 'LIFECYCLE_RESTORED');
  for (let k = 0; k < MAX_CLOSED + 5; k++) {
    s.applyPublication({ sequence: String(4 + k), incident: { incidentId: `supply/${100 + k}`, lifecycle: 'LIFECYCLE_CLOSED' } });
  }
  const closed = [...s.incidents.values()].filter((i) => i.lifecycle === 'LIFECYCLE_CLOSED');
  assert.equal(closed.length, MAX_CLOSED);
  assert.equal(closed[0].incidentId, 'supply/105', 'the oldest closed ones go');
  assert.ok(s.incidents.has('supply/1'), 'a restored incident is not closed: kept');
});

test('the model clock: from the snapshot, forward with projections; ETAs and the timeline in model time', () => {
  const day = 86400;
  const s = new DashboardState();
  s.applySnapshot({
    sequence: '1',
    modelTime: '2014-08-10T00:00:00Z',
    projections: [{ riskType: 'supply', stepSeconds: day }],
    footprints: [{ eventId: 'fl', lifecycle: 'LIFECYCLE_ACTIVE', nodesHit: 3, nodesStillDisrupted: 3 }],
  });
  const t0 = Date.parse('2014-08-10T00:00:00Z');
  assert.equal(s.modelTime, t0);
  assert.equal(timeText(s.modelTime, day), '2014-08-10');
  assert.equal(timeText(s.modelTime + 90 * 60000, 3600), '2014-08-10 01:30 UTC');
  // An ETA of 5 steps falls five days on.
  assert.equal(s.etaTime(5), t0 + 5 * day * 1000);
  assert.equal(s.etaTime(-1), null, 'beyond the horizon: no date');
  // A manual clock years behind the wall clock is not the wall clock.
  assert.equal(s.modelClockIsWall(Date.parse('2026-01-01T00:00:00Z')), false);
  assert.equal(s.modelClockIsWall(t0 + 3600e3), true);
  s.takeDirty();
  // A tick: the next summary is about day 11; the clock moves with it.
  s.applyPublication({ sequence: '2', disruptionFootprint: { eventId: 'fl', lifecycle: 'LIFECYCLE_ACTIVE', nodesHit: 3, nodesStillDisrupted: 1 } });
  s.applyPublication({ sequence: '3', projectionSummary: { riskType: 'supply', stepSeconds: day, modelTime: '2014-08-11T00:00:00Z', computedAt: '2026-01-01T12:00:00Z' } });
  assert.equal(s.modelTime, t0 + day * 1000);
  assert.ok(s.takeDirty().clock);
  assert.deepEqual(s.digest().footprints, [['fl', 'LIFECYCLE_ACTIVE', 3, 1]], 'the count of nodes still down is state');
  // An older model time (a late alert of an earlier projection) never moves it back.
  s.applyPublication({ sequence: '4', alert: { alertId: 'x', lifecycle: 'LIFECYCLE_RAISED', modelTime: '2014-08-10T00:00:00Z' } });
  assert.equal(s.modelTime, t0 + day * 1000);
  assert.equal(s.digest().modelTime, t0 + day * 1000);

  // On the timeline a summary of a manual clock sits at its model time, one
  // of the wall clock at the time it was computed (within its step), one
  // from before the model clock at its computed time.
  const manual = { modelTime: '2014-08-11T00:00:00Z', computedAt: '2026-01-01T12:00:00Z' };
  const wall = { modelTime: '2026-01-01T00:00:00Z', computedAt: '2026-01-01T12:00:00Z' };
  const old = { computedAt: '2026-01-01T12:00:00Z' };
  assert.equal(timelineTime(manual, day), Date.parse('2014-08-11T00:00:00Z'));
  assert.equal(timelineTime(wall, day), Date.parse('2026-01-01T12:00:00Z'));
  assert.equal(timelineTime(old, day), Date.parse('2026-01-01T12:00:00Z'));
});
