// app.js: the router, the live event stream and the explorer pages.
import { h, link, hashLink, short, emg, num, when, ago, table, kv, section, codeBadge, api, maybe, ApiError } from "./dom.js";
import { marketRoutes } from "./markets.js";

const main = document.getElementById("main");
const live = document.getElementById("live");

// ---- live updates ---------------------------------------------------------

// Pages subscribe to committed blocks with ctx.onBlock(fn); navigation
// drops the subscriptions of the page it leaves.
let blockSubs = [];
export let lastBlock = null;

function connect() {
  const es = new EventSource("/v1/events?detail=codes");
  // A browser holds at most six connections to one host over HTTP/1.1, and
  // a page kept in the back-forward cache would keep its stream open:
  // close it when the page goes away, reopen it if the page comes back.
  window.addEventListener("pagehide", () => es.close(), { once: true });
  es.addEventListener("open", () => { live.textContent = "live"; live.classList.add("on"); });
  es.addEventListener("error", () => { live.textContent = "reconnecting"; live.classList.remove("on"); });
  es.addEventListener("block", (ev) => {
    let b;
    try { b = JSON.parse(ev.data); } catch { return; }
    lastBlock = b;
    live.textContent = `live · #${b.height}`;
    live.dataset.height = b.height;
    for (const fn of blockSubs) {
      try { fn(b); } catch (e) { console.error(e); }
    }
  });
}

// ---- routing ----------------------------------------------------------------

const routes = [
  [/^\/$/, home],
  [/^\/blocks$/, blocks],
  [/^\/block\/([^/]+)$/, block],
  [/^\/tx\/([^/]+)$/, txPage],
  [/^\/account\/([^/]+)$/, account],
  ...marketRoutes,
];

let generation = 0;

async function render(path, search) {
  const gen = ++generation;
  blockSubs = [];
  const ctx = {
    params: new URLSearchParams(search),
    onBlock(fn) {
      // At most one refresh in flight per page: blocks that arrive while a
      // refresh runs coalesce into the next one.
      let busy = false, again = false;
      const run = async (b) => {
        if (busy) { again = true; return; }
        busy = true;
        try { await fn(b); } finally { busy = false; }
        if (again && gen === generation) { again = false; run(lastBlock); }
      };
      blockSubs.push((b) => { if (gen === generation) run(b); });
    },
    current: () => gen === generation,
  };
  for (const [re, fn] of routes) {
    const m = path.match(re);
    if (!m) continue;
    main.replaceChildren(h("p", { class: "loading" }, "loading…"));
    try {
      const nodes = await fn(ctx, ...m.slice(1).map(decodeURIComponent));
      if (gen !== generation) return;
      main.replaceChildren(...[nodes].flat());
    } catch (e) {
      if (gen !== generation) return;
      main.replaceChildren(errorView(e));
    }
    document.title = (main.querySelector("h1")?.textContent || "Explorer") + " · Emergence";
    return;
  }
  main.replaceChildren(notFound(`there is no page ${path}`));
}

export function notFound(msg) {
  return h("div", { class: "notfound", id: "notfound" }, h("h1", null, "Not found"), h("p", null, msg), h("p", null, link("/", "back to the explorer")));
}

function errorView(e) {
  if (e instanceof ApiError && e.status === 404) return notFound(e.message);
  if (e instanceof ApiError && e.status === 400) return h("div", { class: "notfound", id: "badrequest" }, h("h1", null, "Bad request"), h("p", null, e.message));
  console.error(e);
  return h("div", { class: "notfound" }, h("h1", null, "Something went wrong"), h("p", null, String(e.message || e)));
}

function navigate(href, push = true) {
  const u = new URL(href, location.href);
  if (push) history.pushState(null, "", u.pathname + u.search);
  render(u.pathname, u.search);
  window.scrollTo(0, 0);
}

document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a");
  // An SVG <a> keeps its target and href as SVGAnimatedString (baseVal).
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || (a.target?.baseVal ?? a.target)) return;
  const u = new URL(a.href?.baseVal ?? a.href, location.href); // SVG links keep theirs in baseVal
  if (u.origin !== location.origin || u.pathname.startsWith("/v1/") || u.pathname.startsWith("/assets/") || a.hasAttribute("download") || u.pathname === "/search") return;
  ev.preventDefault();
  navigate(u.href);
});
window.addEventListener("popstate", () => navigate(location.href, false));
window.addEventListener("pageshow", (ev) => { if (ev.persisted) connect(); });

