// The "retrieve real class pictures" part of a concept card: from a clip-retrieval knn service
// (its address is remembered in this browser) or from a picture collection the server was
// started with (cd4j serve --collection DIR). It runs as a job; its progress shows here, and the
// finished set becomes the concept's class pictures.
import {post} from './api.js';
import {store, on, refreshDatasets} from './app.js';
import {h, field, check, errorBox} from './ui.js';

const SERVICE_KEY = 'cd4j.knnService';

/**
 * ctx: {classPrompt(): string, model(): string, done(datasetId)}.
 * Returns {el, setIds(prefix), dataset()}: dataset() is the set being (or already) filled, or null;
 * while "Retrieve real pictures…" stays chosen, it is the concept's class set (a training queued
 * meanwhile runs after the retrieval, on the same lane).
 */
export function retrievePanel(ctx) {
  const cols = store.info.collections || [];
  const from = h('select', {}, h('option', {value: 'service', text: 'a clip-retrieval service'}),
    cols.length ? h('option', {value: 'collection', text: 'a picture collection on the server'}) : null);
  const url = h('input', {type: 'url', maxlength: 500, placeholder: 'http://localhost:1234/knn-service',
    value: localStorage.getItem(SERVICE_KEY) || ''});
  const index = h('input', {type: 'text', maxlength: 200, value: 'laion_400m'});
  const safety = h('input', {type: 'checkbox', checked: true});
  const aesthetic = h('input', {type: 'checkbox', checked: true});
  const collection = h('select', {}, cols.map((c) => h('option', {value: c.id, text: c.id})));
  const count = h('input', {type: 'number', min: 1, max: store.info.limits.imagesPerDataset, value: 200});
  const go = h('button', {class: 'small', type: 'button', text: 'Retrieve', on: {click: start}});
  const status = h('span', {class: 'small muted'});
  const err = errorBox();
  const serviceBox = h('div', {},
    h('div', {class: 'grid2'},
      field('Service address', url, 'The knn-service end point of a clip-retrieval back end.'),
      field('Index', index, 'The index to search, e.g. laion_400m.')),
    h('div', {class: 'row wrap'},
      check(safety, 'Safety filters', 'The service drops pictures its NSFW and violence detectors flag.'),
      check(aesthetic, 'Prefer pretty pictures', 'The query leans towards highly rated pictures, as the reference does.')));
  const collectionBox = h('div', {class: 'hidden'},
    field('Collection', collection, 'Captions nearest the class prompt in the base model’s CLIP text space are taken.'));
  const el = h('div', {class: 'hidden', style: 'margin-top:8px'},
    h('div', {class: 'grid2'}, field('Retrieve from', from), field('Pictures', count)),
    serviceBox, collectionBox, h('div', {class: 'row'}, go, status), err);
  let job = null;
  let dataset = null;

  from.addEventListener('change', () => {
    serviceBox.classList.toggle('hidden', from.value !== 'service');
    collectionBox.classList.toggle('hidden', from.value !== 'collection');
  });
  on('job', (j) => { if (j.id === job) show(j); });

  async function start() {
    err.show(null);
    const body = {classPrompt: ctx.classPrompt(), count: Number(count.value), source: from.value};
    if (from.value === 'service') {
      Object.assign(body, {service: url.value.trim(), indiceName: index.value.trim(), safety: safety.checked, aesthetic: aesthetic.checked});
      localStorage.setItem(SERVICE_KEY, url.value.trim());
    } else {
      Object.assign(body, {collection: collection.value, model: ctx.model()});
    }
    try {
      const j = await post('/api/jobs/retrieve-images', body);
      job = j.id;
      dataset = j.params.dataset;
      // a quick job may have run (and its events passed) before this answer was read
      show(store.jobs.get(j.id) || j);
    } catch (e) {
      err.show(e.message);
    }
  }

  function show(j) {
    const p = j.progress || {};
    go.disabled = j.state === 'queued' || j.state === 'running';
    if (j.state === 'queued') status.textContent = 'Waiting for the job queue…';
    else if (j.state === 'running') {
      status.textContent = p.total ? 'Retrieving… ' + p.step + ' / ' + p.total + ' (fetched ' + (p.fetched || 0) + ', '
        + (p.failed || 0) + ' failed)' : (p.phase || 'starting') + '…';
    } else if (j.state === 'done') {
      const r = j.result;
      status.textContent = r.count + ' real picture' + (r.count === 1 ? '' : 's') + ' ready' + (r.count < r.wanted ? ' (fewer than asked)' : '')
        + ', used as this concept’s class pictures';
      refreshDatasets().then(() => ctx.done(dataset)).catch(() => {});
    } else {
      status.textContent = j.state === 'cancelled' ? 'Cancelled.' : '';
      if (j.state === 'failed') err.show(j.error);
      dataset = null;
    }
  }

  return {
    el,
    setIds(prefix) {
      from.id = prefix + 'retrieve-from';
      url.id = prefix + 'retrieve-url';
      index.id = prefix + 'retrieve-index';
      collection.id = prefix + 'retrieve-collection';
      count.id = prefix + 'retrieve-count';
      go.id = prefix + 'retrieve-start';
      status.id = prefix + 'retrieve-status';
      err.id = prefix + 'retrieve-error';
    },
    dataset: () => dataset,
  };
}
