// Lodestar dashboard: reads the public JSON APIs of this instance and renders them.
//
// Rules kept throughout:
// - every value from the API is rendered as text (textContent, text nodes, setAttribute on a
//   fixed list of harmless attributes); no API that parses HTML is ever called;
// - the proxy key lives in sessionStorage and travels only in the Authorization header;
// - the only state-changing calls are the registry's approve / promote / rollback, each after
//   a confirmation, as same-origin JSON POSTs (see post()).

import { barChart, gauge, shareChart } from './charts.js';

const KEY_STORE = 'lodestar.dashboard.key';
const PAGES = ['overview', 'routing', 'sessions', 'health', 'models'];
const SEVERITIES = ['OK', 'INFO', 'WARNING', 'CRITICAL'];
/** Where the learning registry answers when the learning bundle is installed. */
const REGISTRY = '/api/learning/models';

// ---------------------------------------------------------------------------------------------
// DOM helpers: text only

const ATTRIBUTES = new Set(['title', 'scope', 'colspan', 'type', 'disabled', 'role', 'id',
  'aria-label', 'datetime', 'hidden']);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) {
        continue;
      }
      if (name === 'class') {
        node.className = value;
      } else if (name === 'text') {
        node.textContent = String(value);
      } else if (name.startsWith('data-') || ATTRIBUTES.has(name)) {
        node.setAttribute(name, value === true ? '' : String(value));
      } else {
        throw new Error(`attribute not allowed: ${name}`);
      }
    }
  }
  append(node, children);
  return node;
}

function append(node, child) {
  if (child === undefined || child === null || child === false) {
    return;
  }
  if (Array.isArray(child)) {
    child.forEach((c) => append(node, c));
  } else if (child instanceof Node) {
    node.appendChild(child);
  } else {
    node.appendChild(document.createTextNode(String(child)));
  }
}

const $ = (selector) => document.querySelector(selector);

function figure(name, text, sub, value) {
  const main = document.querySelector(`[data-figure="${name}"]`);
  if (main) {
    main.textContent = text;
    if (value !== undefined && value !== null) {
      main.setAttribute('data-value', String(value));
    }
  }
  const below = document.querySelector(`[data-figure="${name}-sub"]`);
  if (below) {
    below.textContent = sub || '';
  }
}

/**
 * A table.
 *
 * @param {{label: string, num?: boolean}[]} columns headers
 * @param {Array<Array<string|Node>>} rows cells (strings become text)
 * @param {string} empty what to say when there are no rows
 * @param {string} name data-table name
 */
function table(columns, rows, empty, name) {
  if (!rows.length) {
    return el('p', { class: 'muted', 'data-table': name, text: empty });
  }
  return el('table', { 'data-table': name },
      el('thead', null, el('tr', null, columns.map((c) => el('th', {
        scope: 'col', class: c.num ? 'num' : null, text: c.label,
      })))),
      el('tbody', null, rows.map((cells) => el('tr', null, cells.map((cell, i) => el('td', {
        class: columns[i].num ? 'num' : null,
      }, cell))))));
}

// ---------------------------------------------------------------------------------------------
// Formatting

const INTEGER = new Intl.NumberFormat('en-US');
const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

function int(value) {
  return value === null || value === undefined ? '–' : INTEGER.format(Number(value));
}

function compact(value) {
  return value === null || value === undefined ? '–' : COMPACT.format(Number(value));
}

function usd(value) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) {
    return '–';
  }
  const n = Number(value);
  const abs = Math.abs(n);
  if (abs === 0) {
    return '$0';
  }
  if (abs >= 1) {
    return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  }
  if (abs >= 0.01) {
    return `$${n.toFixed(4)}`;
  }
  if (abs >= 0.000001) {
    return `$${n.toFixed(6)}`;
  }
  return `$${n.toExponential(2)}`;
}

function percent(ratio, digits = 1) {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio) ? '–'
    : `${(ratio * 100).toFixed(digits)} %`;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '–';
  }
  if (seconds < 60) {
    return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
  }
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function time(iso) {
  if (!iso) {
    return '–';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return String(iso);
  }
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} `
    + `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function keyName(key) {
  return key === '' || key === null || key === undefined ? '(none)' : String(key);
}

function shortHash(key) {
  const text = keyName(key);
  return text.length > 12 ? `${text.slice(0, 12)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// API access

class AuthError extends Error {
  constructor(path) {
    super(`${path} needs a valid proxy key`);
    this.name = 'AuthError';
  }
}

class HttpError extends Error {
  constructor(path, status, detail) {
    super(status === 404 ? `${path} answered 404: not installed here?`
      : `${path} answered ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'HttpError';
    this.status = status;
  }
}

function storedKey() {
  try {
    return sessionStorage.getItem(KEY_STORE) || '';
  } catch (e) {
    return '';
  }
}

function storeKey(key) {
  try {
    if (key) {
      sessionStorage.setItem(KEY_STORE, key);
    } else {
      sessionStorage.removeItem(KEY_STORE);
    }
  } catch (e) {
    // storage disabled: the key is then asked for again on every load
  }
}

async function call(path, accept) {
  const headers = new Headers({ Accept: accept });
  const key = storedKey();
  if (key) {
    headers.set('Authorization', `Bearer ${key}`);
  }
  return fetch(path, {
    headers, method: 'GET', cache: 'no-store', credentials: 'same-origin', redirect: 'error',
  });
}

