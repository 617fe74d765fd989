// The dashboard in a real browser (Debian's chromium, headless, driven by
// playwright-core) against a real riskd: an event goes in through the
// ingest, the node turns red on the map, the alert and the hazard footprint
// appear with the incident it opens, a node's cause path is drawn, an
// operator acknowledges the incident (a reader is offered no action and is
// refused; an operator may not protect a node, an admin may), and a page
// that opens late, or sees a gap, shows the same state; under a manual model clock (the demo's) the page
// shows the model time, a footprint leaves when its duration passes on a
// tick, and the timeline runs in model time. Screenshots go to
// $RISKD_TEST_OUTPUT.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { digestsOnceEqual, isRed, launchBrowser, nodePixel, openDashboard, sha256, sourceDir, startDaemon } from './support.js';

const OPERATOR_TOKEN = 'operator-token-for-the-browser-test';
const ADMIN_TOKEN = 'admin-token-for-the-browser-test';
const READER_TOKEN = 'reader-token-for-the-browser-test';
const outputDir = process.env.RISKD_TEST_OUTPUT || join(sourceDir, 'build', 'dashboard-screenshots');

const demo = join(sourceDir, 'config', 'demo');
const config = `
network { csv { nodes: "${demo}/nodes.csv" edges: "${demo}/edges.csv" } }
risk_types { name: "supply" alpha: 0.8 beta: 0.3 }
planner { k: 3 min_interval { seconds: 0 } }
# Checked before publishing: the test compares what the page shows with the
# page's state, and a refinement landing between the two reads would race.
projection { defer_check: false }
`;
const dashboard = `listen: "127.0.0.1:0"
  users { name: "olga" role: CLIENT_ROLE_OPERATOR token_sha256: "${sha256(OPERATOR_TOKEN)}" }
  users { name: "ada" role: CLIENT_ROLE_ADMIN token_sha256: "${sha256(ADMIN_TOKEN)}" }
  users { name: "rita" role: CLIENT_ROLE_SUBSCRIBER token_sha256: "${sha256(READER_TOKEN)}" }`;

// An earthquake around Kumamoto: a 30 km circle holding FAB-KUM only. The
// first event journaled, so the incident it opens is supply/1.
const QUAKE = {
  event_id: 'browser-quake-1',
  source: 'browser-test',
  disruption: {
    hazard: 'HAZARD_EARTHQUAKE',
    severity: 1,
    title: 'M 7.0 near Kumamoto',
    place: { circle: { center: { lat: 32.8, lon: 130.7 }, radius_km: 30 } },
  },
};

let daemon;
let browser;
const errors = [];

before(async () => {
  mkdirSync(outputDir, { recursive: true });
  daemon = await startDaemon(config, { dashboard });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (daemon) assert.equal(await daemon.stop(), 0, 'riskd stops cleanly');
});

async function signIn(page, token) {
  await page.click('#open-sign-in');
  await page.fill('#token', token);
  await page.click('#sign-in button[type=submit]');
  await page.waitForFunction(() => window.riskdDashboard.session && !window.riskdDashboard.session.anonymous);
}

const INCIDENT = '#incidents li.incident[data-incident-id="supply/1"]';

// Sends an Envelope from the page as a script would, bypassing its buttons;
// the daemon's answer ("<status> <error>" when refused).
const actFromPage = (page, envelope) =>
  page.evaluate(async (env) => {
    try {
      const ack = await window.riskdDashboard.api.act(env);
      return ack.result;
    } catch (e) {
      return `${e.status} ${e.message}`;
    }
  }, envelope);

const waitLive = (page) =>
  page.waitForFunction(() => document.getElementById('status').dataset.state === 'live', null, { timeout: 30000 });

