// smppscope live UI: history from /api/pdus, then live from /ws; sessions from /api/sessions.
// An opened capture is a workspace of its own: the same views over its events (see api.js).

import { getJson, getPage, Live, workspace, wsPath, switchWorkspace, listWorkspaces, closeWorkspace, uploadCapture } from './js/api.js';
import { Store, emptyFilter } from './js/store.js';
import { Table } from './js/table.js';
import { Detail } from './js/detail.js';
import { Sessions } from './js/sessions.js';
import { Alerts, refText } from './js/alerts.js';
import { Health, recentStats, RECENT_S } from './js/health.js';
import { Timeline } from './js/timeline.js';
import { indexProtocol } from './js/layout.js';
import { el, fmtCount, toast } from './js/format.js';

const HISTORY = 5000;
const HISTORY_PAGES = 4;  // pages of at most the server's response cap each
const $ = id => document.getElementById(id);

const state = {
  protocol: null,
  paused: false,
  lost: 0,
  received: [],   // [time ms, count] for the rate
  skewUs: 0,      // server clock minus ours, from the live events
  window: null,   // the diagnostics' window (from a timeline summary or a window_full alert)
};

// ---- theme ----
function applyTheme(t) {
  document.documentElement.dataset.theme = t;
  try { localStorage.setItem('smppscope.theme', t); } catch (_) { /* private mode */ }
}
applyTheme((() => {
  try { const t = localStorage.getItem('smppscope.theme'); if (t) return t; } catch (_) { /* ignore */ }
  return matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
})());
$('btn-theme').addEventListener('click', () => applyTheme(document.documentElement.dataset.theme === 'light' ? 'dark' : 'light'));

const store = new Store();
const table = new Table($('table'), store, {
  onSelect: id => { detail.show(store.byId.get(id) || null); updateTimeline(); },
  statusName: v => state.protocol?.status.get(v >>> 0)?.name ?? `0x${(v >>> 0).toString(16).padStart(8, '0')}`,
});
const detail = new Detail($('detail'), store, {
  protocol: null,
  onJump: id => jumpTo(id),
  onSession: id => setSessionFilter(id),
  onRef: ref => openRef(ref),
});
const pickSession = id => setSessionFilter(filterState().session === id ? null : id);
const sessions = new Sessions($('sessions'), { onPick: pickSession });
const alerts = new Alerts($('alerts'), store, {
  onPick: pickSession,
  onEvent: id => jumpTo(id),
  onRef: ref => openRef(ref),
});
const health = new Health($('health'), $('health-summary'), { onPick: pickSession });
const timeline = new Timeline($('timeline'), {
  onSummary: s => {
    if (s.window && s.window !== state.window) { state.window = s.window; updateHealth(); }
  },
});

function jumpTo(id) {
  if (store.indexInView(id) < 0 && store.byId.has(id)) {
    clearFilters();
  }
  if (store.indexInView(id) >= table.count) resume();
  table.select(id, true);
}

// Selects the PDU an alert names: from this page's events, else from the server's buffer.
async function openRef(ref) {
  const hit = store.findPdu(ref);
  if (hit) { jumpTo(hit.id); return; }
  const what = `${refText(ref)} of session #${ref.session}`;
  try {
    const q = new URLSearchParams({ session: String(ref.session), command: ref.command, limit: '1000' });
    if (ref.direction) q.set('direction', ref.direction);
    if (ref.eventId) q.set('before', String(ref.eventId));
    const list = await getJson(`api/pdus?${q}`);
    const e = list.reverse().find(x => x.sequence_number === ref.sequence_number && (!ref.beforeUs || x.ts_us <= ref.beforeUs));
    if (e) {
      ingest([e]);
      jumpTo(e.id);
      toast(`${what} fetched from the server`);
      return;
    }
  } catch (_) { /* said below */ }
  toast(`${what} is no longer in the buffer`);
}

// ---- filters ----
let filterTimer = 0;
function filterState() { return store.filter; }

function readFilters() {
  const f = emptyFilter();
  const s = $('f-session').value;
  f.session = s === '' ? null : Number(s);
  f.commands = $('f-command').value.split(/[\s,]+/).map(x => x.trim().toLowerCase()).filter(Boolean);
  f.direction = $('f-direction').value;
  f.errorsOnly = $('f-errors').checked;
  f.text = $('f-text').value.trim();
  return f;
}

function applyFilters() {
  clearTimeout(filterTimer);
  const f = readFilters();
  if (JSON.stringify(f) === JSON.stringify(store.filter)) return;
  store.setFilter(f);
  sessions.setActive(store.filter.session);
  health.setActive(store.filter.session);
  updateTimeline();
  table.follow = true;
  table.setCount(store.view.length);
  updateCounts();
}

