// One concept of the Train page: its pictures (drag and drop, thumbnails, remove), its prompts
// (the modifier token is put into the instance prompt for you) and its class pictures.
import {get, post, del, upload} from './api.js';
import {store} from './app.js';
import {h, fill, field, errorBox, dropZone} from './ui.js';
import {retrievePanel} from './retrieve.js';

/**
 * Builds a concept card. ctx: {reg(): boolean, remove(), model(): string}.
 * Returns {el, value(), error(msg), setIndex(i, n), regChanged(on), setsChanged()}.
 */
export function conceptCard(index, ctx) {
  const s = {i: index, dataset: null, count: 0, token: '<new' + (index + 1) + '>', tokenEdited: false,
    promptEdited: false, classEdited: false, classSet: null};
  const id = (x) => 'concept-' + s.i + '-' + x;
  const title = h('b');
  const tokenChip = h('span', {class: 'token'});
  const removeBtn = h('button', {class: 'ghost small', type: 'button', text: 'Remove', on: {click: () => ctx.remove()}});
  const thumbs = h('div', {class: 'thumbs'});
  const status = h('div', {class: 'small muted', style: 'margin-top:6px'});
  const note = h('div', {class: 'inline-note hidden'});
  const err = errorBox();
  const word = h('input', {type: 'text', placeholder: 'e.g. cat, wooden pot, watercolour', maxlength: 60,
    on: {input: () => autofill()}});
  const token = h('input', {type: 'text', value: s.token, maxlength: 32,
    on: {input: () => { s.tokenEdited = true; setToken(token.value.trim()); }}});
  const prompt = h('input', {type: 'text', maxlength: 500, on: {input: () => (s.promptEdited = true)}});
  const insert = h('button', {class: 'small', type: 'button', text: 'Insert token', on: {click: insertToken}});
  const classPrompt = h('input', {type: 'text', maxlength: 500, placeholder: 'e.g. cat', on: {input: () => (s.classEdited = true)}});
  const source = h('select', {on: {change: sourceChanged}});
  const classThumbs = h('div', {class: 'thumbs'});
  const classStatus = h('div', {class: 'small muted', style: 'margin-top:6px'});
  const classDrop = dropZone({title: 'Drop class pictures here', hint: 'Pictures of the plain category (other cats, other pots).',
    accept: 'image/*', onFiles: uploadClass});
  const classUpload = h('div', {class: 'hidden', style: 'margin-top:8px'}, classDrop, classStatus, classThumbs);
  const retrieve = retrievePanel({classPrompt: () => classPrompt.value.trim(), model: () => ctx.model(),
    done: () => setsChanged()});
  const regSection = h('div', {},
    h('div', {class: 'grid2'},
      field('Class prompt', classPrompt, 'Caption of the class pictures: the category alone.'),
      field('Class pictures', source, 'Generated ones are made once and reused; retrieved ones keep their own captions.')),
    classUpload, retrieve.el);
  const drop = dropZone({title: 'Drop 3–20 pictures here, or click to choose',
    hint: 'The same subject in different places, angles and light. PNG, JPEG, WebP, BMP or GIF.',
    accept: 'image/*', onFiles: uploadInstance});

  const el = h('div', {class: 'concept'},
    h('div', {class: 'concept-head'}, title, tokenChip, h('span', {class: 'spacer'}), removeBtn),
    drop, status, note, thumbs,
    h('div', {class: 'grid2', style: 'margin-top:12px'},
      field('What is it?', word, 'The category in a word or two; fills in the prompts.'),
      field('Token', token, 'A new word the model learns; use it in prompts.')),
    h('label', {class: 'field'}, h('span', {text: 'Instance prompt'}), h('div', {class: 'row'}, prompt, insert),
      h('small', {class: 'hint', text: 'Describes every picture and must contain the token. For a style: “painting in the style of <new1> art”.'})),
    regSection, err);

  function setIds() {
    drop.id = id('drop');
    drop.querySelector('input').id = id('input');
    word.id = id('word');
    token.id = id('token');
    prompt.id = id('prompt');
    classPrompt.id = id('class');
    source.id = id('source');
    classDrop.querySelector('input').id = id('class-input');
    thumbs.id = id('thumbs');
    retrieve.setIds(id(''));
  }

  function setToken(t) {
    const old = s.token;
    s.token = t;
    tokenChip.textContent = t;
    if (old && prompt.value.includes(old)) prompt.value = prompt.value.split(old).join(t);
    else if (!s.promptEdited) autofill();
  }

  function autofill() {
    const w = word.value.trim();
    if (!s.promptEdited) prompt.value = w ? 'photo of a ' + s.token + ' ' + w : '';
    if (!s.classEdited) classPrompt.value = w;
  }

  function insertToken() {
    if (prompt.value.includes(s.token)) return;
    const at = prompt.selectionStart ?? prompt.value.length;
    const v = prompt.value;
    prompt.value = (v.slice(0, at) + (at && v[at - 1] !== ' ' ? ' ' : '') + s.token + ' ' + v.slice(at)).replace(/\s+$/, '');
    s.promptEdited = true;
    prompt.focus();
  }

  function render(target, images, ds, onRemove) {
    fill(target, images.map((im) => h('div', {class: 'thumb'},
      h('img', {src: im.thumb, alt: im.name, loading: 'lazy'}),
      h('button', {class: 'x', type: 'button', title: 'Remove', text: '×', on: {click: () => onRemove(ds, im.name)}}))));
  }

  async function ensureSet(kind) {
    const d = await post('/api/datasets', {kind, name: (kind === 'class' ? 'class pictures of concept ' : 'concept ') + (s.i + 1)});
    return d.id;
  }

  async function uploadInstance(files) {
    err.show(null);
    try {
      if (!s.dataset) s.dataset = await ensureSet('instance');
      status.textContent = 'Uploading ' + files.length + ' picture(s)…';
      const r = await upload('/api/datasets/' + s.dataset + '/images', files, {},
        (p) => (status.textContent = 'Uploading ' + files.length + ' picture(s)… ' + Math.round(p * 100) + '%'));
      shown(r, status, note);
      el.dispatchEvent(new Event('change', {bubbles: true}));
      s.count = r.dataset.count;
      render(thumbs, r.dataset.images, s.dataset, removeImage);
    } catch (e) {
      status.textContent = '';
      err.show(e.message);
    }
  }

  async function uploadClass(files) {
    err.show(null);
    try {
      if (!s.classSet) s.classSet = await ensureSet('class');
      classStatus.textContent = 'Uploading ' + files.length + ' picture(s)…';
      const r = await upload('/api/datasets/' + s.classSet + '/images', files, {},
        (p) => (classStatus.textContent = 'Uploading… ' + Math.round(p * 100) + '%'));
      shown(r, classStatus, null);
      render(classThumbs, r.dataset.images, s.classSet, removeImage);
    } catch (e) {
      classStatus.textContent = '';
      err.show(e.message);
    }
  }

  function shown(r, statusEl, noteEl) {
    const n = r.dataset.count;
    statusEl.textContent = n + ' picture' + (n === 1 ? '' : 's') + (n < 3 && noteEl ? ' — 3 or more work better' : '');
    if (!noteEl) return;
    noteEl.classList.toggle('hidden', r.rejected.length === 0);
    noteEl.textContent = r.rejected.map((x) => x.error).join(' · ');
  }

  async function removeImage(ds, name) {
    try {
      await del('/api/datasets/' + ds + '/images/' + encodeURIComponent(name));
      const r = await get('/api/datasets/' + ds);
      if (ds === s.dataset) { s.count = r.count; render(thumbs, r.images, ds, removeImage); status.textContent = r.count + ' pictures'; }
      else render(classThumbs, r.images, ds, removeImage);
    } catch (e) {
      err.show(e.message);
    }
  }

  function setsChanged() {
    const keep = source.value;
    const sets = store.datasets.filter((d) => d.kind === 'class' && d.id !== s.classSet && d.count > 0 && !d.generated);
    fill(source, h('option', {value: 'generate', text: 'Generate with the base model'}),
      h('option', {value: 'upload', text: 'Upload class pictures…'}),
      h('option', {value: 'retrieve', text: 'Retrieve real pictures…'}),
      sets.map((d) => h('option', {value: d.id, text: d.name + ' (' + d.count + ')'})));
    source.value = [...source.options].some((o) => o.value === keep) ? keep : 'generate';
  }

  function sourceChanged() {
    classUpload.classList.toggle('hidden', source.value !== 'upload');
    retrieve.el.classList.toggle('hidden', source.value !== 'retrieve');
  }

  setIds();
  setsChanged();
  setToken(s.token);
  regSection.classList.toggle('hidden', !ctx.reg());

  return {
    el,
    value() {
      const v = {images: s.dataset, token: s.token, instancePrompt: prompt.value.trim(), classPrompt: classPrompt.value.trim()};
      if (source.value === 'generate') v.classSource = 'generate';
      else {
        v.classSource = 'dataset';
        v.classImages = source.value === 'upload' ? s.classSet : source.value === 'retrieve' ? retrieve.dataset() : source.value;
      }
      return v;
    },
    error(msg) { err.show(msg); if (msg) el.scrollIntoView({block: 'nearest'}); },
    setIndex(i, n) {
      s.i = i;
      title.textContent = 'Concept ' + (i + 1);
      removeBtn.classList.toggle('hidden', n < 2);
      setIds();
      if (!s.tokenEdited) { token.value = '<new' + (i + 1) + '>'; setToken(token.value); }
    },
    regChanged(on) { regSection.classList.toggle('hidden', !on); },
    setsChanged,
  };
}
