// The detail pane: every field and TLV with its meaning, the message (text, encoding, UDH,
// reassembled parts, delivery receipt), warnings, and a hex dump in which the bytes of the field
// under the pointer (or selected) are highlighted; clicking a byte selects its field.

import { el, clear, fmtDateTime, fmtLatency, hex8, hex4, hexToBytes, bytesToHex, isResponse, copyText, toast } from './format.js';
import { layoutPdu } from './layout.js';
import { meaning, timeText, parseUdh, parseReceipt, dataCodingName } from './smpp.js';
import { isError } from './store.js';
import { pduRef, refText } from './alerts.js';
import { isCmpp, protocolLabel, layoutCmpp, reportTime, msgIdText } from './cmpp.js';
import { wsPath } from './api.js';

export class Detail {
  constructor(root, store, { protocol, onJump, onSession, onRef }) {
    this.root = root;
    this.store = store;
    this.protocol = protocol;
    this.onJump = onJump;
    this.onSession = onSession;
    this.onRef = onRef;
    this.event = null;
    this.segments = [];
    this.pinned = null;  // segment key kept highlighted after a click
    // After a click on a byte scrolls its field into view, the pointer has not moved but other
    // rows slide under it: their hover must not replace the field just picked. Hover counts again
    // once the pointer moves.
    this.stillAt = null;
    root.addEventListener('mousemove', ev => {
      if (this.stillAt && (ev.clientX !== this.stillAt.x || ev.clientY !== this.stillAt.y)) this.stillAt = null;
    });
  }

  hover(key) { if (!this.stillAt) this.highlight(key); }

  setProtocol(p) { this.protocol = p; if (this.event) this.show(this.event); }

  show(e) {
    this.event = e;
    this.pinned = null;
    clear(this.root);
    if (!e) {
      this.root.appendChild(el('div', 'detail-empty', 'Select a row to see every field, the hex dump and linked request/response.'));
      return;
    }
    this.root.appendChild(this.head(e));
    if (e.type !== 'pdu') {
      const sec = this.section('Event');
      const kv = el('div', 'kv');
      for (const [k, v] of Object.entries(e)) {
        if (['id', 'type'].includes(k)) continue;
        this.kvRow(kv, k, typeof v === 'object' ? JSON.stringify(v) : String(v));
      }
      sec.appendChild(kv);
      return;
    }
    const bytes = hexToBytes(e.hex);
    this.bytes = bytes;
    this.segments = isCmpp(e) ? layoutCmpp(e) : layoutPdu(bytes, this.protocol);
    if (e.error) this.section('Decode error').appendChild(el('div', 'error-box', e.error));
    this.warnings(e);
    if (isCmpp(e)) {
      this.cmppFields(e);
      this.cmppMessage(e);
    } else {
      this.headerFields(e);
      this.bodyFields(e);
      this.tlvs(e);
      this.message(e, bytes);
    }
    this.hexDump(bytes);
  }