/**
 * A state-changing call: same-origin POST of a JSON body with the key in the Authorization
 * header. The server refuses other origins and non-JSON bodies (CSRF), and a cookie never
 * carries the key, so a page elsewhere cannot make the browser send this.
 */
async function post(path, body) {
  const headers = new Headers({ Accept: 'application/json', 'Content-Type': 'application/json' });
  const key = storedKey();
  if (key) {
    headers.set('Authorization', `Bearer ${key}`);
  }
  const response = await fetch(path, {
    headers, method: 'POST', body: JSON.stringify(body), cache: 'no-store',
    credentials: 'same-origin', redirect: 'error',
  });
  if (response.status === 401) {
    throw new AuthError(path);
  }
  if (!response.ok) {
    throw new HttpError(path, response.status, await detail(response));
  }
  return response.json();
}

async function detail(response) {
  try {
    const text = await response.text();
    try {
      const body = JSON.parse(text);
      if (body && body.error && body.error.message) {
        return String(body.error.message).slice(0, 300);
      }
    } catch (e) {
      // not JSON
    }
    return text.slice(0, 300);
  } catch (e) {
    return '';
  }
}

/**
 * GET a JSON document.
 *
 * @param {string} path the path
 * @param {number[]} accepted statuses besides 2xx whose body is still the document (503 of
 *     /health when DOWN)
 */
async function json(path, accepted = []) {
  const response = await call(path, 'application/json');
  if (response.status === 401) {
    throw new AuthError(path);
  }
  if (!response.ok && !accepted.includes(response.status)) {
    throw new HttpError(path, response.status, await detail(response));
  }
  return { status: response.status, body: await response.json() };
}

async function text(path) {
  const response = await call(path, 'text/plain');
  if (response.status === 401) {
    throw new AuthError(path);
  }
  if (!response.ok) {
    throw new HttpError(path, response.status, await detail(response));
  }
  return response.text();
}

