// Jobs page: the queue on the left; the chosen job on the right with live progress (step, loss
// curve, it/s, ETA), validation pictures as they appear, the log, and cancel/resume/delete.
import {get, post, del} from './api.js';
import {store, on, jobList} from './app.js';
import {h, fill, pill, bar, empty, fmtDuration, fmtAgo, fmtNum, confirmButton, errorBox, check, toast} from './ui.js';
import {drawLoss} from './chart.js';

let listEl, detailEl, showGen;
let selected = null;
let series = {step: [], loss: []};
let view = null; // the detail's live parts

const TYPES = {train: 'Training', 'reg-images': 'Class pictures', 'retrieve-images': 'Real class pictures', generate: 'Generation',
  compress: 'Compression', merge: 'Merge'};

export function mount(el) {
  listEl = h('div', {class: 'job-list', id: 'job-list'});
  detailEl = h('div', {id: 'job-detail'});
  showGen = h('input', {type: 'checkbox', id: 'jobs-show-gen', on: {change: renderList}});
  fill(el,
    h('div', {class: 'page-head'}, h('div', {},
      h('h1', {text: 'Jobs'}),
      h('p', {text: 'Trainings and other long work run one at a time, in order. They keep their outputs and '
        + 'continue from their last checkpoint if the server restarts.'})),
    h('div', {class: 'small'}, check(showGen, 'Show generations'))),
    h('div', {class: 'cols jobs'}, listEl, detailEl));
  on('jobs', renderList);
  on('job', (j) => { renderList(); if (j.id === selected) update(j); });
  on('log', (e) => { if (e.job === selected && view) appendLog(e.line); });
  on('image', (e) => { if (e.job === selected && view && e.kind === 'validation') addValidation(e.url, e.info && e.info.step); });
  setInterval(() => { if (view && selected) { const j = store.jobs.get(selected); if (j) stats(j); } }, 1000);
}

export function show(id) {
  renderList();
  const first = visible()[0];
  select(id || selected || (first && first.id));
}

function visible() {
  return jobList().filter((j) => showGen.checked || j.type !== 'generate' || j.id === selected);
}

function renderList() {
  const jobs = visible();
  if (jobs.length === 0) {
    fill(listEl, h('div', {class: 'card'}, empty('☰', 'No jobs yet', 'Start a training on the Train page; it shows up here.',
      h('a', {class: 'btn', href: '#train', text: 'Go to Train'}))));
    return;
  }
  fill(listEl, jobs.map((j) => {
    const b = bar();
    b.set(j.state === 'done' ? 1 : (j.progress && j.progress.fraction) || 0, j.state);
    return h('div', {class: 'job-item' + (j.id === selected ? ' selected' : ''), id: 'job-item-' + j.id,
      on: {click: () => { location.hash = '#jobs/' + j.id; }}},
    h('div', {class: 'row'}, h('span', {class: 'type', text: TYPES[j.type] || j.type}), h('span', {class: 'spacer'}), pill(j.state)),
    h('div', {class: 'title', text: j.name}), b,
    h('div', {class: 'meta'}, h('span', {text: progressText(j)}), h('span', {text: fmtAgo(j.created)})));
  }));
}

function progressText(j) {
  const p = j.progress || {};
  if (j.state === 'queued') return 'waiting';
  if (j.state === 'failed') return 'failed';
  if (p.total) return (p.phase ? p.phase + ' ' : '') + p.step + ' / ' + p.total;
  return p.phase || j.state;
}

async function select(id) {
  selected = id || null;
  renderList();
  view = null;
  if (!id) {
    fill(detailEl, h('div', {class: 'card'}, h('h2', {text: 'How jobs work'}), h('ul', {class: 'help'},
      h('li', {text: 'Trainings, class pictures, compressions and merges wait in this queue and run one at a time.'}),
      h('li', {text: 'A running training shows its step, loss curve, speed, time left and validation pictures live.'}),
      h('li', {text: 'Cancel stops after the current step and keeps a checkpoint; Resume continues from it.'}),
      h('li', {text: 'If the server stops or crashes, the job continues from its last checkpoint at the next start.'}),
      h('li', {text: 'Finished jobs keep their outputs; their deltas are in the library on the Deltas page.'}))));
    return;
  }
  let job, metrics, log;
  try {
    [job, metrics, log] = await Promise.all([get('/api/jobs/' + id), get('/api/jobs/' + id + '/metrics'), get('/api/jobs/' + id + '/log')]);
  } catch (e) {
    fill(detailEl, h('div', {class: 'card'}, empty('!', 'Job not found', e.message)));
    return;
  }
  if (selected !== id) return;
  series = {step: metrics.step, loss: metrics.loss};
  build(job);
  log.lines.forEach(appendLog);
  (job.validation || []).forEach((v) => addValidation(v.url, v.step));
  update(store.jobs.get(id) || job);
}

