// Jobs that make files from the library: class (regularisation) pictures for a category, and —
// when the server offers them — compressing a delta and merging several.
import {post} from './api.js';
import {store, on} from './app.js';
import {h, fill, field, check, errorBox, toast} from './ui.js';

/** The cards for the Deltas page's side column (compress and merge only when the server offers them). */
export function toolCards() {
  const t = store.info.jobTypes;
  return [regCard(), t.includes('compress') ? compressCard() : null, t.includes('merge') ? mergeCard() : null];
}

/** Starts a job and opens it on the Jobs page. */
async function submit(type, body, err, message) {
  err.show(null);
  try {
    const j = await post('/api/jobs/' + type, body);
    toast(message(j));
    location.hash = '#jobs/' + j.id;
  } catch (e) {
    err.show(e.message);
  }
}

function compressCard() {
  const delta = h('select', {id: 'compress-delta'});
  const criterion = h('select', {id: 'compress-criterion'},
    h('option', {value: 'ratio', text: 'ratio (reference)'}),
    h('option', {value: 'energy', text: 'energy'}),
    h('option', {value: 'rank', text: 'fixed rank'}));
  const value = h('input', {type: 'number', id: 'compress-value', step: 'any', value: 0.6});
  const name = h('input', {type: 'text', id: 'compress-name', maxlength: 64, placeholder: 'e.g. my-cat-small'});
  const err = errorBox();
  err.id = 'compress-error';
  const hints = {ratio: 'Keeps singular values until their running share exceeds this (0.6: ~5× smaller).',
    energy: 'Keeps the smallest rank holding this share of ΣS²; relative error ≤ √(1 − share).', rank: 'The same rank for every matrix.'};
  const hint = h('small', {class: 'hint', text: hints.ratio});
  criterion.addEventListener('change', () => {
    value.value = {ratio: 0.6, energy: 0.9, rank: 8}[criterion.value];
    hint.textContent = hints[criterion.value];
  });
  const refresh = () => fill(delta, store.deltas.filter((d) => !d.error).map((d) => h('option', {value: d.name, text: d.name})));
  on('deltas', refresh);
  refresh();
  return h('div', {class: 'card'}, h('h2', {text: 'Compress a delta'}),
    h('p', {class: 'small muted', text: 'Stores each weight change as low-rank factors; the job reports size and error per weight.'}),
    field('Delta', delta), h('div', {class: 'grid2'}, field('Keep by', criterion), h('label', {class: 'field'}, h('span', {text: 'Value'}), value)),
    hint, field('New name', name, 'Optional.'),
    h('button', {class: 'primary', id: 'compress-start', type: 'button', text: 'Compress',
      on: {click: () => submit('compress', {delta: delta.value, criterion: criterion.value, value: Number(value.value), name: name.value.trim()},
        err, (j) => 'Compressing ' + j.params.delta)}}), err);
}

function mergeCard() {
  const list = h('div', {id: 'merge-deltas'});
  const cats = h('input', {type: 'text', id: 'merge-categories', maxlength: 500, placeholder: 'from training, e.g. cat+wooden pot'});
  const name = h('input', {type: 'text', id: 'merge-name', maxlength: 64, placeholder: 'e.g. cat-and-pot'});
  const err = errorBox();
  err.id = 'merge-error';
  const picked = new Set();
  const refresh = () => {
    const ds = store.deltas.filter((d) => !d.error);
    if (ds.length < 2) { fill(list, h('p', {class: 'small muted', text: 'Needs two or more deltas in the library.'})); return; }
    fill(list, ds.map((d) => {
      const box = h('input', {type: 'checkbox', checked: picked.has(d.name),
        on: {change: () => (box.checked ? picked.add(d.name) : picked.delete(d.name))}});
      return check(box, d.name, (d.tokens || []).join(' '));
    }));
  };
  on('deltas', refresh);
  refresh();
  return h('div', {class: 'card'}, h('h2', {text: 'Merge deltas'}),
    h('p', {class: 'small muted', text: 'Combines separately trained concepts into one delta (closed form, paper Eq. 4). Tokens become <new1>, <new2>… in list order.'}),
    h('div', {class: 'field-label', text: 'Deltas'}), list,
    field('Categories', cats, 'Each delta’s class word, “+”-separated; empty: from training.'),
    field('New name', name, 'Optional.'),
    h('button', {class: 'primary', id: 'merge-start', type: 'button', text: 'Merge',
      on: {click: () => submit('merge', {deltas: store.deltas.map((d) => d.name).filter((n) => picked.has(n)),
        categories: cats.value.trim(), name: name.value.trim()}, err, () => 'Merging')}}), err);
}

function regCard() {
  const model = h('select', {id: 'reg-model'}, store.info.models.map((m) => h('option', {value: m.id, text: m.id})));
  const prompt = h('input', {type: 'text', id: 'reg-prompt', maxlength: 500, placeholder: 'e.g. cat'});
  const count = h('input', {type: 'number', id: 'reg-count', min: 1, max: 2000, value: 200});
  const steps = h('input', {type: 'number', id: 'reg-steps', min: 1, max: 500, value: 50});
  const res = h('input', {type: 'number', id: 'reg-resolution', min: 64, max: 1024, step: 8,
    value: store.info.models.length ? store.info.models[0].defaultSize : 512});
  const err = errorBox();
  err.id = 'reg-error';
  model.addEventListener('change', () => {
    const m = store.info.models.find((x) => x.id === model.value);
    if (m) res.value = m.defaultSize;
  });
  const go = () => submit('reg-images', {model: model.value, classPrompt: prompt.value, count: Number(count.value),
    steps: Number(steps.value), resolution: Number(res.value)}, err, (j) => 'Making class pictures of “' + j.params.classPrompt + '”');
  return h('div', {class: 'card'},
    h('h2', {text: 'Make regularisation pictures'}),
    h('p', {class: 'small muted', text: 'The base model draws pictures of a category once; trainings with “generate” '
      + 'class pictures of the same prompt and size reuse them.'}),
    field('Model', model),
    field('Class prompt', prompt, 'The category alone, as in the concept’s class prompt.'),
    h('div', {class: 'grid3'}, field('Pictures', count), field('Steps', steps), field('Size', res)),
    h('button', {class: 'primary', id: 'reg-start', type: 'button', text: 'Start', on: {click: go}}), err);
}