/** Runs one panel's loader; its failure is shown in the panel, a 401 goes up. */
async function panel(container, work) {
  try {
    await work();
  } catch (e) {
    if (e instanceof AuthError) {
      throw e;
    }
    if (container) {
      container.replaceChildren(el('p', { class: 'error', text: e.message || String(e) }));
    }
    return e;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Pages

const range = () => $('#range').value;
let hourly = true;

function fillDays(rows, since, until) {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const start = new Date(since);
  const end = new Date(until);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())
      || !rows.every((r) => /^\d{4}-\d{2}-\d{2}$/.test(r.key))) {
    return rows;
  }
  const out = [];
  const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  while (day <= end && out.length < 400) {
    const key = day.toISOString().slice(0, 10);
    out.push(byKey.get(key) || { key, requests: 0, costUsd: 0, baselineCostUsd: 0 });
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return out;
}

async function overview() {
  let usage;
  let by = range() === '24h' && hourly ? 'hour' : 'day';
  try {
    usage = (await json(`/api/usage?groupBy=${by}&since=${encodeURIComponent(range())}`)).body;
  } catch (e) {
    if (by !== 'hour' || !(e instanceof HttpError) || e.status !== 400) {
      throw e;
    }
    hourly = false;
    by = 'day';
    usage = (await json(`/api/usage?groupBy=day&since=${encodeURIComponent(range())}`)).body;
  }
  const total = usage.total || {};
  const tokens = total.tokens || {};
  const savings = total.savings || {};
  figure('requests', int(total.requests), `${int(total.errors)} errors · ${int(total.cacheHits)}`
      + ' cache hits', total.requests);
  figure('tokens', compact((tokens.input || 0) + (tokens.output || 0)),
      `${int(tokens.input)} in · ${int(tokens.output)} out`, (tokens.input || 0)
      + (tokens.output || 0));
  figure('cost', usd(total.costUsd), `baseline ${usd(total.baselineCostUsd)}`
      + (total.pricing && total.pricing.unpriced ? ` · ${int(total.pricing.unpriced)} unpriced`
        : ''), total.costUsd);
  figure('saved', usd(savings.savedUsd), savings.savedPercent === null
      || savings.savedPercent === undefined ? 'no request with a known baseline yet'
    : `${savings.savedPercent} % less than the baseline model, over `
      + `${int(savings.comparableRequests)} comparable requests`, savings.savedUsd);
  const rows = by === 'day' ? fillDays(usage.rows || [], usage.since, usage.until)
    : usage.rows || [];
  const labels = rows.map((r) => (by === 'day' ? String(r.key).slice(5) : String(r.key)));
  barChart($('#chart-requests'), {
    name: 'requests', title: 'Requests over time', labels, format: (v) => compact(v),
    series: [{ name: 'requests', cls: 's0', values: rows.map((r) => Number(r.requests) || 0) }],
  });
  barChart($('#chart-cost'), {
    name: 'cost', title: 'Spend vs baseline over time', labels, format: usd,
    series: [
      { name: 'spend', cls: 's1', values: rows.map((r) => Number(r.costUsd) || 0) },
      { name: 'baseline', cls: 's2', values: rows.map((r) => Number(r.baselineCostUsd) || 0) },
    ],
  });
  $('#overview-note').textContent = `${time(usage.since)} – ${time(usage.until)}, per ${by}`
    + (by === 'day' ? ' (UTC days)' : '');
}

async function routing() {
  const since = encodeURIComponent(range());
  const [models, providers, strategies] = await Promise.all([
    json(`/api/usage?groupBy=model&since=${since}`),
    json(`/api/usage?groupBy=provider&since=${since}`),
    json(`/api/usage?groupBy=strategy&since=${since}`),
  ]);
  const total = models.body.total || {};
  const rows = models.body.rows || [];
  const requests = Number(total.requests) || 0;
  const share = (n) => (requests > 0 ? (Number(n) || 0) / requests : null);
  figure('models', int(rows.length), rows.length ? `most used: ${keyName(
      [...rows].sort((a, b) => b.requests - a.requests)[0].key)}` : 'no requests yet',
  rows.length);
  figure('cache', percent(share(total.cacheHits)), `${int(total.cacheHits)} of ${int(requests)}`
      + ' answered from the cache', total.cacheHits);
  const extra = Math.max(0, (Number(total.attempts) || 0) - requests);
  figure('extra', int(extra), `attempts beyond the first (retries, fail-over, escalation) · `
      + `${int(total.modelSwitches)} model switches`, extra);
  figure('errors', percent(share(total.errors)), `${int(total.errors)} failed requests`,
      total.errors);
  shareChart($('#chart-models'), {
    name: 'models', title: 'Share of requests per model',
    rows: rows.map((r) => ({ label: keyName(r.key), value: Number(r.requests) || 0 }))
        .sort((a, b) => b.value - a.value),
    format: (v, s) => `${int(v)} (${percent(s)})`,
  });
  $('#table-models').replaceChildren(table([
    { label: 'Model' }, { label: 'Requests', num: true }, { label: 'Share', num: true },
    { label: 'Cache hits', num: true }, { label: 'Errors', num: true },
    { label: 'Avg latency', num: true }, { label: 'Cost', num: true },
    { label: 'Baseline', num: true },
  ], rows.map((r) => [keyName(r.key), int(r.requests), percent(share(r.requests)),
    int(r.cacheHits), int(r.errors), r.avgLatencyMs === null ? '–' : `${int(r.avgLatencyMs)} ms`,
    usd(r.costUsd), usd(r.baselineCostUsd)]), 'No requests in this range.', 'models'));
  const small = (body, name, label) => table([
    { label }, { label: 'Requests', num: true }, { label: 'Share', num: true },
    { label: 'Cost', num: true },
  ], (body.rows || []).map((r) => [keyName(r.key), int(r.requests), percent(share(r.requests)),
    usd(r.costUsd)]), 'No requests in this range.', name);
  $('#table-providers').replaceChildren(small(providers.body, 'providers', 'Provider'));
  $('#table-strategies').replaceChildren(small(strategies.body, 'strategies', 'Strategy'));
  await panel($('#table-recent'), recentRequests);
}

/** The latest requests and the router's explanation of each route. */
async function recentRequests() {
  const since = encodeURIComponent(range());
  const body = (await json(`/api/usage/requests?since=${since}&limit=25`)).body;
  $('#table-recent').replaceChildren(table([
    { label: 'Time' }, { label: 'Asked for' }, { label: 'Served by' }, { label: 'Strategy' },
    { label: 'Why (x-lodestar-route)' }, { label: 'Status', num: true },
    { label: 'Latency', num: true }, { label: 'Cost', num: true },
  ], (body.requests || []).map((r) => [time(r.timestamp),
    el('span', { class: 'mono', text: keyName(r.requestedModel) }),
    el('span', { class: 'mono', text: `${keyName(r.providerId)}/${keyName(r.model)}` }),
    keyName(r.strategy), r.cacheHit ? 'cache hit' : keyName(r.route),
    int(r.status), Number.isFinite(r.latencyMs) ? `${int(r.latencyMs)} ms` : '–',
    usd(r.costUsd)]), 'No request in this range.', 'recent'));
}

async function sessions() {
  const since = encodeURIComponent(range());
  const container = $('#table-sessions');
  await Promise.all([
    panel(container, async () => {
      const body = (await json(`/api/usage/sessions?since=${since}&limit=100`)).body;
      const list = body.sessions || [];
      const durations = list.map((s) => Number(s.durationSeconds) || 0).sort((a, b) => a - b);
      const median = durations.length ? durations[Math.floor(durations.length / 2)] : null;
      const switches = list.reduce((sum, s) => sum + (Number(s.modelSwitches) || 0), 0);
      const cost = list.reduce((sum, s) => sum + (Number(s.costUsd) || 0), 0);
      figure('sessions', int(list.length), list.length >= body.limit
        ? `the ${int(body.limit)} most recent` : 'with a session id', list.length);
      figure('duration', duration(median), durations.length
        ? `longest ${duration(durations[durations.length - 1])}` : '', median);
      const switching = list.filter((s) => s.modelSwitches > 0).length;
      figure('switches', int(switches), `in ${int(switching)} of ${int(list.length)} sessions`,
          switches);
      figure('session-cost', usd(list.length ? cost / list.length : null),
          `${usd(cost)} in total`, list.length ? cost / list.length : null);
      container.replaceChildren(table([
        { label: 'Session' }, { label: 'Client' }, { label: 'Started' },
        { label: 'Duration', num: true }, { label: 'Requests', num: true },
        { label: 'Switches', num: true }, { label: 'Cost', num: true },
        { label: 'Saved', num: true },
      ], list.map((s) => [
        el('span', { title: keyName(s.session), class: 'mono', text: shortHash(s.session) }),
        keyName(s.client), time(s.start), duration(s.durationSeconds), int(s.requests),
        int(s.modelSwitches), usd(s.costUsd),
        s.savings && s.savings.savedPercent !== null ? `${s.savings.savedPercent} %` : '–',
      ]), 'No session in this range (clients send x-lodestar-session or '
        + 'x-claude-code-session-id).', 'sessions'));
    }),
    panel($('#table-switches'), async () => {
      const body = (await json(`/api/usage/switches?since=${since}&limit=25`)).body;
      $('#table-switches').replaceChildren(table([
        { label: 'When' }, { label: 'Session' }, { label: 'Provider' }, { label: 'From' },
        { label: 'To' },
      ], (body.switches || []).map((s) => [time(s.timestamp),
        el('span', { title: keyName(s.session), class: 'mono', text: shortHash(s.session) }),
        keyName(s.provider), keyName(s.from), keyName(s.to)]),
      'No model switch in this range.', 'switches'));
    }),
  ]);
}

/**
 * Parses the Prometheus text format.
 *
 * @param {string} body the exposition
 * @returns {{name: string, labels: Map<string, string>, value: number}[]} samples
 */
function parseMetrics(body) {
  const samples = [];
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) {
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) {
      continue;
    }
    const labels = new Map();
    for (const l of (m[2] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels.set(l[1], l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c)));
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

function gpus(samples) {
  const byGpu = new Map();
  for (const s of samples) {
    if (!s.name.startsWith('lodestar_gpu_') || !s.labels.has('gpu')) {
      continue;
    }
    const id = `${s.labels.get('host') || ''}#${s.labels.get('gpu')}`;
    if (!byGpu.has(id)) {
      byGpu.set(id, { host: s.labels.get('host') || '', index: s.labels.get('gpu'),
        name: s.labels.get('name') || '', values: new Map() });
    }
    byGpu.get(id).values.set(s.name.slice('lodestar_gpu_'.length), s.value);
  }
  return [...byGpu.values()];
}

function renderGpus(container, samples) {
  const list = gpus(samples);
  if (!list.length) {
    const up = samples.find((s) => s.name === 'lodestar_gpu_up');
    container.replaceChildren(el('p', { class: 'muted', 'data-gpu': 'none', text: up
      ? `No GPU reported (probe state: ${up.labels.get('state') || 'unknown'}).`
      : 'No GPU metrics: the gpu-probe is not installed, or /metrics has no lodestar_gpu_* '
        + 'gauges.' }));
    return;
  }
  const level = (r, warn, bad) => (r >= bad ? 'bad' : r >= warn ? 'warn' : 'ok');
  container.replaceChildren(...list.map((g) => {
    const v = g.values;
    const temp = v.get('temperature_celsius');
    const util = v.get('utilization_ratio');
    const used = v.get('memory_used_bytes');
    const memTotal = v.get('memory_total_bytes');
    const draw = v.get('power_draw_watts');
    const limit = v.get('power_limit_watts');
    const mem = used !== undefined && memTotal ? used / memTotal : null;
    const power = draw !== undefined && limit ? draw / limit : null;
    const gib = (b) => (b === undefined ? '–' : `${(b / 1073741824).toFixed(1)} GiB`);
    return el('div', { class: 'gpu', 'data-gpu': g.index },
        el('h3', { text: `GPU ${g.index} · ${g.name}${g.host ? ` · ${g.host}` : ''}` }),
        el('div', { class: 'gauges' },
            gauge('temperature', temp === undefined ? null : temp / 100,
                temp === undefined ? '–' : `${Math.round(temp)} °C`, level(temp / 100, 0.8, 0.9)),
            gauge('utilisation', util === undefined ? null : util, percent(util, 0),
                level(util, 2, 2)),
            gauge('memory', mem, mem === null ? '–' : percent(mem, 0), level(mem, 0.9, 0.97)),
            gauge('power', power, draw === undefined ? '–' : `${Math.round(draw)} W`,
                level(power, 0.9, 1))),
        el('p', { class: 'muted', text: `memory ${gib(used)} of ${gib(memTotal)}`
          + (limit ? ` · power limit ${Math.round(limit)} W` : '') }));
  }));
}

function severityBadge(severity) {
  const known = SEVERITIES.includes(severity) ? severity : 'UNKNOWN';
  return el('span', { class: `badge sev-${known.toLowerCase()}`, text: known });
}

async function health() {
  const results = await Promise.all([
    panel($('#table-checks'), async () => {
      const response = await json('/health', [503]);
      const report = response.body;
      const status = String(report.status || 'UNKNOWN');
      figure('status', status, `${report.instanceName ? `${report.instanceName} · ` : ''}up `
          + `${duration(Number(report.uptimeSeconds))}`, status);
      const statusNode = document.querySelector('[data-figure="status"]');
      statusNode.className = `figure status-${['UP', 'DEGRADED', 'DOWN'].includes(status)
        ? status.toLowerCase() : 'unknown'}`;
      const checks = [...(report.checks || [])].sort((a, b) =>
        SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity)
          || String(a.name).localeCompare(String(b.name)));
      const bad = checks.filter((c) => c.severity === 'WARNING' || c.severity === 'CRITICAL');
      figure('checks', int(checks.length), bad.length ? `${int(bad.length)} warning or critical`
        : 'all OK or informational', checks.length);
      $('#table-checks').replaceChildren(table([
        { label: 'Level' }, { label: 'Check' }, { label: 'Message' }, { label: 'Checked' },
      ], checks.map((c) => [severityBadge(c.severity), keyName(c.name), keyName(c.message),
        time(c.checkedAt)]), 'No check reported.', 'checks'));
      $('#table-modules').replaceChildren(table([
        { label: 'Module' }, { label: 'Enabled' }, { label: 'Status' },
      ], (report.modules || []).map((m) => [keyName(m.name), m.enabled ? 'yes' : 'no',
        keyName(m.status)]), 'No module reported.', 'modules'));
    }),
    panel(null, async () => {
      const ready = await json('/health/ready', [503]);
      const reasons = ready.body.reasons || [];
      const checked = ready.body.checkedAt ? `round of ${time(ready.body.checkedAt).slice(11)}`
        : 'no round yet';
      figure('ready', ready.status === 200 ? 'ready' : 'not ready', reasons.length
        ? `${checked}: ${reasons.join('; ')}` : checked, ready.body.status);
    }),
    panel($('#table-alerts'), alertsTimeline),
    panel($('#gpu'), async () => {
      const samples = parseMetrics(await text('/metrics'));
      renderGpus($('#gpu'), samples);
    }),
  ]);
  if (results[1]) {
    figure('ready', 'unknown', results[1].message);
  }
  if (results[2]) {
    figure('alerts', '–', results[2].message);
  }
}

