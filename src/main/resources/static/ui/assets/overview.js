// Spend, requests, tokens and errors for today, 7 and 30 days; cost or tokens over time by alias, upstream or key.
import { api, el, fmt, empty, failure, table } from './app.js';

const RANGES = { '24 h': { days: 1, bucket: 'hour' }, '7 days': { days: 7, bucket: 'hour' }, '30 days': { days: 30, bucket: 'day' } };
const PALETTE = ['#2f6fde', '#1d8a4e', '#d9480f', '#7048e8', '#c2255c', '#0b7285', '#b26b00', '#5c940d', '#495057', '#e64980'];
const state = { range: '24 h', group: 'alias', metric: 'cost' };

export async function render(main) {
  let overview;
  try {
    overview = await api('/admin/usage/overview');
  } catch (error) {
    main.replaceChildren(failure(error));
    return;
  }
  const periods = overview.periods;
  const cards = el('div', { class: 'grid' }, [['today', 'Today (UTC)'], ['7d', 'Last 7 days'], ['30d', 'Last 30 days']].map(([id, title]) => {
    const p = periods[id];
    const errorShare = p.requests ? (100 * p.errors) / p.requests : null;
    return el('section', { class: 'card', 'data-period': id },
      el('h2', {}, title),
      el('div', { class: 'stat', 'data-field': 'cost' }, fmt.usd(p.cost_usd)),
      el('div', { class: 'stats' },
        el('div', {}, el('span', {}, 'Requests'), el('b', { 'data-field': 'requests' }, fmt.int(p.requests))),
        el('div', {}, el('span', {}, 'Credits'), el('b', { 'data-field': 'credits' }, fmt.credits(p.credits))),
        el('div', {}, el('span', {}, 'Tokens in / out'), el('b', {}, `${fmt.tokens(p.prompt_tokens)} / ${fmt.tokens(p.completion_tokens)}`)),
        el('div', {}, el('span', {}, 'Errors'), el('b', { class: p.errors ? 'error' : '', 'data-field': 'errors' },
          `${fmt.int(p.errors)}${errorShare === null ? '' : ' (' + fmt.percent(errorShare) + ')'}`))));
  }));
  if (periods['30d'].requests === 0) {
    main.replaceChildren(cards, el('section', { class: 'card' }, empty('No requests in the last 30 days',
      el('p', {}, 'Point a client at this gateway (OpenAI SDKs: base URL ', el('code', {}, `${location.origin}/v1`),
        '; Anthropic SDKs and Claude Code: ', el('code', {}, location.origin), ') with one of its client keys; each request shows here within seconds.'))));
    return;
  }
  const chartCard = el('section', { class: 'card' });
  main.replaceChildren(cards, chartCard);
  drawChart(chartCard);
}

function segmented(options, current, onPick) {
  return el('div', { class: 'segmented', role: 'group' }, options.map(([value, label]) =>
    el('button', { type: 'button', 'aria-pressed': String(value === current), onclick: () => onPick(value) }, label)));
}

async function drawChart(card) {
  const range = RANGES[state.range];
  const to = new Date();
  const from = new Date(to.getTime() - range.days * 86400e3);
  const controls = el('div', { class: 'row spread' },
    el('h2', {}, state.metric === 'cost' ? 'Cost over time' : 'Tokens over time'),
    el('div', { class: 'row' },
      segmented(Object.keys(RANGES).map((r) => [r, r]), state.range, (v) => { state.range = v; drawChart(card); }),
      segmented([['alias', 'Alias'], ['upstream', 'Upstream'], ['key', 'Key']], state.group, (v) => { state.group = v; drawChart(card); }),
      segmented([['cost', 'Cost'], ['tokens', 'Tokens']], state.metric, (v) => { state.metric = v; drawChart(card); })));
  const plot = el('div', { class: 'chart' });
  card.replaceChildren(controls, plot);
  let series;
  try {
    series = await api(`/admin/usage/series?group_by=${state.group}&bucket=${range.bucket}&from=${from.toISOString()}&to=${to.toISOString()}`);
  } catch (error) {
    card.append(failure(error));
    return;
  }
  const step = range.bucket === 'hour' ? 3600 : 86400;
  const start = Math.floor(new Date(series.from).getTime() / 1000);
  const end = Math.floor(to.getTime() / 1000);
  const xs = [];
  for (let t = start; t <= end; t += step) xs.push(t);
  const value = (p) => (state.metric === 'cost' ? Number(p.cost_usd) : p.prompt_tokens + p.completion_tokens);
  const groups = new Map();
  const totals = new Map();
  for (const p of series.points) {
    // a request refused before it named a model has no alias (and one that reached no upstream, no upstream)
    if (p.group === '-') p.group = state.group === 'key' ? '-' : '(none)';
    if (!groups.has(p.group)) groups.set(p.group, new Array(xs.length).fill(0));
    const i = Math.round((new Date(p.bucket).getTime() / 1000 - start) / step);
    if (i >= 0 && i < xs.length) groups.get(p.group)[i] += value(p);
    const t = totals.get(p.group) || { requests: 0, cost: 0, tokens: 0, credits: 0 };
    t.requests += p.requests; t.cost += Number(p.cost_usd); t.tokens += p.prompt_tokens + p.completion_tokens; t.credits += p.credits;
    totals.set(p.group, t);
  }
  if (groups.size === 0) {
    plot.replaceChildren(empty(`No requests in the last ${state.range}`, 'Pick a longer range above.'));
    return;
  }
  const names = [...groups.keys()];
  const style = getComputedStyle(document.documentElement);
  const axis = { stroke: style.getPropertyValue('--muted').trim(), grid: { stroke: style.getPropertyValue('--line').trim(), width: 1 },
    ticks: { stroke: style.getPropertyValue('--line').trim() } };
  const format = state.metric === 'cost' ? (v) => fmt.usd(v) : (v) => fmt.tokens(v);
  const options = {
    width: Math.max(280, plot.clientWidth), height: 300,
    series: [{}, ...names.map((name, i) => ({ label: name, stroke: PALETTE[i % PALETTE.length], width: 2,
      fill: PALETTE[i % PALETTE.length] + '22', value: (u, v) => (v === null ? '–' : format(v)) }))],
    axes: [axis, { ...axis, size: 80, values: (u, ticks) => ticks.map(format) }],
    scales: { x: { time: true } },
  };
  /* global uPlot */
  const chart = new uPlot(options, [xs, ...names.map((n) => groups.get(n))], plot);
  new ResizeObserver(() => chart.setSize({ width: Math.max(280, plot.clientWidth), height: 300 })).observe(plot);
  window.addEventListener('themechange', () => drawChart(card), { once: true });
  const rows = names.map((name) => ({ name, ...totals.get(name) })).sort((a, b) => b.cost - a.cost);
  card.append(el('h2', { class: 'spaced' }, `By ${state.group}, last ${state.range}`), table([
    { title: state.group[0].toUpperCase() + state.group.slice(1), value: (r) => r.name },
    { title: 'Requests', num: true, value: (r) => fmt.int(r.requests) },
    { title: 'Tokens', num: true, value: (r) => fmt.tokens(r.tokens) },
    { title: 'Cost', num: true, value: (r) => fmt.usd(r.cost) },
    { title: 'Credits', num: true, value: (r) => fmt.credits(r.credits) },
  ], rows));
}
