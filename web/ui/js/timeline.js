// One session's timeline (GET /api/sessions/ID/timeline: one sample per second, alert marks, a
// summary) as an inline SVG over the last minutes. Two panels share the time axis: unanswered
// requests per direction against the window (dashed line), and response latency p50 / max on a
// log scale; between them a lane of enquire_link marks; alert raises and clears are vertical
// lines through both. Colours come from style.css classes, so both themes apply without a
// redraw. The first fetch takes everything, the next ones only the seconds since the last.

import { el, clear, fmtClock, fmtLatency, fmtCount } from './format.js';
import { getJson } from './api.js';

const NS = 'http://www.w3.org/2000/svg';
const KEEP = 900;                 // samples kept here (the server keeps 600 s by default)
const SPANS = [60, 300, 600];
const DIRS = ['esme_to_smsc', 'smsc_to_esme'];
const DIR_CLASS = ['up', 'down'];
const ARROW = ['ESME → SMSC', 'SMSC → ESME'];
const HEIGHT = 176;
const M = { l: 48, r: 12, t: 8, b: 18 };
const LANE = 14;                  // enquire_link lane between the panels
const GAP = 6;

function svg(tag, cls, attrs = {}) {
  const n = document.createElementNS(NS, tag);
  if (cls) n.setAttribute('class', cls);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}

function text(x, y, s, cls, anchor = 'start') {
  const t = svg('text', cls, { x, y, 'text-anchor': anchor });
  t.textContent = s;
  return t;
}

// "1 ms" for the latency axis: decades only.
function decadeLabel(us) {
  if (us >= 1e6) return `${us / 1e6} s`;
  if (us >= 1e3) return `${us / 1e3} ms`;
  return `${us} µs`;
}

export class Timeline {
  // onSummary(summary): each fetched summary (the app takes the window from it).
  constructor(root, { onSummary }) {
    this.root = root;
    this.onSummary = onSummary;
    this.session = null;
    this.label = '';
    this.span = 300;
    this.samples = [];
    this.marks = [];
    this.summary = null;
    this.error = '';
    this.busy = false;
    this.retryAt = 0;
    this.disabled = false;  // the server has no timelines (no diagnostics): stop asking
    this.hoverT = null;

    const head = el('div', 'tl-head');
    this.title = el('span', 'tl-title', 'Timeline');
    const legend = el('span', 'tl-legend');
    const key = (cls, label, title) => {
      const k = el('span', 'tl-key');
      k.appendChild(el('span', `sw ${cls}`));
      k.appendChild(document.createTextNode(label));
      if (title) k.title = title;
      legend.appendChild(k);
    };
    key('up', 'ESME → SMSC', 'Requests sent by the ESME (submit_sm, enquire_link, …) and their responses');
    key('down', 'SMSC → ESME', 'Requests sent by the SMSC (deliver_sm, enquire_link, …) and their responses');
    key('window', 'window', 'The configured window (--window): more unanswered requests than this means a full window');
    key('max', 'max', 'Latency: solid p50, dotted the slowest response in each second');
    key('raise', 'alert', 'Alert raised (hover the line for the message)');
    key('clear', 'cleared', 'Alert cleared');
    const spans = el('span', 'tl-spans');
    spans.setAttribute('role', 'group');
    spans.setAttribute('aria-label', 'Time span');
    this.spanButtons = SPANS.map(s => {
      const b = el('button', 'btn small', s < 60 ? `${s} s` : `${s / 60} min`);
      b.type = 'button';
      b.dataset.span = String(s);
      b.title = `Show the last ${b.textContent}`;
      b.addEventListener('click', () => { this.span = s; this.render(); });
      spans.appendChild(b);
      return b;
    });
    head.append(this.title, spans);
    this.chart = el('div', 'tl-chart');
    this.readout = el('div', 'tl-readout');
    this.readout.hidden = true;
    this.info = el('div', 'tl-summary');
    root.append(head, legend, this.chart, this.info);
    this.chart.addEventListener('pointermove', ev => this.hover(ev));
    this.chart.addEventListener('pointerleave', () => { this.hoverT = null; this.renderReadout(); this.moveGuide(); });
    new ResizeObserver(() => { if (this.chart.clientWidth !== this.width) this.render(); }).observe(this.chart);
    this.render();
  }