/** Alerts per hour over the last 12 hours (per level) and the most recent ones, newest first. */
async function alertsTimeline() {
  const body = (await json('/health/alerts?limit=200')).body;
  const alerts = body.alerts || [];
  const raised = body.counts || {};
  figure('alerts', int(Number(raised.CRITICAL || 0) + Number(raised.WARNING || 0)
      + Number(raised.INFO || 0)), `${int(raised.CRITICAL)} critical · ${int(raised.WARNING)} `
      + `warning · ${int(raised.INFO)} info, since the health bundle started`);
  const hours = 12;
  const hour = 3600 * 1000;
  const end = Math.floor(Date.now() / hour) * hour + hour;
  const labels = [];
  for (let i = hours; i > 0; i--) {
    labels.push(`${String(new Date(end - i * hour).getHours()).padStart(2, '0')}:00`);
  }
  const levels = ['CRITICAL', 'WARNING', 'INFO'];
  const counts = Object.fromEntries(levels.map((l) => [l, new Array(hours).fill(0)]));
  for (const alert of alerts) {
    const at = new Date(alert.raisedAt).getTime();
    const slot = hours - 1 - Math.floor((end - 1 - at) / hour);
    if (!alert.recovery && counts[alert.severity] && slot >= 0 && slot < hours) {
      counts[alert.severity][slot] += 1;
    }
  }
  barChart($('#chart-alerts'), {
    name: 'alerts', title: 'Alerts raised per hour, last 12 hours', labels,
    format: (v) => (Number.isInteger(v) ? int(v) : ''),
    series: levels.map((l) => ({ name: l.toLowerCase(), cls: `sev-${l.toLowerCase()}`,
      values: counts[l] })),
  });
  $('#table-alerts').replaceChildren(table([
    { label: 'Raised' }, { label: 'Level' }, { label: 'Check' }, { label: 'Message' },
  ], alerts.slice(0, 50).map((a) => [time(a.raisedAt), a.recovery
    ? el('span', { class: 'badge sev-ok', text: 'RECOVERED' }) : severityBadge(a.severity),
  keyName(a.key), keyName(a.message)]), 'No alert since the health bundle started.', 'alerts'));
}

