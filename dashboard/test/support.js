// Test and benchmark support: a real riskd (child process, fresh temporary
// state directory, ipc:// endpoints inside it, the dashboard on a port the
// kernel picks), riskctl to send events through the real ingest, and
// Debian's chromium driven by playwright-core (never a downloaded browser).
//
// Binaries come from the environment CTest sets: RISKD_BINARY,
// RISKCTL_BINARY; RISKD_SOURCE_DIR is the source tree.

import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const sourceDir = process.env.RISKD_SOURCE_DIR || new URL('../..', import.meta.url).pathname;

export function requireEnv(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through CTest)`);
  return v;
}

export const sha256 = (text) => createHash('sha256').update(text).digest('hex');

// Starts riskd with `configBody` appended to the generated state_dir,
// endpoints and dashboard keys; resolves once it printed its ready line.
export async function startDaemon(configBody, { dashboard = 'listen: "127.0.0.1:0"', timeoutMs = 120000 } = {}) {
  // Short: ipc:// paths are limited to ~107 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'rkd'));
  const ingest = `ipc://${dir}/i.sock`;
  const config = join(dir, 'riskd.conf');
  writeFileSync(
    config,
    `state_dir: "${dir}/state"\nendpoints { ingest: "${ingest}" publish: "ipc://${dir}/p.sock" }\n` +
      `dashboard { ${dashboard} }\n${configBody}\n`,
  );
  const logPath = join(dir, 'riskd.log');
  const child = spawn(requireEnv('RISKD_BINARY'), ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (d) => {
    log += d.toString();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`riskd did not start:\n${log}`)), timeoutMs);
    const check = () => {
      const m = log.match(/riskd ready: .* dashboard (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`riskd exited (${code}) during start-up:\n${log}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    url,
    ingest,
    dir,
    log: () => log,
    // riskctl send: one Envelope (JSON) per line; returns riskctl's output.
    send(envelopes) {
      const file = join(dir, `events-${Date.now()}-${Math.random().toString(16).slice(2)}.jsonl`);
      writeFileSync(file, envelopes.map((e) => JSON.stringify(e)).join('\n') + '\n');
      return execFileSync(requireEnv('RISKCTL_BINARY'), ['send', '--endpoint', ingest, '--file', file]).toString();
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      writeFileSync(logPath, log);
      // The directory goes; a daemon that did not stop cleanly (a sanitizer
      // report, a crash) leaves its log in the test's output.
      if (child.exitCode !== 0) process.stderr.write(`riskd exited ${child.exitCode}; its log:\n${log}\n`);
      rmSync(dir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

// Debian's chromium, headless, with a fresh profile directory.
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'riskd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.RISKD_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Opens the dashboard in a new tab and waits until it has drawn the synced
// state. Page errors fail the test.
export async function openDashboard(browser, url, errors) {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.riskdDashboard && window.riskdDashboard.firstRenderAt !== null, null, {
    timeout: 30000,
  });
  return page;
}

// The colour drawn on the node canvas at a node's mark, as [r, g, b, a].
export function nodePixel(page, id) {
  return page.evaluate((nodeId) => {
    const d = window.riskdDashboard;
    const p = d.map.nodePoint(nodeId);
    const canvas = document.querySelector('canvas.riskd-nodes');
    const ratio = window.devicePixelRatio || 1;
    const px = canvas.getContext('2d').getImageData(Math.round(p.x * ratio), Math.round(p.y * ratio), 1, 1).data;
    return [...px];
  }, id);
}

// The digests (DashboardState.digest) of two pages once they agree: each
// may still be taking the last publication (a plan on its way), so this
// polls up to 10 s and returns both, equal or not, for the test to compare.
export async function digestsOnceEqual(a, b) {
  const digest = (page) => page.evaluate(() => window.riskdDashboard.state.digest());
  let da;
  let db;
  for (let i = 0; i < 100; i++) {
    [da, db] = [await digest(a), await digest(b)];
    if (JSON.stringify(da) === JSON.stringify(db)) break;
    await a.waitForTimeout(100);
  }
  return [da, db];
}

export const isRed = ([r, g, b, a]) => a > 200 && r > 150 && g < 80 && b < 80;

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}
