// dom.js: building pages from chain data safely. Every string from the
// chain goes into the page as a text node (h() never parses HTML), so a
// job description holding "<script>" is shown, not run.

// h builds an element: h("a", {href: "/x", class: "k"}, "text", child...).
// Attribute values are set with setAttribute (never as HTML); "on*"
// attributes given as functions become event listeners.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) { if (typeof v === "function") el.addEventListener(k.slice(2), v); }
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// svg builds an SVG element the same way (text children are text nodes).
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

// link is an in-app link; the router handles its clicks.
export function link(href, text) { return h("a", { href }, text ?? href); }

// short abbreviates a long hash or address for tables; the full value
// stays in the title.
export function short(s, n = 10) {
  s = String(s ?? "");
  if (s.length <= 2 * n + 1) return s;
  return s.slice(0, n) + "…" + s.slice(-6);
}

export function hashLink(kind, id) {
  const a = link(`/${kind}/${id}`, short(id));
  a.title = id;
  a.classList.add("mono");
  return a;
}

// emg formats a uemg amount (a number or a decimal string) as EMG,
// exactly, with BigInt: no floating point rounding of balances.
export function emg(u) {
  if (u === undefined || u === null || u === "") return "";
  let v;
  try { v = BigInt(u); } catch { return String(u); }
  const neg = v < 0n;
  if (neg) v = -v;
  const whole = v / 1000000n, frac = v % 1000000n;
  let s = whole.toLocaleString("en-US");
  if (frac) s += "." + frac.toString().padStart(6, "0").replace(/0+$/, "");
  return (neg ? "-" : "") + s + " EMG";
}

export function num(n) { return n === undefined || n === null ? "" : Number(n).toLocaleString("en-US"); }

export function when(t) {
  if (!t) return "";
  const d = new Date(t);
  if (isNaN(d)) return String(t);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function ago(t) {
  const s = Math.round((Date.now() - new Date(t).getTime()) / 1000);
  if (!isFinite(s)) return "";
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

// table builds a table from column headers and rows of cells (strings or
// nodes); it scrolls sideways inside its own box on a narrow screen.
export function table(headers, rows, opts = {}) {
  const t = h("table", { class: opts.class || null, id: opts.id || null },
    h("thead", null, h("tr", null, headers.map((x) => h("th", null, x)))),
    h("tbody", null, rows.map((r) => h("tr", null, r.map((c) => h("td", null, c))))));
  if (rows.length === 0) {
    t.tBodies[0].appendChild(h("tr", null, h("td", { colspan: headers.length, class: "empty" }, opts.empty || "nothing yet")));
  }
  return h("div", { class: "scroll" }, t);
}

// kv is a two-column list of labelled values.
export function kv(pairs) {
  return h("dl", { class: "kv" }, pairs.filter(Boolean).map(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
}

export function section(title, ...body) { return h("section", null, h("h2", null, title), ...body); }

export function codeBadge(code, codespace) {
  if (!code) return h("span", { class: "ok" }, "ok");
  return h("span", { class: "fail", title: "result code" }, `${codespace || "app"} ${code}`);
}

// ApiError is a non-2xx answer of the JSON API.
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || `status ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

// api GETs a JSON API path.
export async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  let body = null;
  try { body = await r.json(); } catch { body = null; }
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

// maybe is api() that answers null for a 404.
export async function maybe(path) {
  try { return await api(path); } catch (e) { if (e.status === 404) return null; throw e; }
}