async function models() {
  await Promise.all([
    panel($('#table-v1models'), async () => {
      const body = (await json('/v1/models')).body;
      const list = [...(body.data || [])].sort((a, b) => String(a.id).localeCompare(String(b.id)));
      $('#table-v1models').replaceChildren(table([
        { label: 'Model' }, { label: 'Kind' }, { label: 'Owned by' },
      ], list.map((m) => [el('span', { class: 'mono', text: keyName(m.id) }),
        m.owned_by === 'lodestar' ? 'virtual (routed)' : 'provider model', keyName(m.owned_by)]),
      'No model is served: no provider has a key, or none is reachable.', 'v1models'));
    }),
    panel($('#table-registry'), registry),
  ]);
}

/** The learning registry's versions with the action each state allows. */
async function registry() {
  const state = $('#registry-state');
  let response;
  try {
    response = await call(REGISTRY, 'application/json');
  } catch (e) {
    response = null;
  }
  if (response && response.status === 401) {
    throw new AuthError(REGISTRY);
  }
  if (!response || response.status === 404) {
    state.setAttribute('data-registry', 'absent');
    state.textContent = 'Not installed: the learning registry (module "learning") is not '
      + 'present, so there is nothing to approve, promote or roll back.';
    $('#table-registry').replaceChildren();
    $('#table-ab').replaceChildren();
    return;
  }
  if (!response.ok) {
    state.setAttribute('data-registry', 'refused');
    state.textContent = response.status === 403
      ? 'The registry needs the admin key: sign in with it to see and change model versions.'
      : `${REGISTRY} answered ${response.status}: ${await detail(response)}`;
    $('#table-registry').replaceChildren();
    return;
  }
  const versions = await response.json();
  state.setAttribute('data-registry', 'present');
  state.textContent = versions.length
    ? `${int(versions.length)} version(s). Approve deploys a candidate to Ollama; promote makes `
      + 'an approved version live (the one before it is retired); roll back puts the previous '
      + 'live version back.'
    : 'No trained version yet: build a dataset and run a training job (lodestar:dataset build, '
      + 'lodestar:train).';
  const scores = await benchmarks();
  $('#table-registry').replaceChildren(table([
    { label: 'Model' }, { label: 'Version', num: true }, { label: 'State' },
    { label: 'Base' }, { label: 'Dataset' }, { label: 'Backend' }, { label: 'Metrics' },
    { label: 'Benchmark' }, { label: 'Created' }, { label: 'Approved by' },
    { label: 'Served as' }, { label: 'Action' },
  ], versions.map((v) => [
    el('span', { class: 'mono', text: keyName(v.name) }), `v${int(v.version)}`,
    el('span', { class: `badge state-${String(v.state).replace(/[^a-z]/g, '')}`,
      'data-state': v.state, text: v.state }),
    keyName(v.baseModel), el('span', { class: 'mono', text: shortHash(v.datasetId) }),
    keyName(v.backend), metrics(v.metrics), benchmarkCell(v, scores),
    time(v.createdMs ? new Date(v.createdMs)
      .toISOString() : null), v.approvedBy ? String(v.approvedBy) : '–',
    v.deployedAs ? el('span', { class: 'mono', text: v.deployedAs }) : '–',
    actionFor(v),
  ]), 'No version in the registry.', 'registry'));
  await panel($('#table-ab'), abReport);
}

