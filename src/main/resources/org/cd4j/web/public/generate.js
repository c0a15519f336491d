// Generate page: prompt, negative prompt, seed (or random), steps, guidance, sampler, eta, size,
// count, deltas with a strength each; a gallery of results with their parameters and downloads.
import {get, post, del} from './api.js';
import {store, on} from './app.js';
import {h, fill, field, check, errorBox, bar, empty, confirmButton, toast, fmtNum} from './ui.js';

let f = {}, deltaList, galleryEl, detailEl, progress, progressText, err, tokenChips;
let pictures = [];
let current = null; // the generation job being watched
let picked = null;
const chosen = new Map(); // delta name → strength

export function mount(el) {
  f.model = h('select', {id: 'gen-model', on: {change: sizes}});
  f.prompt = h('textarea', {id: 'gen-prompt', rows: 2, maxlength: 2000, placeholder: 'photo of a <new1> cat on a beach'});
  f.negative = h('input', {type: 'text', id: 'gen-negative', maxlength: 2000, placeholder: 'blurry, low quality'});
  f.seed = h('input', {type: 'number', id: 'gen-seed', min: 0, value: 42, disabled: true});
  f.random = h('input', {type: 'checkbox', id: 'gen-random', checked: true, on: {change: () => (f.seed.disabled = f.random.checked)}});
  f.count = h('input', {type: 'number', id: 'gen-count', min: 1, max: store.info.limits.generateImages, value: 2});
  f.steps = h('input', {type: 'number', id: 'gen-steps', min: 1, max: 500, value: 30});
  f.guidance = h('input', {type: 'number', id: 'gen-guidance', min: 0, max: 50, step: 0.5, value: 7.5});
  f.sampler = h('select', {id: 'gen-sampler', on: {change: samplerChanged}}, h('option', {value: '', text: 'default'}),
    store.info.samplers.map((s) => h('option', {value: s.name, text: s.name})));
  f.eta = h('input', {type: 'number', id: 'gen-eta', min: 0, max: 1, step: 0.1, value: 0, disabled: true});
  f.width = h('input', {type: 'number', id: 'gen-width', min: 64, max: 2048, step: 8});
  f.height = h('input', {type: 'number', id: 'gen-height', min: 64, max: 2048, step: 8});
  f.force = h('input', {type: 'checkbox', id: 'gen-force'});
  f.karras = h('input', {type: 'checkbox', id: 'gen-karras', disabled: true});
  deltaList = h('div', {id: 'gen-deltas'});
  tokenChips = h('div', {class: 'chips'});
  galleryEl = h('div', {id: 'gallery'});
  detailEl = h('div', {class: 'card hidden', id: 'gen-detail'});
  progress = bar();
  progressText = h('div', {class: 'small muted', id: 'gen-progress-text', style: 'margin-top:4px'});
  err = errorBox();
  err.id = 'gen-error';
  fill(f.model, store.info.models.map((m) => h('option', {value: m.id, text: m.id})));
  fill(el,
    h('div', {class: 'page-head'}, h('div', {},
      h('h1', {text: 'Generate'}),
      h('p', {text: 'Write a prompt, add deltas with the strength you like, and make pictures. Every picture keeps its settings, also inside the PNG.'}))),
    h('div', {class: 'cols generate'},
      h('div', {class: 'card'},
        field('Model', f.model),
        field('Prompt', f.prompt),
        h('div', {class: 'gen-action'}, tokenChips,
          h('button', {class: 'primary big', id: 'gen-start', type: 'button', text: 'Generate', on: {click: start}})),
        progress, progressText, err,
        h('div', {style: 'margin-top:14px'}, field('Negative prompt', f.negative, 'What the picture should not look like.')),
        h('div', {class: 'field-label', text: 'Deltas'}), deltaList,
        h('div', {class: 'grid3', style: 'margin-top:12px'},
          field('Steps', f.steps), field('Guidance', f.guidance), field('Pictures', f.count)),
        h('div', {class: 'grid3'},
          h('div', {class: 'field'}, h('span', {class: 'field-label', text: 'Seed'}), f.seed,
            h('label', {class: 'row small muted', style: 'margin-top:4px'}, f.random, 'random')),
          field('Sampler', f.sampler), field('Eta', f.eta)),
        h('div', {class: 'grid2'}, field('Width', f.width), field('Height', f.height)),
        h('p', {class: 'hint', text: 'Picture i uses seed + i, so any picture can be made again alone. Eta is for ddim only.'}),
        check(f.karras, 'Karras sigmas', 'A noise schedule for euler and dpm++2m that often needs fewer steps.'),
        check(f.force, 'Apply deltas trained on another model', 'Normally refused: they rarely work.')),
      h('div', {class: 'stack'}, detailEl,
        h('div', {class: 'card'}, h('div', {class: 'card-head'}, h('h2', {text: 'Gallery'}),
          h('span', {class: 'muted small', id: 'gallery-count'})), galleryEl))));
  sizes();
  on('deltas', renderDeltas);
  on('image', (e) => { if (e.kind === 'generated') addPicture(e.info); });
  on('job', (j) => { if (j.id === current) watch(j); });
  renderDeltas();
  loadGallery();
}