// ---- explorer pages ---------------------------------------------------------

// codes fetches the result code table once (a promise, so a page can
// start it beside its own requests).
let codeTable = null;
function codes() {
  if (!codeTable) codeTable = api("/v1/codes").catch(() => []);
  return codeTable;
}

async function codeDesc(space, code) {
  if (!code) return "ok";
  const c = (await codes()).find((x) => x.codespace === (space || "app") && x.code === code);
  return c ? c.description : "";
}

function blockRows(bs) {
  return bs.map((b) => [link(`/block/${b.height}`, num(b.height)), when(b.time), num(b.num_txs), h("span", { class: "mono", title: b.proposer }, short(b.proposer, 8)), h("span", { class: "mono", title: b.hash }, short(b.hash))]);
}

const blockHeads = ["height", "time", "txs", "proposer", "hash"];

async function home(ctx) {
  const [st, list, params] = await Promise.all([api("/v1/status"), api("/v1/blocks?limit=20"), maybe("/v1/query/bank/params")]);
  const statusBox = h("div", { id: "status" });
  const blocksBox = h("div", { id: "latest-blocks" });
  const txsBox = h("div", { id: "latest-txs" });
  const recentTxs = [];
  let shown = list.blocks;
  const fill = (st, bs) => {
    const times = bs.map((b) => new Date(b.time).getTime());
    const avg = times.length > 1 ? (times[0] - times[times.length - 1]) / (times.length - 1) / 1000 : null;
    statusBox.replaceChildren(kv([
      ["chain id", st.chain_id],
      ["height", h("span", { id: "height" }, link(`/block/${st.height}`, num(st.height)))],
      ["latest block", `${when(st.latest_block_time)} (${ago(st.latest_block_time)})`],
      ["block time", avg === null ? "" : `${avg.toFixed(2)} s (mean of the last ${bs.length} blocks)`],
      ["app hash", h("span", { class: "mono", id: "apphash" }, st.app_hash)],
      ["validators", h("span", { id: "validators" }, num(params?.validators?.length ?? 1))],
      ["this node", `${st.moniker} · ${st.peers} peers${st.catching_up ? " · catching up" : ""}`],
    ]));
    blocksBox.replaceChildren(table(blockHeads, blockRows(bs.slice(0, 10))));
  };
  for (const b of list.blocks) for (const t of b.tx_hashes || []) if (recentTxs.length < 10) recentTxs.push({ hash: t, height: b.height });
  const fillTxs = () => txsBox.replaceChildren(table(["hash", "height", "result"], recentTxs.map((t) => [hashLink("tx", t.hash), link(`/block/${t.height}`, num(t.height)), t.code === undefined ? "" : codeBadge(t.code, t.codespace)]), { empty: "no transactions in the last blocks" }));
  fill(st, shown);
  fillTxs();
  ctx.onBlock(async (b) => {
    const [st2, nb] = await Promise.all([api("/v1/status"), api(`/v1/blocks/${b.height}`)]);
    if (!ctx.current()) return;
    shown = [nb, ...shown.filter((x) => x.height !== nb.height)].slice(0, 20);
    for (const t of (b.txs || []).slice().reverse()) recentTxs.unshift({ hash: t.hash, height: b.height, code: t.code, codespace: t.codespace });
    recentTxs.splice(10);
    fill(st2, shown);
    fillTxs();
  });
  const vals = (params?.validators || []).map((v) => [h("span", { class: "mono" }, v.consensus_address), link(`/account/${v.reward_address}`, short(v.reward_address, 12))]);
  return [
    h("h1", null, "Network"),
    statusBox,
    section("Validators", table(["consensus address", "rewards to"], vals, { id: "validator-table" })),
    h("div", { class: "cols" }, section("Latest blocks", blocksBox, h("p", null, link("/blocks", "all blocks →"))), section("Latest transactions", txsBox)),
  ];
}

