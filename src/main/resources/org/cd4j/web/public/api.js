// Talking to the server. Every changing request carries X-Cd4j (the server refuses changing
// requests without it, which keeps other web sites from using this one); the access token, when
// the server needs one, travels in the HttpOnly cookie set by the printed address.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function parse(res) {
  if (res.status === 204) return null;
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
  if (!res.ok) {
    const msg = body && body.error ? body.error : 'the server answered ' + res.status;
    throw new ApiError(msg, res.status);
  }
  return body;
}

/** A JSON request; resolves to the parsed answer, rejects with ApiError(message). */
export async function api(method, path, body) {
  const opts = {method, headers: {'Accept': 'application/json'}, credentials: 'same-origin'};
  if (method !== 'GET') opts.headers['X-Cd4j'] = '1';
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError('cannot reach the server (is cd4j serve still running?)', 0);
  }
  return parse(res);
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const patch = (p, b) => api('PATCH', p, b);
export const del = (p) => api('DELETE', p);

/** A multipart upload with progress (0..1) reported to onProgress. */
export function upload(path, files, fields = {}, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const f of files) form.append('files', f, f.name);
    for (const [k, v] of Object.entries(fields)) if (v != null && v !== '') form.append(k, v);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('X-Cd4j', '1');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError('the upload failed (connection lost)', 0));
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(body && body.error ? body.error : 'the upload failed (' + xhr.status + ')', xhr.status));
    };
    xhr.send(form);
  });
}