  head(e) {
    const h = el('div', 'd-head');
    const title = el('div', 'd-title');
    title.appendChild(el('h3', '', e.type === 'pdu' ? e.command : e.type));
    if (e.type === 'pdu') {
      const resp = isResponse(e.command_id >>> 0);
      const err = isError(e);
      if (resp || e.command_status)
        title.appendChild(el('span', `badge ${err ? 'err' : 'ok'}`, e.status_name || hex8(e.command_status)));
      else if (e.error) title.appendChild(el('span', 'badge err', 'malformed'));
      const up = e.direction === 'esme_to_smsc';
      if (isCmpp(e)) title.appendChild(el('span', 'badge proto', protocolLabel(e)));
      title.appendChild(el('span', 'badge', isCmpp(e) ? (up ? 'SP → ISMG' : 'ISMG → SP') : (up ? 'ESME → SMSC' : 'SMSC → ESME')));
    } else if (e.kind) {
      title.appendChild(el('span', 'badge warn', e.kind));
    }
    h.appendChild(title);
    const meta = el('div', 'd-meta');
    const item = (label, value) => {
      const s = el('span', '', `${label} `);
      s.appendChild(el('b', '', value));
      meta.appendChild(s);
      return s;
    };
    const sess = item('session', `#${e.session}`);
    sess.classList.add('link');
    sess.title = 'Filter the table by this session (s)';
    sess.addEventListener('click', () => this.onSession(e.session));
    if (e.type === 'pdu') {
      item('seq', e.sequence_number);
      item('length', e.command_length);
    }
    item('event', e.id);
    meta.appendChild(el('span', '', fmtDateTime(e.ts_us)));
    h.appendChild(meta);

    const ref = e.type === 'pdu' ? null : pduRef(e);
    if (ref) {
      const about = el('div', 'd-meta');
      const a = el('span', 'link', `${ref.response ? 'Response' : 'Request'}: ${refText(ref)}`);
      a.title = 'Select the PDU this alert is about';
      a.addEventListener('click', () => this.onRef(ref));
      about.appendChild(a);
      h.appendChild(about);
    }

    if (e.type === 'pdu') {
      const pair = el('div', 'd-meta');
      const other = this.store.byId.get(e.resp ?? e.req ?? -1);
      if (other) {
        const lat = e.latency_us ?? other.latency_us;
        const a = el('span', 'link', `${e.resp !== undefined ? 'Response' : 'Request'}: ${other.command} #${other.id}`);
        a.title = 'Jump to it (r)';
        a.addEventListener('click', () => this.onJump(other.id));
        pair.appendChild(a);
        pair.appendChild(el('span', '', `latency ${fmtLatency(lat)}`));
      } else if (!isResponse(e.command_id >>> 0) && e.command !== 'alert_notification' && e.command !== 'outbind') {
        pair.appendChild(el('span', '', 'no response seen'));
      }
      if (pair.childNodes.length) h.appendChild(pair);

      const actions = el('div', 'd-actions');
      const copyHex = el('button', 'btn small', 'Copy hex');
      copyHex.type = 'button';
      copyHex.addEventListener('click', () => this.copyHex());
      const copyJson = el('button', 'btn small', 'Copy JSON');
      copyJson.type = 'button';
      copyJson.addEventListener('click', () => this.copyJson());
      const pcap = el('a', 'btn small', 'pcap of this session');
      pcap.href = wsPath(`api/pcap?session=${e.session}`);
      pcap.setAttribute('download', '');
      actions.append(copyHex, copyJson, pcap);
      h.appendChild(actions);
    }
    return h;
  }

  async copyHex() {
    if (this.event?.hex) toast(await copyText(this.event.hex) ? 'Hex copied' : 'Copy failed');
  }

  async copyJson() {
    if (!this.event) return;
    const { req, resp, latency_us, ...plain } = this.event;
    toast(await copyText(JSON.stringify(plain, null, 2)) ? 'JSON copied' : 'Copy failed');
  }

  section(title) {
    const s = el('section', 'd-sec');
    s.appendChild(el('h4', '', title));
    this.root.appendChild(s);
    return s;
  }

  kvRow(kv, key, value, note, segKey) {
    const row = el('div', 'f-row');
    const k = el('div', 'k', key);
    const v = el('div', 'v', value);
    if (note) v.appendChild(el('small', '', note));
    row.append(k, v);
    if (segKey) {
      row.dataset.seg = segKey;
      row.addEventListener('mouseenter', () => this.hover(segKey));
      row.addEventListener('mouseleave', () => this.highlight(this.pinned));
      row.addEventListener('click', () => { this.pinned = this.pinned === segKey ? null : segKey; this.highlight(this.pinned); });
    }
    kv.appendChild(row);
    return row;
  }

  warnings(e) {
    const list = [];
    // profile_lints: breaches of the session's provider profile ({rule, profile, message}).
    for (const w of e.profile_lints || []) list.push(`${w.profile}: ${w.message} [${w.rule}]`);
    for (const key of ['lints', 'warnings', 'lint']) {
      const v = e[key];
      if (Array.isArray(v)) for (const w of v) list.push(typeof w === 'string' ? w : (w.message || w.name || JSON.stringify(w)));
    }
    if (!list.length) return;
    const ul = el('ul', 'warnings');
    for (const w of list) ul.appendChild(el('li', '', w));
    this.section('Warnings').appendChild(ul);
  }

  headerFields(e) {
    const kv = el('div', 'kv');
    const st = this.protocol?.status.get(e.command_status >>> 0);
    this.kvRow(kv, 'command_length', String(e.command_length), '', 'h:command_length');
    this.kvRow(kv, 'command_id', hex8(e.command_id), e.command, 'h:command_id');
    // A vendor status: the provider profile's name and meaning, or a hint of who defines it.
    const vendor = e.status_name ? `${e.status_name}${e.status_meaning ? ': ' + e.status_meaning : ''}`
      : e.status_vendor_hint ? `vendor status (named by ${e.status_vendor_hint.join(', ')})` : '';
    this.kvRow(kv, 'command_status', hex8(e.command_status), st ? `${st.name}${st.description ? ': ' + st.description : ''}` : vendor, 'h:command_status');
    this.kvRow(kv, 'sequence_number', String(e.sequence_number), '', 'h:sequence_number');
    this.section('Header').appendChild(kv);
  }