async function blocks(ctx) {
  const to = ctx.params.get("to");
  const list = await api("/v1/blocks?limit=25" + (to ? `&to=${encodeURIComponent(to)}` : ""));
  const box = h("div", { id: "block-list" }, table(blockHeads, blockRows(list.blocks)));
  const last = list.blocks[list.blocks.length - 1];
  if (!to) {
    ctx.onBlock(async () => {
      const l = await api("/v1/blocks?limit=25");
      if (ctx.current()) box.replaceChildren(table(blockHeads, blockRows(l.blocks)));
    });
  }
  return [h("h1", null, "Blocks"), box, last && last.height > 1 ? h("p", null, link(`/blocks?to=${last.height - 1}`, "older blocks →")) : null];
}

async function block(ctx, hs) {
  if (!/^\d+$/.test(hs) && hs !== "latest") throw new ApiError(404, { error: `${hs} is not a block height` });
  const offset = Math.max(0, Number(ctx.params.get("offset")) || 0);
  const txsOf = (height) => api(`/v1/blocks/${height}/txs?limit=100&offset=${offset}`);
  // A block asked for by height gets its txs in the same round trip.
  const [b, early] = await Promise.all([api(`/v1/blocks/${hs}`), hs === "latest" ? null : txsOf(hs).catch(() => null)]);
  const page = early || (b.num_txs ? await txsOf(b.height) : { txs: [], total: 0 });
  const rows = page.txs.map((t) => [hashLink("tx", t.hash), msgTypes(t), t.body ? link(`/account/${t.body.signer}`, short(t.body.signer, 12)) : "", codeBadge(t.code, t.codespace), num(t.gas_used)]);
  const more = offset + page.txs.length < page.total;
  return [
    h("h1", null, `Block ${num(b.height)}`),
    kv([
      ["height", h("span", { id: "block-height" }, String(b.height))],
      ["time", when(b.time)],
      ["hash", h("span", { class: "mono" }, b.hash)],
      ["previous", b.height > 1 ? link(`/block/${b.height - 1}`, short(b.header?.last_block_hash)) : "genesis"],
      ["app hash after", h("span", { class: "mono" }, b.app_hash)],
      ["proposer", h("span", { class: "mono" }, b.proposer)],
      ["transactions", num(b.num_txs)],
    ]),
    h("p", { class: "pager" }, b.height > 1 ? link(`/block/${b.height - 1}`, "← previous") : null, " ", link(`/block/${b.height + 1}`, "next →")),
    section("Transactions", table(["hash", "messages", "signer", "result", "gas used"], rows, { id: "block-txs", empty: "no transactions in this block" }),
      page.total > page.txs.length ? h("p", { class: "pager" }, `txs ${offset + 1} to ${offset + page.txs.length} of ${num(page.total)} `,
        offset > 0 ? link(`/block/${b.height}?offset=${Math.max(0, offset - 100)}`, "← previous") : null, " ",
        more ? link(`/block/${b.height}?offset=${offset + 100}`, "next →") : null) : null),
    section("End-of-block events", eventsTable(b.events)),
  ];
}

function msgTypes(t) {
  const ms = t.body?.msgs || [];
  return ms.map((m) => m.type).join(", ");
}

function eventsTable(evs) {
  return table(["event", "attributes"], (evs || []).map((e) => [e.type, h("span", null, (e.attributes || []).map((a) => h("span", { class: "attr" }, h("b", null, a.key), "=", valueNode(a.value))))]), { empty: "no events" });
}

const addrRe = /^emg1[02-9ac-hj-np-z]{38,58}$/;

// valueNode renders a message or event value: objects as nested lists,
// addresses as account links, everything as text.
export function valueNode(v, depth = 0) {
  if (v === null || v === undefined) return h("span", { class: "muted" }, "null");
  if (typeof v === "string") return addrRe.test(v) ? link(`/account/${v}`, v) : h("span", { class: "str" }, v);
  if (typeof v !== "object") return h("span", { class: "num" }, String(v));
  if (depth > 4) return h("span", { class: "str" }, JSON.stringify(v));
  if (Array.isArray(v)) {
    const items = v.slice(0, 50).map((x) => h("li", null, valueNode(x, depth + 1)));
    if (v.length > 50) items.push(h("li", { class: "muted" }, `… ${v.length - 50} more`));
    return v.length && v.every((x) => typeof x !== "object") ? h("span", { class: "str" }, v.slice(0, 50).join(", ") + (v.length > 50 ? ` … (${v.length})` : "")) : h("ol", { class: "val" }, items);
  }
  return h("dl", { class: "kv val" }, Object.entries(v).map(([k, x]) => [h("dt", null, k), h("dd", null, valueNode(x, depth + 1))]));
}

