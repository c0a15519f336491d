// The loss curve, drawn on a canvas without a library: raw loss as a faint line, an exponential
// moving average on top (training loss is noisy: each step draws its own timestep and noise).

/** Draws steps/losses into the canvas, sized for the screen's pixel density. */
export function drawLoss(canvas, steps, losses, total) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 600, hgt = canvas.clientHeight || 220;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(hgt * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, hgt);
  const pad = {l: 52, r: 14, t: 12, b: 28};
  const pw = w - pad.l - pad.r, ph = hgt - pad.t - pad.b;
  const pts = [];
  for (let i = 0; i < steps.length; i++) if (losses[i] != null && isFinite(losses[i])) pts.push([steps[i], losses[i]]);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#98a2b3';
  if (pts.length === 0) {
    g.textAlign = 'center';
    g.fillText('The loss curve appears with the first training step.', w / 2, hgt / 2);
    return;
  }
  // the axis follows the data (as TensorBoard does), so early steps of a long run are readable
  const last = pts[pts.length - 1][0];
  const xMax = Math.max(1, total && last / total > 0.5 ? total : last);
  let yMin = Infinity, yMax = -Infinity;
  for (const [, y] of pts) { yMin = Math.min(yMin, y); yMax = Math.max(yMax, y); }
  if (yMax - yMin < 1e-9) { yMax += 0.5; yMin = Math.max(0, yMin - 0.5); }
  const span = yMax - yMin;
  yMin = Math.max(0, yMin - span * 0.08);
  yMax += span * 0.08;
  const X = (x) => pad.l + (x / xMax) * pw;
  const Y = (y) => pad.t + ph - ((y - yMin) / (yMax - yMin)) * ph;

  // grid and axis labels
  g.strokeStyle = '#eceef2';
  g.lineWidth = 1;
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4;
    const y = Math.round(Y(v)) + 0.5;
    g.beginPath(); g.moveTo(pad.l, y); g.lineTo(w - pad.r, y); g.stroke();
    g.fillText(label(v), pad.l - 6, y);
  }
  g.textAlign = 'center';
  g.textBaseline = 'top';
  for (const s of ticks(xMax)) g.fillText(String(s), X(s), hgt - pad.b + 8);
  g.textAlign = 'right';
  g.fillText('step', pad.l - 14, hgt - pad.b + 8);

  // raw loss
  line(g, pts.map(([x, y]) => [X(x), Y(y)]), 'rgba(79, 70, 229, .28)', 1);
  // smoothed loss
  const a = pts.length > 50 ? 0.05 : pts.length > 10 ? 0.2 : 0.5;
  let ema = pts[0][1];
  line(g, pts.map(([x, y]) => { ema = a * y + (1 - a) * ema; return [X(x), Y(ema)]; }), '#4f46e5', 2);
  if (pts.length < 30) {
    g.fillStyle = '#4f46e5';
    for (const [x, y] of pts) { g.beginPath(); g.arc(X(x), Y(y), 2.5, 0, Math.PI * 2); g.fill(); }
  }
}

function line(g, pts, color, width) {
  g.strokeStyle = color;
  g.lineWidth = width;
  g.lineJoin = 'round';
  g.beginPath();
  pts.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
  g.stroke();
}

function label(v) {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** About five round step numbers from 0 to max. */
function ticks(max) {
  const raw = max / 5;
  const mag = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || mag;
  const out = [];
  for (let s = 0; s <= max + 1e-9; s += Math.max(1, step)) out.push(Math.round(s));
  return out;
}