test('an event turns its node red, raises alerts downstream, draws its footprint and the cause path', async () => {
  const page = await openDashboard(browser, daemon.url, errors);
  await waitLive(page);
  assert.equal(await page.evaluate(() => window.riskdDashboard.state.nodeList.length), 19);
  await page.evaluate(() => window.riskdDashboard.map.focusNode('FAB-KUM', 8));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  assert.ok(!isRed(await nodePixel(page, 'FAB-KUM')), 'not red before the event');
  assert.equal(await page.locator('#alerts li.alert').count(), 0);

  assert.match(daemon.send([QUAKE]), /ACCEPTED\s+browser-quake-1/);

  // The node turns red on the map (pixel read back from the drawn canvas).
  await page.waitForFunction(() => window.riskdDashboard.state.nodeStatus('FAB-KUM').state === 'NODE_STATE_DISRUPTED');
  await page.waitForFunction(() => {
    const d = window.riskdDashboard;
    const p = d.map.nodePoint('FAB-KUM');
    const c = document.querySelector('canvas.riskd-nodes');
    const ratio = window.devicePixelRatio || 1;
    const [r, g, b] = c.getContext('2d').getImageData(Math.round(p.x * ratio), Math.round(p.y * ratio), 1, 1).data;
    return r > 150 && g < 80 && b < 80;
  });
  assert.ok(isRed(await nodePixel(page, 'FAB-KUM')));

  // Its customer's alert appears in the list, critical.
  const ecu = page.locator('#alerts li.alert[data-node-id="ECU-NGO"]');
  await ecu.waitFor();
  assert.match(await ecu.getAttribute('class'), /critical/);
  assert.match(await ecu.textContent(), /Nagoya ECU assembly/);

  // The incident the quake opened is listed: potential (no site confirmed
  // it), critical, not acknowledged, with its expected number disrupted.
  const incident = page.locator(INCIDENT);
  await incident.waitFor();
  assert.match(await incident.getAttribute('class'), /critical potential/);
  assert.equal(await incident.getAttribute('data-acknowledged'), 'no');
  assert.match(await incident.locator(':scope > .name').textContent(), /^M 7\.0 near Kumamoto$/);
  assert.match(await incident.locator(':scope > .meta').textContent(), /^supply · potential · critical · not acknowledged$/);
  const expectedDisrupted = await page.evaluate(() => window.riskdDashboard.state.incidents.get('supply/1').expectedDisrupted);
  assert.equal(await incident.locator(':scope > .prob').textContent(), expectedDisrupted.toFixed(1));
  assert.equal(await page.locator('#incident-count').textContent(), '1');

  // The hazard's footprint is drawn and listed.
  await page.locator('path.riskd-footprint').first().waitFor({ state: 'attached' });
  assert.match(await page.locator('#footprints li[data-event-id="browser-quake-1"]').textContent(), /M 7\.0 near Kumamoto/);

  // The node panel: risk, ETA, the cause path from the fab, drawn on the map.
  await ecu.click();
  const panel = page.locator('#node-panel[data-node-id="ECU-NGO"]');
  await panel.waitFor();
  const prob = await panel.locator('tr[data-risk-type="supply"] td.prob').textContent();
  const expected = await page.evaluate(() => window.riskdDashboard.state.risks.get('supply').get('ECU-NGO').probability);
  assert.equal(prob, `${(100 * expected).toFixed(1)}%`);
  assert.match(await panel.locator('tr[data-risk-type="supply"] td.eta').textContent(), /d$/);
  const hops = await panel.locator('ol.cause-path li').evaluateAll((lis) => lis.map((li) => li.dataset.nodeId));
  assert.equal(hops[0], 'FAB-KUM');
  assert.equal(hops[hops.length - 1], 'ECU-NGO');
  await page.locator('path.riskd-cause-path').waitFor({ state: 'attached' });
  assert.doesNotMatch(await page.locator('#side').textContent(), /null|undefined|NaN/);

  // Immunization targets with their savings arrive (planner.k = 3).
  await page.locator('#targets ol.targets li').first().waitFor();
  assert.match(await page.locator('#targets ol.targets li .saving').first().textContent(), /^−\d+\.\d\d$/);

  // docs/dashboard.png is this screenshot: Japan, the quake, its cascade.
  await page.evaluate(() => {
    window.riskdDashboard.map.map.setView([35.5, 135.5], 6, { animate: false });
  });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(outputDir, 'dashboard-event.png') });
  await page.close();
});

