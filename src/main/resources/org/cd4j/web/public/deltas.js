// Deltas page: the delta library (upload any supported format, download, rename, delete),
// image sets, and jobs that make new files from old ones (class pictures; compress and merge
// when the server offers them).
import {patch, del, upload} from './api.js';
import {store, on, refreshDeltas, refreshDatasets} from './app.js';
import {h, fill, field, errorBox, dropZone, empty, confirmButton, toast, fmtBytes, fmtAgo} from './ui.js';
import {toolCards} from './tools.js';

let tableEl, setsEl, listErr, upStatus, upErr, upName;

// What a delta trained (its --freeze-model); 'none' and 'all' are the paper's baselines.
const MODES = {crossattn_kv: 'keys/values', crossattn: 'all cross-attention', none: 'every UNet weight (baseline)',
  all: 'token only (baseline)'};

export function mount(el) {
  tableEl = h('div', {id: 'deltas-table'});
  setsEl = h('div', {id: 'datasets'});
  listErr = errorBox();
  upErr = errorBox();
  upErr.id = 'delta-upload-error';
  upStatus = h('div', {class: 'small muted', id: 'delta-upload-status', style: 'margin-top:6px'});
  upName = h('input', {type: 'text', id: 'delta-upload-name', maxlength: 64, placeholder: 'from the file name'});
  const drop = dropZone({id: 'delta-drop', title: 'Drop a delta file here, or click to choose', multiple: true,
    hint: 'cd4j .safetensors, adobe delta.bin, diffusers pytorch_custom_diffusion_weights (+ its <new1>.bin token files), CompVis .ckpt',
    onFiles: uploadDelta});
  fill(el,
    h('div', {class: 'page-head'}, h('div', {},
      h('h1', {text: 'Deltas'}),
      h('p', {text: 'Trained concepts are small files applied on top of their base model. Bring deltas from other Custom Diffusion tools; '
        + 'cd4j reads every format and keeps them as one self-describing file.'}))),
    h('div', {class: 'cols deltas'},
      h('div', {class: 'stack'},
        h('div', {class: 'card'}, h('div', {class: 'card-head'}, h('h2', {text: 'Library'}),
          h('span', {class: 'muted small', id: 'deltas-count'})), tableEl, listErr),
        h('div', {class: 'card'}, h('div', {class: 'card-head'}, h('h2', {text: 'Image sets'}),
          h('span', {class: 'muted small', text: 'Uploaded concept pictures and class pictures, reused by trainings.'})), setsEl)),
      h('div', {class: 'stack'},
        h('div', {class: 'card'}, h('h2', {text: 'Upload a delta'}), drop,
          field('Name', upName, 'Optional; letters, digits, “-” and “_”.'), upStatus, upErr),
        toolCards())));
  on('deltas', renderTable);
  on('datasets', renderSets);
  renderTable();
  renderSets();
}

export function show() {
  refreshDeltas().catch(() => {});
  refreshDatasets().catch(() => {});
}

async function uploadDelta(files) {
  upErr.show(null);
  upStatus.textContent = 'Uploading ' + files.map((x) => x.name).join(', ') + '…';
  try {
    const d = await upload('/api/deltas', files, {name: upName.value.trim()},
      (p) => (upStatus.textContent = 'Uploading… ' + Math.round(p * 100) + '%'));
    upStatus.textContent = 'Added “' + d.name + '” (' + d.format + ' format, tokens ' + (d.tokens.join(' ') || 'none') + ').'
      + (d.warnings && d.warnings.length ? ' Note: ' + d.warnings.join('; ') : '');
    upName.value = '';
    await refreshDeltas();
  } catch (e) {
    upStatus.textContent = '';
    upErr.show(e.message);
  }
}

function renderTable() {
  const ds = store.deltas;
  document.getElementById('deltas-count').textContent = ds.length ? ds.length + ' delta(s)' : '';
  if (ds.length === 0) {
    fill(tableEl, empty('◇', 'No deltas yet', 'Train a concept, or drop a delta file on the right.',
      h('a', {class: 'btn', href: '#train', text: 'Train a concept'})));
    return;
  }
  fill(tableEl, h('table', {class: 'list'},
    h('thead', {}, h('tr', {}, ['Delta', 'Tokens', 'Weights', 'Size', 'Base model', 'Added'].map((t) => h('th', {text: t})))),
    h('tbody', {}, ds.map(row))));
}

