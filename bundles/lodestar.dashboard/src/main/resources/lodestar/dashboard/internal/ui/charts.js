// Small SVG charts, drawn by hand. Every label is set with textContent: model names and keys
// come from the API and are untrusted. Colours come from CSS classes (style-src 'self').

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      node.setAttribute(name, String(value));
    }
  }
  if (text !== undefined) {
    node.textContent = String(text);
  }
  return node;
}

function niceMax(value) {
  if (!(value > 0)) {
    return 1;
  }
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) {
      return step * power;
    }
  }
  return 10 * power;
}

/**
 * Grouped vertical bars.
 *
 * @param {Element} container where the chart goes (emptied first)
 * @param {{labels: string[], series: {name: string, cls: string, values: number[]}[],
 *          format: function(number): string, name: string}} spec
 * @returns {SVGElement} the chart
 */
export function barChart(container, spec) {
  const width = 640;
  const height = 240;
  const left = 64;
  const right = 12;
  const top = 12;
  const bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const n = Math.max(spec.labels.length, 1);
  const all = spec.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const max = niceMax(Math.max(0, ...all));
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, class: 'svg-chart', role: 'img',
    'data-chart': spec.name, 'aria-label': spec.title || spec.name,
  });
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    root.append(svg('line', { x1: left, x2: width - right, y1: y, y2: y, class: 'grid' }));
    root.append(svg('text', { x: left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' },
        spec.format((max * i) / 4)));
  }
  const slot = plotW / n;
  const groupW = slot * 0.8;
  const barW = groupW / Math.max(spec.series.length, 1);
  const every = Math.ceil(n / 12);
  spec.labels.forEach((label, i) => {
    const x0 = left + slot * i + (slot - groupW) / 2;
    spec.series.forEach((series, s) => {
      const value = Number.isFinite(series.values[i]) ? series.values[i] : 0;
      const h = (plotH * value) / max;
      const bar = svg('rect', {
        x: x0 + barW * s, y: top + plotH - h, width: Math.max(barW - 1, 1), height: Math.max(h, 0),
        class: `bar ${series.cls}`,
      });
      bar.append(svg('title', null, `${label} · ${series.name}: ${spec.format(value)}`));
      root.append(bar);
    });
    if (i % every === 0) {
      root.append(svg('text', {
        x: left + slot * i + slot / 2, y: height - bottom + 16, class: 'axis',
        'text-anchor': 'middle',
      }, label));
    }
  });
  let lx = left;
  for (const series of spec.series) {
    root.append(svg('rect', { x: lx, y: height - 14, width: 10, height: 10,
      class: `bar ${series.cls}` }));
    const text = svg('text', { x: lx + 14, y: height - 5, class: 'legend' }, series.name);
    root.append(text);
    lx += 24 + 8 * series.name.length;
  }
  container.replaceChildren(root);
  return root;
}

/**
 * Horizontal bars of shares, one row per key (e.g. requests per model).
 *
 * @param {Element} container where the chart goes (emptied first)
 * @param {{rows: {label: string, value: number}[], format: function(number, number): string,
 *          name: string}} spec
 * @returns {SVGElement} the chart
 */
export function shareChart(container, spec) {
  const rowH = 26;
  const width = 1200;
  const labelW = 260;
  const valueW = 120;
  const rows = spec.rows.length ? spec.rows : [{ label: '(no requests)', value: 0 }];
  const height = rows.length * rowH + 8;
  const total = rows.reduce((sum, r) => sum + (r.value > 0 ? r.value : 0), 0);
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, class: 'svg-chart', role: 'img',
    'data-chart': spec.name, 'aria-label': spec.title || spec.name,
  });
  rows.forEach((row, i) => {
    const y = 4 + i * rowH;
    const label = row.label.length > 32 ? `${row.label.slice(0, 31)}…` : row.label;
    const group = svg('g', { class: 'row' });
    group.append(svg('title', null, row.label));
    group.append(svg('text', { x: labelW - 8, y: y + 17, class: 'axis', 'text-anchor': 'end' },
        label));
    root.append(group);
    const share = total > 0 ? row.value / total : 0;
    const w = (width - labelW - valueW) * share;
    root.append(svg('rect', { x: labelW, y: y + 4, width: Math.max(w, 1), height: rowH - 8,
      class: `bar s${i % 6}` }));
    root.append(svg('text', { x: labelW + w + 6, y: y + 17, class: 'legend' },
        spec.format(row.value, share)));
  });
  container.replaceChildren(root);
  return root;
}

/**
 * A half-circle gauge.
 *
 * @param {string} title what it shows
 * @param {number|null} ratio 0..1, or null when unknown
 * @param {string} text the value as text
 * @param {string} level 'ok', 'warn' or 'bad'
 * @returns {SVGElement} the gauge
 */
export function gauge(title, ratio, text, level) {
  const root = svg('svg', { viewBox: '0 0 120 84', class: 'gauge', role: 'img',
    'aria-label': `${title}: ${text}` });
  const r = 48;
  const cx = 60;
  const cy = 60;
  const arc = (fraction) => {
    const f = Math.min(Math.max(fraction, 0), 1);
    const angle = Math.PI * (1 - f);
    const x = cx + r * Math.cos(angle);
    const y = cy - r * Math.sin(angle);
    return `M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}`;
  };
  root.append(svg('path', { d: arc(1), class: 'gauge-track' }));
  if (ratio !== null && Number.isFinite(ratio) && ratio > 0) {
    root.append(svg('path', { d: arc(ratio), class: `gauge-value ${level}` }));
  }
  root.append(svg('text', { x: cx, y: cy - 4, class: 'gauge-text', 'text-anchor': 'middle' },
      text));
  root.append(svg('text', { x: cx, y: cy + 20, class: 'gauge-title', 'text-anchor': 'middle' },
      title));
  return root;
}