/**
 * The latest benchmark run of every version: its own score ("target") and the live version's in
 * the same run; null when the benchmark is not installed.
 */
async function benchmarks() {
  const response = await call('/api/learning/benchmarks', 'application/json');
  if (!response.ok) {
    return null;
  }
  const rows = await response.json();
  const latest = new Map();
  for (const row of Array.isArray(rows) ? rows : []) {
    const key = `${row.name}|${row.version}`;
    const runs = latest.get(key) || new Map();
    if (!runs.has(row.run)) {
      runs.set(row.run, { createdMs: row.createdMs });
    }
    runs.get(row.run)[row.role === 'live' ? 'live' : 'target'] = row;
    latest.set(key, runs);
  }
  const out = new Map();
  for (const [key, runs] of latest) {
    out.set(key, [...runs.values()].sort((a, b) => (b.createdMs || 0) - (a.createdMs || 0))[0]);
  }
  return out;
}

function score(row) {
  if (!row) {
    return '';
  }
  if (row.state !== 'done') {
    return String(row.state);
  }
  return `${int(row.passed)}/${int(row.total)} (${percent(row.score, 0)})`;
}

function benchmarkCell(version, scores) {
  if (!scores) {
    return '–';
  }
  const run = scores.get(`${version.name}|${version.version}`);
  const text = run ? score(run.target) + (run.live ? ` · live v${run.live.version} `
    + `${score(run.live)}` : '') : 'not run';
  const cell = [el('span', { 'data-benchmark': `${version.name}|${version.version}`, text })];
  if (version.state === 'candidate') {
    const button = el('button', { type: 'button', 'data-action': 'benchmark',
      'data-model': version.name, 'data-version': version.version, text: 'Run' });
    button.addEventListener('click', async () => {
      button.disabled = true;
      const result = $('#registry-result');
      try {
        const run = await post(`/api/learning/benchmarks/${encodeURIComponent(version.name)}/`
          + `${version.version}`, {});
        result.setAttribute('data-outcome', 'ok');
        result.textContent = `Benchmark of ${version.name} v${version.version} queued (run `
          + `${run.run}); the score appears here when it is done.`;
      } catch (e) {
        result.setAttribute('data-outcome', 'refused');
        result.textContent = `Benchmark refused: ${e.message || e}`;
      }
      result.hidden = false;
      refresh();
    });
    cell.push(' ', button);
  }
  return el('span', null, cell);
}

function metrics(values) {
  if (!values || typeof values !== 'object') {
    return '–';
  }
  const entries = Object.entries(values).filter(([, v]) => typeof v === 'number'
    || typeof v === 'string');
  return entries.length ? entries.slice(0, 4).map(([k, v]) => `${k} ${typeof v === 'number'
    ? Number(v.toPrecision(4)) : v}`).join(' · ') : '–';
}