for (const id of ['f-command', 'f-text']) {
  $(id).addEventListener('input', () => { clearTimeout(filterTimer); filterTimer = setTimeout(applyFilters, 150); });
}
for (const id of ['f-session', 'f-direction', 'f-errors']) $(id).addEventListener('change', applyFilters);
$('filters').addEventListener('submit', ev => { ev.preventDefault(); applyFilters(); });
$('f-clear').addEventListener('click', () => { clearFilters(); });

function clearFilters() {
  $('f-session').value = '';
  $('f-command').value = '';
  $('f-direction').value = '';
  $('f-errors').checked = false;
  $('f-text').value = '';
  applyFilters();
}

function setSessionFilter(id) {
  ensureSessionOption(id);
  $('f-session').value = id === null ? '' : String(id);
  applyFilters();
}

function ensureSessionOption(id) {
  if (id === null || [...$('f-session').options].some(o => o.value === String(id))) return;
  const o = el('option', '', `#${id}`);
  o.value = String(id);
  $('f-session').appendChild(o);
}

// ---- pause ----
function setPaused(p) {
  state.paused = p;
  $('btn-pause').setAttribute('aria-pressed', String(p));
  if (!p) table.setCount(store.view.length);
  updateCounts();
}
function resume() { if (state.paused) setPaused(false); }
$('btn-pause').addEventListener('click', () => setPaused(!state.paused));

function updateCounts() {
  const pending = store.view.length - table.count;
  $('pause-label').textContent = state.paused ? (pending > 0 ? `Resume (${fmtCount(pending)} new)` : 'Resume') : 'Pause';
  $('shown').textContent = `${fmtCount(Math.min(table.count, store.view.length))} of ${fmtCount(store.events.length)} shown`;
  $('stat-events').textContent = fmtCount(store.events.length);
}

// ---- data ----
function ingest(events) {
  const rebuilt = store.add(events);
  state.received.push([performance.now(), events.length]);
  if (!state.paused || rebuilt) table.setCount(state.paused ? Math.min(table.count, store.view.length) : store.view.length);
  if (events.some(e => e.type !== 'pdu')) scheduleSessions();
  if (events.some(e => e.type === 'alert' || e.type === 'alert_cleared' || e.type === 'malformed' || e.type === 'upstream_failure')) renderAlerts();
  updateCounts();
}

// The newest HISTORY events, following the server's cursor back while its size cap cuts pages.
async function loadHistory() {
  try {
    let list = [];
    let before = null;
    for (let page = 0; page < HISTORY_PAGES && list.length < HISTORY; page++) {
      const q = new URLSearchParams({ type: 'all', limit: String(HISTORY - list.length) });
      if (before) q.set('before', before);
      const r = await getPage(`api/pdus?${q}`);
      list = r.list.concat(list);
      before = r.nextBefore;
      if (!before) break;
    }
    ingest(list);
    // A capture does not move: "recent" (health, rates) means its last moments.
    if (workspace && list.length) state.skewUs = Math.max(...list.map(e => e.ts_us || 0)) - Date.now() * 1000;
  } catch (err) {
    toast(String(err.message || err));
  }
}

let sessionsTimer = 0;
function scheduleSessions() {
  clearTimeout(sessionsTimer);
  sessionsTimer = setTimeout(refreshSessions, 200);
}

async function refreshSessions() {
  clearTimeout(sessionsTimer);
  try {
    const list = await getJson('api/sessions');
    sessions.update(list);
    for (const s of list) for (const a of s.alerts || []) if (a.window) state.window = a.window;
    updateHealth(list);
    updateTimeline();
    $('stat-sessions').textContent = fmtCount(list.filter(s => s.state !== 'closed').length);
    $('sessions-count').textContent = String(list.length);
    const sel = $('f-session');
    const keep = sel.value;
    for (const s of list) ensureSessionOption(s.id);
    for (const o of [...sel.options]) if (o.value) o.textContent = `#${o.value} ${list.find(s => String(s.id) === o.value)?.system_id || ''}`.trim();
    sel.value = keep;
    renderAlerts();
  } catch (_) { /* the live feed shows the connection state */ }
  sessionsTimer = setTimeout(refreshSessions, 2000);
}

function renderAlerts() {
  const active = alerts.render(sessions.list, store.alerts);
  $('alerts-count').textContent = String(active || store.alerts.length);
}

// ---- diagnostics: health of every session, the timeline of one ----
function updateHealth(list = sessions.list) {
  health.update(list, recentStats(store.events, Date.now() * 1000 + state.skewUs, RECENT_S * 1e6), state.window);
}

