// Every event the UI knows (bounded), request/response pairing and the filtered view.
// Events are kept sorted by id; live events append, history backfill merges.

import { isResponse } from './format.js';

export const MAX_EVENTS = 200000;

// Same meaning as the server's filter (web/include/smppscope/web/event_match.hpp).
export function emptyFilter() {
  return { session: null, commands: [], direction: '', errorsOnly: false, text: '' };
}

export function isError(e) {
  if (e.type === 'malformed' || e.type === 'upstream_failure') return true;
  if (e.type !== 'pdu') return false;
  return (e.command_status || 0) !== 0 || !!e.error;
}

// Case-insensitive search in string values, never in member names or "hex".
function valuesContain(v, needle) {
  if (typeof v === 'string') return v.toLowerCase().includes(needle);
  if (Array.isArray(v)) return v.some(x => valuesContain(x, needle));
  if (v && typeof v === 'object') {
    for (const k in v) if (k !== 'hex' && valuesContain(v[k], needle)) return true;
  }
  return false;
}

export function matches(e, f) {
  if (f.session !== null && e.session !== f.session) return false;
  if (f.direction && e.direction !== f.direction) return false;
  if (f.commands.length && (e.type !== 'pdu' || !f.commands.includes(String(e.command).toLowerCase()))) return false;  // CMPP names are upper case
  if (f.errorsOnly && !isError(e)) return false;
  if (f.text && !valuesContain(e, f.text.toLowerCase())) return false;
  return true;
}

const opposite = d => (d === 'esme_to_smsc' ? 'smsc_to_esme' : 'esme_to_smsc');

export class Store {
  constructor() {
    this.events = [];
    this.byId = new Map();
    this.view = [];
    this.filter = emptyFilter();
    this.open = new Map();  // unanswered requests: "session:dir:seq" -> event
    this.lastId = 0;
    this.alerts = [];       // recent alert / alert_cleared / malformed events, newest last
    this.generation = 0;    // bumped when older events are merged in (history backfill)
  }

  // Adds events (any order, duplicates ignored). Returns true when the view changed shape
  // beyond an append (then the table re-renders from scratch).
  add(list) {
    let appended = [], older = false;
    for (const e of list) {
      if (typeof e.id !== 'number' || this.byId.has(e.id)) continue;
      this.byId.set(e.id, e);
      if (e.id > this.lastId) {
        this.events.push(e);
        this.lastId = e.id;
        this.pair(e);
        appended.push(e);
      } else {
        older = true;
        this.events.push(e);
      }
      if (e.type === 'alert' || e.type === 'alert_cleared' || e.type === 'malformed' || e.type === 'upstream_failure') {
        this.alerts.push(e);
        if (this.alerts.length > 200) this.alerts.shift();
      }
    }
    let rebuilt = false;
    if (older) {
      this.events.sort((a, b) => a.id - b.id);
      this.alerts.sort((a, b) => a.id - b.id);
      this.repair();
      this.generation++;
      rebuilt = true;
    }
    if (this.events.length > MAX_EVENTS) {
      const drop = this.events.length - Math.floor(MAX_EVENTS * 0.9);
      for (const e of this.events.splice(0, drop)) this.byId.delete(e.id);
      rebuilt = true;
    }
    if (rebuilt) this.refilter();
    else for (const e of appended) if (matches(e, this.filter)) this.view.push(e);
    return rebuilt;
  }

  pair(e) {
    if (e.type !== 'pdu' || typeof e.sequence_number !== 'number') return;
    if (isResponse(e.command_id >>> 0)) {
      const key = `${e.session}:${opposite(e.direction)}:${e.sequence_number}`;
      const req = this.open.get(key);
      if (req) {
        this.open.delete(key);
        e.req = req.id;
        req.resp = e.id;
        e.latency_us = e.ts_us - req.ts_us;
      }
    } else {
      this.open.set(`${e.session}:${e.direction}:${e.sequence_number}`, e);
      if (this.open.size > 100000) this.open.delete(this.open.keys().next().value);
    }
  }

  repair() {
    this.open.clear();
    for (const e of this.events) { delete e.req; delete e.resp; delete e.latency_us; }
    for (const e of this.events) this.pair(e);
  }

  setFilter(f) {
    this.filter = f;
    this.refilter();
  }

  refilter() {
    this.view = this.events.filter(e => matches(e, this.filter));
  }

  // The newest PDU of a reference (see pduRef in alerts.js) sent no later than ref.beforeUs, or
  // null. A linear scan from the end, down to event id `afterId`: callers cache the answer.
  findPdu(ref, afterId = 0) {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i];
      if (e.id <= afterId) break;
      if (e.session !== ref.session || e.type !== 'pdu' || e.sequence_number !== ref.sequence_number) continue;
      if (e.command !== ref.command || (ref.direction && e.direction !== ref.direction)) continue;
      if (ref.beforeUs && e.ts_us > ref.beforeUs) continue;
      return e;
    }
    return null;
  }

  indexInView(id) {
    // binary search: the view is sorted by id
    let lo = 0, hi = this.view.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, v = this.view[mid].id;
      if (v === id) return mid;
      if (v < id) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }
}
