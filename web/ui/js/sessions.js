// Sessions panel (from /api/sessions); the alerts area is alerts.js.

import { el, clear, fmtCount } from './format.js';
import { bindPickList } from './picklist.js';

export class Sessions {
  constructor(listEl, { onPick }) {
    this.listEl = listEl;
    this.onPick = onPick;
    this.list = [];
    this.active = null;
    this.focus = null;
    bindPickList(listEl, '.session', this);
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
      if (s.compliance) {  // the provider profile the session is checked against, and how it fares
        const c = s.compliance;
        const broken = Object.entries(c.breaches || {});
        const b = el('span', `badge ${c.compliant ? 'ok' : 'warn'} s-compliance`,
          c.compliant ? `✓ ${c.profile}` : `${c.profile}: ${broken.map(([r, n]) => `${r} ×${n}`).join(', ')}`);
        b.title = c.compliant ? `Compliant with ${c.profile}` : `Breaks ${c.profile}: ${broken.map(([r, n]) => `${r} (${n})`).join(', ')}`;
        nums.appendChild(b);
      }
      if (s.lossy) {  // the tap dropped octets: what is shown for this session is incomplete
        const l = s.lost_bytes || {};
        const b = el('span', 'badge warn s-lossy', 'lossy');
        b.title = `Analysis missed ${fmtCount(l.esme_to_smsc ?? 0)} / ${fmtCount(l.smsc_to_esme ?? 0)} octets (ESME→SMSC / SMSC→ESME); relaying was not affected`;
        nums.appendChild(b);
      }
      card.appendChild(nums);
      this.listEl.appendChild(card);
    }
  }
}