  setSession(id, label = '') {
    if (id === this.session) {
      if (label !== this.label) { this.label = label; this.renderTitle(); }
      return;
    }
    this.session = id;
    this.label = label;
    this.samples = [];
    this.marks = [];
    this.summary = null;
    this.error = this.disabled ? this.error : '';
    this.retryAt = 0;
    this.hoverT = null;
    this.render();
    this.poll();
  }

  async poll() {
    if (this.session === null || this.busy || this.disabled || performance.now() < this.retryAt) return;
    const id = this.session;
    const last = this.samples.length ? this.samples[this.samples.length - 1].t : 0;
    this.busy = true;
    let j = null, error = '';
    try {
      j = await getJson(`api/sessions/${id}/timeline${last ? `?since=${last}` : ''}`);
    } catch (err) {
      error = String(err.message || err).replace(/^[^:]*timeline: /, '');
    }
    this.busy = false;
    if (id !== this.session) { this.poll(); return; }  // switched meanwhile: start on the new one
    if (j) {
      this.merge(j);
      this.error = '';
      if (j.summary) this.onSummary(j.summary);
    } else {
      // 404: unknown session or no diagnostics; not worth asking every second.
      this.error = `No timeline: ${error}`;
      this.retryAt = performance.now() + 10000;
      if (/not enabled/.test(error)) this.disabled = true;
    }
    this.render();
  }

  merge(j) {
    const fresh = Array.isArray(j.samples) ? j.samples : [];
    if (fresh.length) {
      const from = fresh[0].t;
      let keep = this.samples.length;
      while (keep > 0 && this.samples[keep - 1].t >= from) keep--;
      this.samples = this.samples.slice(Math.max(0, keep + fresh.length - KEEP), keep).concat(fresh);
    }
    this.marks = Array.isArray(j.alerts) ? j.alerts : [];
    this.summary = j.summary && typeof j.summary === 'object' ? j.summary : null;
  }

  window() { return Number(this.summary?.window) || 0; }

  renderTitle() {
    clear(this.title);
    this.title.appendChild(el('b', '', 'Timeline'));
    if (this.session !== null) this.title.appendChild(document.createTextNode(` session #${this.session}${this.label ? ` ${this.label}` : ''}`));
  }

  render() {
    this.renderTitle();
    for (const b of this.spanButtons) b.setAttribute('aria-pressed', String(Number(b.dataset.span) === this.span));
    clear(this.chart);
    this.guide = null;
    this.width = this.chart.clientWidth;
    const note = msg => { this.chart.appendChild(el('div', 'tl-empty', msg)); this.renderReadout(); this.renderSummary(); };
    if (this.session === null) return note('Pick a session (Health or Sessions) to see its timeline.');
    if (this.error) return note(this.error);
    if (!this.samples.length) return note(this.summary ? 'No samples yet.' : 'Loading…');
    if (this.width < 120) return note('');
    this.draw();
    this.chart.appendChild(this.readout);
    this.renderReadout();
    this.renderSummary();
  }

  draw() {
    const W = this.width, H = HEIGHT;
    const pw = W - M.l - M.r;
    const inner = H - M.t - M.b - LANE - 2 * GAP;
    const hA = Math.round(inner * 0.56), hB = inner - hA;
    const yA0 = M.t, yA1 = yA0 + hA;            // outstanding panel
    const yL0 = yA1 + GAP, yL1 = yL0 + LANE;    // enquire_link lane
    const yB0 = yL1 + GAP, yB1 = yB0 + hB;      // latency panel
    // A session younger than the span fills the width (a minute at least).
    const end = this.samples[this.samples.length - 1].t + 1;
    const span = Math.min(this.span, Math.max(60, end - this.samples[0].t));
    const start = end - span;
    const x = t => M.l + ((t - start) / span) * pw;
    this.scale = { start, end, span, x, pw };
    const shown = this.samples.filter(s => s.t >= start);
    const win = this.window();

    const root = svg('svg', 'tl-svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img' });
    root.setAttribute('aria-label', `Timeline of session #${this.session}: unanswered requests against the window ${win || 'unknown'}, latency, enquire_links and alerts over the last ${span} s`);

