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
const eventCount = async () => Number((await page.textContent('#stat-events')).replace(/,/g, ''));

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
  await page.locator('.trow:not([hidden])').nth(2).click();
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
  await page.locator('.trow:not([hidden])').first().click();
  const receipt = await page.locator('#detail .d-sec:has(h4:text-is("Delivery receipt"))').textContent();
  assert.match(receipt, /stat/);
  assert.match(receipt, /DELIVRD|UNDELIV|EXPIRED|REJECTD|ACCEPTD|DELETED|UNKNOWN/);
  assert.match(await page.locator('#detail .d-sec:has(h4:text-is("TLVs"))').textContent(), /receipted_message_id/);
  // A long message: its parts carry a UDH and the pane puts them back together.
  await filter({ command: 'submit_sm', text: 'concatenation' });
  await waitFor(async () => (await visibleCommands()).length > 0 && (await visibleCommands()).every(c => c === 'submit_sm'), 'long message parts');
  await page.locator('.trow:not([hidden])').first().click();
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

test('no script errors, and screenshots in both themes', async () => {
  await filter({ command: 'submit_sm' });
  await page.locator('.trow:not([hidden])').nth(4).click();
  await page.screenshot({ path: path.join(artifacts, 'ui-dark.png') });
  await page.click('#btn-theme');
  assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
  await page.screenshot({ path: path.join(artifacts, 'ui-light.png') });
  await page.click('#btn-theme');
  await page.click('#f-clear');
  assert.deepEqual(page.errors, []);
});
