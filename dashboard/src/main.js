// The dashboard page: signs in (optionally), keeps the state in step with
// the daemon (sync.js) and redraws the map, panels and timeline at most once
// per animation frame, from the state's dirty marks.

import './style.css';
import { Api, ApiError } from './api.js';
import { DashboardState, timeText } from './store.js';
import { Sync } from './sync.js';
import { MapView } from './map_view.js';
import { Panels } from './panels.js';
import { Timeline } from './timeline.js';
import { BAND_COLORS, BAND_LABELS } from './colors.js';
import { el } from './panels.js';

const api = new Api();
const state = new DashboardState();
const statusEl = document.getElementById('status');
const seqEl = document.getElementById('sequence');
const modelTimeEl = document.getElementById('model-time');
const whoEl = document.getElementById('who');
const noticeEl = document.getElementById('notice');
const signIn = document.getElementById('sign-in');
const signOut = document.getElementById('sign-out');

let session = null;
let renders = 0;
let firstRenderAt = null;
const renderWaiters = [];
let frame = 0;

function notice(text) {
  noticeEl.textContent = text;
  noticeEl.hidden = !text;
  clearTimeout(notice.timer);
  if (text) notice.timer = setTimeout(() => (noticeEl.hidden = true), 8000);
}

function setStatus(s, err) {
  statusEl.dataset.state = s;
  statusEl.textContent = s === 'error' ? `error: ${err && err.message}` : s;
  if (s === 'error' && err instanceof ApiError && err.status === 401) showSignIn('Sign in to read this dashboard.');
}

const map = new MapView(document.getElementById('map'), state, { onSelectNode: select });
const panels = new Panels(state, {
  session,
  api,
  onSelectNode: select,
  onShowPath: (path) => (path.length > 1 ? map.showCausePath(path) : map.clearCausePath()),
  onNotice: notice,
});
const timeline = new Timeline(document.getElementById('timeline'), state);
const sync = new Sync(state, { api: (p) => api.get(p), eventsUrl: () => api.eventsUrl(), onStatus: setStatus });

// The model clock in the bar: the moment the risks are about. Marked when it
// is not the wall clock (a manual clock: the demo's replay, a test).
function renderModelTime() {
  if (state.modelTime === null) {
    modelTimeEl.hidden = true;
    return;
  }
  const wall = state.modelClockIsWall(Date.now());
  modelTimeEl.hidden = false;
  modelTimeEl.dataset.clock = wall ? 'wall' : 'manual';
  modelTimeEl.dataset.modelTime = new Date(state.modelTime).toISOString();
  modelTimeEl.textContent = `model time ${timeText(state.modelTime, state.stepSeconds())}${wall ? '' : ' (manual clock)'}`;
}

function select(id) {
  panels.select(id);
  if (!id) map.clearCausePath();
  else map.focusNode(id);
}

let fitted = false;
function render() {
  frame = 0;
  const dirty = state.takeDirty();
  if (dirty.all && state.nodeList.length && !fitted) {
    map.fitNetwork();
    fitted = true;
  }
  const t0 = performance.now();
  map.update(dirty);
  const t1 = performance.now();
  panels.update(dirty);
  timeline.update(dirty);
  if (dirty.all || dirty.clock || dirty.summaries) renderModelTime();
  if (state.synced && firstRenderAt === null) {
    sync.marks.render_map_ms = t1 - t0;
    sync.marks.render_panels_ms = performance.now() - t1;
  }
  seqEl.textContent = `seq ${state.sequence} · journal ${state.journalSeq} · ${state.nodeList.length} nodes`;
  renders++;
  if (state.synced && firstRenderAt === null) firstRenderAt = performance.now();
  while (renderWaiters.length) renderWaiters.shift()();
}

state.subscribe(() => {
  if (!frame) frame = requestAnimationFrame(render);
});

function legend() {
  const items = Object.entries(BAND_LABELS).map(([band, label]) =>
    el('span', { class: 'legend-item' }, el('span', { class: 'swatch', style: `background:${BAND_COLORS[band]}` }), label),
  );
  document.getElementById('legend').replaceChildren(...items);
}

function showSignIn(message) {
  document.getElementById('sign-in-message').textContent = message || '';
  signIn.hidden = false;
}

async function loadSession() {
  try {
    session = await api.get('/api/session');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      if (api.token) {
        api.token = '';
        showSignIn('That token was not accepted.');
      } else {
        showSignIn('This dashboard needs a token to read.');
      }
      return false;
    }
    throw err;
  }
  whoEl.textContent = session.anonymous ? 'viewer (not signed in)' : `${session.name} (${session.role})`;
  whoEl.dataset.role = session.role;
  signOut.hidden = session.anonymous;
  document.getElementById('open-sign-in').hidden = !session.anonymous || !session.signIn;
  panels.setSession(session);
  return true;
}

signIn.addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = document.getElementById('token');
  api.token = input.value.trim();
  input.value = '';
  if (await loadSession()) {
    signIn.hidden = true;
    sync.start();
  }
});
document.getElementById('open-sign-in').addEventListener('click', () => showSignIn(''));
document.getElementById('cancel-sign-in').addEventListener('click', () => (signIn.hidden = true));
signOut.addEventListener('click', async () => {
  api.token = '';
  if (await loadSession()) sync.start();
  else sync.stop();
});

// For tests and the benchmark (docs/dashboard.md): read-only views of what
// the page shows, and a way to wait for the next drawn frame.
window.riskdDashboard = {
  state,
  map,
  timeline,
  sync,
  api,
  get session() {
    return session;
  },
  get renders() {
    return renders;
  },
  get firstRenderAt() {
    return firstRenderAt;
  },
  nextRender: () => new Promise((resolve) => renderWaiters.push(resolve)),
  select,
};

legend();
loadSession().then((ok) => ok && sync.start());
