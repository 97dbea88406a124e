// Health at a glance: one row per session with its status (ok, warning = active alerts, closed),
// unanswered requests against the window, PDU rate and response latency over the last seconds.
// Sessions and alerts come from /api/sessions, rate and latency from the events this page holds
// (no request per session), the window from the diagnostics (a timeline summary or an alert).

import { el, clear, fmtLatency } from './format.js';
import { bindPickList } from './picklist.js';

export const RECENT_S = 10;
const LABEL = { ok: 'ok', warn: 'warning', closed: 'closed' };
const ORDER = { warn: 0, ok: 1, closed: 2 };

export function healthOf(s) {
  if (s.state === 'closed') return 'closed';
  return s.alerts && s.alerts.length ? 'warn' : 'ok';
}

// Per session, over the `spanUs` up to `nowUs`: {rate: PDUs/s both ways, p50, max: latency (µs)
// of the responses paired with their request}. Events are in id order, which follows time.
export function recentStats(events, nowUs, spanUs) {
  const acc = new Map();
  const from = nowUs - spanUs;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.ts_us < from) break;
    if (e.type !== 'pdu') continue;
    let s = acc.get(e.session);
    if (!s) acc.set(e.session, s = { pdus: 0, lat: [] });
    s.pdus++;
    if (e.req !== undefined && e.latency_us !== undefined) s.lat.push(e.latency_us);
  }
  const out = new Map();
  for (const [id, s] of acc) {
    s.lat.sort((a, b) => a - b);
    const n = s.lat.length;
    out.set(id, { rate: s.pdus / (spanUs / 1e6), p50: n ? s.lat[(n - 1) >> 1] : null, max: n ? s.lat[n - 1] : null });
  }
  return out;
}

const fmtRate = r => (r >= 100 ? String(Math.round(r)) : r >= 0.05 ? r.toFixed(1) : '0');

export class Health {
  constructor(root, summaryEl, { onPick }) {
    this.root = root;
    this.summaryEl = summaryEl;
    this.onPick = onPick;
    this.list = [];
    this.stats = new Map();
    this.window = null;
    this.active = null;
    this.focus = null;
    this.signature = '';
    bindPickList(root, '.hrow[data-id]', this);
  }

  update(list, stats, window) {
    this.list = [...list].sort((a, b) => (ORDER[healthOf(a)] - ORDER[healthOf(b)]) || b.id - a.id);
    this.stats = stats;
    if (window) this.window = window;
    this.render();
  }

  setActive(id) { this.active = id; this.render(); }

  // The session to show when none is chosen: the first live one, warnings first.
  first() { return this.list.find(s => s.state !== 'closed')?.id ?? null; }

  render() {
    const counts = { ok: 0, warn: 0, closed: 0 };
    const rows = this.list.map(s => {
      const status = healthOf(s);
      counts[status]++;
      return { s, status, st: this.stats.get(s.id) };
    });
    const signature = JSON.stringify([this.window, this.active, this.focus,
      rows.map(({ s, status, st }) => [s.id, s.system_id, status, s.alerts?.length, s.outstanding, st])]);
    if (signature === this.signature) return;
    this.signature = signature;

    clear(this.summaryEl);
    for (const k of ['ok', 'warn', 'closed']) {
      const c = el('span', `h-count ${k}`);
      c.appendChild(el('span', `dot ${k}`));
      c.appendChild(el('b', '', String(counts[k])));
      c.appendChild(document.createTextNode(` ${LABEL[k]}`));
      this.summaryEl.appendChild(c);
    }

    clear(this.root);
    const head = el('div', 'hrow hhead');
    for (const [t, title] of [['', ''], ['session', ''], ['open', 'Unanswered requests (the busier direction) against the window'],
      ['PDU/s', `PDUs per second, both directions, last ${RECENT_S} s`],
      ['p50', `Median response latency, last ${RECENT_S} s (hover a value for the slowest)`]]) {
      const c = el('span', t === 'open' || t === 'session' || !t ? '' : 'num', t);
      if (title) c.title = title;
      head.appendChild(c);
    }
    this.root.appendChild(head);
    if (!rows.length) {
      this.root.appendChild(el('div', 'none', 'No sessions yet.'));
      return;
    }
    for (const { s, status, st } of rows) this.root.appendChild(this.row(s, status, st));
  }

  row(s, status, st) {
    const r = el('div', `hrow ${status}`);
    r.dataset.id = String(s.id);
    r.dataset.status = status;
    r.setAttribute('role', 'option');
    r.setAttribute('aria-selected', s.id === this.active ? 'true' : 'false');
    if (s.id === this.active) r.classList.add('active');
    if (s.id === this.focus) r.classList.add('focus');
    const n = s.alerts?.length || 0;
    const dot = el('span', 'h-status');
    dot.appendChild(el('span', `dot ${status}`));
    if (n) dot.appendChild(el('span', 'h-alerts', String(n)));
    dot.title = status === 'warn'
      ? `warning: ${n} active alert${n > 1 ? 's' : ''}\n${s.alerts.map(a => `${a.kind}: ${a.message}`).join('\n')}`
      : status === 'closed' ? `closed${s.close_reason ? `: ${s.close_reason}` : ''}` : `ok: ${s.state}, no active alert`;
    r.appendChild(dot);
    const name = el('span', 'h-name');
    name.appendChild(el('span', 'h-id', `#${s.id}`));
    name.appendChild(el('span', 'h-sys', s.system_id || '(not bound)'));
    name.title = `${s.client} → ${s.upstream}, ${s.state}`;
    r.appendChild(name);

    const o = s.outstanding || {};
    const up = o.esme_to_smsc ?? 0, down = o.smsc_to_esme ?? 0, worst = Math.max(up, down);
    const open = el('span', 'h-open');
    if (this.window) {
      const meter = el('span', 'meter');
      const fill = el('span', 'fill');
      fill.style.width = `${Math.min(100, (worst / this.window) * 100)}%`;
      if (worst >= this.window) meter.classList.add('full');
      else if (worst >= this.window * 0.8) meter.classList.add('high');
      meter.appendChild(fill);
      open.appendChild(meter);
    }
    open.appendChild(el('span', 'num', this.window ? `${worst}/${this.window}` : String(worst)));
    open.title = `Unanswered requests: ESME → SMSC ${up}, SMSC → ESME ${down}` +
      (this.window ? ` (window ${this.window})` : ' (window not known yet)');
    r.appendChild(open);

    const live = status !== 'closed';
    r.appendChild(el('span', 'num', live ? fmtRate(st?.rate ?? 0) : '–'));
    const lat = el('span', 'num', st?.p50 != null ? fmtLatency(st.p50) : '–');
    if (st?.max != null) lat.title = `p50 ${fmtLatency(st.p50)}, slowest ${fmtLatency(st.max)} (last ${RECENT_S} s)`;
    r.appendChild(lat);
    return r;
  }
}
