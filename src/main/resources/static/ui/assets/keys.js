// Client keys and teams: each budget this period (spent, remaining, when it resets), limits; make, rotate and
// revoke virtual keys. A new secret is shown once, here, and never again.
import { api, el, fmt, badge, empty, failure, table, readOnly } from './app.js';

export async function render(main) {
  const secret = el('section', { class: 'card', id: 'secret', hidden: true });
  const keysCard = el('section', { class: 'card', id: 'keys' });
  const teamsCard = el('section', { class: 'card', id: 'teams' });
  const message = el('div', { id: 'message', role: 'status' });
  main.replaceChildren(el('h1', {}, 'Keys'), message, secret, readOnly ? null : createForm(secret, message, () => refresh()), keysCard, teamsCard);
  async function refresh() {
    try {
      const [keys, teams] = await Promise.all([api('/admin/keys'), api('/admin/teams')]);
      drawKeys(keysCard, keys.keys, secret, message, refresh);
      drawTeams(teamsCard, teams.teams);
    } catch (error) {
      keysCard.replaceChildren(failure(error));
    }
  }
  await refresh();
}

function showSecret(card, name, key, what) {
  card.hidden = false;
  card.replaceChildren(el('h2', {}, `${what} key ${name}`),
    el('p', {}, 'Copy it now: the gateway keeps only its digest and cannot show it again.'),
    el('div', { class: 'secret', id: 'new-secret' }, key),
    el('div', { class: 'row' },
      el('button', { type: 'button', onclick: () => navigator.clipboard && navigator.clipboard.writeText(key) }, 'Copy'),
      el('button', { type: 'button', class: 'ghost', onclick: () => { card.hidden = true; card.replaceChildren(); } }, 'Done')));
}

function createForm(secret, message, refresh) {
  const form = el('form', { class: 'card filters', id: 'create-key' },
    el('div', { class: 'field' }, el('label', { for: 'k-name' }, 'New key name'), el('input', { id: 'k-name', name: 'name', required: true, placeholder: 'ci-bot' })),
    el('div', { class: 'field' }, el('label', { for: 'k-team' }, 'Team (optional)'), el('input', { id: 'k-team', name: 'team' })),
    el('div', { class: 'field' }, el('label', { for: 'k-credits' }, 'Budget in credits (optional)'), el('input', { id: 'k-credits', name: 'credits', type: 'number', min: 0 })),
    el('div', { class: 'field' }, el('label', { for: 'k-period' }, 'Budget period'), el('select', { id: 'k-period', name: 'period' },
      ['none', 'daily', 'weekly', 'monthly'].map((p) => el('option', { value: p }, p)))),
    el('div', { class: 'row' }, el('button', { type: 'submit', id: 'create' }, 'Create key')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const f = form.elements;
    const body = { name: f.name.value.trim(), period: f.period.value };
    if (f.team.value.trim()) body.team = f.team.value.trim();
    if (f.credits.value !== '') body.credits = Number(f.credits.value);
    try {
      const created = await api('/admin/keys', { method: 'POST', body });
      showSecret(secret, created.name, created.key, 'New');
      form.reset();
      message.replaceChildren();
      refresh();
    } catch (error) {
      message.replaceChildren(failure(error));
    }
  });
  return form;
}

function state(name) {
  return badge(name, name === 'active' ? 'ok' : name === 'revoked' || name === 'expired' ? 'bad' : 'warn');
}

function budget(k) {
  if (k.budget === null || k.budget === undefined) return el('span', { class: 'muted' }, k.used ? `${fmt.credits(k.used)} used, no budget` : 'no budget');
  const spent = k.spent === null ? '…' : fmt.int(k.spent);
  return el('span', {}, `${spent} of ${fmt.credits(k.budget)} ${k.period === 'none' ? '' : k.period}`,
    el('br'), el('span', { class: 'muted' }, `${fmt.credits(k.remaining)} left` + (k.resets_at ? `, resets ${fmt.relative(k.resets_at)}` : '')));
}

function limits(l) {
  const parts = [];
  if (l.requests_per_minute) parts.push(`${fmt.int(l.requests_per_minute)} req/min`);
  if (l.tokens_per_minute) parts.push(`${fmt.int(l.tokens_per_minute)} tok/min`);
  if (l.concurrent) parts.push(`${fmt.int(l.concurrent)} at once`);
  return parts.length ? parts.join(', ') : el('span', { class: 'muted' }, 'none');
}

function drawKeys(card, keys, secret, message, refresh) {
  if (keys.length === 0) {
    card.replaceChildren(el('h2', {}, 'Keys'), empty('No client keys yet', 'Create one above, or list keys under keys: in the routes file.'));
    return;
  }
  const act = async (label, call) => {
    try {
      await call();
      message.replaceChildren(el('div', { class: 'notice' }, label));
      refresh();
    } catch (error) {
      message.replaceChildren(failure(error));
    }
  };
  card.replaceChildren(el('h2', {}, 'Keys'), table([
    { title: 'Name', value: (k) => el('b', {}, k.name) },
    { title: 'Source', value: (k) => (k.source === 'config' ? 'routes file' : 'admin API') },
    { title: 'Team', value: (k) => k.team || '–' },
    { title: 'State', value: (k) => state(k.state) },
    { title: 'Budget', value: budget },
    { title: 'Limits', value: (k) => limits(k.limits) },
    { title: '', value: (k) => (readOnly || k.source !== 'api' || k.state === 'revoked' ? '' : el('div', { class: 'row' },
      el('button', { type: 'button', class: 'ghost', 'data-action': 'rotate', onclick: () => act(`Rotated ${k.name}; its old secret works one more hour.`, async () => {
        const rotated = await api(`/admin/keys/${encodeURIComponent(k.name)}/rotate`, { method: 'POST', body: { grace_seconds: 3600 } });
        showSecret(secret, k.name, rotated.key, 'Rotated');
      }) }, 'Rotate'),
      el('button', { type: 'button', class: 'danger', 'data-action': 'revoke', onclick: () => {
        if (confirm(`Revoke ${k.name}? Every request with it is refused from now on.`)) {
          act(`Revoked ${k.name}.`, () => api(`/admin/keys/${encodeURIComponent(k.name)}/revoke`, { method: 'POST' }));
        }
      } }, 'Revoke'))) },
  ], keys, { rowAttrs: (k) => ({ 'data-key': k.name, 'data-state': k.state }) }));
}

function drawTeams(card, teams) {
  card.replaceChildren(el('h2', {}, 'Teams'), teams.length === 0
    ? empty('No teams', 'A team shares one budget and one set of limits among its keys: POST /admin/teams makes one.')
    : table([
      { title: 'Team', value: (t) => el('b', {}, t.name) },
      { title: 'Keys', wrap: true, value: (t) => t.keys.join(', ') || '–' },
      { title: 'Budget', value: budget },
      { title: 'Limits', value: (t) => limits(t.limits) },
    ], teams, { rowAttrs: (t) => ({ 'data-team': t.name }) }));
}
