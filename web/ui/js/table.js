// The live PDU table, virtualised: only the rows in view (plus a margin) exist in the DOM, so a
// hundred thousand events scroll as smoothly as ten. Rows are recycled, never re-created.

import { el, fmtTime, fmtLatency, isResponse } from './format.js';
import { isError } from './store.js';
import { isCmpp, protocolLabel, cmppAddresses } from './cmpp.js';

const OVERSCAN = 8;

export class Table {
  constructor(root, store, { onSelect, statusName }) {
    this.root = root;
    this.store = store;
    this.scroll = root.querySelector('#tscroll');
    this.spacer = root.querySelector('#tspacer');
    this.rows = root.querySelector('#trows');
    this.empty = root.querySelector('#empty');
    this.followBtn = root.querySelector('#btn-follow');
    this.onSelect = onSelect;
    this.statusName = statusName;
    this.rowH = parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--row-h')) || 26;
    this.count = 0;         // rows shown (frozen while paused)
    this.selected = null;   // event id
    this.follow = true;     // stick to the newest row
    this.pool = [];
    this.pending = false;
    this.scroll.addEventListener('scroll', () => {
      const atBottom = this.scroll.scrollTop + this.scroll.clientHeight >= this.scroll.scrollHeight - this.rowH;
      this.follow = atBottom;
      this.followBtn.hidden = atBottom || this.count === 0;
      this.schedule();
    }, { passive: true });
    this.rows.addEventListener('click', ev => {
      const row = ev.target.closest('.trow');
      if (!row || row.dataset.id === undefined) return;
      const link = ev.target.closest('[data-jump]');
      if (link) this.select(Number(link.dataset.jump), true);
      else this.select(Number(row.dataset.id), false);
    });
    this.followBtn.addEventListener('click', () => this.toBottom());
    new ResizeObserver(() => this.schedule()).observe(this.scroll);
  }

  setCount(n) {
    this.count = n;
    this.spacer.style.height = `${n * this.rowH}px`;
    this.root.setAttribute('aria-rowcount', String(n));
    this.empty.hidden = n > 0;
    if (this.follow) this.scroll.scrollTop = this.scroll.scrollHeight;
    this.schedule();
  }

