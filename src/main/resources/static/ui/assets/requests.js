// The request log: filters kept in the address (so a view can be shared), pages by cursor, one record in full.
import { api, el, fmt, badge, empty, failure, table } from './app.js';

const PAGE_SIZE = 50;
const OUTCOMES = ['ok', 'upstream_error', 'client_cancelled', 'stream_broken', 'rejected', 'gateway_stopped'];
const FILTERS = ['request_id', 'key', 'alias', 'upstream', 'outcome', 'from', 'to'];

export async function render(main) {
  const params = new URLSearchParams(location.search);
  const form = el('form', { class: 'card filters', id: 'filters' },
    field('request_id', 'Request id', el('input', { name: 'request_id', id: 'f-request_id', placeholder: 'x-request-id' })),
    field('key', 'Key', el('input', { name: 'key', id: 'f-key', placeholder: 'any' })),
    field('alias', 'Alias', el('input', { name: 'alias', id: 'f-alias', placeholder: 'any' })),
    field('upstream', 'Upstream', el('input', { name: 'upstream', id: 'f-upstream', placeholder: 'any' })),
    field('outcome', 'Outcome', el('select', { name: 'outcome', id: 'f-outcome' }, el('option', { value: '' }, 'any'), OUTCOMES.map((o) => el('option', { value: o }, o.replace('_', ' '))))),
    field('from', 'From', el('input', { name: 'from', id: 'f-from', type: 'datetime-local', step: 1 })),
    field('to', 'Until', el('input', { name: 'to', id: 'f-to', type: 'datetime-local', step: 1 })),
    el('div', { class: 'row' }, el('button', { type: 'submit', id: 'apply' }, 'Apply'), el('button', { type: 'reset', class: 'ghost' }, 'Clear')));
  for (const name of FILTERS) if (params.get(name)) form.elements[name].value = params.get(name);
  const results = el('section', { class: 'card', id: 'results' });
  const detail = el('section', { class: 'card', id: 'detail', hidden: true });
  main.replaceChildren(el('h1', {}, 'Requests'), form, detail, results);
  const cursors = [];
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const name of FILTERS) if (form.elements[name].value) query.set(name, form.elements[name].value);
    history.replaceState(null, '', query.size ? `?${query}` : location.pathname);
    cursors.length = 0;
    load(form, results, detail, cursors, null);
  });
  form.addEventListener('reset', () => setTimeout(() => form.requestSubmit(), 0));
  load(form, results, detail, cursors, null);
}

function field(name, label, input) {
  return el('div', { class: 'field' }, el('label', { for: input.id }, label), input);
}

function localToIso(value) {
  return value ? new Date(value).toISOString() : null;
}

