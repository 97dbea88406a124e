// The live UI against real traffic: smppscope sim <- proxy (--web) <- smppscope load, in real
// Chromium. Artifacts (screenshots, process logs, the downloaded pcap) go to ./artifacts.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, 'artifacts');
const BIN = process.env.SMPPSCOPE_BINARY;
const children = [];
let ports, url, context, page, profile;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function startProcess(name, cmd, args) {
  const log = fs.openSync(path.join(artifacts, `${name}.log`), 'w');
  const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
  child.on('exit', code => { child.exitCode_ = code; });
  children.push(child);
  return child;
}

function runProcess(name, cmd, args, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const out = [];
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error(`${name} timed out`)); }, timeoutMs);
    child.stdout.on('data', d => out.push(d));
    child.stderr.on('data', d => out.push(d));
    child.on('exit', code => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString();
      fs.writeFileSync(path.join(artifacts, `${name}.log`), text);
      if (code === 0) resolve(text); else reject(new Error(`${name} exited ${code}: ${text.slice(-500)}`));
    });
  });
}

async function waitFor(fn, what, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try { if (await fn()) return; } catch (e) { last = e; }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`);
}

async function load(count, extra = []) {
  return runProcess(`load-${count}`, BIN, ['load', '--target', `127.0.0.1:${ports.proxy}`, '--system-id', 'uitest',
    '--password', 'pw', '--count', String(count), '--window', '5', '--registered-delivery',
    '--mix', 'gsm7,ucs2,long', '--quiet', ...extra]);
}

// Sets the filter inputs and applies them at once (Enter submits the filter form).
async function filter({ command = '', text = '', direction = '', errors = false } = {}) {
  await page.fill('#f-command', command);
  await page.fill('#f-text', text);
  await page.selectOption('#f-direction', direction);
  await page.setChecked('#f-errors', errors);
  await page.press('#f-text', 'Enter');
  await page.waitForFunction(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));
}

const visibleCommands = () => page.$$eval('.trow:not([hidden]) .c-cmd', els => els.map(e => e.textContent));

// Filters page pg to one command and waits until the table is drawn again with only that
// command's rows (rows of the previous view stay in the DOM until the next animation frame),
// then opens the first of them in the detail pane.
async function openFirstOf(pg, command) {
  await pg.fill('#f-command', command);
  await pg.press('#f-text', 'Enter');
  let id;
  await waitFor(async () => {
    const rows = await pg.$$eval('.trow:not([hidden])', els => {
      const view = document.querySelector('#tscroll').getBoundingClientRect();
      return els.map(e => {
        const b = e.getBoundingClientRect();
        return { id: e.dataset.id, cmd: e.querySelector('.c-cmd')?.textContent ?? '',
          inView: b.top >= view.top && b.bottom <= view.bottom };
      });
    });
    // A CMPP row's command cell starts with its protocol badge.
    if (!rows.length || !rows.every(r => r.cmd.toLowerCase().endsWith(command.toLowerCase()))) return false;
    id = (rows.find(r => r.inView) ?? rows[0]).id;
    return true;
  }, `${command} rows`);
  await pg.locator(`.trow:not([hidden])[data-id="${id}"]`).click();
  await waitFor(async () => (await pg.$$eval('#detail .d-meta span', els => els.map(e => e.textContent))).includes(`event ${id}`),
    `the detail of event ${id}`);
  return pg.locator(`.trow:not([hidden])[data-id="${id}"]`);
}
const eventCount = async () => Number((await page.textContent('#stat-events')).replace(/,/g, ''));

// Clicks the nth table row that is wholly in view (the virtualised table keeps rows above and
// below the view too; clicking one of those scrolls the table and re-renders under the pointer)
// and waits for the detail pane to show its event.
async function clickRow(nth = 0) {
  const id = await page.evaluate(n => {
    const view = document.querySelector('#tscroll').getBoundingClientRect();
    const rows = [...document.querySelectorAll('.trow:not([hidden])')].filter(r => {
      const b = r.getBoundingClientRect();
      return b.top >= view.top && b.bottom <= view.bottom;
    });
    return rows[Math.min(n, rows.length - 1)]?.dataset.id;
  }, nth);
  assert.ok(id, 'a table row in view');
  await page.locator(`.trow[data-id="${id}"]`).click();
  await waitFor(async () => (await page.$$eval('#detail .d-meta span', els => els.map(e => e.textContent))).includes(`event ${id}`),
    `the detail of event ${id}`);
  return Number(id);
}

before(async () => {
  assert.ok(BIN && fs.existsSync(BIN), 'SMPPSCOPE_BINARY must name the smppscope binary');
  fs.mkdirSync(artifacts, { recursive: true });
  ports = { sim: await freePort(), proxy: await freePort(), web: await freePort() };
  startProcess('sim', BIN, ['sim', '--listen', `127.0.0.1:${ports.sim}`, '--dlr-delay', '50']);
  startProcess('proxy', BIN, ['proxy', '--listen', `127.0.0.1:${ports.proxy}`, '--upstream', `127.0.0.1:${ports.sim}`,
    '--web', `127.0.0.1:${ports.web}`]);
  url = `http://127.0.0.1:${ports.web}/`;
  await waitFor(async () => (await fetch(url + 'healthz')).ok, 'the web server');

  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'smppscope-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1600, height: 900 },
    colorScheme: 'dark',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  page = context.pages()[0] ?? await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.errors = errors;
  await page.goto(url);
  await page.waitForSelector('#conn[data-state="live"]', { timeout: 15000 });
});

