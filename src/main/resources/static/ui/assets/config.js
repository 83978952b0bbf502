// The routes in force, when they were loaded, the last refused reload's problems, and a reload on demand.
import { api, el, fmt, badge, failure, table, readOnly } from './app.js';

export async function render(main) {
  const message = el('div', { id: 'message', role: 'status' });
  const body = el('div');
  main.replaceChildren(el('div', { class: 'row spread' }, el('h1', {}, 'Config'),
    readOnly ? null : el('button', { type: 'button', id: 'reload', onclick: reload }, 'Reload routes file')), message, body);

  async function reload() {
    try {
      const result = await api('/admin/reload', { method: 'POST', answers: [422] });
      message.replaceChildren(result.applied
        ? el('div', { class: 'notice' }, 'Reloaded: the routes file is in force.')
        : el('div', { class: 'notice bad' }, el('b', {}, 'Refused; the routes in force are unchanged:'),
          el('ul', {}, result.problems.map((p) => el('li', {}, p)))));
      draw();
    } catch (error) {
      message.replaceChildren(failure(error));
    }
  }

  async function draw() {
    let config;
    try {
      config = await api('/admin/config');
    } catch (error) {
      body.replaceChildren(failure(error));
      return;
    }
    const status = el('section', { class: 'card', id: 'loaded' }, el('h2', {}, 'In force'),
      el('dl', { class: 'record' },
        el('dt', {}, 'Routes file'), el('dd', { class: 'mono' }, config.source),
        el('dt', {}, 'Loaded'), el('dd', { 'data-field': 'loaded_at' }, `${fmt.time(config.loaded_at)} (${fmt.relative(config.loaded_at)})`),
        el('dt', {}, 'Last reload'), el('dd', { 'data-field': 'reload' }, config.reload_error
          ? el('span', {}, badge('refused', 'bad'), ` ${fmt.time(config.reload_error.at)}`)
          : badge('applied', 'ok'))),
      config.reload_error ? el('div', { class: 'notice bad' }, el('b', {}, 'Problems in the file:'),
        el('ul', {}, config.reload_error.problems.map((p) => el('li', {}, p)))) : null);
    body.replaceChildren(status,
      el('section', { class: 'card' }, el('h2', {}, 'Routes'), table([
        { title: 'Alias', value: (r) => el('b', {}, r.alias) },
        { title: 'Targets, as listed', wrap: true, value: (r) => r.targets.join(', ') },
        { title: 'Attempts', num: true, value: (r) => r.max_attempts },
      ], config.routes)),
      el('section', { class: 'card' }, el('h2', {}, 'Upstreams'), table([
        { title: 'Name', value: (u) => el('b', {}, u.name) },
        { title: 'Protocol', value: (u) => u.protocol },
        { title: 'Base URL', value: (u) => el('span', { class: 'mono' }, u.base_url) },
        { title: 'Auth', value: (u) => u.auth },
        { title: 'State', value: (u) => (u.enabled ? badge('enabled', 'ok') : badge('disabled: no API key', 'warn')) },
      ], config.upstreams)),
      el('section', { class: 'card' }, el('h2', {}, 'Client keys of the routes file'),
        el('p', {}, config.keys.length ? config.keys.join(', ') : el('span', { class: 'muted' }, 'none: keys come from the admin API'))));
  }
  await draw();
}