export function show(deltaName) {
  if (deltaName && store.deltas.some((d) => d.name === deltaName) && !chosen.has(deltaName)) {
    chosen.set(deltaName, 1);
    renderDeltas();
    const d = store.deltas.find((x) => x.name === deltaName);
    if (!f.prompt.value.trim()) f.prompt.value = d.prompt || (d.tokens || []).join(' ');
  }
}

function model() {
  return store.info.models.find((m) => m.id === f.model.value);
}

function sizes() {
  const m = model();
  if (m) { f.width.value = m.defaultSize; f.height.value = m.defaultSize; }
}

function samplerChanged() {
  const s = store.info.samplers.find((x) => x.name === f.sampler.value);
  f.eta.disabled = !(s && s.takesEta);
  if (f.eta.disabled) f.eta.value = 0;
  f.karras.disabled = !(s && s.takesKarras);
  if (f.karras.disabled) f.karras.checked = false;
}

function renderDeltas() {
  for (const n of [...chosen.keys()]) if (!store.deltas.some((d) => d.name === n)) chosen.delete(n);
  if (store.deltas.length === 0) {
    fill(deltaList, h('p', {class: 'muted small'}, 'No deltas yet — ', h('a', {href: '#train', text: 'train one'}), ' or ',
      h('a', {href: '#deltas', text: 'upload one'}), '. Without deltas you get the base model.'));
  } else {
    fill(deltaList, store.deltas.filter((d) => !d.error).map((d) => {
      const on = chosen.has(d.name);
      const box = h('input', {type: 'checkbox', checked: on, id: 'gen-delta-' + d.name,
        on: {change: () => { box.checked ? chosen.set(d.name, Number(num.value)) : chosen.delete(d.name); chips(); }}});
      const num = h('input', {type: 'number', min: -2, max: 2, step: 0.05, value: chosen.get(d.name) ?? 1, style: 'width:70px',
        on: {input: () => { range.value = num.value; if (chosen.has(d.name)) chosen.set(d.name, Number(num.value)); }}});
      const range = h('input', {type: 'range', min: 0, max: 1.5, step: 0.05, value: chosen.get(d.name) ?? 1, style: 'flex:1',
        on: {input: () => { num.value = range.value; if (chosen.has(d.name)) chosen.set(d.name, Number(range.value)); }}});
      return h('div', {class: 'delta-pick'},
        h('label', {class: 'row'}, box, h('b', {text: d.name}), (d.tokens || []).map((t) => h('span', {class: 'token', text: t}))),
        h('div', {class: 'row'}, h('span', {class: 'small muted', text: 'strength'}), range, num));
    }));
  }
  chips();
}

function chips() {
  const tokens = store.deltas.filter((d) => chosen.has(d.name)).flatMap((d) => d.tokens || []);
  fill(tokenChips, tokens.map((t) => h('button', {class: 'chip', type: 'button', text: '+ ' + t, title: 'Insert into the prompt',
    on: {click: () => { f.prompt.value = (f.prompt.value.trim() + ' ' + t).trim(); f.prompt.focus(); }}})));
}

async function start() {
  err.show(null);
  const req = {model: f.model.value, prompt: f.prompt.value, negativePrompt: f.negative.value,
    seed: f.random.checked ? 'random' : f.seed.value, count: Number(f.count.value), steps: Number(f.steps.value),
    guidance: Number(f.guidance.value), sampler: f.sampler.value, eta: Number(f.eta.value),
    width: Number(f.width.value), height: Number(f.height.value), force: f.force.checked, karras: f.karras.checked,
    deltas: [...chosen.entries()].map(([name, strength]) => ({name, strength}))};
  try {
    const j = await post('/api/generate', req);
    current = j.id;
    if (f.random.checked) f.seed.value = j.params.seed;
    watch(j);
  } catch (e) {
    err.show(e.message);
  }
}