  // CMPP: header and body fields by the specification's names, with the code names and the
  // Msg_Id parts the server wrote; the layout ties each row to its octets.
  cmppFields(e) {
    const names = e.names || {};
    const head = el('div', 'kv');
    this.kvRow(head, 'Total_Length', String(e.command_length), '', 'h:Total_Length');
    this.kvRow(head, 'Command_Id', hex8(e.command_id), e.command, 'h:Command_Id');
    this.kvRow(head, 'Sequence_Id', String(e.sequence_number), '', 'h:Sequence_Id');
    this.section(`Header · ${protocolLabel(e)}`).appendChild(head);
    const kv = el('div', 'kv');
    for (const [k, v] of Object.entries(e.fields || {})) {
      let note = names[k] ?? '';
      if (k === 'Msg_Id') note = msgIdText(e.msg_id);
      if (e.padding?.[k]) note = `${note ? note + ' · ' : ''}padding ${e.padding[k]}`;
      const value = Array.isArray(v) ? v.join(', ') : (v === '' ? '""' : String(v));
      this.kvRow(kv, k, value, note, `f:${k}`);
    }
    if (e.trailing) this.kvRow(kv, 'trailing octets', e.trailing, `${e.trailing.length / 2} octets`);
    if (kv.childNodes.length) this.section('Body').appendChild(kv);
  }

  cmppMessage(e) {
    if (typeof e.text === 'string') {
      const sec = this.section('Message');
      const bits = [];
      if (e.encoding) bits.push(`encoding ${e.encoding}`);
      if (e.concat) bits.push(`part ${e.concat.seq} of ${e.concat.total} (ref ${e.concat.ref})`);
      sec.appendChild(el('div', 'msg-meta', bits.join(' · ')));
      sec.appendChild(el('div', 'msg', e.text || '(empty)'));
      if (e.concat) this.cmppReassembly(e, sec);
    }
    if (e.report) {
      const r = e.report;
      const sec = this.section('Status report');
      const kv = el('div', 'kv');
      this.kvRow(kv, 'Msg_Id', r.Msg_Id, msgIdText(r.msg_id));
      this.kvRow(kv, 'Stat', r.Stat, statMeaning(r.Stat));
      this.kvRow(kv, 'Submit_time', r.Submit_time, reportTime(r.Submit_time));
      this.kvRow(kv, 'Done_time', r.Done_time, reportTime(r.Done_time));
      this.kvRow(kv, 'Dest_terminal_Id', r.Dest_terminal_Id);
      this.kvRow(kv, 'SMSC_sequence', String(r.SMSC_sequence));
      sec.appendChild(kv);
    }
  }

  // The other parts of a long CMPP message (same session, direction, command and UDH reference).
  cmppReassembly(e, sec) {
    const parts = new Map();
    for (const x of this.store.events) {
      if (x.type !== 'pdu' || x.session !== e.session || x.direction !== e.direction || x.command !== e.command) continue;
      const c = x.concat;
      if (c && c.ref === e.concat.ref && c.total === e.concat.total && !parts.has(c.seq)) parts.set(c.seq, x);
    }
    const have = [...parts.keys()].sort((a, b) => a - b);
    sec.appendChild(el('div', 'msg-meta', `parts seen: ${have.join(', ')} of ${e.concat.total}`));
    if (have.length === e.concat.total) {
      sec.appendChild(el('div', 'msg-meta', 'reassembled message'));
      sec.appendChild(el('div', 'msg cmpp-joined', have.map(k => parts.get(k).text ?? '').join('')));
    }
  }

  bodyFields(e) {
    const segs = this.segments.filter(s => s.kind === 'field');
    const fields = e.fields || {};
    const shown = new Set();
    const kv = el('div', 'kv');
    for (const s of segs) {
      shown.add(s.name);
      const raw = this.bytes.subarray(s.start, s.end);
      let value = fields[s.name];
      let note = '';
      if (value === undefined) {
        value = s.type === 'c_string' || s.type === 'time'
          ? new TextDecoder().decode(raw.subarray(0, raw[raw.length - 1] === 0 ? raw.length - 1 : raw.length))
          : bytesToHex(raw);
        if (s.type === 'octet_string' || s.name === 'body' || s.name === 'trailing octets') note = `${raw.length} octets`;
      }
      if (typeof value === 'number') {
        note = meaning(s.name, value);
        value = s.type === 'int4' ? `${value} (${hex8(value)})` : `${value} (0x${value.toString(16).padStart(2, '0')})`;
      } else if (typeof value === 'string') {
        if (s.type === 'time') note = timeText(value);
        if (s.name === 'password' || s.type !== 'octet_string') value = value === '' ? '""' : value;
      } else {
        value = JSON.stringify(value);
      }
      this.kvRow(kv, s.name, String(value), note, `f:${s.name}`);
    }
    // Members the writer added that have no bytes of their own (decoded lists, derived values).
    for (const [k, v] of Object.entries(fields)) {
      if (shown.has(k)) continue;
      this.kvRow(kv, k, typeof v === 'object' ? JSON.stringify(v) : String(v), typeof v === 'number' ? meaning(k, v) : '');
    }
    if (kv.childNodes.length) this.section('Body').appendChild(kv);
  }

