// SMPP value meanings for display (SMPP v3.4 section 5.2, SMPP v5.0, 3GPP TS 23.040), UDH and delivery
// receipt parsing. Field layouts and names come from the server's table (/api/protocol).

const TON = ['unknown', 'international', 'national', 'network specific', 'subscriber number',
  'alphanumeric', 'abbreviated'];
const NPI = { 0: 'unknown', 1: 'ISDN (E.163/E.164)', 3: 'data (X.121)', 4: 'telex (F.69)',
  6: 'land mobile (E.212)', 8: 'national', 9: 'private', 10: 'ERMES', 14: 'Internet (IP)',
  18: 'WAP client id' };
const MESSAGE_STATE = ['SCHEDULED', 'ENROUTE', 'DELIVERED', 'EXPIRED', 'DELETED', 'UNDELIVERABLE',
  'ACCEPTED', 'UNKNOWN', 'REJECTED', 'SKIPPED'];

export function dataCodingName(dc) {
  const fixed = {
    0x00: 'SMSC default (GSM 7-bit)', 0x01: 'IA5 / ASCII', 0x02: '8-bit binary', 0x03: 'Latin-1',
    0x04: '8-bit binary', 0x05: 'JIS', 0x06: 'Cyrillic (ISO-8859-5)', 0x07: 'Hebrew (ISO-8859-8)',
    0x08: 'UCS2', 0x09: 'pictogram', 0x0A: 'ISO-2022-JP', 0x0D: 'extended Kanji', 0x0E: 'KS C 5601',
  };
  if (dc in fixed) return fixed[dc];
  if (dc >= 0xC0 && dc <= 0xCF) return 'message waiting, discard (GSM 7-bit)';
  if (dc >= 0xD0 && dc <= 0xDF) return 'message waiting, store (GSM 7-bit)';
  if (dc >= 0xE0 && dc <= 0xEF) return 'message waiting, store (UCS2)';
  if (dc >= 0xF0) return `class ${dc & 3}, ${dc & 4 ? '8-bit data' : 'GSM 7-bit'}`;
  return 'reserved';
}

export function esmClassText(v) {
  const mode = ['default mode', 'datagram', 'forward', 'store and forward'][v & 3];
  const types = { 0x00: '', 0x04: 'delivery receipt', 0x08: 'SME delivery ack', 0x10: 'user ack',
    0x18: 'conversation abort', 0x20: 'intermediate notification' };
  const t = types[v & 0x3C] ?? `type 0x${(v & 0x3C).toString(16)}`;
  const parts = [mode];
  if (t) parts.push(t);
  if (v & 0x40) parts.push('UDHI');
  if (v & 0x80) parts.push('reply path');
  return parts.join(', ');
}

export function registeredDeliveryText(v) {
  const parts = [['no receipt', 'receipt on success or failure', 'receipt on failure',
    'receipt on success'][v & 3]];
  if (v & 0x04) parts.push('SME delivery ack');
  if (v & 0x08) parts.push('SME user ack');
  if (v & 0x10) parts.push('intermediate notification');
  return parts.join(', ');
}

export function interfaceVersionText(v) {
  if (v === 0x50) return 'SMPP 5.0';
  if (v === 0x34) return 'SMPP 3.4';
  if (v <= 0x33) return 'SMPP 3.3';
  return '';
}

// Human meaning of an integer field or TLV by name; '' when there is nothing to add.
export function meaning(name, value) {
  if (typeof value !== 'number') return '';
  if (name.endsWith('_ton') || name === 'ton') return TON[value] ?? '';
  if (name.endsWith('_npi') || name === 'npi') return NPI[value] ?? '';
  switch (name) {
    case 'data_coding': return dataCodingName(value);
    case 'esm_class': return esmClassText(value);
    case 'registered_delivery': return registeredDeliveryText(value);
    case 'interface_version':
    case 'sc_interface_version': return interfaceVersionText(value);
    case 'message_state': return MESSAGE_STATE[value] ?? '';
    case 'priority_flag': return value === 0 ? 'normal' : `priority ${value}`;
    case 'replace_if_present_flag': return value ? 'replace' : 'do not replace';
    default: return '';
  }
}