function watch(j) {
  const p = j.progress || {};
  progress.set(j.state === 'done' ? 1 : p.fraction || 0, j.state);
  progressText.textContent = j.state === 'queued' ? 'Waiting for the previous generation…'
    : j.state === 'running' ? 'Picture ' + (p.image || 1) + ' of ' + j.params.count + (p.total ? ' — ' + Math.round((p.fraction || 0) * 100) + '%' : ' — loading the model…')
      : j.state === 'done' ? 'Done: ' + j.params.count + ' picture(s), seed ' + j.params.seed
        : j.state === 'failed' ? '' : j.state;
  if (j.state === 'failed') err.show(j.error);
}

async function loadGallery() {
  try {
    pictures = await get('/api/gallery?limit=200');
  } catch (e) {
    pictures = [];
  }
  renderGallery();
}

function addPicture(item) {
  if (pictures.some((p) => p.id === item.id)) return;
  pictures.unshift(item);
  renderGallery();
  if (!picked) pick(item);
}

function renderGallery() {
  document.getElementById('gallery-count').textContent = pictures.length ? pictures.length + ' picture(s)' : '';
  if (pictures.length === 0) {
    fill(galleryEl, empty('▦', 'No pictures yet', 'Generated pictures appear here with their settings.'));
    return;
  }
  fill(galleryEl, h('div', {class: 'gallery'}, pictures.map((p) => h('div', {class: 'pic' + (picked && picked.id === p.id ? ' selected' : ''),
    id: 'pic-' + p.id, on: {click: () => pick(p)}},
  h('img', {src: p.url, alt: p.params.prompt, loading: 'lazy'}),
  h('div', {class: 'cap'}, h('div', {class: 'p', text: p.params.prompt}),
    h('div', {class: 'm', text: 'seed ' + p.params.seed + ' · ' + p.params.steps + ' steps' + (p.params.deltas.length ? ' · ' + p.params.deltas.map((d) => d.name).join(', ') : '')}))))));
}

function pick(p) {
  picked = p;
  renderGallery();
  const q = p.params;
  const row = (k, v) => [h('dt', {text: k}), h('dd', {text: v})];
  fill(detailEl, h('div', {class: 'detail'},
    h('img', {src: p.url, alt: q.prompt, id: 'gen-detail-img'}),
    h('div', {},
      h('dl', {class: 'params'},
        row('Prompt', q.prompt), q.negativePrompt ? row('Negative', q.negativePrompt) : null,
        row('Seed', String(q.seed)), row('Steps', String(q.steps)), row('Guidance', String(q.guidance)),
        row('Sampler', q.sampler + (q.eta ? ', eta ' + q.eta : '') + (q.karras ? ', Karras sigmas' : '')), row('Size', q.width + ' × ' + q.height), row('Model', q.model),
        row('Deltas', q.deltas.length ? q.deltas.map((d) => d.name + ' × ' + fmtNum(d.strength, 3)).join(', ') : 'none')),
      h('div', {class: 'row wrap'},
        h('a', {class: 'btn small', href: p.download, id: 'gen-download', download: '', text: 'Download PNG'}),
        h('button', {class: 'small', type: 'button', text: 'Use these settings', on: {click: () => reuse(q)}}),
        confirmButton('Delete', async () => {
          try {
            await del('/api/gallery/' + p.id + '.png');
            pictures = pictures.filter((x) => x.id !== p.id);
            picked = null;
            detailEl.classList.add('hidden');
            renderGallery();
          } catch (e) { toast(e.message, 'error'); }
        })))));
  detailEl.classList.remove('hidden');
}

function reuse(q) {
  if ([...f.model.options].some((o) => o.value === q.model)) f.model.value = q.model;
  f.prompt.value = q.prompt;
  f.negative.value = q.negativePrompt || '';
  f.random.checked = false;
  f.seed.disabled = false;
  f.seed.value = q.seed;
  f.count.value = 1;
  f.steps.value = q.steps;
  f.guidance.value = q.guidance;
  f.sampler.value = q.sampler === 'default' ? '' : q.sampler;
  samplerChanged();
  f.karras.checked = !!q.karras && !f.karras.disabled;
  f.eta.value = q.eta || 0;
  f.width.value = q.width;
  f.height.value = q.height;
  chosen.clear();
  for (const d of q.deltas) if (store.deltas.some((x) => x.name === d.name)) chosen.set(d.name, d.strength);
  renderDeltas();
  toast('Settings copied into the form');
}
