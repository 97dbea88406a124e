// The alerts area: first the alerts each session holds (from /api/sessions: active on a live
// session; on a closed one, those it had when it ended), then the latest alert events of the live
// feed (without those that raised an alert listed above). An alert that names a PDU (session,
// sequence_number, command and, for a request, the direction it travelled) selects that PDU when
// clicked: the unanswered request of a timeout, the response of an unmatched_response.

import { el, clear, fmtTime } from './format.js';

const opposite = d => (d === 'esme_to_smsc' ? 'smsc_to_esme' : 'esme_to_smsc');
const ARROW = { esme_to_smsc: 'ESME → SMSC', smsc_to_esme: 'SMSC → ESME' };

// The PDU an alert (active alert or alert event) is about, or null:
// {session, sequence_number, command, direction (null: either), beforeUs (0: any time), eventId}.
// An alert's `direction` is the one its requests travelled, so a response it names went the
// other way.
export function pduRef(a, session = a.session) {
  if (typeof a.sequence_number !== 'number' || typeof a.command !== 'string' || typeof session !== 'number') return null;
  const response = a.command.endsWith('_resp') || a.command === 'generic_nack';
  let direction = ARROW[a.direction] ? a.direction : null;
  if (direction && response) direction = opposite(direction);
  const event = typeof a.type === 'string';
  return {
    session, sequence_number: a.sequence_number, command: a.command, direction, response,
    beforeUs: event ? a.ts_us + 1000 : 0,  // the PDU came first; 1 ms for clock rounding
    eventId: event ? a.id : 0,
  };
}

export function refText(ref) {
  return `${ref.command} seq ${ref.sequence_number}${ref.direction ? ` (${ARROW[ref.direction]})` : ''}`;
}

export class Alerts {
  // onPick(session): an active alert without a PDU; onEvent(id): an alert event without one;
  // onRef(ref): an alert that names a PDU.
  constructor(root, store, { onPick, onEvent, onRef }) {
    this.root = root;
    this.store = store;
    this.onPick = onPick;
    this.onEvent = onEvent;
    this.onRef = onRef;
    this.cache = new Map();  // item key -> {id, generation}
    this.signature = '';
    root.addEventListener('keydown', ev => {
      const item = ev.target.closest('.alert');
      if (!item) return;
      if (ev.key === ' ' || ev.key === 'Enter') { ev.stopPropagation(); return; }  // the button's own click
      if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') return;
      ev.preventDefault();
      ev.stopPropagation();
      const items = [...root.querySelectorAll('.alert')];
      const i = items.indexOf(item) + (ev.key === 'ArrowDown' ? 1 : -1);
      items[Math.max(0, Math.min(items.length - 1, i))]?.focus();
    });
  }

  // The event id of the PDU a reference names, or null when the store does not hold it (any
  // more). Answers are cached; after a miss only the events added since are searched, unless
  // older ones were merged in (history).
  resolve(key, ref) {
    const hit = this.cache.get(key);
    if (hit && hit.id !== null && this.store.byId.has(hit.id)) return hit.id;
    const since = hit && hit.id === null && hit.generation === this.store.generation ? hit.upTo : 0;
    const e = since === this.store.lastId ? null : this.store.findPdu(ref, since);
    const id = e ? e.id : null;
    this.cache.set(key, { id, generation: this.store.generation, upTo: this.store.lastId });
    if (this.cache.size > 2000) this.cache.delete(this.cache.keys().next().value);
    return id;
  }

  // Returns the number of active alerts.
  render(sessions, recent) {
    const items = [];
    const activeKeys = new Set();  // session:kind:since_us of the sessions' alerts listed first
    for (const s of sessions) {
      for (const a of s.alerts || []) {
        const ref = pduRef(a, s.id);
        activeKeys.add(`${s.id}:${a.kind}:${a.since_us}`);
        items.push({
          key: `s${s.id}:${a.kind}:${a.since_us}:${ref ? `${ref.command}:${ref.sequence_number}` : ''}`,
          // A closed session keeps the alerts it had when it ended: they tell why, but are over.
          kind: a.kind, message: a.message, session: s.id, ref, active: s.state !== 'closed', ofSession: true,
          meta: `session #${s.id} ${s.system_id || ''} · since ${fmtTime(a.since_us)}` +
            (s.state === 'closed' ? ' · session closed' : ''),
          fallback: () => this.onPick(s.id),
        });
      }
    }
    const active = items.filter(it => it.active).length;
    for (const e of recent.slice(-30).reverse()) {
      // The event that raised an alert still active is already listed above.
      if (e.type === 'alert' && activeKeys.has(`${e.session}:${e.kind}:${e.since_us}`)) continue;
      items.push({
        key: `e${e.id}`,
        kind: e.type === 'alert' ? e.kind : e.type === 'alert_cleared' ? `${e.kind} cleared` : e.type.replace('_', ' '),
        message: e.message || e.reason || e.error || '', session: e.session, ref: pduRef(e),
        cleared: e.type === 'alert_cleared',
        meta: `session #${e.session} · ${fmtTime(e.ts_us)}`,
        fallback: () => this.onEvent(e.id),
      });
    }
    for (const it of items) it.pdu = it.ref ? this.resolve(it.key, it.ref) : undefined;

    // Rebuild only when something changed: keeps focus and a click in progress intact.
    const signature = JSON.stringify(items.map(it => [it.key, it.message, it.meta, it.ref ? it.pdu : -1]));
    if (signature === this.signature) return active;
    this.signature = signature;
    const focused = document.activeElement?.closest?.('.alert')?.dataset.key;
    clear(this.root);
    for (const it of items) this.root.appendChild(this.item(it));
    if (!items.length) this.root.appendChild(el('div', 'none', 'No alerts.'));
    if (focused) this.root.querySelector(`.alert[data-key="${CSS.escape(focused)}"]`)?.focus();
    return active;
  }

  item(it) {
    const box = el('button', 'alert');
    box.type = 'button';
    box.dataset.key = it.key;
    box.dataset.kind = it.kind;
    box.dataset.session = String(it.session);
    if (it.active) box.classList.add('active');
    if (it.cleared) box.classList.add('cleared');
    box.appendChild(el('span', 'a-kind', it.kind));
    if (it.message) box.appendChild(el('span', 'a-msg', it.message));
    box.appendChild(el('span', 'a-meta', it.meta));
    if (it.ref) {
      const r = it.ref;
      box.dataset.command = r.command;
      box.dataset.seq = String(r.sequence_number);
      const what = r.response ? 'response' : 'request';
      const line = el('span', 'a-pdu', `↪ ${refText(r)}`);
      if (it.pdu === null) {
        line.classList.add('gone');
        line.appendChild(el('span', 'a-note', ' not in this page'));
        box.title = `The ${what} ${refText(r)} of session #${r.session} is no longer in this page's buffer; ` +
          'click to look for it on the server';
      } else {
        box.title = `Select the ${what} ${refText(r)} (event #${it.pdu})`;
      }
      box.appendChild(line);
      box.addEventListener('click', () => this.onRef(r));
    } else {
      box.title = it.ofSession ? `Filter the table by session #${it.session}` : 'Select this event in the table';
      box.addEventListener('click', it.fallback);
    }
    return box;
  }
}