// The timeline follows the session filter, else the selected row's session, else the first live
// session (warnings first).
function updateTimeline() {
  let id = filterState().session;
  if (id === null && table.selected !== null) id = store.byId.get(table.selected)?.session ?? null;
  if (id === null) id = health.first();
  timeline.setSession(id, sessions.list.find(s => s.id === id)?.system_id || '');
}

function diagOpen() { return !$('diag-body').hidden; }
function setDiagOpen(open) {
  $('diag-body').hidden = !open;
  $('diag').classList.toggle('collapsed', !open);
  $('diag-toggle').setAttribute('aria-expanded', String(open));
  try { localStorage.setItem('smppscope.diag', open ? 'open' : 'closed'); } catch (_) { /* ignore */ }
  if (open) { timeline.render(); timeline.poll(); }
}
$('diag-toggle').addEventListener('click', () => setDiagOpen(!diagOpen()));
try { if (localStorage.getItem('smppscope.diag') === 'closed') setDiagOpen(false); } catch (_) { /* ignore */ }
setInterval(() => { if (diagOpen() && document.visibilityState === 'visible') timeline.poll(); }, 1000);

const live = new Live({
  onHello: () => loadHistory(),
  onEvents: events => {
    let ts = 0;
    for (const e of events) if (e.ts_us > ts) ts = e.ts_us;
    if (ts) state.skewUs = ts - Date.now() * 1000;
    ingest(events);
  },
  onState: s => {
    if (workspace && s === 'live') {
      $('conn').dataset.state = 'capture';
      $('conn-text').textContent = 'capture';
      $('conn').title = 'An opened capture: everything it holds is shown';
    } else {
      $('conn').dataset.state = s;
      $('conn-text').textContent = s === 'live' ? 'live' : s === 'down' ? 'reconnecting' : 'connecting';
    }
    if (s === 'live') refreshSessions();
    if (s === 'down' && workspace) checkWorkspace();
  },
  onLagging: n => {
    state.lost += n;
    $('stat-lost').hidden = false;
    $('stat-lost-n').textContent = fmtCount(state.lost);
  },
});

setInterval(() => {
  const now = performance.now();
  state.received = state.received.filter(([t]) => now - t < 5000);
  const n = state.received.reduce((a, [, c]) => a + c, 0);
  $('stat-rate').textContent = fmtCount(Math.round(n / 5));
}, 1000);

// ---- detail pane width (drag the splitter, or arrow keys on it) ----
const layout = document.querySelector('.layout');
function setDetailWidth(px) {
  const w = Math.max(320, Math.min(Math.round(px), Math.floor(window.innerWidth * 0.6)));
  layout.style.setProperty('--detail-w', `${w}px`);
  try { localStorage.setItem('smppscope.detailWidth', String(w)); } catch (_) { /* ignore */ }
}
try { const w = Number(localStorage.getItem('smppscope.detailWidth')); if (w) setDetailWidth(w); } catch (_) { /* ignore */ }
const splitter = $('splitter');
splitter.addEventListener('pointerdown', ev => {
  splitter.setPointerCapture(ev.pointerId);
  splitter.classList.add('drag');
  const move = e => setDetailWidth(window.innerWidth - e.clientX);
  const up = () => {
    splitter.classList.remove('drag');
    splitter.removeEventListener('pointermove', move);
    splitter.removeEventListener('pointerup', up);
  };
  splitter.addEventListener('pointermove', move);
  splitter.addEventListener('pointerup', up);
});
splitter.addEventListener('keydown', ev => {
  if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') return;
  ev.preventDefault();
  ev.stopPropagation();
  setDetailWidth($('detail').getBoundingClientRect().width + (ev.key === 'ArrowLeft' ? 20 : -20));
});

// ---- keyboard ----
const help = $('help');
$('btn-help').addEventListener('click', () => help.showModal());

document.addEventListener('keydown', ev => {
  const t = ev.target;
  const typing = t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;
  if (ev.key === 'Escape') {
    if (typing) { t.blur(); $('table').focus(); return; }
    if (help.open) return;
    clearFilters();
    return;
  }
  if (typing || ev.ctrlKey || ev.metaKey || ev.altKey || help.open) return;
  if (ev.key === ' ' && t instanceof HTMLButtonElement) return;  // the button's own click
  const sel = table.selected !== null ? store.byId.get(table.selected) : null;
  switch (ev.key) {
    case 'j': case 'ArrowDown': table.move(1); break;
    case 'k': case 'ArrowUp': table.move(-1); break;
    case 'PageDown': table.move(table.pageRows()); break;
    case 'PageUp': table.move(-table.pageRows()); break;
    case 'g': case 'Home': table.move(-Infinity); break;
    case 'G': case 'End': table.move(Infinity); table.toBottom(); break;
    case ' ': setPaused(!state.paused); break;
    case '/': $('f-text').focus(); break;
    case 'e': $('f-errors').checked = !$('f-errors').checked; applyFilters(); break;
    case 't': $('btn-theme').click(); break;
    case 'd': setDiagOpen(!diagOpen()); break;
    case '?': help.showModal(); break;
    case 'r': if (sel && (sel.resp ?? sel.req) !== undefined) jumpTo(sel.resp ?? sel.req); break;
    case 's': if (sel) setSessionFilter(filterState().session === sel.session ? null : sel.session); break;
    case 'x': detail.copyHex(); break;
    case 'y': detail.copyJson(); break;
    default: return;
  }
  ev.preventDefault();
});

