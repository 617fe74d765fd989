// Talking to the daemon: JSON requests with the signed-in user's bearer
// token (kept in sessionStorage, so it lasts as long as the tab), and the
// URL of the live stream (browsers open EventSource without headers, so the
// token goes in ?access_token=).

const TOKEN_KEY = 'riskd.dashboard.token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export class Api {
  constructor(base = '') {
    this.base = base;
  }

  get token() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }

  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  }

  async request(path, { method = 'GET', body } = {}) {
    const headers = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!res.ok && !(res.status === 422 && data)) {
      throw new ApiError(res.status, (data && data.error) || `${res.status} ${res.statusText}`);
    }
    return data;
  }

  get(path) {
    return this.request(path);
  }

  // Sends an action (a riskd.v1.Envelope in JSON) and returns the daemon's
  // Ack; a rejected action comes back as an Ack with result RESULT_REJECTED.
  act(envelope) {
    const id = globalThis.crypto && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    return this.request('/api/actions', { method: 'POST', body: { eventId: `dashboard-${id}`, ...envelope } });
  }

  eventsUrl() {
    const t = this.token;
    return `${this.base}/api/events${t ? `?access_token=${encodeURIComponent(t)}` : ''}`;
  }
}