    // Time axis: a tick every step seconds, about one per 90 px.
    const steps = [5, 10, 15, 30, 60, 120, 300, 600];
    const step = steps.find(s => (span / s) <= Math.max(2, pw / 90)) ?? 600;
    const grid = svg('g', 'tl-grid');
    const axis = svg('g', 'tl-axis');
    for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
      const xx = x(t);
      grid.appendChild(svg('line', '', { x1: xx, x2: xx, y1: yA0, y2: yB1 }));
      axis.appendChild(text(xx, H - 5, fmtClock(t, step < 60), '', 'middle'));
    }

    // Panel A: unanswered requests per direction; the window as a dashed line.
    let maxOut = 0;
    for (const s of shown) maxOut = Math.max(maxOut, s.outstanding?.[0] ?? 0, s.outstanding?.[1] ?? 0);
    const topA = Math.max(1, Math.ceil(Math.max(maxOut, win) * 1.35));  // room for the labels above the window
    const yA = v => yA1 - (v / topA) * hA;
    grid.appendChild(svg('line', 'base', { x1: M.l, x2: M.l + pw, y1: yA1, y2: yA1 }));
    axis.appendChild(text(M.l - 6, yA1, '0', '', 'end'));
    if (!win || yA(win) - yA0 > 12) axis.appendChild(text(M.l - 6, yA0 + 8, String(topA), '', 'end'));
    axis.appendChild(text(M.l + 4, yA0 + 9, 'unanswered requests', 'tl-panel'));
    root.append(grid);
    for (let d = 1; d >= 0; d--) {
      const path = stepPath(shown, s => s.outstanding?.[d] ?? 0, x, yA);
      if (!path) continue;
      if (d === 0) root.appendChild(svg('path', `tl-area ${DIR_CLASS[d]}`, { d: `${path} V ${yA1} H ${x(shown[0].t)} Z` }));
      root.appendChild(svg('path', `tl-line tl-out ${DIR_CLASS[d]}`, { d: path, 'data-dir': DIRS[d] }));
    }
    if (win) {
      const yw = yA(win);
      root.appendChild(svg('line', 'tl-window', { x1: M.l, x2: M.l + pw, y1: yw, y2: yw, 'data-window': win }));
      root.appendChild(text(M.l + pw - 2, yw - 3, `window ${win}`, 'tl-window-label', 'end'));
      axis.appendChild(text(M.l - 6, yw + 3, String(win), 'tl-window-label', 'end'));
    }

    // The enquire_link lane: ▲ sent by the ESME, ▼ by the SMSC.
    axis.appendChild(text(M.l - 6, yL0 + 9, 'enq', 'tl-lane', 'end'));
    const lane = svg('g', 'tl-enquire');
    for (const s of shown) {
      for (let d = 0; d < 2; d++) {
        const n = s.enquire_links?.[d] ?? 0;
        if (!n) continue;
        const cx = x(s.t + 0.5), cy = d === 0 ? yL0 + 3 : yL1 - 3;
        const tri = svg('path', `tl-mark ${DIR_CLASS[d]}`, {
          d: d === 0 ? `M ${cx - 3.5} ${cy + 3} L ${cx + 3.5} ${cy + 3} L ${cx} ${cy - 3.5} Z` : `M ${cx - 3.5} ${cy - 3} L ${cx + 3.5} ${cy - 3} L ${cx} ${cy + 3.5} Z`,
        });
        tri.appendChild(svg('title')).textContent = `${fmtClock(s.t, true)} enquire_link ${ARROW[d]}${n > 1 ? ` ×${n}` : ''}`;
        lane.appendChild(tri);
      }
    }
    root.appendChild(lane);

    // Panel B: latency on a log scale, whole decades.
    let lo = Infinity, hi = 0;
    for (const s of shown) {
      for (let d = 0; d < 2; d++) {
        const p = s.latency_p50_us?.[d] ?? 0, m = s.latency_max_us?.[d] ?? 0;
        if (p > 0) lo = Math.min(lo, p);
        if (m > 0) hi = Math.max(hi, m);
        if (p > 0) hi = Math.max(hi, p);
      }
    }
    grid.appendChild(svg('line', 'base', { x1: M.l, x2: M.l + pw, y1: yB1, y2: yB1 }));
    axis.appendChild(text(M.l + 4, yB0 + 9, 'latency p50 / max', 'tl-panel'));
    if (hi > 0) {
      let dLo = Math.floor(Math.log10(lo)), dHi = Math.ceil(Math.log10(hi));
      if (dHi - dLo < 2) dLo = dHi - 2;
      dLo = Math.max(0, dLo);
      const yB = v => yB1 - ((Math.log10(v) - dLo) / (dHi - dLo)) * hB;
      const every = Math.max(1, Math.ceil(13 / (hB / (dHi - dLo))));  // decades between labels
      for (let k = dHi; k >= dLo; k--) {
        const yy = yB(10 ** k);
        if (k > dLo) grid.appendChild(svg('line', '', { x1: M.l, x2: M.l + pw, y1: yy, y2: yy }));
        if ((dHi - k) % every === 0) axis.appendChild(text(M.l - 6, yy + 3, decadeLabel(10 ** k), '', 'end'));
      }
      for (let d = 1; d >= 0; d--) {
        const pMax = gapPath(shown, s => s.latency_max_us?.[d] ?? 0, x, yB);
        if (pMax) root.appendChild(svg('path', `tl-line tl-lat max ${DIR_CLASS[d]}`, { d: pMax }));
        const p50 = gapPath(shown, s => s.latency_p50_us?.[d] ?? 0, x, yB);
        if (p50) root.appendChild(svg('path', `tl-line tl-lat ${DIR_CLASS[d]}`, { d: p50 }));
      }
    } else {
      root.appendChild(text(M.l + pw / 2, (yB0 + yB1) / 2 + 4, 'no responses in this period', 'tl-none', 'middle'));
    }

    // Alert raises and clears through both panels, newest on top.
    const alerts = svg('g', 'tl-alerts');
    for (const a of this.marks) {
      const t = a.ts_us / 1e6;
      if (t < start || t > end + 2) continue;  // the current second has no sample yet
      const xx = Math.min(x(t), M.l + pw);
      const raised = a.state === 'raised';
      const g = svg('g', `tl-alert ${raised ? 'raise' : 'clear'}`, { 'data-kind': a.kind });
      g.appendChild(svg('title')).textContent = `${fmtClock(Math.floor(t), true)} ${a.kind} ${raised ? 'raised' : 'cleared'}${a.message ? `: ${a.message}` : ''}`;
      g.appendChild(svg('line', 'hit', { x1: xx, x2: xx, y1: yA0, y2: yB1 }));
      g.appendChild(svg('line', 'rule', { x1: xx, x2: xx, y1: yA0, y2: yB1 }));
      g.appendChild(raised
        ? svg('path', 'flag', { d: `M ${xx - 4} ${yA0} L ${xx + 4} ${yA0} L ${xx} ${yA0 + 6} Z` })
        : svg('circle', 'flag', { cx: xx, cy: yA0 + 2.5, r: 2.5 }));
      alerts.appendChild(g);
    }
    root.appendChild(alerts);
    root.appendChild(axis);
    this.guide = svg('line', 'tl-guide', { x1: 0, x2: 0, y1: yA0, y2: yB1, visibility: 'hidden' });
    root.appendChild(this.guide);
    this.chart.appendChild(root);
    this.moveGuide();
  }

  hover(ev) {
    if (!this.scale || !this.samples.length) return;
    const r = this.chart.getBoundingClientRect();
    const { start, span, pw } = this.scale;
    const fx = (ev.clientX - r.left - M.l) / pw;
    this.hoverT = fx < 0 || fx > 1 ? null : Math.floor(start + fx * span);
    this.renderReadout();
    this.moveGuide();
  }

  moveGuide() {
    if (!this.guide) return;
    if (this.hoverT === null) { this.guide.setAttribute('visibility', 'hidden'); return; }
    const xx = this.scale.x(this.hoverT + 0.5);
    this.guide.setAttribute('x1', xx);
    this.guide.setAttribute('x2', xx);
    this.guide.setAttribute('visibility', 'visible');
  }

  // A box next to the pointer with the values of the second under it.
  renderReadout() {
    clear(this.readout);
    const s = this.hoverT !== null && !this.error ? this.samples.find(x => x.t === this.hoverT) : null;
    this.readout.hidden = !s;
    if (!s) return;
    this.readout.appendChild(el('div', 'tl-at', fmtClock(s.t, true)));
    const grid = el('div', 'tl-rgrid');
    const win = this.window();
    for (const h of ['', 'open', 'PDUs', 'p50', 'max']) grid.appendChild(el('span', 'h', h));
    for (let d = 0; d < 2; d++) {
      grid.appendChild(el('span', DIR_CLASS[d], ARROW[d]));
      grid.appendChild(el('b', '', `${s.outstanding?.[d] ?? 0}${win ? `/${win}` : ''}`));
      grid.appendChild(el('b', '', fmtCount(s.pdus?.[d] ?? 0)));
      grid.appendChild(el('b', '', s.latency_p50_us?.[d] ? fmtLatency(s.latency_p50_us[d]) : '–'));
      grid.appendChild(el('b', '', s.latency_max_us?.[d] ? fmtLatency(s.latency_max_us[d]) : '–'));
    }
    this.readout.appendChild(grid);
    const extra = [];
    for (let d = 0; d < 2; d++) {
      if (s.errors?.[d]) extra.push(`${fmtCount(s.errors[d])} error responses ${ARROW[d]}`);
      if (s.throttled?.[d]) extra.push(`${fmtCount(s.throttled[d])} throttled ${ARROW[d]}`);
      if (s.enquire_links?.[d]) extra.push(`enquire_link ${ARROW[d]}`);
    }
    for (const a of this.marks) {
      if (Math.floor(a.ts_us / 1e6) === s.t) extra.push(`${a.kind} ${a.state}`);
    }
    for (const x of extra) this.readout.appendChild(el('div', 'tl-rx', x));
    // Beside the guide line, on the side with room.
    const gx = this.scale.x(s.t + 0.5);
    const left = gx + 12 + 230 > this.width ? gx - 12 - this.readout.offsetWidth : gx + 12;
    this.readout.style.left = `${Math.max(0, left)}px`;
  }

  renderSummary() {
    clear(this.info);
    const j = this.summary;
    if (!j || this.error) return;
    for (let d = 0; d < 2; d++) {
      const s = j[DIRS[d]];
      if (!s || !s.requests) continue;
      const row = el('div', 'tl-srow');
      row.appendChild(el('span', `tl-dir ${DIR_CLASS[d]}`, ARROW[d]));
      const parts = [];
      const item = (label, value, warn) => {
        const p = el('span', warn ? 'warn' : '', `${label} `);
        p.appendChild(el('b', '', value));
        row.appendChild(p);
        parts.push(`${label} ${value}`);
      };
      item('requests', fmtCount(s.requests));
      item('peak open', `${fmtCount(s.high_water)}${j.window ? `/${j.window}` : ''}`, j.window && s.high_water >= j.window);
      if (s.timeouts) item('timeouts', fmtCount(s.timeouts), true);
      if (s.late) item('late', fmtCount(s.late), true);
      if (s.unmatched) item('unmatched', fmtCount(s.unmatched), true);
      if (s.throttled) item('throttled', fmtCount(s.throttled), true);
      if (s.time_at_window_s) item('at window', `${s.time_at_window_s.toFixed(1)} s`, true);
      const l = s.latency_us;
      if (l && l.count) item('p50/p99/max', `${fmtLatency(l.p50)} / ${fmtLatency(l.p99)} / ${fmtLatency(l.max)}`);
      const e = s.enquire_link;
      if (e && e.count && e.rtt_us >= 0) item('enquire_link rtt', fmtLatency(e.rtt_us));
      row.title = `${ARROW[d]} since the session started: ${parts.join(', ')}`;
      this.info.appendChild(row);
    }
  }
}

// A step line: each sample holds its value over its second.
function stepPath(samples, value, x, y) {
  if (!samples.length) return '';
  let d = '', prevT = null;
  for (const s of samples) {
    const yy = y(value(s)).toFixed(1);
    if (prevT === null || s.t !== prevT + 1) d += `${d ? ' ' : ''}M ${x(s.t).toFixed(1)} ${yy}`;
    else d += ` V ${yy}`;
    d += ` H ${x(s.t + 1).toFixed(1)}`;
    prevT = s.t;
  }
  return d;
}

// Like stepPath, broken where a second has no value (no response then).
function gapPath(samples, value, x, y) {
  let d = '', prevT = null;
  for (const s of samples) {
    const v = value(s);
    if (!(v > 0)) { prevT = null; continue; }
    const yy = y(v).toFixed(1);
    if (prevT === null || s.t !== prevT + 1) d += `${d ? ' ' : ''}M ${x(s.t).toFixed(1)} ${yy}`;
    else d += ` V ${yy}`;
    d += ` H ${x(s.t + 1).toFixed(1)}`;
    prevT = s.t;
  }
  return d;
}
