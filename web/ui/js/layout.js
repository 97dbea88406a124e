// Byte ranges of every header field, body field and TLV of a PDU, found by walking its octets
// with the field list of the decoder's table (/api/protocol), in wire order. The hex dump uses
// them to highlight the bytes of the selected field.

const HEADER = [
  ['command_length', 0, 4], ['command_id', 4, 8], ['command_status', 8, 12], ['sequence_number', 12, 16],
];

const u32 = (b, i) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const u16 = (b, i) => (b[i] << 8) | b[i + 1];

function cstringEnd(b, pos, end) {
  for (let i = pos; i < end; i++) if (b[i] === 0) return i + 1;
  return end;  // no NUL: runs to the end (the decoder flags this)
}

// Returns [{key, name, start, end, kind}] with key "h:NAME", "f:NAME" or "t:INDEX".
export function layoutPdu(bytes, protocol) {
  const out = [];
  const n = bytes.length;
  for (const [name, s, e] of HEADER) if (e <= n) out.push({ key: `h:${name}`, name, start: s, end: e, kind: 'header' });
  if (n < 16) return out;
  const end = Math.min(n, u32(bytes, 0) || n);
  const spec = protocol?.byId.get(u32(bytes, 4));
  let pos = 16;
  if (!spec) {
    if (end > 16) out.push({ key: 'f:body', name: 'body', start: 16, end, kind: 'field' });
    return out;
  }
  let lastInt = 0;
  for (const f of spec.fields) {
    if (pos >= end) return out;  // header-only responses and short bodies
    const start = pos;
    switch (f.type) {
      case 'int1': case 'sm_length': case 'count':
        lastInt = bytes[pos]; pos += 1; break;
      case 'int2': lastInt = pos + 2 <= end ? u16(bytes, pos) : 0; pos += 2; break;
      case 'int4': lastInt = pos + 4 <= end ? u32(bytes, pos) : 0; pos += 4; break;
      case 'c_string': case 'time': pos = cstringEnd(bytes, pos, end); break;
      case 'octet_string': pos += lastInt; break;
      case 'dest_list':
        for (let i = 0; i < lastInt && pos < end; i++) {
          const flag = bytes[pos];
          pos = flag === 1 ? cstringEnd(bytes, pos + 3, end) : cstringEnd(bytes, pos + 1, end);
        }
        break;
      case 'unsuccess_list':
        for (let i = 0; i < lastInt && pos < end; i++) pos = cstringEnd(bytes, pos + 2, end) + 4;
        break;
      case 'c_string_list':
        for (let i = 0; i < lastInt && pos < end; i++) pos = cstringEnd(bytes, pos, end);
        break;
      default: pos = end;
    }
    pos = Math.min(pos, end);
    out.push({ key: `f:${f.name}`, name: f.name, start, end: pos, kind: 'field', type: f.type });
  }
  let i = 0;
  while (pos + 4 <= end) {
    const tag = u16(bytes, pos), len = u16(bytes, pos + 2);
    const stop = Math.min(end, pos + 4 + len);
    const t = protocol.tlvByTag.get(tag);
    out.push({ key: `t:${i}`, name: t ? t.name : `0x${tag.toString(16).padStart(4, '0')}`, tag, start: pos,
      end: stop, valueStart: pos + 4, kind: 'tlv' });
    pos = stop;
    i++;
  }
  if (pos < end) out.push({ key: 'f:trailing', name: 'trailing octets', start: pos, end, kind: 'field' });
  return out;
}

// The protocol table with lookups added.
export function indexProtocol(p) {
  const byId = new Map(), byName = new Map(), tlvByTag = new Map(), status = new Map();
  for (const s of p.pdus || []) { byId.set(s.id >>> 0, s); byName.set(s.name, s); }
  for (const t of p.tlvs || []) tlvByTag.set(t.tag, t);
  for (const s of p.statuses || []) status.set(s.value >>> 0, s);
  return { ...p, byId, byName, tlvByTag, status };
}