  toBottom() {
    this.follow = true;
    this.scroll.scrollTop = this.scroll.scrollHeight;
    this.followBtn.hidden = true;
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.render(); });
  }

  render() {
    const view = this.store.view;
    const n = Math.min(this.count, view.length);
    const top = this.scroll.scrollTop;
    const first = Math.max(0, Math.floor(top / this.rowH) - OVERSCAN);
    const visible = Math.ceil(this.scroll.clientHeight / this.rowH) + 2 * OVERSCAN;
    const last = Math.min(n, first + visible);
    while (this.pool.length < last - first) {
      const r = this.makeRow();
      this.pool.push(r);
      this.rows.appendChild(r.node);
    }
    this.rows.style.transform = `translateY(${first * this.rowH}px)`;
    const sel = this.selected !== null ? this.store.byId.get(this.selected) : null;
    const partner = sel ? (sel.resp ?? sel.req ?? null) : null;
    for (let i = 0; i < this.pool.length; i++) {
      const r = this.pool[i];
      const idx = first + i;
      if (idx >= last) { r.node.hidden = true; r.id = -1; continue; }
      r.node.hidden = false;
      const e = view[idx];
      if (r.id !== e.id || r.stamp !== (e.resp ?? 0)) this.fill(r, e);
      r.node.classList.toggle('sel', e.id === this.selected);
      r.node.classList.toggle('pair', e.id === partner);
      r.node.setAttribute('aria-rowindex', String(idx + 1));
      r.node.setAttribute('aria-selected', e.id === this.selected ? 'true' : 'false');
    }
  }

  makeRow() {
    const node = el('div', 'row trow');
    node.setAttribute('role', 'row');
    const cells = {};
    for (const c of ['id', 'time', 'sess', 'dir', 'cmd', 'seq', 'status', 'addr', 'text', 'lat']) {
      const s = el('span', `c-${c}`);
      s.setAttribute('role', 'gridcell');
      if (c === 'seq' || c === 'lat' || c === 'sess') s.classList.add('num');
      node.appendChild(s);
      cells[c] = s;
    }
    return { node, cells, id: -1, stamp: 0 };
  }

  fill(r, e) {
    const c = r.cells;
    r.id = e.id;
    r.stamp = e.resp ?? 0;
    r.node.dataset.id = String(e.id);
    c.id.textContent = e.id;
    c.time.textContent = fmtTime(e.ts_us);
    c.sess.textContent = e.session ?? '';
    const up = e.direction === 'esme_to_smsc';
    c.dir.textContent = e.direction ? (up ? '→' : '←') : '';
    c.dir.className = `c-dir ${e.direction ? (up ? 'up' : 'down') : ''}`;
    c.dir.title = e.direction ? (up ? 'ESME → SMSC' : 'SMSC → ESME') : '';
    r.node.classList.remove('event', 'alert-row', 'error');
    c.lat.textContent = '';
    delete c.lat.dataset.jump;
    c.lat.className = 'c-lat num';
    if (e.type !== 'pdu') {
      r.node.classList.add('event');
      if (e.type === 'alert' || e.type === 'malformed' || e.type === 'upstream_failure') r.node.classList.add('alert-row');
      c.cmd.textContent = e.type.replace('_', ' ');
      c.cmd.className = 'c-cmd';
      c.seq.textContent = '';
      c.status.textContent = e.kind ?? '';
      c.status.className = '';
      c.addr.textContent = e.client ? `${e.client} → ${e.upstream ?? ''}` : '';
      c.text.textContent = e.message ?? e.reason ?? e.error ?? '';
      c.text.title = c.text.textContent;
      return;
    }
    const resp = isResponse(e.command_id >>> 0);
    c.cmd.textContent = e.command;
    c.cmd.className = `c-cmd${resp ? ' resp' : ''}`;
    if (isCmpp(e)) {  // both protocols share the table: CMPP rows carry a badge
      const b = el('span', 'proto', protocolLabel(e));
      b.title = 'CMPP (China Mobile Peer to Peer)';
      c.cmd.prepend(b);
    }
    c.seq.textContent = e.sequence_number;
    const err = isError(e);
    if (err) r.node.classList.add('error');
    c.status.textContent = e.error ? 'malformed' : (resp || e.command_status ? (e.status_name || this.statusName(e.command_status)) : '');
    c.status.className = err ? 'st-err' : 'st-ok';
    c.status.title = e.error ?? '';
    const f = e.fields || {};
    const src = f.source_addr ?? f.esme_addr ?? '', dst = f.destination_addr ?? (f.number_of_dests !== undefined ? `${f.number_of_dests} dests` : '');
    c.addr.textContent = isCmpp(e) ? cmppAddresses(e)
      : src || dst ? `${src} → ${dst}` : (f.system_id ? `system_id ${f.system_id}` : (f.message_id ? `id ${f.message_id}` : ''));
    c.addr.title = c.addr.textContent;
    const text = typeof e.text === 'string' ? e.text : '';
    c.text.textContent = text.length > 160 ? text.slice(0, 160) + '…' : text;
    c.text.title = text.slice(0, 400);
    if (resp && e.req !== undefined) {
      c.lat.textContent = fmtLatency(e.latency_us);
      c.lat.dataset.jump = String(e.req);
      c.lat.className = 'c-lat num lat-link';
      c.lat.title = 'Jump to the request';
    } else if (!resp && e.resp !== undefined) {
      c.lat.textContent = '↪';
      c.lat.dataset.jump = String(e.resp);
      c.lat.className = 'c-lat num lat-link';
      c.lat.title = 'Jump to the response';
    }
  }

  // Selects an event by id and, if asked, scrolls it into view.
  select(id, reveal) {
    this.selected = id;
    if (reveal) this.reveal(id);
    this.render();
    this.onSelect(id);
  }

  reveal(id) {
    const idx = this.store.indexInView(id);
    if (idx < 0 || idx >= this.count) return false;
    const y = idx * this.rowH;
    const h = this.scroll.clientHeight;
    if (y < this.scroll.scrollTop || y + this.rowH > this.scroll.scrollTop + h) {
      this.scroll.scrollTop = Math.max(0, y - h / 2);
      this.follow = false;
    }
    return true;
  }

  // Keyboard: moves the selection by `delta` rows (Infinity = last row).
  move(delta) {
    const n = Math.min(this.count, this.store.view.length);
    if (!n) return;
    let idx = this.selected !== null ? this.store.indexInView(this.selected) : -1;
    if (idx < 0) idx = delta > 0 ? -1 : n;
    idx = Math.max(0, Math.min(n - 1, delta === Infinity ? n - 1 : delta === -Infinity ? 0 : idx + delta));
    this.select(this.store.view[idx].id, true);
  }

  pageRows() { return Math.max(1, Math.floor(this.scroll.clientHeight / this.rowH) - 1); }
}
