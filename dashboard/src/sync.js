// Keeps a DashboardState in step with the daemon: the live stream
// (GET /api/events, server-sent events) is opened first, then the snapshot
// is read; publications that arrive meanwhile wait in a buffer and those
// newer than the snapshot are applied after it (the Clone pattern). A gap in
// the sequence, a `resync` event (the server dropped this page's backlog) or
// a reconnection after an error starts the same cycle again. The network
// (GET /api/network) is read at the start and whenever the snapshot's
// network version changes or a publication names a node the page lacks.

export class Sync {
  // api(path) -> Promise of parsed JSON; eventsUrl() -> the stream's URL.
  constructor(state, { api, eventsUrl, onStatus = () => {}, EventSourceImpl = globalThis.EventSource }) {
    this.state = state;
    this.api = api;
    this.eventsUrl = eventsUrl;
    this.onStatus = onStatus;
    this.EventSourceImpl = EventSourceImpl;
    this.buffer = null; // publications held while a snapshot is read
    this.resyncing = false;
    this.again = false;
    this.resyncs = 0;
    this.source = null;
    this.marks = {}; // performance.now() of the first sync's steps
  }

  mark(name) {
    if (!(name in this.marks)) this.marks[name] = performance.now();
  }

  start() {
    this.stop();
    this.onStatus('connecting');
    const source = new this.EventSourceImpl(this.eventsUrl());
    this.source = source;
    source.onopen = () => this.resync();
    source.onmessage = (e) => this.receive(JSON.parse(e.data));
    source.addEventListener('resync', () => this.resync());
    source.onerror = () => {
      // EventSource reconnects by itself (retry: 2000); onopen resyncs.
      if (this.source === source) this.onStatus('reconnecting');
    };
  }

  stop() {
    if (this.source) this.source.close();
    this.source = null;
  }

  receive(pub) {
    if (this.buffer) {
      this.buffer.push(pub);
      return;
    }
    this.apply(pub);
  }

  apply(pub) {
    const result = this.state.applyPublication(pub);
    if (result === 'gap') {
      this.resync();
      // Kept for after the snapshot, in case the snapshot predates it.
      if (this.buffer) this.buffer.push(pub);
      return false;
    }
    if (result === 'applied') {
      if (this.state.unknownNodes) this.refreshNetwork();
      this.state.changed();
    }
    return true;
  }

  async refreshNetwork() {
    if (this.networkInFlight) return;
    this.networkInFlight = true;
    try {
      this.state.setNetwork(await this.api('/api/network'));
    } finally {
      this.networkInFlight = false;
    }
  }

  async resync() {
    if (this.resyncing) {
      this.again = true;
      return;
    }
    this.resyncing = true;
    this.onStatus('syncing');
    try {
      do {
        this.again = false;
        this.buffer = [];
        this.resyncs++;
        const snapshot = await this.api('/api/snapshot');
        this.mark('snapshot');
        if (this.state.networkVersion === null || String(snapshot.networkVersion || '0') !== this.state.networkVersion) {
          const network = await this.api('/api/network');
          this.mark('network');
          this.state.setNetwork(network);
          this.mark('network_set');
        }
        this.state.applySnapshot(snapshot);
        this.mark('snapshot_applied');
        const held = this.buffer;
        this.buffer = null;
        for (const pub of held) {
          if (!this.apply(pub)) break; // a gap: apply() asked for another round
        }
      } while (this.again);
      this.onStatus('live');
    } catch (err) {
      this.buffer = null;
      this.onStatus('error', err);
      // Try again shortly; the stream keeps running.
      setTimeout(() => this.resync(), 2000);
    } finally {
      this.resyncing = false;
    }
  }
}
