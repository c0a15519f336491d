// The page shell: shared state, live events from the server, and the hash router
// (#train, #jobs/<id>, #generate, #deltas).
import {get} from './api.js';
import {toast} from './ui.js';
import * as train from './train.js';
import * as jobs from './jobs.js';
import * as generate from './generate.js';
import * as deltas from './deltas.js';

/** What every page reads: server info, jobs, deltas and image sets, kept current by events. */
export const store = {info: null, jobs: new Map(), deltas: [], datasets: []};
const subs = {};

/** Subscribes to 'job', 'jobs', 'log', 'image', 'deltas', 'datasets', 'finished'. */
export function on(ev, fn) {
  (subs[ev] ||= []).push(fn);
}

export function emit(ev, data) {
  for (const fn of subs[ev] || []) {
    try { fn(data); } catch (e) { console.error(e); }
  }
}

export async function refreshJobs() {
  const list = await get('/api/jobs');
  store.jobs = new Map(list.map((j) => [j.id, j]));
  emit('jobs');
  badge();
}

export async function refreshDeltas() {
  store.deltas = await get('/api/deltas');
  emit('deltas');
}

export async function refreshDatasets() {
  store.datasets = await get('/api/datasets');
  emit('datasets');
}

/** Jobs newest first, optionally of some types. */
export function jobList(types) {
  return [...store.jobs.values()].filter((j) => !types || types.includes(j.type))
    .sort((a, b) => (a.id < b.id ? 1 : -1));
}

function badge() {
  const n = [...store.jobs.values()].filter((j) => j.type !== 'generate' && (j.state === 'running' || j.state === 'queued')).length;
  const b = document.getElementById('jobs-badge');
  b.textContent = n;
  b.classList.toggle('hidden', n === 0);
}

function live(up, text) {
  document.getElementById('live-dot').className = 'dot ' + (up ? 'live' : 'down');
  document.getElementById('live-text').textContent = text || (up ? 'live' : 'reconnecting…');
}

function connect() {
  const es = new EventSource('/api/events');
  es.addEventListener('hello', () => {
    live(true);
    // after a reconnect (e.g. the server restarted) everything may have changed
    Promise.all([refreshJobs(), refreshDeltas(), refreshDatasets()]).catch(() => {});
  });
  es.addEventListener('job', (e) => {
    const j = JSON.parse(e.data);
    const before = store.jobs.get(j.id);
    store.jobs.set(j.id, j);
    emit('job', j);
    badge();
    if (before && !isFinished(before.state) && isFinished(j.state)) finished(j);
  });
  es.addEventListener('log', (e) => emit('log', JSON.parse(e.data)));
  es.addEventListener('image', (e) => emit('image', JSON.parse(e.data)));
  es.addEventListener('deleted', (e) => {
    store.jobs.delete(JSON.parse(e.data).id);
    emit('jobs');
    badge();
  });
  es.onerror = () => live(false);
}

const isFinished = (s) => s === 'done' || s === 'failed' || s === 'cancelled';

function finished(j) {
  emit('finished', j);
  if (j.type === 'generate') return;
  if (j.state === 'done') toast('“' + j.name + '” finished');
  else if (j.state === 'failed') toast('“' + j.name + '” failed: ' + (j.error || ''), 'error');
  if (j.type !== 'generate') refreshDeltas().catch(() => {});
  refreshDatasets().catch(() => {});
}

const pages = {train, jobs, generate, deltas};
const mounted = new Set();

function route() {
  const [name, arg] = (location.hash.slice(1) || 'train').split('/');
  const page = pages[name] ? name : 'train';
  for (const p of Object.keys(pages)) {
    document.getElementById('page-' + p).classList.toggle('active', p === page);
    document.getElementById('nav-' + p).classList.toggle('active', p === page);
  }
  const el = document.getElementById('page-' + page);
  if (!mounted.has(page)) {
    pages[page].mount(el);
    mounted.add(page);
  }
  if (pages[page].show) pages[page].show(arg ? decodeURIComponent(arg) : null);
  document.title = el.dataset.title + ' · cd4j';
}

async function start() {
  const banner = document.getElementById('banner');
  try {
    store.info = await get('/api/info');
  } catch (e) {
    banner.textContent = e.status === 401
      ? 'This server needs its access token: open the address that cd4j serve printed (it ends in ?token=…).'
      : 'Cannot reach the cd4j server: ' + e.message;
    banner.classList.remove('hidden');
    live(false, 'offline');
    return;
  }
  await Promise.all([refreshJobs(), refreshDeltas(), refreshDatasets()]).catch((e) => toast(e.message, 'error'));
  window.addEventListener('hashchange', route);
  route();
  connect();
}

start();
