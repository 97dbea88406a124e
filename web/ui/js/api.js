// Talking to the server: REST (same origin; the token cookie travels by itself) and the live
// WebSocket, which reconnects with back-off and reports lost events.

async function fetchOk(path) {
  const r = await fetch(path, { cache: 'no-store', credentials: 'same-origin' });
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try { msg = (await r.json()).error || msg; } catch (_) { /* not JSON */ }
    throw new Error(`${path}: ${msg}`);
  }
  return r;
}

export async function getJson(path) {
  return (await fetchOk(path)).json();
}

// One page of /api/pdus: the server caps an answer's size and names where it goes on
// (X-Next-Before: older events; X-Next-After: newer ones, when after= was given).
export async function getPage(path) {
  const r = await fetchOk(path);
  return { list: await r.json(), nextBefore: r.headers.get('X-Next-Before'), nextAfter: r.headers.get('X-Next-After') };
}

export class Live {
  constructor({ onHello, onEvents, onState, onLagging }) {
    this.h = { onHello, onEvents, onState, onLagging };
    this.delay = 500;
    this.ws = null;
    this.timer = 0;
  }

  url() {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  }

  connect() {
    clearTimeout(this.timer);
    this.h.onState('connecting');
    let ws;
    try { ws = new WebSocket(this.url()); } catch (_) { this.retry(); return; }
    this.ws = ws;
    ws.onopen = () => { this.delay = 500; this.h.onState('live'); };
    ws.onmessage = m => this.message(m.data);
    ws.onclose = () => { if (this.ws === ws) { this.ws = null; this.h.onState('down'); this.retry(); } };
    ws.onerror = () => ws.close();
  }

  retry() {
    this.timer = setTimeout(() => this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, 8000);
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  message(text) {
    let v;
    try { v = JSON.parse(text); } catch (_) { return; }
    const list = Array.isArray(v) ? v : [v];
    const events = [];
    for (const e of list) {
      if (!e || typeof e !== 'object') continue;
      if (e.type === 'hello') this.h.onHello(e);
      else if (e.type === 'lagging') this.h.onLagging(e.dropped || 0);
      else if (e.type === 'error' || e.type === 'filter_applied') console.info('smppscope:', e);
      else events.push(e);
    }
    if (events.length) this.h.onEvents(events);
  }
}
