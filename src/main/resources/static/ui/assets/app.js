// The dashboard's frame: the API helper, formatting, a small DOM builder, and the page the shell names.
// Pages read the admin API with the session's cookie; a change carries the session's CSRF token.
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const page = document.querySelector('meta[name="page"]').content;
/** Signed in with the viewer key: the pages show no controls that change anything (the API would refuse them). */
export const readOnly = document.querySelector('meta[name="role"]').content === 'viewer';

/** A call of the admin API; `answers` lists the error statuses whose body the caller reads itself (422, say). */
export async function api(path, { method = 'GET', body, answers = [] } = {}) {
  const headers = { 'X-CSRF-Token': csrf };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) {
    location.assign('/ui/login');
    throw new Error('Signed out');
  }
  const json = await response.json().catch(() => ({}));
  if (!response.ok && !answers.includes(response.status)) throw new Error((json.error && json.error.message) || `${response.status} ${response.statusText}`);
  return json;
}

/** An element with attributes (on* as listeners) and children (strings become text, never HTML). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

export const fmt = {
  usd(value) {
    const n = Number(value || 0);
    const digits = n !== 0 && Math.abs(n) < 0.01 ? 6 : Math.abs(n) < 100 ? 4 : 2;
    return '$' + n.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: digits });
  },
  int: (n) => (n === null || n === undefined ? '–' : integer.format(n)),
  tokens: (n) => (n === null || n === undefined ? '–' : (Math.abs(n) >= 10000 ? compact.format(n) : integer.format(n)) + ' tok'),
  credits: (n) => (n === null || n === undefined ? '–' : integer.format(n) + ' cr'),
  ms: (n) => (n === null || n === undefined ? '–' : (n >= 1000 ? (n / 1000).toFixed(2) + ' s' : Math.round(n) + ' ms')),
  percent: (n) => (n === null || n === undefined ? '–' : n.toFixed(n < 10 ? 1 : 0) + ' %'),
  time: (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '–'),
  relative(iso) {
    if (!iso) return '–';
    const seconds = Math.round((new Date(iso) - Date.now()) / 1000);
    const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
    const abs = Math.abs(seconds);
    if (abs < 60) return rtf.format(seconds, 'second');
    if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
    if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
    return rtf.format(Math.round(seconds / 86400), 'day');
  },
};

export function badge(text, tone) {
  return el('span', { class: `badge ${tone || ''}` }, text);
}

export function empty(title, ...hint) {
  return el('div', { class: 'empty' }, el('b', {}, title), ...hint);
}

export function failure(error) {
  return el('div', { class: 'notice bad', role: 'alert' }, error.message || String(error));
}

export function table(columns, rows, { onRow, rowAttrs } = {}) {
  const head = el('tr', {}, columns.map((c) => el('th', { class: c.num ? 'num' : '' }, c.title)));
  const body = el('tbody', {}, rows.map((row) => {
    const tr = el('tr', { class: onRow ? 'clickable' : '', ...(rowAttrs ? rowAttrs(row) : {}) },
      columns.map((c) => el('td', { class: [c.num ? 'num' : '', c.wrap ? 'wrap' : ''].join(' ').trim() }, c.value(row))));
    if (onRow) tr.addEventListener('click', () => onRow(row, tr));
    return tr;
  }));
  return el('div', { class: 'table-wrap' }, el('table', {}, el('thead', {}, head), body));
}

function setUpTheme() {
  const button = document.getElementById('theme');
  const label = () => { button.textContent = document.documentElement.dataset.theme === 'dark' ? 'Light' : 'Dark'; };
  label();
  button.addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    localStorage.setItem('switchboard-theme', next);
    label();
    window.dispatchEvent(new Event('themechange'));
  });
}

setUpTheme();
document.getElementById('read-only').hidden = !readOnly;
for (const link of document.querySelectorAll('nav a')) {
  if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
}
const main = document.getElementById('main');
import(`./${page}.js`).then((module) => module.render(main)).catch((error) => main.replaceChildren(failure(error)));