async function txPage(ctx, hash) {
  if (!/^[0-9A-Fa-f]{64}$/.test(hash)) throw new ApiError(404, { error: `${hash} is not a transaction hash` });
  // The code table is fetched beside the tx, not after it.
  const [t] = await Promise.all([api(`/v1/txs/${hash}`), codes()]);
  const desc = await codeDesc(t.codespace, t.code);
  const b = t.body;
  return [
    h("h1", null, "Transaction"),
    kv([
      ["hash", h("span", { class: "mono", id: "tx-hash" }, t.hash)],
      ["block", link(`/block/${t.height}`, num(t.height))],
      ["position", String(t.index)],
      ["result", h("span", { id: "tx-result" }, codeBadge(t.code, t.codespace), " ", desc)],
      t.log ? ["log", h("span", { class: "log" }, t.log)] : null,
      b ? ["signer", link(`/account/${b.signer}`, b.signer)] : null,
      b ? ["nonce", String(b.nonce)] : null,
      b ? ["fee", emg(b.fee)] : null,
      ["gas", `${num(t.gas_used)} used of ${num(t.gas_wanted)}`],
    ]),
    section("Messages", h("div", { id: "tx-msgs" }, (b?.msgs || []).map((m, i) => h("div", { class: "msg" }, h("h3", null, `${i + 1}. `, h("code", { class: "msgtype" }, m.type)), valueNode(m.value))))),
    section("Events", eventsTable(t.events)),
  ];
}

async function account(ctx, addr) {
  const cursor = ctx.params.get("before");
  // The balance, the history page and the labeler record in parallel:
  // one round trip, not three.
  const [acct, hist, lb] = await Promise.all([
    api(`/v1/accounts/${encodeURIComponent(addr)}`),
    maybe(`/v1/accounts/${encodeURIComponent(addr)}/txs?limit=25` + (cursor ? `&before=${encodeURIComponent(cursor)}` : "")),
    maybe(`/v1/query/label/labeler/${addr}`).catch(() => null),
  ]);
  const balBox = h("div", { id: "account" });
  const fill = (a) => balBox.replaceChildren(kv([
    ["address", h("span", { class: "mono" }, a.address)],
    ["balance", h("span", { id: "balance" }, emg(a.balance))],
    ["nonce", h("span", { id: "nonce" }, String(a.nonce))],
  ]));
  fill(acct);
  ctx.onBlock(async () => { const a = await api(`/v1/accounts/${encodeURIComponent(addr)}`); if (ctx.current()) fill(a); });
  const out = [h("h1", null, "Account"), balBox];
  if (hist) {
    const rows = hist.txs.map((t) => [hashLink("tx", t.hash), link(`/block/${t.height}`, num(t.height)), t.role, (t.msgs || []).join(", "), codeBadge(t.code, t.codespace)]);
    out.push(section("History", table(["tx", "height", "as", "messages", "result"], rows, { id: "history", empty: "no transactions" }),
      hist.next ? h("p", null, link(`/account/${addr}?before=${encodeURIComponent(hist.next)}`, "older →")) : null));
  }
  if (lb) out.push(section("As a labeler", valueNode(lb)));
  return out;
}

// ---- start ----------------------------------------------------------------

const status = Number(document.querySelector('meta[name="emg-status"]')?.content || 200);
const message = document.querySelector('meta[name="emg-message"]')?.content || "";
const q = new URLSearchParams(location.search).get("q");
if (q) document.getElementById("q").value = q;
if (status === 404) main.replaceChildren(notFound(message));
else if (status !== 200) main.replaceChildren(h("div", { class: "notfound", id: "badrequest" }, h("h1", null, status === 400 ? "Bad request" : "Error"), h("p", { id: "message" }, message)));
else render(location.pathname, location.search);
connect();
