// Small DOM helpers shared by the pages. Text always goes in through textContent, never as HTML,
// so prompts and file names cannot inject markup.

/** Builds an element: h('div', {class: 'x', on: {click: f}}, 'text', child, [more]). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'style') el.style.cssText = v; // CSSOM, which the page's CSP allows (style attributes it does not)
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function fmtBytes(n) {
  if (n == null) return '';
  const u = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)) + ' ' + u[i];
}

export function fmtDuration(s) {
  if (s == null || !isFinite(s)) return '–';
  s = Math.max(0, Math.round(s));
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

/** "3 min ago" style. */
export function fmtAgo(iso) {
  if (!iso) return '';
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 60) return 'just now';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  if (s < 86400) return Math.floor(s / 3600) + ' h ago';
  return new Date(iso).toLocaleDateString();
}

export function fmtNum(x, digits = 4) {
  if (x == null || !isFinite(x)) return '–';
  return Math.abs(x) >= 1000 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : Number(x.toPrecision(digits)).toString();
}

/** A short notice in the corner. */
export function toast(message, kind = 'info') {
  const t = h('div', {class: 'toast ' + kind, role: 'status', text: message});
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 7000 : 3500);
}

/** A labelled form field with an optional one-line explanation. */
export function field(label, input, hint) {
  return h('label', {class: 'field'}, h('span', {text: label}), input, hint ? h('small', {class: 'hint', text: hint}) : null);
}

/** A checkbox with a bold label and an explanation. */
export function check(input, label, hint) {
  return h('label', {class: 'check'}, input, h('span', {}, h('b', {text: label}), hint ? h('small', {class: 'hint', text: hint}) : null));
}

/** An error box that shows a message where the problem is, or hides itself. */
export function errorBox() {
  const el = h('div', {class: 'inline-error hidden', role: 'alert'});
  el.show = (msg) => { el.textContent = msg || ''; el.classList.toggle('hidden', !msg); };
  return el;
}

/** A drag-and-drop area that also opens the file chooser on click. */
export function dropZone({title, hint, accept, multiple = true, onFiles, id}) {
  const input = h('input', {type: 'file', accept, multiple, id: id ? id + '-input' : null});
  const zone = h('div', {class: 'drop', tabindex: '0', id},
    h('div', {}, h('strong', {text: title})), hint ? h('div', {class: 'small', text: hint}) : null, input);
  const take = (files) => { if (files && files.length) onFiles([...files]); };
  zone.addEventListener('click', (e) => { if (e.target !== input) input.click(); });
  zone.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); } });
  input.addEventListener('change', () => { take(input.files); input.value = ''; });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); take(e.dataTransfer.files); });
  return zone;
}

/** A button that asks once more before doing something destructive. */
export function confirmButton(label, action, cls = 'danger small') {
  const b = h('button', {class: cls, type: 'button', text: label});
  let armed = null;
  b.addEventListener('click', async (e) => {
    e.stopPropagation();
    if (!armed) {
      b.textContent = 'Sure?';
      armed = setTimeout(() => { b.textContent = label; armed = null; }, 3000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    b.textContent = label;
    await action();
  });
  return b;
}

/** An empty-state panel. */
export function empty(icon, title, text, ...extra) {
  return h('div', {class: 'empty'}, h('div', {class: 'icon', text: icon}), h('b', {text: title}), h('p', {text}), extra);
}

/** A state pill. */
export function pill(state) {
  return h('span', {class: 'pill ' + state, text: state});
}

/** A progress bar; set(fraction, state) updates it. */
export function bar() {
  const i = h('i');
  const el = h('div', {class: 'bar'}, i);
  el.set = (f, state) => {
    i.style.width = Math.round(Math.max(0, Math.min(1, f || 0)) * 100) + '%';
    el.className = 'bar' + (state === 'done' ? ' done' : state === 'failed' ? ' failed' : '');
  };
  return el;
}