function row(d) {
  if (d.error) {
    return h('tr', {}, h('td', {}, h('b', {text: d.name}), h('div', {class: 'actions-line'}, confirmButton('Delete', () => remove(d), 'link danger'))),
      h('td', {colspan: 5, class: 'muted small', text: d.error}));
  }
  const link = (text, on) => h('button', {class: 'link', type: 'button', text, on: {click: on}});
  const del = confirmButton('Delete', () => remove(d), 'link danger');
  const nameCell = h('td', {}, h('b', {text: d.name}), h('div', {class: 'small muted', text: origin(d)}),
    h('div', {class: 'actions-line'},
      h('a', {href: '#generate/' + encodeURIComponent(d.name), text: 'Generate'}),
      h('a', {href: d.url, download: '', text: 'Download'}),
      link('Rename', () => rename(d, nameCell)), del));
  return h('tr', {id: 'delta-row-' + d.name},
    nameCell,
    h('td', {}, (d.tokens || []).map((t) => h('span', {class: 'token', text: t})), d.tokens && d.tokens.length ? null : h('span', {class: 'muted', text: '–'})),
    h('td', {class: 'small'}, MODES[d.mode] || d.mode,
      h('div', {class: 'muted', text: d.weights === 0 ? 'no weights'
        : d.storage === 'full' ? 'full' : 'low rank' + (d.maxRank ? ' ≤ ' + d.maxRank : '')})),
    h('td', {class: 'nowrap', text: fmtBytes(d.bytes)}),
    h('td', {class: 'small', text: d.baseModel || 'unknown'}),
    h('td', {class: 'small muted nowrap', text: fmtAgo(d.created)}));
}

function origin(d) {
  if (d.origin === 'training') return 'trained here' + (d.steps ? ', ' + d.steps + ' steps' : '');
  if (d.origin === 'upload') return 'uploaded ' + (d.format || '') + ' file' + (d.file ? ' ' + d.file : '');
  if (d.origin === 'compress') return 'compressed from ' + (d.from || 'a delta');
  if (d.origin === 'merge') return 'merged from ' + (d.from || []).join(', ');
  return d.origin || '';
}

function rename(d, cell) {
  const input = h('input', {type: 'text', value: d.name, maxlength: 64, id: 'rename-' + d.name});
  const save = async () => {
    try {
      await patch('/api/deltas/' + encodeURIComponent(d.name), {name: input.value.trim()});
      listErr.show(null);
      await refreshDeltas();
    } catch (e) {
      listErr.show(e.message);
    }
  };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') save(); if (e.key === 'Escape') renderTable(); });
  fill(cell, h('div', {class: 'row'}, input, h('button', {class: 'small primary', type: 'button', text: 'Save', on: {click: save}}),
    h('button', {class: 'small ghost', type: 'button', text: 'Cancel', on: {click: renderTable}})));
  input.focus();
  input.select();
}

async function remove(d) {
  try {
    await del('/api/deltas/' + encodeURIComponent(d.name));
    toast('Deleted “' + d.name + '”');
    await refreshDeltas();
  } catch (e) {
    listErr.show(e.message);
  }
}

function renderSets() {
  const sets = store.datasets;
  if (sets.length === 0) {
    fill(setsEl, h('p', {class: 'muted small', text: 'No image sets yet: pictures you drop on the Train page are kept here.'}));
    return;
  }
  fill(setsEl, h('div', {class: 'sets'}, sets.map((s) => h('div', {class: 'set'},
    h('div', {class: 'cover'}, s.cover ? h('img', {src: s.cover, alt: s.name}) : '∅'),
    h('div', {class: 'info'}, h('b', {text: s.name}),
      h('div', {class: 'muted', text: (s.kind === 'class' ? 'class' : 'concept') + ' · ' + s.count + ' picture(s)'}),
      h('div', {class: 'row', style: 'margin-top:6px'}, confirmButton('Delete', async () => {
        try {
          await del('/api/datasets/' + s.id);
          await refreshDatasets();
        } catch (e) { toast(e.message, 'error'); }
      })))))));
}

