// dashboard_bench: the web dashboard at scale, in Debian's chromium
// (headless, software rendering) against a real riskd serving a network of
// 100,000 located nodes. Prints JSON lines (bench/README.md):
//
//   dashboard_first_render_ms  navigation start to the end of the first frame
//                              drawn with the synced state (page, network and
//                              snapshot read and parsed, clusters built, map,
//                              panels and timeline drawn); median of runs
//   dashboard_update_ms        1,000 publications (node risk changes, one
//                              node each, half of them changing the node's
//                              colour band) handed to the page's stream
//                              handler as one burst, to the next painted
//                              frame showing them all; median of rounds
//
// The network: 100,000 nodes in 400 metropolitan clusters (Gaussian, ~1.5°)
// over the inhabited latitudes, 3 suppliers per node (300k edges, preferring
// earlier nodes), seed 20261130; disruptions at its 25 hubs put a large part
// of it at risk (nodes_at_risk in the output).
//
//   bench/dashboard/dashboard_bench.js [--quick]   (run by bench/run_all)
// Needs RISKD_BINARY (set by the build's wrapper, build-bench/bench/dashboard/dashboard_bench).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, startDaemon } from '../../dashboard/test/support.js';

const quick = process.argv.includes('--quick');
const NODES = 100000;
const SUPPLIERS = 3;
const UPDATES = 1000;
const RENDER_RUNS = quick ? 3 : 5;
const UPDATE_ROUNDS = quick ? 3 : 7;
const SEED = 20261130;

// Mulberry32: small, seeded, good enough for layouts.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r) {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

function writeNetwork(dir) {
  const r = rng(SEED);
  const cities = Array.from({ length: 400 }, () => [-40 + 100 * r(), -170 + 340 * r()]);
  const nodes = ['id,name,kind,tier,region,lat,lon'];
  for (let i = 0; i < NODES; i++) {
    const [clat, clon] = cities[Math.floor(r() * cities.length)];
    const lat = Math.max(-85, Math.min(85, clat + 1.5 * gaussian(r)));
    const lon = ((clon + 1.5 * gaussian(r) + 540) % 360) - 180;
    nodes.push(`n${i},Site ${i},supplier,${i % 5},R${i % 50},${lat.toFixed(4)},${lon.toFixed(4)}`);
  }
  const edges = ['from,to,weight'];
  for (let i = 1; i < NODES; i++) {
    const seen = new Set();
    for (let k = 0; k < Math.min(SUPPLIERS, i); k++) {
      // Earlier nodes more often: a scale-free-ish supplier base.
      let j = Math.floor(i * r() * r());
      while (seen.has(j)) j = (j + 1) % i;
      seen.add(j);
      edges.push(`n${j},n${i},${(1 + 9 * r()).toFixed(3)}`);
    }
  }
  writeFileSync(join(dir, 'nodes.csv'), nodes.join('\n') + '\n');
  writeFileSync(join(dir, 'edges.csv'), edges.join('\n') + '\n');
  return edges.length - 1;
}

function line(metric, value, unit, params) {
  console.log(JSON.stringify({ bench: 'dashboard', metric, value: Number(value.toFixed(3)), unit, ...params }));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'riskd-dashboard-bench-'));
let daemon;
let browser;
try {
  const edges = writeNetwork(dir);
  daemon = await startDaemon(
    `network { csv { nodes: "${dir}/nodes.csv" edges: "${dir}/edges.csv" } }\n` +
      'projection { method: METHOD_DMP }\nplanner { k: 0 }\nvulnerability { refresh_changes: 0 }\n',
    { timeoutMs: 600000 },
  );
  // The 25 oldest nodes are the network's hubs (most customers).
  const events = Array.from({ length: 25 }, (_, k) => ({
    event_id: `bench-${k}`,
    disruption: { hazard: 'HAZARD_FLOOD', severity: 1, node_ids: [`n${k}`] },
  }));
  daemon.send(events);
  // Wait until the daemon has projected all 25 (its snapshot includes them).
  let snapshot;
  for (let i = 0; i < 600; i++) {
    snapshot = await (await fetch(`${daemon.url}api/snapshot`)).json();
    if (Number(snapshot.journalSeq || 0) >= events.length) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  const atRisk = new Set((snapshot.nodeRisks || []).map((n) => n.nodeId)).size;
  // What the server alone takes (node's fetch: request to the last byte).
  const timed = async (path) => {
    const t0 = performance.now();
    const text = await (await fetch(`${daemon.url}${path}`)).text();
    return [text.length, Math.round(performance.now() - t0)];
  };
  const [snapshotBytes, snapshotMs] = await timed('api/snapshot');
  const [networkBytes, networkMs] = await timed('api/network');
  const params = {
    nodes: NODES,
    edges,
    nodes_at_risk: atRisk,
    open_alerts: (snapshot.openAlerts || []).length,
    snapshot_bytes: snapshotBytes,
    snapshot_fetch_ms: snapshotMs,
    network_bytes: networkBytes,
    network_fetch_ms: networkMs,
    browser: 'chromium headless (software)',
  };

  browser = await launchBrowser();
  const renders = [];
  for (let run = 0; run < RENDER_RUNS; run++) {
    const page = await browser.context.newPage();
    await page.goto(daemon.url);
    await page.waitForFunction(() => window.riskdDashboard && window.riskdDashboard.firstRenderAt !== null, null, { timeout: 300000 });
    renders.push(await page.evaluate(() => window.riskdDashboard.firstRenderAt));
    if (run < RENDER_RUNS - 1) await page.close();
  }
  // Where the last run's time went (performance.now() of each step).
  const marks = await browser.context.pages().at(-1).evaluate(() => window.riskdDashboard.sync.marks);
  const steps = Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, Math.round(v)]));
  line('dashboard_first_render_ms', median(renders), 'ms', { ...params, runs: RENDER_RUNS, min: Math.min(...renders), max: Math.max(...renders), last_run_steps_ms: steps });

  // Updates on the last page, which stays open and synced.
  const page = browser.context.pages().at(-1);
  const updates = [];
  for (let round = 0; round < UPDATE_ROUNDS; round++) {
    updates.push(
      await page.evaluate(
        ({ n, seed }) => {
          const d = window.riskdDashboard;
          const nodes = d.state.nodeList;
          let x = seed;
          const next = () => ((x = (x * 1103515245 + 12345) >>> 0) / 4294967296);
          const messages = [];
          for (let i = 0; i < n; i++) {
            const node = nodes[Math.floor(next() * nodes.length)];
            // Half move the node to the critical band, half nudge its risk.
            const probability = i % 2 ? 0.75 + 0.2 * next() : 0.01 * next();
            messages.push(
              JSON.stringify({
                sequence: String(d.state.sequence + 1 + i),
                nodeRiskChanges: { riskType: 'supply', nodes: [{ nodeId: node.id, riskType: 'supply', observedState: 'NODE_STATE_SUSCEPTIBLE', probability, etaSteps: 3 }] },
              }),
            );
          }
          const t0 = performance.now();
          for (const data of messages) d.sync.source.onmessage({ data });
          return d
            .nextRender()
            .then(() => new Promise((res) => requestAnimationFrame(() => res())))
            .then(() => performance.now() - t0);
        },
        { n: UPDATES, seed: 1000 + round },
      ),
    );
  }
  line('dashboard_update_ms', median(updates), 'ms', { ...params, updates: UPDATES, rounds: UPDATE_ROUNDS, min: Math.min(...updates), max: Math.max(...updates) });
} finally {
  if (browser) await browser.close();
  if (daemon) await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
}
