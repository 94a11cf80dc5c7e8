// chart.js: small inline SVG charts drawn by the app itself (no library).
import { svg, h } from "./dom.js";

const W = 640, H = 220, PAD = { l: 56, r: 12, t: 12, b: 28 };

// ticks returns about n round values from lo to hi, spaced at least minStep
// apart (1 for an axis of whole numbers such as epochs).
function ticks(lo, hi, n, minStep = 0) {
  if (hi <= lo) hi = lo + 1;
  const step0 = Math.max((hi - lo) / n, minStep);
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
  return out;
}

function fmt(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + "G";
  if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (a >= 1e3) return (v / 1e3).toFixed(1) + "k";
  if (a > 0 && a < 1) return v.toFixed(2);
  return String(Math.round(v * 100) / 100);
}

// lineChart draws series [{name, points: [[x, y], ...]}] with shared axes.
// opts: {title, xLabel, yLabel, id}. It returns a <figure>.
export function lineChart(series, opts = {}) {
  const all = series.flatMap((s) => s.points);
  const fig = h("figure", { class: "chart", id: opts.id || null });
  if (opts.title) fig.appendChild(h("figcaption", null, opts.title));
  if (all.length === 0) {
    fig.appendChild(h("p", { class: "empty" }, opts.empty || "no data yet"));
    return fig;
  }
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(0, ...all.map((p) => p[1])), y1 = Math.max(...all.map((p) => p[1]));
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) y1 = y0 + 1;
  const sx = (x) => PAD.l + ((x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const sy = (y) => H - PAD.b - ((y - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title || "chart", class: "svgchart" });
  for (const t of ticks(y0, y1, 4)) {
    root.appendChild(svg("line", { x1: PAD.l, x2: W - PAD.r, y1: sy(t), y2: sy(t), class: "grid" }));
    root.appendChild(svg("text", { x: PAD.l - 6, y: sy(t) + 4, "text-anchor": "end", class: "tick" }, fmt(t)));
  }
  // Whole-number x values (epochs, heights) get whole-number ticks; a tick
  // under the axis label is left out so the two never overlap.
  const intX = all.every((p) => Number.isInteger(p[0]));
  for (const t of ticks(x0, x1, 6, intX ? 1 : 0)) {
    if (opts.xLabel && sx(t) > W - PAD.r - 40) continue;
    root.appendChild(svg("text", { x: sx(t), y: H - 8, "text-anchor": "middle", class: "tick" }, fmt(t)));
  }
  if (opts.xLabel) root.appendChild(svg("text", { x: W - PAD.r, y: H - 8, "text-anchor": "end", class: "axis" }, opts.xLabel));
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    const d = pts.map((p, k) => `${k ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
    root.appendChild(svg("path", { d, class: `series s${i % 8}` }, svg("title", null, s.name)));
    if (pts.length <= 60) {
      for (const p of pts) root.appendChild(svg("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 2.5, class: `dot s${i % 8}` }, svg("title", null, `${s.name}: ${p[1]} at ${p[0]}`)));
    }
  });
  fig.appendChild(root);
  if (series.length > 1 || opts.legend) {
    fig.appendChild(h("div", { class: "legend" }, series.map((s, i) => h("span", { class: `key s${i % 8}` }, s.name))));
  }
  return fig;
}

// barChart draws one bar per [label, value].
export function barChart(bars, opts = {}) {
  const fig = h("figure", { class: "chart", id: opts.id || null });
  if (opts.title) fig.appendChild(h("figcaption", null, opts.title));
  if (bars.length === 0) {
    fig.appendChild(h("p", { class: "empty" }, opts.empty || "no data yet"));
    return fig;
  }
  const max = Math.max(1e-12, ...bars.map((b) => b[1]));
  const bw = (W - PAD.l - PAD.r) / bars.length;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title || "chart", class: "svgchart" });
  for (const t of ticks(0, max, 4)) {
    const y = H - PAD.b - (t / max) * (H - PAD.t - PAD.b);
    root.appendChild(svg("line", { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: "grid" }));
    root.appendChild(svg("text", { x: PAD.l - 6, y: y + 4, "text-anchor": "end", class: "tick" }, fmt(t)));
  }
  bars.forEach(([label, v], i) => {
    const bh = (v / max) * (H - PAD.t - PAD.b);
    const x = PAD.l + i * bw;
    root.appendChild(svg("rect", { x: x + bw * 0.1, y: H - PAD.b - bh, width: bw * 0.8, height: Math.max(bh, 0), class: `bar s${(opts.color ?? 0) % 8}` }, svg("title", null, `${label}: ${v}`)));
    if (bars.length <= 32) root.appendChild(svg("text", { x: x + bw / 2, y: H - 8, "text-anchor": "middle", class: "tick" }, String(label)));
  });
  fig.appendChild(root);
  return fig;
}