async function load(form, results, detail, cursors, before) {
  results.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
  const f = form.elements;
  let data;
  try {
    if (f.request_id.value.trim()) {
      data = await api(`/admin/usage/${encodeURIComponent(f.request_id.value.trim())}`).catch((e) => (e.message.startsWith('No usage record') ? { records: [] } : Promise.reject(e)));
      data.next = null;
    } else {
      const q = new URLSearchParams({ limit: PAGE_SIZE });
      for (const name of ['key', 'alias', 'upstream', 'outcome']) if (f[name].value.trim()) q.set(name, f[name].value.trim());
      if (f.from.value) q.set('from', localToIso(f.from.value));
      if (f.to.value) q.set('to', localToIso(f.to.value));
      if (before) q.set('before', before);
      data = await api(`/admin/usage?${q}`);
    }
  } catch (error) {
    results.replaceChildren(failure(error));
    return;
  }
  if (data.records.length === 0) {
    results.replaceChildren(empty(cursors.length ? 'No older requests' : 'No requests match',
      'Requests appear here within a second of finishing. Widen the filters or clear them.'));
    return;
  }
  const pager = el('div', { class: 'row spread' },
    el('span', { class: 'muted' }, `${data.records.length} request${data.records.length === 1 ? '' : 's'}${cursors.length ? `, page ${cursors.length + 1}` : ''}`),
    el('div', { class: 'row' },
      el('button', { type: 'button', class: 'ghost', disabled: cursors.length === 0, onclick: () => { cursors.pop(); load(form, results, detail, cursors, cursors.at(-1) || null); } }, '← Newer'),
      el('button', { type: 'button', class: 'ghost', id: 'older', disabled: !data.next, onclick: () => { cursors.push(data.next); load(form, results, detail, cursors, data.next); } }, 'Older →')));
  results.replaceChildren(pager, table([
    { title: 'Time', value: (r) => fmt.time(r.time) },
    { title: 'Request', value: (r) => el('span', { class: 'mono' }, r.request_id) },
    { title: 'Key', value: (r) => r.key },
    { title: 'Alias', value: (r) => r.alias },
    { title: 'Upstream', value: (r) => r.upstream },
    { title: 'Outcome', value: (r) => outcome(r.outcome) },
    { title: 'Status', num: true, value: (r) => r.status },
    { title: 'Tokens in / out', num: true, value: (r) => `${fmt.int(r.prompt_tokens)} / ${fmt.int(r.completion_tokens)}` },
    { title: 'Cost', num: true, value: (r) => fmt.usd(r.cost_usd) },
    { title: 'Latency', num: true, value: (r) => fmt.ms(r.latency_ms) },
  ], data.records, {
    rowAttrs: (r) => ({ 'data-request-id': r.request_id }),
    onRow: (r, tr) => {
      results.querySelectorAll('tr.selected').forEach((row) => row.classList.remove('selected'));
      tr.classList.add('selected');
      show(detail, r);
    },
  }));
}

function outcome(name) {
  return badge(name.replace('_', ' '), name === 'ok' ? 'ok' : name === 'client_cancelled' || name === 'rejected' ? 'warn' : 'bad');
}

function show(detail, r) {
  const rows = [
    ['Request id', el('span', { class: 'mono' }, r.request_id)], ['Record id', el('span', { class: 'mono' }, r.id)],
    ['Time', fmt.time(r.time)], ['Key', r.key], ['Endpoint', r.endpoint], ['Alias', r.alias],
    ['Upstream', `${r.upstream} · ${r.upstream_model || '–'}`], ['Stream', r.stream ? 'yes' : 'no'],
    ['Status', r.status], ['Outcome', outcome(r.outcome)], ['Attempts', fmt.int(r.attempts)],
    ['Prompt tokens', fmt.int(r.prompt_tokens)], ['Completion tokens', fmt.int(r.completion_tokens)],
    ['Reasoning tokens', fmt.int(r.reasoning_tokens)], ['Cached input tokens', fmt.int(r.cached_tokens)],
    ['Cache write tokens', fmt.int(r.cache_write_tokens)], ['Usage from', r.usage_source],
    ['Cost', fmt.usd(r.cost_usd)], ['Credits', fmt.credits(r.credits)],
    ['Provider cost', r.upstream_cost_usd === null || r.upstream_cost_usd === undefined ? '–' : fmt.usd(r.upstream_cost_usd)],
    ['Provider credits', r.upstream_credits ?? '–'],
    ['Latency', fmt.ms(r.latency_ms)], ['Time to first byte', fmt.ms(r.ttft_ms)],
  ];
  detail.hidden = false;
  detail.replaceChildren(
    el('div', { class: 'row spread' }, el('h2', {}, 'Request ', el('span', { class: 'mono' }, r.request_id)),
      el('button', { type: 'button', class: 'ghost', onclick: () => { detail.hidden = true; } }, 'Close')),
    el('dl', { class: 'record' }, rows.flatMap(([name, value]) => [el('dt', {}, name), el('dd', { 'data-field': name }, value)])));
  detail.scrollIntoView({ block: 'nearest' });
}