test('actions need a role allowed to act: refused for a reader, an operator acknowledges, an admin protects', async () => {
  const reader = await openDashboard(browser, daemon.url, errors);
  await signIn(reader, READER_TOKEN);
  assert.equal(await reader.evaluate(() => window.riskdDashboard.session.role), 'subscriber');
  // The incident's details, without any action.
  await reader.locator(`${INCIDENT} .name`).click();
  await reader.locator(`${INCIDENT} .incident-detail ol.top-nodes li`).first().waitFor();
  assert.equal(await reader.locator(`${INCIDENT} button.acknowledge`).count(), 0, 'no Acknowledge for a reader');
  assert.equal(await reader.locator(`${INCIDENT} button.act`).count(), 0, 'no incident action for a reader');
  await reader.evaluate(() => window.riskdDashboard.select('ECU-NGO'));
  await reader.locator('#node-panel[data-node-id="ECU-NGO"]').waitFor();
  assert.equal(await reader.locator('#node-panel button.protect').count(), 0, 'no action offered to a reader');
  // Sent anyway (as a script would), the daemon's dashboard refuses them.
  assert.match(
    await actFromPage(reader, { operatorAction: { incidentId: 'supply/1', kind: 'KIND_ACKNOWLEDGE', operator: 'rita' } }),
    /^403 permission_denied: role 'subscriber' may not send operator_action$/,
  );
  assert.match(
    await actFromPage(reader, { intervention: { kind: 'KIND_IMMUNIZE', nodeIds: ['ECU-NGO'] } }),
    /^403 permission_denied: role 'subscriber' may not send intervention$/,
  );

  // The operator acknowledges the incident from its details.
  const operator = await openDashboard(browser, daemon.url, errors);
  await signIn(operator, OPERATOR_TOKEN);
  await waitLive(operator);
  assert.deepEqual(await operator.evaluate(() => window.riskdDashboard.session.actions), ['operator_action']);
  await operator.locator(`${INCIDENT} .name`).click();
  await operator.locator(`${INCIDENT} button.acknowledge`).click();
  await operator.locator('#notice', { hasText: 'acknowledge journaled' }).waitFor();
  // The daemon applied it and re-published the incident: acknowledged by
  // the signed-in user, on this page and on the reader's, live.
  for (const page of [operator, reader]) {
    const row = page.locator(`${INCIDENT}[data-acknowledged="yes"]`);
    await row.waitFor();
    assert.match(await row.locator(':scope > .meta').textContent(), /· acknowledged by olga$/);
  }
  assert.equal(await operator.locator(`${INCIDENT} button.acknowledge`).count(), 0, 'acknowledged once');
  const history = operator.locator(`${INCIDENT} ul.history li`);
  assert.equal(await history.count(), 1);
  assert.equal(await history.getAttribute('data-operator'), 'olga');
  assert.equal(await history.getAttribute('data-kind'), 'KIND_ACKNOWLEDGE');
  assert.match(await history.textContent(), /^acknowledge by olga · \d{4}-\d\d-\d\d/);
  assert.match(daemon.log(), /dashboard user 'olga' \(operator\) sent operator_action dashboard-[0-9a-f-]+: RESULT_ACCEPTED/);
  assert.doesNotMatch(await operator.locator('#side').textContent(), /null|undefined|NaN/);
  await operator.screenshot({ path: join(outputDir, 'dashboard-acknowledged.png') });

  // An operator acts on incidents, not on the network: no Protect button,
  // and refused when sent anyway.
  await operator.evaluate(() => window.riskdDashboard.select('ECU-NGO'));
  await operator.locator('#node-panel[data-node-id="ECU-NGO"]').waitFor();
  assert.equal(await operator.locator('#node-panel button.protect').count(), 0);
  assert.match(
    await actFromPage(operator, { intervention: { kind: 'KIND_IMMUNIZE', nodeIds: ['ECU-NGO'] } }),
    /^403 permission_denied: role 'operator' may not send intervention$/,
  );
  await reader.close();
  await operator.close();

  // An admin protects a node.
  const admin = await openDashboard(browser, daemon.url, errors);
  await signIn(admin, ADMIN_TOKEN);
  await waitLive(admin);
  await admin.evaluate(() => window.riskdDashboard.select('ECU-NGO'));
  await admin.locator('#node-panel[data-node-id="ECU-NGO"] button.protect').click();
  await admin.locator('#notice', { hasText: 'journaled' }).waitFor();
  // The daemon applied it: the node is protected, live, on this page.
  await admin.waitForFunction(() => window.riskdDashboard.state.nodeStatus('ECU-NGO').state === 'NODE_STATE_IMMUNIZED');
  assert.match(daemon.log(), /dashboard user 'ada' \(admin\) sent intervention dashboard-[0-9a-f-]+: RESULT_ACCEPTED/);
  await admin.close();
});

test('a late page, and a page that detects a gap, show the same state as a live one', async () => {
  const early = await openDashboard(browser, daemon.url, errors);
  await waitLive(early);
  // More events while the early page watches.
  daemon.send([
    { event_id: 'browser-status-1', supplier_status: { node_id: 'RES-RAY', state: 'NODE_STATE_DISRUPTED', severity: 0.6 } },
    { event_id: 'browser-recover-1', supplier_status: { node_id: 'FAB-KUM', state: 'NODE_STATE_RECOVERED' } },
  ]);
  await early.waitForFunction(() => window.riskdDashboard.state.nodeStatus('FAB-KUM').state === 'NODE_STATE_RECOVERED');
  // The quake's only node recovered: its footprint ended.
  await early.waitForFunction(() => window.riskdDashboard.state.footprints.size === 0);
  const late = await openDashboard(browser, daemon.url, errors);
  await waitLive(late);
  const [a, b] = await digestsOnceEqual(early, late);
  assert.deepEqual(b, a);
  assert.ok(a.risks.some(([, id, state]) => id === 'RES-RAY' && state === 'NODE_STATE_DISRUPTED'));
  // The late page shows the quake's incident as the operator left it:
  // acknowledged by olga (and restored: its only site recovered).
  const incident = late.locator(`${INCIDENT}[data-acknowledged="yes"]`);
  await incident.waitFor();
  assert.match(await incident.locator(':scope > .meta').textContent(), /^supply · restored · .* · acknowledged by olga$/);

  // A publication from the future reveals a gap: the page reads a new
  // snapshot and is back in step.
  const before = await late.evaluate(() => window.riskdDashboard.sync.resyncs);
  await late.evaluate(() => {
    const d = window.riskdDashboard;
    d.sync.receive({ sequence: String(d.state.sequence + 5), alert: { alertId: 'bogus', lifecycle: 'LIFECYCLE_RAISED' } });
  });
  await late.waitForFunction((n) => window.riskdDashboard.sync.resyncs > n && document.getElementById('status').dataset.state === 'live', before);
  assert.deepEqual(await late.evaluate(() => window.riskdDashboard.state.digest()), a);
  await late.screenshot({ path: join(outputDir, 'dashboard-late-page.png') });
  await early.close();
  await late.close();
  assert.deepEqual(errors, [], 'no page errors');
});

