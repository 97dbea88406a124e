// CMPP events in the UI. The server writes the field layout ("layout": [[name, offset, length]])
// and the code names ("names") with each CMPP event, so nothing here repeats the protocol table.

export const isCmpp = e => e?.protocol === 'cmpp';

// "CMPP 2.0" / "CMPP 3.0" (badge text); '' for SMPP.
export function protocolLabel(e) {
  return isCmpp(e) ? `CMPP ${e.protocol_version || ''}`.trim() : '';
}

// Source and destination of a CMPP PDU for the table's address column.
export function cmppAddresses(e) {
  const f = e.fields || {};
  const src = f.Src_Id ?? f.Src_terminal_Id ?? f.Source_Addr ?? '';
  const dests = Array.isArray(f.Dest_terminal_Id) ? f.Dest_terminal_Id : [];
  const dst = dests.length > 1 ? `${dests[0]} +${dests.length - 1}` : (dests[0] ?? f.Dest_Id ?? '');
  if (src || dst) return `${src} → ${dst}`;
  if (f.Msg_Id && f.Msg_Id !== '0000000000000000') return `Msg_Id ${f.Msg_Id}`;
  return '';
}

// Segments for the hex dump, in the shape layoutPdu() returns for SMPP.
export function layoutCmpp(e) {
  const out = [];
  for (const [name, start, len] of Array.isArray(e.layout) ? e.layout : []) {
    const header = start < 12;
    out.push({ key: `${header ? 'h' : 'f'}:${name}`, name, start, end: start + len, kind: header ? 'header' : 'field', type: 'cmpp' });
  }
  return out;
}

// "YYMMDDhhmm" -> "20YY-MM-DD hh:mm" (status report times).
export function reportTime(t) {
  return /^\d{10}$/.test(t) ? `20${t.slice(0, 2)}-${t.slice(2, 4)}-${t.slice(4, 6)} ${t.slice(6, 8)}:${t.slice(8, 10)}` : '';
}

// "month 11, day 22, 13:45:30, gateway 123456, sequence 4660"
export function msgIdText(m) {
  if (!m) return '';
  const p = n => String(n).padStart(2, '0');
  return `${p(m.month)}-${p(m.day)} ${p(m.hour)}:${p(m.minute)}:${p(m.second)}, gateway ${m.gateway}, sequence ${m.sequence}`;
}