// ---- workspaces: Live and the opened captures ----
const wsSelect = $('workspace');
let uploadLimit = 0;

async function refreshWorkspaces() {
  const v = await listWorkspaces();
  uploadLimit = v.max_upload_bytes || 0;
  $('btn-open').hidden = !v.uploads;
  wsSelect.replaceChildren();
  for (const w of v.workspaces) {
    const o = el('option', '', w.kind === 'live' ? 'Live' : w.name);
    o.value = w.kind === 'live' ? '' : w.id;
    if (w.kind !== 'live') o.title = `${w.name}: ${fmtCount(w.events || 0)} events, ${fmtCount(w.sessions || 0)} sessions`;
    wsSelect.appendChild(o);
  }
  wsSelect.value = workspace;
  return v.workspaces.some(w => (w.kind === 'live' ? '' : w.id) === workspace);
}

// The capture shown was closed (elsewhere, or the server restarted): back to Live.
async function checkWorkspace() {
  try {
    if (!(await refreshWorkspaces())) { toast('This capture was closed'); switchWorkspace(''); }
  } catch (_) { /* the connection state says it */ }
}

wsSelect.addEventListener('change', () => switchWorkspace(wsSelect.value));
$('btn-close-ws').hidden = !workspace;
$('btn-close-ws').addEventListener('click', async () => {
  try { await closeWorkspace(workspace); } catch (err) { toast(String(err.message || err)); return; }
  switchWorkspace('');
});

async function openCapture(file) {
  if (!file) return;
  if (uploadLimit && file.size > uploadLimit) {
    toast(`${file.name} is larger than this server takes (${fmtCount(uploadLimit)} octets)`);
    return;
  }
  const bar = $('upload-bar');
  $('upload').hidden = false;
  $('btn-open').disabled = true;
  $('upload-text').textContent = `uploading ${file.name}`;
  try {
    const w = await uploadCapture(file, (sent, total) => {
      bar.value = total ? sent / total : 0;
      $('upload-text').textContent = sent >= total ? `analysing ${file.name}` : `uploading ${file.name} ${Math.round(100 * sent / total)}%`;
    });
    switchWorkspace(w.id);
  } catch (err) {
    toast(String(err.message || err));
  } finally {
    $('upload').hidden = true;
    $('btn-open').disabled = false;
  }
}

$('btn-open').addEventListener('click', () => $('capture-file').click());
$('capture-file').addEventListener('change', ev => {
  const f = ev.target.files && ev.target.files[0];
  ev.target.value = '';
  openCapture(f);
});

// Drag and drop a file anywhere on the page.
let dragDepth = 0;
const hasFiles = ev => [...(ev.dataTransfer?.types || [])].includes('Files');
document.addEventListener('dragenter', ev => { if (!hasFiles(ev)) return; ev.preventDefault(); dragDepth++; $('drop').hidden = false; });
document.addEventListener('dragover', ev => { if (hasFiles(ev)) ev.preventDefault(); });
document.addEventListener('dragleave', ev => { if (!hasFiles(ev)) return; if (--dragDepth <= 0) { dragDepth = 0; $('drop').hidden = true; } });
document.addEventListener('drop', ev => {
  if (!hasFiles(ev)) return;
  ev.preventDefault();
  dragDepth = 0;
  $('drop').hidden = true;
  openCapture(ev.dataTransfer.files[0]);
});

if (workspace) {
  $('btn-pause').hidden = true;
  document.title = 'smppscope: capture';
}
$('btn-pcap').href = wsPath('api/pcap');

// ---- start ----
(async () => {
  try {
    if (!(await refreshWorkspaces()) && workspace) {
      toast('That capture is no longer open');
      switchWorkspace('');
      return;
    }
  } catch (err) {
    toast(String(err.message || err));
  }
  try {
    state.protocol = indexProtocol(await getJson('api/protocol'));
    detail.setProtocol(state.protocol);
    const dl = $('command-names');
    for (const p of state.protocol.pdus) {
      const o = el('option');
      o.value = p.name;
      dl.appendChild(o);
    }
  } catch (err) {
    toast(String(err.message || err));
  }
  updateCounts();
  live.connect();
  $('table').focus();
})();