after(async () => {
  try { if (page) await page.screenshot({ path: path.join(artifacts, 'ui-final.png') }); } catch (_) { /* closed */ }
  if (context) await context.close();
  for (const c of children) if (c.exitCode_ === undefined) c.kill('SIGTERM');
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

beforeEach(async () => {
  if (!page) return;
  await filter({});
  if ((await page.getAttribute('#btn-pause', 'aria-pressed')) === 'true') await page.click('#btn-pause');
});

test('live table fills with submit_sm and deliver_sm rows, virtualised', async () => {
  // Filtered before the traffic starts: the rows arrive live over the WebSocket.
  await filter({ command: 'submit_sm,deliver_sm' });
  await load(150);
  await waitFor(async () => (await visibleCommands()).includes('deliver_sm'), 'deliver_sm rows')
    .catch(async e => { throw new Error(`${e.message}; rows: ${(await visibleCommands()).join(' ')}`); });
  await page.focus('#table');
  await page.keyboard.press('g');
  await waitFor(async () => (await visibleCommands()).includes('submit_sm'), 'submit_sm rows at the top');
  await filter({});
  const events = await eventCount();
  assert.ok(events > 500, `expected > 500 events, saw ${events}`);
  // Only the rows in view exist in the DOM.
  const domRows = await page.$$eval('.trow', els => els.length);
  assert.ok(domRows < 120, `virtualised table keeps few rows in the DOM (${domRows})`);
  await page.focus('#table');
  await page.keyboard.press('g');
  await waitFor(async () => (await visibleCommands())[0] === 'session open', 'the session_open row first')
    .catch(async e => { throw new Error(`${e.message}; rows: ${(await visibleCommands()).slice(0, 5).join(' ')}; scrollTop ${await page.$eval('#tscroll', x => x.scrollTop)}`); });
  const sessions = await page.$$eval('.session .s-sys', els => els.map(e => e.textContent));
  assert.ok(sessions.includes('uitest'), `sessions panel lists the bind: ${sessions}`);
  await page.screenshot({ path: path.join(artifacts, 'ui-table.png') });
});

test('detail pane shows fields, TLVs, text and hex with the field highlighted', async () => {
  await filter({ command: 'submit_sm' });
  await waitFor(async () => (await visibleCommands()).every(c => c === 'submit_sm'), 'the command filter');
  await clickRow(2);
  assert.equal(await page.textContent('#detail h3'), 'submit_sm');
  const names = await page.$$eval('#detail .f-row .k', els => els.map(e => e.textContent));
  for (const n of ['command_length', 'sequence_number', 'source_addr', 'destination_addr', 'data_coding', 'short_message'])
    assert.ok(names.includes(n), `detail lists ${n}: ${names}`);
  const length = Number(await page.locator('#detail .f-row', { hasText: 'command_length' }).locator('.v').textContent());
  assert.equal(await page.locator('#detail .hex .hb[data-i]').count(), length, 'one hex cell per octet');
  const dest = (await page.locator('#detail .f-row', { hasText: 'destination_addr' }).locator('.v').textContent()).trim();
  await page.locator('#detail .f-row', { hasText: 'destination_addr' }).hover();
  assert.equal(await page.locator('#detail .hex .hb.on').count(), dest.length + 1, 'address octets and NUL highlighted');
  // A click on an octet selects its field.
  await page.locator('#detail .hex .hb[data-i="4"]').click();
  assert.equal(await page.locator('#detail .f-row.on .k').textContent(), 'command_id');
  assert.ok((await page.locator('#detail .msg').first().textContent()).length > 0, 'decoded text shown');
  // Its response is linked, with the latency.
  await page.locator('#detail .d-meta .link', { hasText: 'Response' }).click();
  assert.equal(await page.textContent('#detail h3'), 'submit_sm_resp');
  assert.match(await page.textContent('#detail .d-head'), /latency \d/);
  await page.screenshot({ path: path.join(artifacts, 'ui-detail.png') });
});

test('delivery receipts are parsed and UDH parts reassembled', async () => {
  await filter({ command: 'deliver_sm' });
  await waitFor(async () => (await visibleCommands()).length > 0 && (await visibleCommands()).every(c => c === 'deliver_sm'), 'deliver_sm filter');
  await clickRow(0);
  await waitFor(async () => (await page.$$eval('#detail h4', els => els.map(e => e.textContent))).includes('Delivery receipt'),
    'the receipt section')
    .catch(async e => {
      throw new Error(`${e.message}; detail: ${await page.textContent('#detail h3')} ` +
        `${await page.textContent('#detail .d-head')} sections ${await page.$$eval('#detail h4', els => els.map(x => x.textContent))}; ` +
        `selected row: ${await page.$$eval('.trow.sel', els => els.map(x => x.textContent))}`);
    });
  const receipt = await page.locator('#detail .d-sec:has(h4:text-is("Delivery receipt"))').textContent();
  assert.match(receipt, /stat/);
  assert.match(receipt, /DELIVRD|UNDELIV|EXPIRED|REJECTD|ACCEPTD|DELETED|UNKNOWN/);
  assert.match(await page.locator('#detail .d-sec:has(h4:text-is("TLVs"))').textContent(), /receipted_message_id/);
  // A long message: its parts carry a UDH and the pane puts them back together.
  await filter({ command: 'submit_sm', text: 'concatenation' });
  await waitFor(async () => (await visibleCommands()).length > 0 && (await visibleCommands()).every(c => c === 'submit_sm'), 'long message parts');
  await clickRow(0);
  const sections = await page.$$eval('#detail h4', els => els.map(e => e.textContent));
  assert.ok(sections.includes('User data header'),
    `UDH section for ${await page.textContent('#detail h3')} (${await page.textContent('#detail .msg')}): ${sections}`);
  const udh = await page.locator('#detail .d-sec:has(h4:text-is("User data header"))').textContent();
  assert.match(udh, /concatenated/);
  assert.match(udh, /reassembled message/);
  await page.click('#f-clear');
});

test('filters: direction, errors only, text', async () => {
  await filter({ direction: 'smsc_to_esme' });
  await waitFor(async () => {
    const dirs = await page.$$eval('.trow:not([hidden]) .c-dir', els => els.map(e => e.textContent));
    return dirs.length > 0 && dirs.every(d => d === '←');
  }, 'direction filter');
  const shown = await page.textContent('#shown');
  assert.match(shown, /^[\d,]+ of [\d,]+ shown$/);
  await filter({ errors: true });
  await waitFor(async () => (await page.$$eval('.trow:not([hidden])', els => els.every(e => e.classList.contains('error') || e.classList.contains('alert-row')))), 'errors only');
  // a message id from a response finds the response and its receipt
  await filter({ command: 'submit_sm_resp' });
  await waitFor(async () => (await visibleCommands()).length > 0 && (await visibleCommands()).every(c => c === 'submit_sm_resp'), 'responses');
  const id = (await page.locator('.trow:not([hidden]) .c-addr').first().textContent()).replace(/^id /, '');
  assert.ok(id.length > 0, 'a message id');
  await filter({ text: id });
  await waitFor(async () => {
    const c = await visibleCommands();
    return c.includes('submit_sm_resp') && c.includes('deliver_sm');
  }, `text filter for ${id}`);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  assert.equal(await page.inputValue('#f-text'), '');
});

test('pause holds the table while events keep arriving', async () => {
  await page.click('#btn-pause');
  const before = await page.$$eval('.trow:not([hidden])', els => els.length);
  const shownBefore = await page.textContent('#shown');
  await load(20);
  await waitFor(async () => /Resume \(/.test(await page.textContent('#pause-label')), 'new events counted while paused');
  assert.equal(await page.textContent('#shown').then(s => s.split(' of ')[0]), shownBefore.split(' of ')[0]);
  await page.click('#btn-pause');
  assert.equal(await page.textContent('#pause-label'), 'Pause');
  assert.ok(before > 0);
});

test('keyboard moves the selection and jumps to the paired PDU', async () => {
  await page.focus('#table');
  await page.keyboard.press('g');
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  assert.equal(await page.textContent('#detail h3'), 'bind_transceiver_resp');
  await page.keyboard.press('r');
  assert.equal(await page.textContent('#detail h3'), 'bind_transceiver');
});

test('pcap download is a capture tshark decodes as SMPP', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#btn-pcap')]);
  const file = path.join(artifacts, 'download.pcap');
  await download.saveAs(file);
  const head = fs.readFileSync(file).subarray(0, 4).toString('hex');
  assert.ok(head === 'd4c3b2a1' || head === 'a1b2c3d4', `pcap magic, got ${head}`);
  const tshark = spawnSync('tshark', ['-r', file, '-Y', 'smpp', '-T', 'fields', '-e', 'smpp.command_id'], { encoding: 'utf8' });
  if (tshark.status === 0) {
    const ids = tshark.stdout.trim().split('\n');
    assert.ok(ids.includes('0x00000004') && ids.includes('0x00000005'), 'submit_sm and deliver_sm in the pcap');
  }
});

// The diagnostics band: health of every session, the timeline of one.
test('timeline of a session with traffic: outstanding against the window, latency', async () => {
  await load(30, ['--rate', '12']);  // a few seconds of traffic: a few samples
  const card = page.locator('.session', { has: page.locator('.s-sys', { hasText: 'uitest' }) }).first();
  const id = Number(await card.getAttribute('data-id'));
  await card.click();
  assert.equal(await page.inputValue('#f-session'), String(id), 'a session card filters the table');
  const svg = page.locator('#timeline svg.tl-svg');
  await svg.waitFor({ timeout: 10000 });
  assert.match(await page.textContent('#timeline .tl-title'), new RegExp(`session #${id} uitest`));
  // The window line sits at the proxy's --window (10 by default).
  assert.equal(await svg.locator('line.tl-window').getAttribute('data-window'), '10');
  // The ESME -> SMSC outstanding line: a step per second, above zero while submits were in flight,
  // never above the window line.
  const d = await svg.locator('path.tl-out[data-dir="esme_to_smsc"]').getAttribute('d');
  const ys = [...d.matchAll(/[MV] (?:[\d.]+ )?([\d.]+)/g)].map(m => Number(m[1]));
  const zero = Number(await svg.locator('.tl-grid line.base').first().getAttribute('y1'));
  const windowY = Number(await svg.locator('line.tl-window').getAttribute('y1'));
  assert.ok((d.match(/H/g) || []).length >= 2, `a step per second: ${d.slice(0, 200)}`);
  assert.ok(Math.min(...ys) < zero && Math.min(...ys) > windowY, `outstanding between 0 (y ${zero}) and the window (y ${windowY}): ${d.slice(0, 200)}`);
  assert.ok(await svg.locator('path.tl-lat').count() > 0, 'latency drawn');
  const box = await svg.boundingBox();
  assert.ok(box.width > 300 && box.height > 100, `timeline has a size: ${JSON.stringify(box)}`);
  // Its health row is the selected one.
  assert.equal(await page.getAttribute(`#health .hrow[data-id="${id}"]`, 'aria-selected'), 'true');
  await page.screenshot({ path: path.join(artifacts, 'ui-timeline.png') });
  await card.click();
  assert.equal(await page.inputValue('#f-session'), '');
  // d hides and shows the diagnostics.
  await page.focus('#table');
  await page.keyboard.press('d');
  assert.equal(await page.isHidden('#diag-body'), true);
  assert.equal(await page.getAttribute('#diag-toggle', 'aria-expanded'), 'false');
  await page.keyboard.press('d');
  await svg.waitFor({ timeout: 5000 });
});

test('a real fault: the alert selects the unanswered request, health shows a warning', async () => {
  // An SMSC that stops answering submit_sm after 3, behind a proxy with 1 s timeouts; the load
  // generator keeps the session open with 5 requests unanswered. The proxy keeps only 20 events
  // (see the end).
  const p = { sim: await freePort(), proxy: await freePort(), web: await freePort() };
  startProcess('fault-sim', BIN, ['sim', '--listen', `127.0.0.1:${p.sim}`, '--stop-submit-after', '3']);
  startProcess('fault-proxy', BIN, ['proxy', '--listen', `127.0.0.1:${p.proxy}`, '--upstream', `127.0.0.1:${p.sim}`,
    '--web', `127.0.0.1:${p.web}`, '--response-timeout', '1', '--enquire-link-timeout', '1', '--ring-events', '20']);
  const base = `http://127.0.0.1:${p.web}/`;
  await waitFor(async () => (await fetch(base + 'healthz')).ok, 'the fault proxy web server');
  const faultLoad = startProcess('fault-load', BIN, ['load', '--target', `127.0.0.1:${p.proxy}`, '--system-id', 'faulty', '--password', 'pw',
    '--count', '10', '--window', '5', '--timeout', '120', '--quiet']);
  const page2 = await context.newPage();
  const errors = [];
  page2.on('pageerror', e => errors.push(e.message));
  page2.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    await page2.goto(base);
    await page2.waitForSelector('#conn[data-state="live"]', { timeout: 15000 });

    // The server's word on the alert: the unanswered request it names.
    let alert;
    await waitFor(async () => {
      const events = await (await fetch(base + 'api/pdus?type=all&limit=1000')).json();
      alert = events.find(e => e.type === 'alert' && e.kind === 'response_timeout');
      return alert;
    }, 'a response_timeout alert from the proxy');
    assert.equal(alert.command, 'submit_sm');
    assert.equal(alert.direction, 'esme_to_smsc');

    // The active alert (from /api/sessions) is listed once: the event that raised it is not
    // repeated below it. It leads to the request it names now.
    const [session] = await (await fetch(base + 'api/sessions')).json();
    const active = session.alerts.find(a => a.kind === 'response_timeout');
    assert.ok(active, `active response_timeout: ${JSON.stringify(session.alerts)}`);
    assert.equal(active.since_us, alert.since_us, 'the event raised the active alert');
    const activeItem = page2.locator(`#alerts .alert.active[data-kind="response_timeout"][data-session="${session.id}"]`);
    await waitFor(async () => (await activeItem.getAttribute('data-seq')) === String(active.sequence_number), 'the active alert item');
    assert.equal(await page2.locator('#alerts .alert[data-kind="response_timeout"]').count(), 1, 'one item per alert');
    assert.equal(await page2.locator(`#alerts .alert[data-key="e${alert.id}"]`).count(), 0);
    assert.match(await activeItem.locator('.a-pdu').textContent(), new RegExp(`submit_sm seq ${active.sequence_number}\\b`));
    await activeItem.click();
    assert.equal(await page2.textContent('#detail h3'), active.command);
    assert.equal(await page2.locator('#detail .d-meta span', { hasText: /^seq / }).textContent(), `seq ${active.sequence_number}`);
    assert.match(await page2.textContent('#detail .d-head'), /no response seen/);
    assert.equal(await page2.locator('#detail .f-row', { hasText: 'sequence_number' }).locator('.v').textContent(), String(active.sequence_number));
    assert.equal(await page2.textContent('.trow.sel .c-seq'), String(active.sequence_number), 'the row is selected in the table');

    // Health: the session is a warning, with its unanswered requests against the window.
    const row = page2.locator(`#health .hrow[data-id="${session.id}"]`);
    await waitFor(async () => (await row.getAttribute('data-status')) === 'warn', 'the faulty session as a warning');
    // The window (10) comes with the timeline's summary, which may arrive a poll later.
    await waitFor(async () => /^5\/10$/.test(await row.locator('.h-open').textContent()), 'open 5/10 in the health row')
      .catch(async e => { throw new Error(`${e.message}: ${await row.locator('.h-open').textContent()}`); });
    assert.match(await page2.textContent('#health-summary'), /1 warning/);
    // The timeline (of the only session) marks the alert.
    await page2.locator('#timeline .tl-alert.raise[data-kind="response_timeout"]').first().waitFor({ timeout: 10000 });
    await page2.screenshot({ path: path.join(artifacts, 'ui-diagnostics.png') });

    // Clicking the health row filters the table to the session, as the sessions panel does.
    await row.click();
    assert.equal(await page2.inputValue('#f-session'), String(session.id));

    // Another session's traffic pushes the first one's events out of the proxy's buffer: a page
    // opened now has not got the request the active alert names, and says so.
    startProcess('fault-load-2', BIN, ['load', '--target', `127.0.0.1:${p.proxy}`, '--system-id', 'other', '--password', 'pw',
      '--count', '15', '--window', '15', '--timeout', '1', '--quiet']);
    await waitFor(async () => (await (await fetch(`${base}api/pdus?type=all&session=${session.id}`)).json()).length === 0,
      `session ${session.id} leaving the proxy's 20-event buffer`);
    const page3 = await context.newPage();
    page3.on('pageerror', e => errors.push(e.message));
    page3.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
    try {
      await page3.goto(base);
      const gone = page3.locator(`#alerts .alert.active[data-kind="response_timeout"][data-session="${session.id}"]`);
      await gone.locator('.a-pdu.gone').waitFor({ timeout: 10000 });
      assert.match(await gone.getAttribute('title'), /no longer in this page's buffer/);
      // The list is live (the other session's alerts come and go) and may re-render under the
      // pointer: click until the answer shows.
      await waitFor(async () => {
        await gone.click({ timeout: 2000 });
        await page3.waitForTimeout(300);
        return /no longer in the buffer/.test(await page3.textContent('#toast'));
      }, 'the message that the PDU is gone');
      assert.match(await page3.textContent('#toast'), new RegExp(`submit_sm seq \\d+ \\(ESME → SMSC\\) of session #${session.id}`));
    } finally {
      await page3.close();
    }

    // The client goes away: the session closes and keeps its alert (why it was unhealthy), no
    // longer counted or styled as active.
    faultLoad.kill('SIGKILL');
    const closedItem = page2.locator(`#alerts .alert[data-kind="response_timeout"][data-session="${session.id}"]`).first();
    await waitFor(async () => /session closed/.test(await closedItem.textContent()), 'the alert of the closed session');
    assert.equal(await closedItem.evaluate(e => e.classList.contains('active')), false);
    assert.equal(await page2.locator(`#health .hrow[data-id="${session.id}"]`).getAttribute('data-status'), 'closed');
    assert.deepEqual(errors, []);
  } finally {
    await page2.close();
  }
});

test('no script errors, and screenshots in both themes', async () => {
  await filter({ command: 'submit_sm' });
  await clickRow(4);
  await page.screenshot({ path: path.join(artifacts, 'ui-dark.png') });
  await page.click('#btn-theme');
  assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
  await page.screenshot({ path: path.join(artifacts, 'ui-light.png') });
  await page.click('#btn-theme');
  await page.click('#f-clear');
  assert.deepEqual(page.errors, []);
});

test('provider profile: the compliance summary in the sessions view and a receipt err: code explained', async () => {
  // A proxy checking against the shipped OVHcloud profile; "uitest" is not of OVHcloud's
  // system_id form (smpp-...), so the session breaks exactly that rule.
  const p = { sim: await freePort(), proxy: await freePort(), web: await freePort() };
  startProcess('profile-sim', BIN, ['sim', '--listen', `127.0.0.1:${p.sim}`, '--dlr-delay', '50']);
  startProcess('profile-proxy', BIN, ['proxy', '--listen', `127.0.0.1:${p.proxy}`, '--upstream', `127.0.0.1:${p.sim}`,
    '--web', `127.0.0.1:${p.web}`, '--profile', 'ovhcloud']);
  const base = `http://127.0.0.1:${p.web}/`;
  await waitFor(async () => (await fetch(base + 'healthz')).ok, 'the profile proxy web server');
  await runProcess('profile-load', BIN, ['load', '--target', `127.0.0.1:${p.proxy}`, '--system-id', 'uitest',
    '--password', 'pw', '--count', '5', '--window', '5', '--registered-delivery', '--quiet']);
  let session;
  await waitFor(async () => {
    session = (await (await fetch(base + 'api/sessions')).json()).find(s => s.system_id === 'uitest');
    return session?.compliance?.breaches?.system_id >= 1;
  }, 'the compliance summary in /api/sessions');
  assert.equal(session.compliance.profile, 'ovhcloud');
  assert.equal(session.compliance.compliant, false);
  assert.deepEqual(Object.keys(session.compliance.breaches), ['system_id']);
  let receipt;
  await waitFor(async () => {
    const events = await (await fetch(base + `api/pdus?session=${session.id}&command=deliver_sm&limit=100`)).json();
    receipt = events.find(e => e.receipt && e.receipt_err_meaning);
    return receipt;
  }, 'a receipt with its err: code explained');
  assert.equal(receipt.receipt.err, '000');
  assert.equal(receipt.receipt_err_meaning, 'No Error');

  const page3 = await context.newPage();
  const errors = [];
  page3.on('pageerror', e => errors.push(e.message));
  page3.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    await page3.goto(base);
    await page3.waitForSelector('#conn[data-state="live"]', { timeout: 15000 });
    const badge = page3.locator(`.session[data-id="${session.id}"] .s-compliance`);
    await badge.waitFor({ timeout: 15000 });
    assert.match(await badge.textContent(), /ovhcloud: system_id ×1/);
    assert.match(await badge.getAttribute('title'), /Breaks ovhcloud/);
    // The receipt in the detail pane: its err: row carries OVHcloud's meaning.
    await openFirstOf(page3, 'deliver_sm');
    const row = page3.locator('#detail .d-sec:has(h4:text-is("Delivery receipt")) .f-row.r-err');
    await row.waitFor({ timeout: 15000 });
    assert.match(await row.textContent(), /err.*000.*No Error/s);
    // The bind breaks the system_id rule: its warning names the profile.
    await openFirstOf(page3, 'bind_transceiver');
    await waitFor(async () => /ovhcloud: system_id 'uitest'/.test(await page3.textContent('#detail')), 'the profile lint on the bind');
    await page3.screenshot({ path: path.join(artifacts, 'ui-profile.png') });
    assert.deepEqual(errors, []);
  } finally {
    await page3.close();
  }
});

test('CMPP 2.0: a session in the live table, its SUBMIT and status report in the detail pane', async () => {
  // A CMPP 2.0 ISMG behind a proxy that decides each session's protocol from its first PDU.
  const p = { sim: await freePort(), proxy: await freePort(), web: await freePort() };
  startProcess('cmpp-sim', BIN, ['sim', '--protocol', 'cmpp2', '--listen', `127.0.0.1:${p.sim}`, '--dlr-delay', '20']);
  startProcess('cmpp-proxy', BIN, ['proxy', '--listen', `127.0.0.1:${p.proxy}`, '--upstream', `127.0.0.1:${p.sim}`,
    '--web', `127.0.0.1:${p.web}`]);
  const base = `http://127.0.0.1:${p.web}/`;
  await waitFor(async () => (await fetch(base + 'healthz')).ok, 'the CMPP proxy web server');
  await runProcess('cmpp-load', BIN, ['load', '--protocol', 'cmpp2', '--target', `127.0.0.1:${p.proxy}`,
    '--system-id', '901234', '--password', 'secret', '--count', '4', '--mix', 'gbk', '--registered-delivery', '--quiet']);
  let session;
  await waitFor(async () => {
    session = (await (await fetch(base + 'api/sessions')).json()).find(s => s.protocol === 'cmpp');
    return session;
  }, 'the CMPP session in /api/sessions');
  assert.equal(session.protocol_version, '2.0');
  assert.equal(session.system_id, '901234');
  await waitFor(async () => {
    const events = await (await fetch(base + `api/pdus?session=${session.id}&limit=100`)).json();
    return events.some(e => e.command === 'CMPP_DELIVER' && e.report);
  }, 'a status report in /api/pdus');

  const page4 = await context.newPage();
  const errors = [];
  page4.on('pageerror', e => errors.push(e.message));
  page4.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    await page4.goto(base);
    await page4.waitForSelector('#conn[data-state="live"]', { timeout: 15000 });
    // The SUBMIT: a CMPP badge in the table, the specification's fields and the GBK text in the detail.
    const first = await openFirstOf(page4, 'CMPP_SUBMIT');
    assert.match(await first.textContent(), /CMPP 2\.0/);
    await waitFor(async () => /Msg_Fmt/.test(await page4.textContent('#detail')), 'the SUBMIT fields');
    const detail = await page4.textContent('#detail');
    assert.match(detail, /Header · CMPP 2\.0/);
    assert.match(detail, /Pk_total/);
    assert.match(detail, /encoding gbk/);
    // The status report: Stat and the Msg_Id's parts.
    await openFirstOf(page4, 'CMPP_DELIVER');
    await waitFor(async () => /Status report/.test(await page4.textContent('#detail')), 'the status report section');
    assert.match(await page4.textContent('#detail'), /Stat.*DELIVRD/s);
    await page4.screenshot({ path: path.join(artifacts, 'ui-cmpp.png') });
    assert.deepEqual(errors, []);
  } finally {
    await page4.close();
  }
});

