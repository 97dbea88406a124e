// Talking to the server: REST (same origin; the token cookie travels by itself) and the live
// WebSocket, which reconnects with back-off and reports lost events.
//
// The page shows one workspace: the live traffic, or a capture uploaded with "Open capture"
// (#workspace=ID in the address). Every request names it, so the rest of the UI needs no change.

export const workspace = (() => {
  const w = new URLSearchParams(location.hash.slice(1)).get('workspace');
  return w && /^c\d+$/.test(w) ? w : '';
})();

export function wsPath(path) {
  if (!workspace) return path;
  return `${path}${path.includes('?') ? '&' : '?'}workspace=${workspace}`;
}

// Shows another workspace: the page starts over on it ('' is the live one).
export function switchWorkspace(id) {
  const url = new URL(location.href);
  url.hash = id ? `workspace=${id}` : '';
  location.replace(url.href);
  // A change of fragment alone is no navigation, so the page is reloaded on the new address;
  // leaving the fragment (back to Live) is a navigation already, which a reload would cut short.
  if (id) location.reload();
}

async function fetchOk(path, init = {}) {
  const r = await fetch(wsPath(path), { cache: 'no-store', credentials: 'same-origin', ...init });
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

// The workspaces the server holds (never scoped to one).
export async function listWorkspaces() {
  const r = await fetch('api/workspaces', { cache: 'no-store', credentials: 'same-origin' });
  if (!r.ok) throw new Error(`api/workspaces: ${r.status} ${r.statusText}`);
  return r.json();
}

export async function closeWorkspace(id) {
  const r = await fetch(`api/workspaces/${encodeURIComponent(id)}`, { method: 'DELETE', credentials: 'same-origin' });
  if (!r.ok && r.status !== 404) {
    let msg = `${r.status} ${r.statusText}`;
    try { msg = (await r.json()).error || msg; } catch (_) { /* not JSON */ }
    throw new Error(msg);
  }
}

// POST api/captures with the file as the body; onProgress(sent, total) while it goes, then the
// server analyses it. Resolves with the new workspace; rejects with the server's message.
export function uploadCapture(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `api/captures?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = ev => { if (ev.lengthComputable) onProgress(ev.loaded, ev.total); };
    xhr.upload.onload = () => onProgress(file.size, file.size);
    xhr.onload = () => {
      let v = null;
      try { v = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      if (xhr.status === 201 && v) resolve(v);
      else reject(new Error((v && v.error) || `upload failed: ${xhr.status} ${xhr.statusText}`));
    };
    xhr.onerror = () => reject(new Error('upload failed: the connection was closed'));
    xhr.send(file);
  });
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
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${workspace ? `?workspace=${workspace}` : ''}`;
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
