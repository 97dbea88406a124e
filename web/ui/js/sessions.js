// Sessions panel (from /api/sessions) and the alerts area (active session alerts first, then the
// latest alert events of the live feed).

import { el, clear, fmtTime, fmtCount } from './format.js';

export class Sessions {
  constructor(listEl, alertsEl, { onPick, onEvent }) {
    this.listEl = listEl;
    this.alertsEl = alertsEl;
    this.onPick = onPick;
    this.onEvent = onEvent;
    this.list = [];
    this.active = null;
    listEl.addEventListener('click', ev => {
      const card = ev.target.closest('.session');
      if (card) this.onPick(Number(card.dataset.id));
    });
    listEl.addEventListener('keydown', ev => {
      if (!this.list.length || !['ArrowDown', 'ArrowUp', 'Enter'].includes(ev.key)) return;
      ev.preventDefault();
      ev.stopPropagation();
      const ids = this.list.map(s => s.id);
      let i = ids.indexOf(this.focus ?? this.active);
      if (ev.key === 'Enter') { if (i >= 0) this.onPick(ids[i]); return; }
      i = ev.key === 'ArrowDown' ? Math.min(ids.length - 1, i + 1) : Math.max(0, i - 1);
      this.focus = ids[i];
      this.render();
      listEl.querySelector(`[data-id="${ids[i]}"]`)?.scrollIntoView({ block: 'nearest' });
    });
  }

  update(list) {
    // Live sessions first (newest on top), then closed ones.
    this.list = [...list].sort((a, b) => ((a.state === 'closed') - (b.state === 'closed')) || b.id - a.id);
    this.render();
  }

  setActive(id) { this.active = id; this.render(); }

  render() {
    clear(this.listEl);
    if (!this.list.length) {
      this.listEl.appendChild(el('div', 'none', 'No sessions yet.'));
      return;
    }
    for (const s of this.list) {
      const card = el('div', 'session');
      card.dataset.id = String(s.id);
      card.setAttribute('role', 'option');
      card.setAttribute('aria-selected', s.id === this.active ? 'true' : 'false');
      if (s.id === this.active) card.classList.add('active');
      if (s.id === this.focus) card.classList.add('focus');
      if (s.state === 'closed') card.classList.add('closed');
      const top = el('div', 's-top');
      top.appendChild(el('span', 's-id', `#${s.id}`));
      top.appendChild(el('span', 's-sys', s.system_id || '(not bound)'));
      const bind = { transceiver: 'TRX', transmitter: 'TX', receiver: 'RX' }[s.bind_type];
      if (bind) top.appendChild(el('span', 's-bind', bind));
      const st = el('span', 's-state', s.state);
      if (String(s.state).startsWith('bound')) st.classList.add('bound');
      if (s.state === 'closed') st.classList.add('closed');
      top.appendChild(st);
      card.appendChild(top);
      card.appendChild(el('div', 's-addr', `${s.client} → ${s.upstream}`));
      const nums = el('div', 's-nums');
      const num = (label, v, title) => {
        const x = el('span', '', `${label} `);
        x.appendChild(el('b', '', v));
        if (title) x.title = title;
        nums.appendChild(x);
      };
      num('↑', fmtCount(s.pdus_in), 'PDUs ESME → SMSC');
      num('↓', fmtCount(s.pdus_out), 'PDUs SMSC → ESME');
      const o = s.outstanding || {};
      num('open', `${o.esme_to_smsc ?? 0}/${o.smsc_to_esme ?? 0}`, 'Unanswered requests (ESME→SMSC / SMSC→ESME)');
      if (s.alerts && s.alerts.length) {
        const a = el('span', 's-alerts', `⚠ ${s.alerts.length}`);
        a.title = s.alerts.map(x => `${x.kind}: ${x.message}`).join('\n');
        nums.appendChild(a);
      }
      card.appendChild(nums);
      this.listEl.appendChild(card);
    }
  }

  renderAlerts(recent) {
    clear(this.alertsEl);
    let n = 0;
    for (const s of this.list) {
      for (const a of s.alerts || []) {
        const box = el('div', 'alert');
        box.appendChild(el('div', 'a-kind', a.kind));
        box.appendChild(el('div', '', a.message));
        box.appendChild(el('div', 'a-meta', `session #${s.id} ${s.system_id || ''} · since ${fmtTime(a.since_us)}`));
        box.addEventListener('click', () => this.onPick(s.id));
        this.alertsEl.appendChild(box);
        n++;
      }
    }
    const events = recent.slice(-30).reverse();
    for (const e of events) {
      const box = el('div', 'alert');
      if (e.type === 'alert_cleared') box.classList.add('cleared');
      const kind = e.type === 'alert' ? e.kind : e.type === 'alert_cleared' ? `${e.kind} cleared` : e.type.replace('_', ' ');
      box.appendChild(el('div', 'a-kind', kind));
      if (e.message || e.reason || e.error) box.appendChild(el('div', '', e.message || e.reason || e.error));
      box.appendChild(el('div', 'a-meta', `session #${e.session} · ${fmtTime(e.ts_us)}`));
      box.addEventListener('click', () => this.onEvent(e.id));
      this.alertsEl.appendChild(box);
    }
    if (!this.alertsEl.childNodes.length) this.alertsEl.appendChild(el('div', 'none', 'No alerts.'));
    return n;
  }
}