function build(j) {
  const v = view = {
    title: h('h2', {text: j.name}), pill: h('span', {id: 'job-state'}), bar: bar(), line: h('div', {class: 'small muted', id: 'job-progress-text'}),
    actions: h('div', {class: 'row'}), err: errorBox(), result: h('div', {id: 'job-result'}),
    stats: h('div', {class: 'stats'}), canvas: h('canvas', {class: 'chart', id: 'loss-chart'}),
    strip: h('div', {class: 'strip', id: 'validation-strip'}), stripEmpty: h('p', {class: 'muted small'}),
    log: h('div', {class: 'log', id: 'job-log'}),
  };
  v.err.id = 'job-error';
  const train = j.type === 'train';
  const opts = j.params.options || {};
  v.stripEmpty.textContent = opts.validationPrompt
    ? 'Pictures of “' + opts.validationPrompt + '” appear every ' + opts.validationSteps + ' steps.' : 'No validation prompt was set.';
  fill(detailEl,
    h('div', {class: 'card'},
      h('div', {class: 'card-head'}, h('div', {}, h('span', {class: 'type', text: TYPES[j.type] || j.type}), v.title),
        h('div', {class: 'row'}, v.pill, v.actions)),
      h('p', {class: 'small muted', text: describe(j)}), v.bar, v.line, v.stats, v.err, v.result),
    train ? h('div', {class: 'panels'},
      h('div', {class: 'card'}, h('h3', {text: 'Loss'}), v.canvas),
      h('div', {class: 'card'}, h('h3', {text: 'Validation pictures'}), v.stripEmpty, v.strip)) : null,
    h('div', {class: 'card'}, h('h3', {text: 'Log'}), v.log));
}

function describe(j) {
  const p = j.params;
  const parts = [];
  if (p.model) parts.push('model ' + p.model);
  if (p.concepts) parts.push(p.concepts.map((c) => c.token + ' “' + c.instancePrompt + '”').join(', '));
  if (p.options) parts.push(p.options.steps + ' steps at ' + p.options.resolution + ' px');
  if (p.classPrompt) parts.push('“' + p.classPrompt + '”, ' + p.count + ' pictures');
  if (p.prompt) parts.push('“' + p.prompt + '”');
  return parts.join(' · ');
}

function update(j) {
  if (!view) return;
  fill(view.pill, pill(j.state));
  const p = j.progress || {};
  view.bar.set(j.state === 'done' ? 1 : p.fraction || 0, j.state);
  view.line.textContent = j.state === 'queued' ? 'Waiting for the job before it to finish.'
    : p.total ? (p.phase || '') + ' — step ' + p.step + ' of ' + p.total + (p.checkpoint ? ' · last checkpoint at step ' + p.checkpoint : '')
      : p.phase || '';
  view.err.show(j.state === 'failed' ? j.error : null);
  if (view.state !== j.state) {
    // buttons are rebuilt only when the state changes, so they hold still under the pointer
    view.state = j.state;
    actions(j);
    result(j);
  }
  stats(j);
  if (j.type === 'train' && p.phase === 'training' && p.step && series.step[series.step.length - 1] !== p.step && p.loss != null) {
    series.step.push(p.step);
    series.loss.push(p.loss);
  }
  if (j.type === 'train') drawLoss(view.canvas, series.step, series.loss, p.total || (j.params.options || {}).steps);
}

function stats(j) {
  const p = j.progress || {};
  const end = j.finished ? Date.parse(j.finished) : Date.now();
  const elapsed = j.started ? (end - Date.parse(j.started)) / 1000 : null;
  const cell = (label, value, id) => h('div', {class: 'stat'}, h('span', {text: label}), h('b', {text: value, id}));
  fill(view.stats,
    cell('Step', p.total ? p.step + ' / ' + p.total : '–', 'job-step'),
    cell('Loss', fmtNum(p.loss), 'job-loss'),
    cell('Speed', p.itPerSec ? fmtNum(p.itPerSec, 3) + ' it/s' : '–'),
    cell('Time left', j.state === 'running' ? fmtDuration(p.etaSeconds) : '–'),
    cell('Elapsed', fmtDuration(elapsed)));
}