// Absolute or relative SMPP time (section 9) as text.
export function timeText(s) {
  if (typeof s !== 'string' || s.length !== 16) return '';
  const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d)(\d\d)([+\-R])$/.exec(s);
  if (!m) return '';
  const [, yy, mo, dd, hh, mi, ss, t, nn, p] = m;
  if (p === 'R') {
    const parts = [];
    if (+yy) parts.push(`${+yy}y`);
    if (+mo) parts.push(`${+mo}mo`);
    if (+dd) parts.push(`${+dd}d`);
    if (+hh) parts.push(`${+hh}h`);
    if (+mi) parts.push(`${+mi}m`);
    if (+ss) parts.push(`${+ss}s`);
    return `relative: ${parts.join(' ') || '0s'}`;
  }
  const offMin = +nn * 15 * (p === '-' ? -1 : 1);
  const utc = Date.UTC(2000 + +yy, +mo - 1, +dd, +hh, +mi, +ss, +t * 100) - offMin * 60000;
  return isNaN(utc) ? '' : new Date(utc).toISOString().replace('T', ' ').replace('.000Z', ' UTC').replace('Z', ' UTC');
}

// UDH at the start of user data: {length, ies: [{iei, data, text}], concat, ports}.
export function parseUdh(b) {
  if (!b || b.length < 1) return null;
  const udhl = b[0];
  if (udhl + 1 > b.length) return null;
  const ies = [];
  let concat = null, ports = null;
  for (let i = 1; i + 2 <= udhl + 1;) {
    const iei = b[i], len = b[i + 1];
    if (i + 2 + len > udhl + 1) return null;
    const d = b.subarray(i + 2, i + 2 + len);
    let text = '';
    if (iei === 0x00 && len === 3) {
      concat = { ref: d[0], total: d[1], seq: d[2], bits: 8 };
      text = `concatenated, 8-bit ref ${d[0]}: part ${d[2]} of ${d[1]}`;
    } else if (iei === 0x08 && len === 4) {
      concat = { ref: (d[0] << 8) | d[1], total: d[2], seq: d[3], bits: 16 };
      text = `concatenated, 16-bit ref ${concat.ref}: part ${d[3]} of ${d[2]}`;
    } else if (iei === 0x04 && len === 2) {
      ports = { dst: d[0], src: d[1] };
      text = `application ports (8-bit): destination ${d[0]}, origin ${d[1]}`;
    } else if (iei === 0x05 && len === 4) {
      ports = { dst: (d[0] << 8) | d[1], src: (d[2] << 8) | d[3] };
      text = `application ports (16-bit): destination ${ports.dst}, origin ${ports.src}`;
    } else {
      text = `IE 0x${iei.toString(16).padStart(2, '0')}: ${Array.from(d, x => x.toString(16).padStart(2, '0')).join('')}`;
    }
    ies.push({ iei, data: d, text });
    i += 2 + len;
  }
  if (concat && (concat.total === 0 || concat.seq === 0 || concat.seq > concat.total)) concat = null;
  return { length: udhl + 1, ies, concat, ports };
}

// "id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…" (section 10).
export function parseReceipt(text) {
  if (typeof text !== 'string' || !/\bid:\S/.test(text) || !/\bstat:\w/i.test(text)) return null;
  const keys = ['id', 'sub', 'dlvrd', 'submit date', 'done date', 'stat', 'err', 'text'];
  const out = {};
  const re = /(id|sub|dlvrd|submit date|done date|stat|err|text):/gi;
  const marks = [];
  let m;
  while ((m = re.exec(text))) marks.push({ key: m[1].toLowerCase(), start: m.index, vstart: re.lastIndex });
  for (let i = 0; i < marks.length; i++) {
    const end = i + 1 < marks.length ? marks[i + 1].start : text.length;
    out[marks[i].key] = text.slice(marks[i].vstart, end).trim();
  }
  for (const k of ['submit date', 'done date']) {
    const v = out[k];
    if (v && /^\d{10}(\d\d)?$/.test(v))
      out[k] = `${v} (20${v.slice(0, 2)}-${v.slice(2, 4)}-${v.slice(4, 6)} ${v.slice(6, 8)}:${v.slice(8, 10)}${v.length === 12 ? ':' + v.slice(10, 12) : ''})`;
  }
  return keys.filter(k => k in out).map(k => [k, out[k]]);
}
