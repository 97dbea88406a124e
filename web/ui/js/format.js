// Small formatting and DOM helpers shared by the UI modules.

export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// "14:03:07.123" in local time.
export function fmtTime(tsUs) {
  if (!tsUs) return '';
  const d = new Date(Math.floor(tsUs / 1000));
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// "14:03" or "14:03:07" in local time, from Unix seconds (the timeline's axis and marks).
export function fmtClock(sec, withSeconds) {
  const d = new Date(sec * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
}

export function fmtDateTime(tsUs) {
  if (!tsUs) return '';
  const d = new Date(Math.floor(tsUs / 1000));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${fmtTime(tsUs)}${pad(tsUs % 1000, 3)}`;
}

export function fmtLatency(us) {
  if (us === undefined || us === null) return '';
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

export function fmtCount(n) {
  return Number(n || 0).toLocaleString('en-US');
}

export const hex8 = n => '0x' + (n >>> 0).toString(16).padStart(8, '0');
export const hex4 = n => '0x' + (n >>> 0).toString(16).padStart(4, '0');
export const hex2 = n => '0x' + (n >>> 0).toString(16).padStart(2, '0');

export function hexToBytes(hex) {
  if (!hex) return new Uint8Array(0);
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function bytesToHex(b, sep = '') {
  return Array.from(b, x => x.toString(16).padStart(2, '0')).join(sep);
}

export const isResponse = id => (id & 0x80000000) !== 0;

// Copies text; navigator.clipboard needs a secure context, the textarea route does not.
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_) { /* fall back */ }
  const ta = el('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
  ta.remove();
  return ok;
}

let toastTimer = 0;
export function toast(message) {
  const t = document.getElementById('toast');
  if (!t) return;
  t.textContent = message;
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), 1600);
}