function actions(j) {
  const buttons = [];
  if (j.state === 'running' || j.state === 'queued') {
    buttons.push(h('button', {class: 'danger small', id: 'job-cancel', type: 'button', text: 'Cancel',
      on: {click: () => act(post('/api/jobs/' + j.id + '/cancel'), 'Stopping at the next step…')}}));
  }
  if ((j.state === 'cancelled' || j.state === 'failed') && (j.type === 'train' || j.type === 'reg-images')) {
    buttons.push(h('button', {class: 'small', id: 'job-resume', type: 'button', text: 'Resume',
      on: {click: () => act(post('/api/jobs/' + j.id + '/resume'), 'Queued again')}}));
  }
  if (j.state === 'done' || j.state === 'failed' || j.state === 'cancelled') {
    const b = confirmButton('Delete', () => act(del('/api/jobs/' + j.id).then(() => { location.hash = '#jobs'; selected = null; }), 'Deleted'));
    b.id = 'job-delete';
    buttons.push(b);
  }
  fill(view.actions, buttons);
}

async function act(promise, message) {
  try {
    await promise;
    toast(message);
  } catch (e) {
    view && view.err.show(e.message);
  }
}

function result(j) {
  const r = j.result;
  if (!r || j.state !== 'done') { fill(view.result); return; }
  if (r.report) {
    const rep = r.report;
    fill(view.result, h('div', {style: 'margin-top:10px'},
      h('p', {}, 'Delta ', h('b', {text: r.delta, id: 'job-result-delta'}), ': ', rep.summary, ' (', rep.criterion, ').'),
      h('details', {}, h('summary', {class: 'small', text: 'Per weight'}),
        h('table', {class: 'list small'}, h('thead', {}, h('tr', {}, ['weight', 'shape', 'rank', 'error'].map((t) => h('th', {text: t})))),
          h('tbody', {}, rep.layers.map((l) => h('tr', {}, h('td', {class: 'mono', text: l.name}), h('td', {text: l.shape}),
            h('td', {text: l.rank < 0 ? 'copied' : l.rank + ' / ' + l.maxRank}), h('td', {text: (100 * l.relativeError).toFixed(2) + '%'}))))))));
  } else if (r.tokens) {
    fill(view.result, h('div', {style: 'margin-top:10px'},
      h('p', {}, 'Delta ', h('b', {text: r.delta, id: 'job-result-delta'}), ' merges ', r.tokens.length, ' token(s); largest constraint error ',
        fmtNum(r.maxConstraintError, 3), '.'),
      h('div', {class: 'chips'}, r.tokens.map((t) => h('span', {class: 'chip', text: t.from + ' ' + t.original + ' → ' + t.renamed}))),
      h('a', {class: 'btn small', style: 'margin-top:8px', href: '#generate/' + encodeURIComponent(r.delta), text: 'Generate with it'})));
  } else if (r.delta) {
    fill(view.result, h('div', {class: 'row wrap', style: 'margin-top:10px'},
      h('span', {}, 'Delta ', h('b', {text: r.delta, id: 'job-result-delta'}), ' is in the library.'),
      h('a', {class: 'btn small', href: '#generate/' + encodeURIComponent(r.delta), id: 'job-generate', text: 'Generate with it'}),
      h('a', {class: 'btn small', href: '/api/deltas/' + encodeURIComponent(r.delta) + '/file', text: 'Download'})));
  } else if (r.dataset && r.summary) {
    fill(view.result, h('p', {class: 'small', style: 'margin-top:10px', id: 'job-result-retrieved',
      text: r.count + ' real class pictures are ready (' + r.summary + '). Choose the set on the Train page.'}));
  } else if (r.dataset) {
    fill(view.result, h('p', {class: 'small', style: 'margin-top:10px',
      text: r.count + ' class pictures are ready (' + r.made + ' new). Choose the set on the Train page.'}));
  } else if (r.images) {
    fill(view.result, h('p', {class: 'small', style: 'margin-top:10px'}, r.images.length + ' picture(s) — ',
      h('a', {href: '#generate', text: 'see them in the gallery'})));
  } else {
    fill(view.result);
  }
}

function appendLog(line) {
  const atEnd = view.log.scrollTop + view.log.clientHeight >= view.log.scrollHeight - 4;
  view.log.append(line + '\n');
  if (atEnd) view.log.scrollTop = view.log.scrollHeight;
}

function addValidation(url, step) {
  if (view.strip.querySelector('img[src="' + CSS.escape(url) + '"]')) return;
  view.stripEmpty.classList.add('hidden');
  view.strip.append(h('figure', {}, h('a', {href: url, target: '_blank'}, h('img', {src: url, alt: 'validation step ' + step})),
    h('figcaption', {text: step != null ? 'step ' + step : ''})));
}