  tlvs(e) {
    const segs = this.segments.filter(s => s.kind === 'tlv');
    if (!segs.length) return;
    const json = Array.isArray(e.tlvs) ? e.tlvs : [];
    const kv = el('div', 'kv');
    segs.forEach((s, i) => {
      const j = json[i] && json[i].tag === s.tag ? json[i] : json.find(t => t.tag === s.tag);
      let value = j ? j.value : undefined;
      const raw = this.bytes.subarray(s.valueStart, s.end);
      let note = `${hex4(s.tag)}, ${raw.length} octets`;
      if (value === undefined || value === null) value = bytesToHex(raw);
      if (typeof value === 'number') {
        const m = meaning(s.name, value);
        if (m) note = `${m} · ${note}`;
      } else if (typeof value === 'object') value = JSON.stringify(value);
      const spec = this.protocol?.tlvByTag.get(s.tag);
      if (spec?.vendor) note += ` · ${spec.vendor}`;
      this.kvRow(kv, j?.name || s.name, String(value), note, s.key);
    });
    this.section('TLVs').appendChild(kv);
  }

  // User data: from short_message, else message_payload (SMPP v3.4 sections 5.2.21 and 5.3.2.32).
  userData(e, bytes) {
    const sm = this.segments.find(s => s.name === 'short_message');
    if (sm && sm.end > sm.start) return { bytes: bytes.subarray(sm.start, sm.end), seg: sm.key };
    const mp = this.segments.find(s => s.kind === 'tlv' && s.tag === 0x0424);
    if (mp) return { bytes: bytes.subarray(mp.valueStart, mp.end), seg: mp.key };
    return null;
  }

  message(e, bytes) {
    const f = e.fields || {};
    const ud = this.userData(e, bytes);
    const hasText = typeof e.text === 'string';
    if (!hasText && !ud) return;
    const sec = this.section('Message');
    const dc = typeof f.data_coding === 'number' ? f.data_coding : null;
    const enc = e.encoding || e.text_encoding || (e.text_info && e.text_info.encoding) || '';
    const metaBits = [];
    if (enc) metaBits.push(`encoding ${enc}`);
    if (dc !== null) metaBits.push(`data_coding ${dc} (${dataCodingName(dc)})`);
    if (ud) metaBits.push(`${ud.bytes.length} octets`);
    sec.appendChild(el('div', 'msg-meta', metaBits.join(' · ')));
    if (hasText) sec.appendChild(el('div', 'msg', e.text || '(empty)'));

    const esm = typeof f.esm_class === 'number' ? f.esm_class : 0;
    const udh = ud && (esm & 0x40) ? parseUdh(ud.bytes) : null;
    if (udh) {
      const s = this.section('User data header');
      const kv = el('div', 'kv');
      this.kvRow(kv, 'UDHL', String(udh.length - 1), `${udh.length} octets with the length octet`);
      for (const ie of udh.ies) this.kvRow(kv, `IEI 0x${ie.iei.toString(16).padStart(2, '0')}`, ie.text);
      s.appendChild(kv);
      if (udh.concat) this.reassembly(e, udh.concat, s);
    }
    const receipt = (esm & 0x3C) === 0x04 || (esm & 0x3C) === 0x20 || e.receipt ? parseReceipt(e.text) : null;
    if (receipt) {
      const s = this.section('Delivery receipt');
      const kv = el('div', 'kv');
      // err: in the session's provider profile's terms ("receipt_err_meaning"), when it has them.
      for (const [k, v] of receipt) {
        const note = k === 'stat' ? statMeaning(v) : k === 'err' && e.receipt_err_meaning ? e.receipt_err_meaning : '';
        this.kvRow(kv, k, v, note).classList.toggle('r-err', k === 'err' && !!e.receipt_err_meaning);
      }
      s.appendChild(kv);
    }
  }