test('open capture: an uploaded pcap is a workspace of its own, with its alert; back to Live', async () => {
  // The capture: an SMSC that stops answering submit_sm after 2, recorded by a proxy with
  // --pcap-dir while the load generator waits 3 s for the answers that never come.
  const p = { sim: await freePort(), rec: await freePort(), view: await freePort(), web: await freePort() };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smppscope-open-capture-'));
  startProcess('open-sim', BIN, ['sim', '--listen', `127.0.0.1:${p.sim}`, '--stop-submit-after', '2']);
  const rec = startProcess('open-rec', BIN, ['proxy', '--listen', `127.0.0.1:${p.rec}`, '--upstream', `127.0.0.1:${p.sim}`,
    '--pcap-dir', dir]);
  const exited = child => new Promise(resolve => {
    if (child.exitCode_ !== undefined) resolve(); else child.on('exit', () => resolve());
  });
  await waitFor(() => new Promise(resolve => {
    const s = net.connect(p.rec, '127.0.0.1', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  }), 'the recording proxy');
  await exited(startProcess('open-load', BIN, ['load', '--target', `127.0.0.1:${p.rec}`, '--system-id', 'recorded',
    '--password', 'pw', '--count', '4', '--window', '4', '--timeout', '3', '--quiet']));
  rec.kill('SIGTERM');
  await exited(rec);
  const file = fs.readdirSync(dir).filter(f => /\.pcap(ng)?$/.test(f)).map(f => path.join(dir, f))[0];
  assert.ok(file, `a pcap file in ${dir}: ${fs.readdirSync(dir)}`);

  // The viewer: a proxy whose diagnostics time a request out after 1 s, so the capture's
  // unanswered submits raise response_timeout in capture time.
  startProcess('open-view', BIN, ['proxy', '--listen', `127.0.0.1:${p.view}`, '--upstream', `127.0.0.1:${p.sim}`,
    '--web', `127.0.0.1:${p.web}`, '--response-timeout', '1']);
  const base = `http://127.0.0.1:${p.web}/`;
  await waitFor(async () => (await fetch(base + 'healthz')).ok, 'the viewer web server');
  const page5 = await context.newPage();
  const errors = [];
  page5.on('pageerror', e => errors.push(e.message));
  page5.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    await page5.goto(base);
    await page5.waitForSelector('#conn[data-state="live"]', { timeout: 15000 });
    await page5.setInputFiles('#capture-file', file);
    await page5.waitForSelector('#conn[data-state="capture"]', { timeout: 30000 });
    const { workspaces } = await (await fetch(base + 'api/workspaces')).json();
    const ws = workspaces.find(w => w.kind === 'capture');
    assert.ok(ws, JSON.stringify(workspaces));
    assert.equal(ws.name, path.basename(file));
    assert.equal(await page5.inputValue('#workspace'), ws.id);
    assert.match(page5.url(), new RegExp(`#workspace=${ws.id}$`));

    // The capture's traffic and its alert, as if it had been live; the live workspace has none.
    const alert = page5.locator('#alerts .alert[data-kind="response_timeout"]').first();
    await alert.waitFor({ timeout: 15000 });
    await waitFor(async () => (await page5.$$eval('.trow:not([hidden]) .c-cmd', els => els.map(e => e.textContent)))
      .includes('submit_sm'), 'the capture\'s submit_sm rows');
    assert.match(await page5.textContent('#sessions'), /recorded/);
    await alert.click();
    assert.equal(await page5.textContent('#detail h3'), 'submit_sm');
    const captured = await (await fetch(`${base}api/pdus?type=alert&workspace=${ws.id}`)).json();
    assert.ok(captured.some(e => e.kind === 'response_timeout'));
    assert.deepEqual(await (await fetch(`${base}api/pdus?type=alert`)).json(), []);
    await page5.screenshot({ path: path.join(artifacts, 'ui-capture.png') });

    // Back to Live: the live feed again, the capture still listed until it is closed.
    await page5.selectOption('#workspace', '');
    await page5.waitForSelector('#conn[data-state="live"]', { timeout: 15000 });
    assert.equal(await page5.inputValue('#workspace'), '');
    assert.equal(await page5.locator('#alerts .alert[data-kind="response_timeout"]').count(), 0);
    assert.equal(await page5.locator('#workspace option').count(), 2);
    assert.deepEqual(errors, []);
  } finally {
    await page5.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