test('under a manual model clock: the model time shows, a footprint ends on the tick its duration passes, the timeline runs in model time', async () => {
  const day = 86400;
  const t0 = Date.parse('2014-08-10T00:00:00Z') / 1000;
  const iso = (seconds) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
  const replay = await startDaemon(`${config}\nclock { mode: MODE_MANUAL start { seconds: ${t0} } }\n`);
  try {
    const page = await openDashboard(browser, replay.url, errors);
    await waitLive(page);
    const modelTime = page.locator('#model-time');
    await page.waitForFunction(() => document.getElementById('model-time').dataset.modelTime === '2014-08-10T00:00:00.000Z');
    assert.equal(await modelTime.textContent(), 'model time 2014-08-10 (manual clock)');
    assert.equal(await modelTime.getAttribute('data-clock'), 'manual');

    // The quake lasts three days; the clock walks one day, then two more.
    assert.match(replay.send([{ ...QUAKE, event_id: 'replay-quake', disruption: { ...QUAKE.disruption, expected_duration: `${3 * day}s` } }]), /ACCEPTED\s+replay-quake/);
    const listed = page.locator('#footprints li[data-event-id="replay-quake"]');
    await listed.waitFor();
    assert.match(await listed.textContent(), /1\/1 down · since 2014-08-10 until 2014-08-13/);
    // ETAs are dated on the model clock.
    const ecu = page.locator('#alerts li.alert[data-node-id="ECU-NGO"] .eta');
    await ecu.waitFor();
    assert.match(await ecu.getAttribute('title'), /^by 2014-08-1\d \(model time\)$/);

    replay.send([{ event_id: 'tick-1', clock_tick: { advance_to: iso(t0 + day) } }]);
    await page.waitForFunction(() => document.getElementById('model-time').dataset.modelTime === '2014-08-11T00:00:00.000Z');
    assert.equal(await page.evaluate(() => window.riskdDashboard.state.footprints.size), 1, 'two days to go');
    const early = await page.evaluate(() => window.riskdDashboard.state.digest());

    replay.send([{ event_id: 'tick-3', clock_tick: { advance_to: iso(t0 + 3 * day) } }]);
    await page.waitForFunction(() => window.riskdDashboard.state.footprints.size === 0);
    await page.waitForFunction(() => window.riskdDashboard.state.nodeStatus('FAB-KUM').state === 'NODE_STATE_RECOVERED');
    await page.waitForFunction(() => document.getElementById('model-time').textContent === 'model time 2014-08-13 (manual clock)');
    assert.equal(await page.locator('#footprints li.empty').count(), 1);
    assert.notDeepEqual(await page.evaluate(() => window.riskdDashboard.state.digest()), early);

    // The timeline's points are the model days, not the few seconds of wall
    // time the ticks took.
    const xs = await page.evaluate(() => [...window.riskdDashboard.timeline.plot.data[0]]);
    assert.ok(xs.length >= 3, `points: ${xs}`);
    assert.ok(xs.every((x) => x >= t0 && x <= t0 + 3 * day), `points in model time: ${xs}`);
    assert.equal(xs[xs.length - 1], t0 + 3 * day);

    // A page opened now shows the same.
    const late = await openDashboard(browser, replay.url, errors);
    await waitLive(late);
    const [a, b] = await digestsOnceEqual(page, late);
    assert.deepEqual(b, a);
    assert.equal(a.modelTime, (t0 + 3 * day) * 1000);
    await late.screenshot({ path: join(outputDir, 'dashboard-manual-clock.png') });
    await page.close();
    await late.close();
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    assert.equal(await replay.stop(), 0, 'riskd stops cleanly');
  }
});