/** The button of the one action a version's state allows; the server has the last word. */
function actionFor(version) {
  const spec = {
    candidate: ['approve', 'Approve…', `/models/${encodeURIComponent(version.name)}/`
      + `${version.version}/approve`],
    approved: ['promote', 'Promote…', `/models/${encodeURIComponent(version.name)}/`
      + `${version.version}/promote`],
    live: ['rollback', 'Roll back…', `/models/${encodeURIComponent(version.name)}/rollback`],
  }[version.state];
  if (!spec) {
    return '–';
  }
  const [action, label, path] = spec;
  const button = el('button', {
    type: 'button', class: action === 'approve' ? null : 'danger', 'data-action': action,
    'data-model': version.name, 'data-version': version.version, text: label,
  });
  button.addEventListener('click', async () => {
    const subject = action === 'rollback' ? `${version.name} (live v${version.version} goes, `
      + 'the previous live version comes back)' : `${version.name} v${version.version}`;
    if (!await confirmAction(label.replace('…', ''), subject)) {
      return;
    }
    button.disabled = true;
    await perform(label.replace('…', ''), path, { by: 'dashboard' }, action === 'approve'
      ? () => overrideButton(version, path) : null);
  });
  return button;
}

/**
 * Sends a confirmed action and shows its outcome; when the benchmark gate refused an approval,
 * offers the override next to the reason.
 */
async function perform(what, path, body, onGateRefusal) {
  const result = $('#registry-result');
  try {
    const done = await post(`/api/learning${path}`, body);
    result.setAttribute('data-outcome', 'ok');
    const subject = done.version !== undefined ? `${done.name} v${done.version}`
      : `the experiment of ${done.model}`;
    result.textContent = `${what}: ${subject} is now `
      + `${done.state}${done.deployedAs ? ` (served as ${done.deployedAs})` : ''}.`;
  } catch (e) {
    if (e instanceof AuthError) {
      showLogin('The key was not accepted.');
      return;
    }
    result.setAttribute('data-outcome', 'refused');
    result.textContent = `${what} refused: ${e.message || e}`;
    if (onGateRefusal && e.status === 409 && /override/.test(e.message || '')) {
      result.append(' ', onGateRefusal());
    }
  }
  result.hidden = false;
  refresh();
}

function overrideButton(version, path) {
  const button = el('button', { type: 'button', class: 'danger', 'data-action': 'override',
    'data-model': version.name, 'data-version': version.version, text: 'Approve anyway…' });
  button.addEventListener('click', async () => {
    if (!await confirmAction('Approve anyway', `${version.name} v${version.version}, against `
        + 'the benchmark gate (the override is recorded in its history)')) {
      return;
    }
    button.disabled = true;
    await perform('Approve anyway', path, { by: 'dashboard', override: true }, null);
  });
  return button;
}

/** The start or stop button of a virtual model's A/B experiment. */
function experimentButton(model, state) {
  const start = state !== 'running';
  const action = start ? 'start' : 'stop';
  const button = el('button', { type: 'button', class: start ? null : 'danger',
    'data-action': `ab-${action}`, 'data-model': model, text: start ? 'Start…' : 'Stop…' });
  button.addEventListener('click', async () => {
    if (!await confirmAction(start ? 'Start the experiment' : 'Stop the experiment', start
      ? `of ${model} (the candidate gets its configured share of the sessions)`
      : `of ${model} (every session goes to the live version; the figures stay)`)) {
      return;
    }
    button.disabled = true;
    await perform(start ? 'Start' : 'Stop', `/ab/${encodeURIComponent(model)}/${action}`,
      { by: 'dashboard' }, null);
  });
  return button;
}

/** The A/B experiments: per virtual model and arm, with 95 % intervals. */
async function abReport() {
  const response = await call('/api/learning/ab', 'application/json');
  if (response.status === 404) {
    $('#table-ab').replaceChildren(el('p', { class: 'muted', 'data-table': 'ab',
      text: 'No A/B strategy is running (the learning bundle\'s "ab" strategy is off).' }));
    return;
  }
  if (!response.ok) {
    throw new HttpError('/api/learning/ab', response.status, await detail(response));
  }
  const body = await response.json();
  const interval = (v, scale, digits, unit) => {
    if (!v || !Number.isFinite(v.value)) {
      return '–';
    }
    const value = `${(v.value * scale).toFixed(digits)}${unit}`;
    return Number.isFinite(v.low) && Number.isFinite(v.high) ? `${value} [${(v.low * scale)
      .toFixed(digits)}, ${(v.high * scale).toFixed(digits)}]` : value;
  };
  const rows = [];
  const experiments = body.experiments || {};
  for (const model of Object.keys(experiments).sort()) {
    const byArm = experiments[model] || {};
    const differences = byArm.difference || (body.differences || {})[model];
    for (const arm of Object.keys(byArm).sort()) {
      const f = byArm[arm];
      if (arm === 'difference' || !f || typeof f.requests !== 'number') {
        continue;
      }
      const rated = f.feedback && f.feedback.count ? `${interval(f.feedback.meanRating, 1, 2,
        '')} (${int(f.feedback.count)} rated)` : 'no rating';
      rows.push([el('span', { class: 'mono', text: model }), f.model ? `${arm} · ${f.model}`
        : arm, int(f.requests), interval(f.errorRate, 100, 1, ' %'),
      interval(f.escalationRate, 100, 1, ' %'), rated, interval(f.latencyMs, 1, 0, ' ms'),
      interval(f.costUsd, 1, 6, '')]);
    }
    if (differences && typeof differences === 'object') {
      rows.push([el('span', { class: 'mono', text: model }), 'candidate − live', '',
        interval(differences.errorRate, 100, 1, ' pt'),
        interval(differences.escalationRate, 100, 1, ' pt'),
        interval(differences.meanRating, 1, 2, ''),
        interval(differences.latencyMs, 1, 0, ' ms'), interval(differences.costUsd, 1, 6, '')]);
    }
  }
  const arms = Object.entries(body.arms || {}).map(([name, a]) => `${name}: live `
    + `${a.live || 'none'}, candidate ${a.candidate || 'none'}`);
  const states = Object.entries(body.status || {}).map(([model, s]) => el('p', {
    'data-experiment': model, 'data-state': s.state },
  el('span', { class: 'mono', text: model }), ` ${s.state}${Number.isFinite(s.candidatePercent)
    ? ` (candidate ${s.candidatePercent} % of the sessions)` : ''}${s.changedBy
    ? ` · ${s.changedBy}, ${s.changedAt}` : ''} `, experimentButton(model, s.state)));
  $('#table-ab').replaceChildren(
      el('p', { class: 'muted', 'data-ab-arms': '', text: arms.length ? arms.join(' · ')
        : 'No registry model has a live or approved version yet.' }), ...states,
      table([{ label: 'Virtual model' }, { label: 'Arm' }, { label: 'Requests', num: true },
        { label: 'Errors [95 % CI]' }, { label: 'Escalated [95 % CI]' },
        { label: 'Mean rating [95 % CI]' }, { label: 'Latency [95 % CI]' },
        { label: 'Cost / request [95 % CI]' }], rows,
      'No request has gone through an A/B virtual model (strategy "ab") since the start.',
      'ab'));
}