  // Finds the other parts (same session, direction, reference and total) among known events.
  reassembly(e, concat, sec) {
    const parts = new Map();
    for (const x of this.store.events) {
      if (x.type !== 'pdu' || x.session !== e.session || x.direction !== e.direction || x.command !== e.command) continue;
      if ((x.fields?.esm_class ?? 0) & 0x40) {
        const b = hexToBytes(x.hex);
        const segs = layoutPdu(b, this.protocol);
        const sm = segs.find(s => s.name === 'short_message' && s.end > s.start);
        const mp = segs.find(s => s.kind === 'tlv' && s.tag === 0x0424);
        const ud = sm ? b.subarray(sm.start, sm.end) : mp ? b.subarray(mp.valueStart, mp.end) : null;
        const u = ud && parseUdh(ud);
        if (u?.concat && u.concat.ref === concat.ref && u.concat.total === concat.total && !parts.has(u.concat.seq))
          parts.set(u.concat.seq, x);
      }
    }
    const have = [...parts.keys()].sort((a, b) => a - b);
    const line = el('div', 'msg-meta', `parts seen: ${have.join(', ')} of ${concat.total}`);
    sec.appendChild(line);
    if (have.length === concat.total) {
      const text = have.map(k => parts.get(k).text ?? '').join('');
      sec.appendChild(el('div', 'msg-meta', 'reassembled message'));
      sec.appendChild(el('div', 'msg', text));
    }
  }

  hexDump(bytes) {
    const sec = this.section(`Hex · ${bytes.length} octets`);
    const box = el('div', 'hex');
    this.byteNodes = [];
    const owner = new Array(bytes.length).fill(null);
    for (const s of this.segments) for (let i = s.start; i < s.end && i < bytes.length; i++) if (s.kind !== 'tlv' || !owner[i]) owner[i] = s;
    this.owner = owner;
    for (let row = 0; row < bytes.length; row += 16) {
      const r = el('div', 'hrow');
      r.appendChild(el('span', 'ho', row.toString(16).padStart(4, '0')));
      const hx = el('span', 'hx');
      const asc = el('span', 'hx');
      for (let i = row; i < row + 16; i++) {
        if (i === row + 8) hx.appendChild(el('span', 'hs', ' '));
        if (i >= bytes.length) { hx.appendChild(el('span', 'hb', '  ')); continue; }
        const b = el('span', 'hb', bytes[i].toString(16).padStart(2, '0'));
        const seg = owner[i];
        if (seg?.kind === 'header') b.classList.add('hdr');
        if (seg?.kind === 'tlv') b.classList.add('tlv');
        b.dataset.i = String(i);
        hx.appendChild(b);
        const a = el('span', 'ha', bytes[i] >= 0x20 && bytes[i] < 0x7f ? String.fromCharCode(bytes[i]) : '.');
        a.dataset.i = String(i);
        asc.appendChild(a);
        this.byteNodes[i] = [b, a];
      }
      r.append(hx, asc);
      box.appendChild(r);
    }
    box.addEventListener('mouseover', ev => {
      const i = ev.target.dataset?.i;
      if (i !== undefined && owner[+i]) this.hover(owner[+i].key);
    });
    box.addEventListener('mouseleave', () => this.highlight(this.pinned));
    box.addEventListener('click', ev => {
      const i = ev.target.dataset?.i;
      if (i === undefined || !owner[+i]) return;
      this.pinned = owner[+i].key;
      this.highlight(this.pinned);
      this.stillAt = { x: ev.clientX, y: ev.clientY };
      // .f-row is display: contents (no box of its own): scroll to its first cell
      this.root.querySelector(`.f-row[data-seg="${CSS.escape(this.pinned)}"] > .k`)?.scrollIntoView({ block: 'nearest' });
    });
    sec.appendChild(box);
  }

  highlight(key) {
    for (const n of this.root.querySelectorAll('.on')) n.classList.remove('on');
    if (!key) return;
    const seg = this.segments.find(s => s.key === key);
    if (seg && this.byteNodes) {
      for (let i = seg.start; i < seg.end; i++) {
        const pair = this.byteNodes[i];
        if (pair) { pair[0].classList.add('on'); pair[1].classList.add('on'); }
      }
    }
    this.root.querySelector(`.f-row[data-seg="${CSS.escape(key)}"]`)?.classList.add('on');
  }
}

function statMeaning(stat) {
  const m = { DELIVRD: 'delivered', EXPIRED: 'expired', DELETED: 'deleted', UNDELIV: 'undeliverable',
    ACCEPTD: 'accepted', UNKNOWN: 'unknown', REJECTD: 'rejected', ENROUTE: 'en route' };
  return m[String(stat).toUpperCase()] ?? '';
}
