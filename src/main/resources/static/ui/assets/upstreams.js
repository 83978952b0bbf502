// Every target's live state, polled every two seconds, its prices, and where each alias's next request goes.
import { api, el, fmt, badge, empty, failure, table } from './app.js';

const POLL_MS = 2000;

export async function render(main) {
  const status = el('span', { class: 'muted', id: 'updated' });
  const next = el('section', { class: 'card' });
  const targets = el('section', { class: 'card' });
  main.replaceChildren(el('div', { class: 'row spread' }, el('h1', {}, 'Upstreams'), status), targets, next);
  const refresh = async () => {
    try {
      const data = await api('/admin/upstreams');
      draw(data, next, targets);
      status.textContent = 'Live · updated ' + new Date().toLocaleTimeString();
      status.classList.remove('error');
    } catch (error) {
      status.textContent = 'Not updating: ' + error.message;
      status.classList.add('error');
    }
  };
  await refresh();
  setInterval(refresh, POLL_MS);
}

function circuit(state) {
  const tone = { CLOSED: 'ok', HALF_OPEN: 'warn', OPEN: 'bad', FORCED_OPEN: 'bad' }[state] || 'warn';
  return badge(state.replace('_', ' ').toLowerCase(), tone);
}

function price(p) {
  const base = `${fmt.usd(p.input_per_million_usd)} / ${fmt.usd(p.output_per_million_usd)}`;
  return Number(p.per_request_usd) ? `${base} + ${fmt.usd(p.per_request_usd)}/req` : base;
}

function draw(data, nextCard, targetsCard) {
  if (data.targets.length === 0) {
    targetsCard.replaceChildren(empty('No upstreams configured', 'Add upstreams and routes to the routes file, then reload it on the Config page.'));
    nextCard.replaceChildren();
    return;
  }
  nextCard.replaceChildren(el('h2', {}, 'Next request of each alias goes to'), table([
    { title: 'Alias', value: (r) => r.alias },
    { title: 'Target', value: (r) => (r.next_target ? r.next_target : badge('none healthy', 'bad')) },
  ], data.routes, { rowAttrs: (r) => ({ 'data-alias': r.alias }) }));
  targetsCard.replaceChildren(el('h2', {}, 'Targets'), el('p', { class: 'muted' }, 'Prices are USD per million input / output tokens.'), table([
    { title: 'Target', value: (t) => el('span', {}, el('b', {}, t.upstream), ' · ', el('span', { class: 'mono' }, t.model)) },
    { title: 'Aliases', wrap: true, value: (t) => t.routes.join(', ') },
    { title: 'Price in / out', value: (t) => price(t.price) },
    { title: 'Circuit', value: (t) => (!t.enabled ? badge('disabled', 'warn') : t.circuit === 'CLOSED' || !t.circuit_opened_at ? circuit(t.circuit)
      : el('span', {}, circuit(t.circuit), ' ', el('span', { class: 'muted' }, 'opened ' + fmt.relative(t.circuit_opened_at)))) },
    { title: 'Cooldown', value: (t) => (t.cooldown === 'NONE' ? '–' : el('span', {}, badge(t.cooldown.replace('_', ' ').toLowerCase(), 'warn'), ' ends ', fmt.relative(t.cooldown_until))) },
    { title: 'Time to first byte', num: true, value: (t) => fmt.ms(t.latency_ms) },
    { title: 'Error rate', num: true, value: (t) => fmt.percent(t.error_rate_percent) },
    { title: 'Last error', wrap: true, value: (t) => (t.last_error ? el('span', {}, el('span', { class: 'error' }, t.last_error), el('br'), el('span', { class: 'muted' }, fmt.relative(t.last_error_at))) : '–') },
  ], data.targets, { rowAttrs: (t) => ({ 'data-target': t.id, 'data-circuit': t.circuit }) }));
}