/** Asks before a state-changing action. */
function confirmAction(action, subject) {
  const dialog = $('#confirm');
  $('#confirm-text').textContent = `${action} ${subject}? This changes routing for every client.`;
  dialog.setAttribute('data-action', action.toLowerCase().replace(/[^a-z]/g, ''));
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

const RENDERERS = { overview, routing, sessions, health, models };

// ---------------------------------------------------------------------------------------------
// Shell: tabs, polling, login

let timer = 0;
let generation = 0;

function currentPage() {
  const page = window.location.hash.replace(/^#/, '');
  return PAGES.includes(page) ? page : 'overview';
}

function showPage(page) {
  for (const section of document.querySelectorAll('.page')) {
    section.hidden = section.getAttribute('data-page') !== page;
  }
  for (const tab of document.querySelectorAll('[data-tab]')) {
    if (tab.getAttribute('data-tab') === page) {
      tab.setAttribute('aria-current', 'page');
    } else {
      tab.removeAttribute('aria-current');
    }
  }
  document.body.setAttribute('data-current', page);
}

function banner(message) {
  const node = $('#banner');
  node.textContent = message || '';
  node.hidden = !message;
}

function schedule() {
  window.clearTimeout(timer);
  const seconds = Number($('#poll').value);
  if (seconds > 0 && !document.hidden && !$('#app').hidden) {
    timer = window.setTimeout(refresh, seconds * 1000);
  }
}

async function refresh() {
  window.clearTimeout(timer);
  if ($('#app').hidden) {
    return;
  }
  const mine = ++generation;
  const page = currentPage();
  showPage(page);
  try {
    await RENDERERS[page]();
    if (mine === generation) {
      banner('');
      $('#updated').textContent = `updated ${time(new Date().toISOString()).slice(11)}`;
      document.body.setAttribute('data-loaded', page);
    }
  } catch (e) {
    if (e instanceof AuthError) {
      showLogin(storedKey() ? 'The key was not accepted.' : '');
      return;
    }
    if (mine === generation) {
      banner(e.message || String(e));
    }
  } finally {
    if (mine === generation) {
      schedule();
    }
  }
}

function showLogin(message) {
  window.clearTimeout(timer);
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#signout').hidden = true;
  const error = $('#login-error');
  error.textContent = message || '';
  error.hidden = !message;
  document.body.setAttribute('data-state', 'login');
  $('#login-key').focus();
}

function showApp() {
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#signout').hidden = !storedKey();
  document.body.setAttribute('data-state', 'app');
  refresh();
}

/**
 * Asks /ui/session whether the key held may sign in: with proxy keys configured only the admin
 * key may (401: unknown key, 403: another key).
 */
async function checkAccess() {
  let response = null;
  try {
    response = await call('/ui/session', 'application/json');
  } catch (e) {
    banner(`Lodestar does not answer: ${e.message || e}`);
  }
  if (response && response.status === 401) {
    showLogin(storedKey() ? 'The key was not accepted.' : '');
  } else if (response && response.status === 403) {
    const reason = await detail(response);
    storeKey('');
    showLogin(reason || 'The dashboard needs the admin key.');
  } else {
    showApp();
  }
}

function boot() {
  $('#login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('#login-key');
    const key = input.value.trim();
    input.value = '';
    if (!/^[\x21-\x7e]+$/.test(key)) {
      showLogin('A key is printable ASCII without spaces.');
      return;
    }
    storeKey(key);
    checkAccess();
  });
  $('#signout').addEventListener('click', () => {
    storeKey('');
    checkAccess();
  });
  $('#range').addEventListener('change', refresh);
  $('#poll').addEventListener('change', refresh);
  window.addEventListener('hashchange', refresh);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) {
      refresh();
    }
  });
  checkAccess();
}

boot();
