// markets.js: one page per market, each reading its module's queries.
import { h, svg, link, hashLink, short, emg, num, table, kv, section, api, maybe, ApiError } from "./dom.js";
import { lineChart, barChart } from "./chart.js";

export const marketRoutes = [
  [/^\/label$/, labelJobs],
  [/^\/label\/job\/([^/]+)$/, labelJob],
  [/^\/subnets$/, subnets],
  [/^\/subnet\/([^/]+)$/, subnet],
  [/^\/zkml$/, zkml],
  [/^\/zkml\/exam\/([^/]+)$/, zkmlExam],
  [/^\/personhood$/, personhood],
  [/^\/devices$/, devices],
  [/^\/device\/([^/]+)$/, device],
  [/^\/provenance\/([^/]+)$/, provenance],
  [/^\/data$/, data],
  [/^\/data\/dataset\/([^/]+)$/, dataset],
  [/^\/compute$/, compute],
];

// quiet GETs a query that may be absent: null for any 4xx (a job with no
// progress record yet), so a list still renders.
async function quiet(path) {
  try { return await api(path); } catch (e) { if (e.status >= 400 && e.status < 500) return null; throw e; }
}

const acct = (a) => a ? link(`/account/${a}`, short(a, 12)) : "";
const pct = (permille) => `${(permille / 10).toFixed(1)}%`;
const u16 = (v) => (v / 65535).toFixed(4);

const plural = (n, what) => `${num(n)} ${what}${Number(n) === 1 ? "" : "s"}`;

function needID(s, what) {
  if (!/^\d{1,19}$/.test(s)) throw new ApiError(404, { error: `${s} is not a ${what} id` });
}

function progress(done, total) {
  const p = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  return h("span", { title: `${done} of ${total}` }, h("span", { class: "bar-bg" }, h("span", { class: "bar-fg", "data-p": p.toFixed(0) })), ` ${num(done)}/${num(total)}`);
}

// The CSP forbids inline styles, so progress bars get their width from
// the CSSOM after they are built.
function sizeBars(root) {
  for (const el of root.querySelectorAll?.(".bar-fg[data-p]") || []) el.style.width = el.dataset.p + "%";
  return root;
}

function withBars(nodes) {
  for (const n of [nodes].flat()) if (n instanceof Element) sizeBars(n);
  return nodes;
}

// ---- labeling ---------------------------------------------------------------

async function labelJobs(ctx) {
  const after = ctx.params.get("after") || "";
  const list = await api(`/v1/query/label/jobs?limit=50${after ? `&after=${encodeURIComponent(after)}` : ""}`);
  const box = h("div", { id: "label-jobs" });
  // Open jobs also show how many of their labels are committed and
  // revealed (one progress query each; settled jobs need none).
  const withProgress = async (jobs) => Promise.all(jobs.map(async (j) => ({ ...j, prog: j.status === "open" ? await quiet(`/v1/query/label/progress/${j.id}`) : null })));
  const fill = (jobs) => box.replaceChildren(withBars(table(["job", "status", "items", "classes", "assigned / committed / revealed labels", "reward/label", "budget", "requester", "deadlines (commit / reveal)"],
    jobs.map((j) => [link(`/label/job/${j.id}`, `#${j.id}`), j.status, num(j.items), (j.classes || []).join(", "),
      h("span", null, progress(j.assigned_labels, j.items * j.labels_per_item), j.prog ? h("span", { class: "muted" }, ` · ${num(j.prog.committed_labels)} committed · ${num(j.prog.revealed_labels)} revealed`) : null),
      emg(j.reward_per_label), emg(j.budget), acct(j.requester), `${num(j.commit_deadline)} / ${num(j.reveal_deadline)}`]),
    { empty: "no labeling jobs yet" })));
  fill(await withProgress(list.jobs));
  ctx.onBlock(async () => { const l = await api(`/v1/query/label/jobs?limit=50${after ? `&after=${encodeURIComponent(after)}` : ""}`); const js = await withProgress(l.jobs); if (ctx.current()) fill(js); });
  return [h("h1", null, "Labeling jobs"), box, list.next ? h("p", null, link(`/label?after=${list.next}`, "more jobs →")) : null];
}

async function labelJob(ctx, id) {
  needID(id, "job");
  const [job, res, params, prog] = await Promise.all([api(`/v1/query/label/job/${id}`), maybe(`/v1/query/label/results/${id}`), maybe("/v1/query/label/params"), maybe(`/v1/query/label/progress/${id}`)]);
  const man = await fetchManifest(job.manifest);
  // Progress of the labels: assigned, committed, revealed (live while open).
  const progBox = h("div", { id: "job-progress" });
  const fillProg = (p) => progBox.replaceChildren(withBars(kv([
    ["assigned", h("span", { id: "progress-assigned" }, progress(p.assigned_labels, p.labels), ` in ${plural(p.assignments, "assignment")}`)],
    ["committed", h("span", { id: "progress-committed" }, progress(p.committed_labels, p.labels), ` in ${plural(p.committed, "assignment")} (by height ${num(p.commit_deadline)})`)],
    ["revealed", h("span", { id: "progress-revealed" }, progress(p.revealed_labels, p.labels), ` in ${plural(p.revealed, "assignment")} (by height ${num(p.reveal_deadline)})`)],
  ])));
  if (prog) fillProg(prog);
  const out = [
    h("h1", null, `Labeling job #${job.id}`),
    section("Progress", progBox),
    kv([
      ["status", h("span", { id: "job-status" }, job.status)],
      ["requester", acct(job.requester)],
      ["items", num(job.items)],
      ["classes", h("span", { id: "job-classes" }, (job.classes || []).join(", "))],
      ["labels per item", num(job.labels_per_item)],
      ["reward per label", emg(job.reward_per_label)],
      ["budget", emg(job.budget)],
      ["min stake", emg(job.min_stake)],
      ["personhood required", job.require_personhood ? "yes" : "no"],
      ["gold questions", `${num(job.gold_count)} (${job.gold_revealed ? "revealed" : "hidden until the gold deadline"})`],
      ["created", link(`/block/${job.created_height}`, num(job.created_height))],
      ["commit deadline", num(job.commit_deadline)],
      ["reveal deadline", num(job.reveal_deadline)],
      ["gold deadline", num(job.gold_deadline)],
      ["manifest", h("span", { class: "mono" }, job.manifest)],
    ]),
  ];
  if (res) {
    const correct = res.outcomes.reduce((s, o) => s + o.gold_correct, 0), total = res.outcomes.reduce((s, o) => s + o.gold_total, 0);
    out.push(section("Settlement",
      kv([
        ["settled at", link(`/block/${res.height}`, num(res.height))],
        ["accuracy against gold", h("span", { id: "gold-accuracy" }, total ? `${((100 * correct) / total).toFixed(1)}% (${correct}/${total} gold answers right)` : "no gold answers")],
        ["paid", emg(res.paid)], ["slashed", emg(res.slashed)], ["refunded", emg(res.refunded)],
        ["labels root", h("span", { class: "mono" }, res.root)],
        ["iterations", String(res.iterations)],
        res.gold_wrong ? ["gold", h("span", { class: "fail" }, "the requester's gold was found wrong")] : null,
      ]),
      h("h3", null, "Per labeler"),
      table(["labeler", "labels", "revealed", "gold right", "skill", "paid", "slashed"], res.outcomes.map((o) => [acct(o.labeler), num(o.labels), o.revealed ? "yes" : h("span", { class: "fail" }, "no"), `${o.gold_correct}/${o.gold_total}`, pct(o.skill_permille), emg(o.paid), o.slashed ? h("span", { class: "fail" }, emg(o.slashed)) : emg(0)]), { id: "outcomes" }),
      barChart(res.outcomes.map((o, i) => [i + 1, o.gold_total ? o.gold_correct / o.gold_total : 0]), { title: "accuracy against gold per labeler (order as in the table)", id: "accuracy-chart" }),
      h("h3", null, "Labels"),
      csvLink(job, res, man),
      table(["item", "id", "label"], res.labels.slice(0, 200).map((l, i) => [String(i), man?.items?.[i]?.id ?? "", l < 0 ? h("span", { class: "muted" }, "none") : job.classes[l] ?? String(l)]), { id: "labels" }),
      res.labels.length > 200 ? h("p", null, `first 200 of ${res.labels.length}; the CSV has all`) : null,
    ));
  } else {
    out.push(section("Settlement", h("p", { class: "muted" }, `not settled yet: labels are revealed after height ${job.commit_deadline} and settled after ${job.reveal_deadline}${job.gold_count ? ` once the gold is revealed (by ${job.gold_deadline})` : ""}.`)));
  }
  if (man?.items?.length) {
    out.push(section("Items", table(["#", "id", "kind", "content"], man.items.slice(0, 50).map((it, i) => [String(i), it.id, it.kind, it.kind === "image" ? itemImage(it) : ""]), { id: "items" }),
      man.items.length > 50 ? h("p", null, `first 50 of ${num(man.items.length)} items`) : null));
  }
  ctx.onBlock(async () => { if (!res && prog) { const p = await maybe(`/v1/query/label/progress/${id}`); if (p && ctx.current()) fillProg(p); } });
  ctx.onBlock(async (b) => { if (!res && job.status !== "settled" && b.height >= job.reveal_deadline) { const r = await maybe(`/v1/query/label/results/${id}`); if (r && ctx.current()) location.reload(); } });
  return out;
}

// imageType names the image format of bytes from their signature, or ""
// when they are none the page shows: the type comes from the content,
// never from the server, the file name or the manifest.
function imageType(b) {
  const at = (sig, off = 0) => sig.every((x, i) => b[off + i] === x);
  if (at([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (at([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (at([0x47, 0x49, 0x46, 0x38])) return "image/gif";
  if (at([0x52, 0x49, 0x46, 0x46]) && at([0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  if (at([0x42, 0x4d])) return "image/bmp";
  return "";
}

// itemImage shows an image item from its content blob: fetched, typed by
// its bytes and shown from a blob: URL as an <img>, so nothing in it is
// ever parsed as a document; other bytes are named, not shown.
function itemImage(it) {
  const img = h("img", { class: "thumb", alt: it.name || it.id, "data-item": it.id });
  if (!/^[0-9a-f]{64}$/.test(it.blob || "")) return h("span", { class: "muted" }, "no content blob");
  fetch(`/v1/blobs/${it.blob}`).then((r) => r.ok ? r.arrayBuffer() : Promise.reject(new Error(`blob ${r.status}`))).then((buf) => {
    const type = imageType(new Uint8Array(buf, 0, Math.min(16, buf.byteLength)));
    if (type) {
      img.addEventListener("load", () => URL.revokeObjectURL(img.src), { once: true });
      img.src = URL.createObjectURL(new Blob([buf], { type }));
    }
    else img.replaceWith(h("span", { class: "muted" }, "not an image the browser can show"));
  }).catch((e) => img.replaceWith(h("span", { class: "muted" }, `image not available: ${e.message}`)));
  return img;
}

async function fetchManifest(hash) {
  if (!/^[0-9a-f]{64}$/.test(hash || "")) return null;
  try {
    const r = await fetch(`/v1/blobs/${hash}`);
    if (!r.ok) return null;
    return await r.json();
  } catch { return null; }
}

function csvCell(s) {
  s = String(s);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLink(job, res, man) {
  const lines = ["item,id,label"];
  res.labels.forEach((l, i) => lines.push([i, man?.items?.[i]?.id ?? "", l < 0 ? "" : job.classes[l] ?? l].map(csvCell).join(",")));
  const url = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
  return h("p", null, h("a", { href: url, download: `job-${job.id}-labels.csv`, id: "labels-csv" }, "download the settled labels as CSV"));
}

// ---- subnets ----------------------------------------------------------------

async function subnets(ctx) {
  const list = await api("/v1/query/subnet/subnets");
  return [h("h1", null, "Subnets"), table(["netuid", "name", "task", "uids", "epochs", "total stake", "owner", "next epoch"],
    list.map((s) => [link(`/subnet/${s.netuid}`, String(s.netuid)), s.name, s.task, num(s.n), num(s.epochs), emg(s.total_stake), acct(s.owner), num(s.next_epoch)]), { id: "subnet-list", empty: "no subnets yet" })];
}

async function subnet(ctx, id) {
  needID(id, "subnet");
  const [s, mg, epochs] = await Promise.all([api(`/v1/query/subnet/subnet/${id}`), api(`/v1/query/subnet/metagraph/${id}`), api(`/v1/query/subnet/epochs/${id}?limit=64`)]);
  const series = (field) => {
    const by = new Map();
    for (const e of epochs) for (const u of e.uids || []) {
      if (!by.has(u.uid)) by.set(u.uid, []);
      by.get(u.uid).push([e.epoch, u[field] / 65535]);
    }
    return [...by.entries()].sort((a, b) => a[0] - b[0]).slice(0, 8).map(([uid, pts]) => ({ name: `uid ${uid}`, points: pts }));
  };
  return [
    h("h1", null, `Subnet ${s.netuid}: ${s.name}`),
    kv([["task", s.task], ["owner", acct(s.owner)], ["uids", num(s.n)], ["epochs run", num(s.epochs)], ["last epoch at", num(s.last_epoch)], ["next epoch at", num(s.next_epoch)], ["registration price", emg(s.price)], ["total stake", emg(s.total_stake)], ["pending emission", emg(s.pending)]]),
    section("Metagraph", table(["uid", "hotkey", "stake", "trust", "v-trust", "consensus", "incentive", "dividends", "emission", "permit", "axon", "model"],
      mg.neurons.map((n) => [String(n.uid), acct(n.hotkey), emg(n.stake), u16(n.trust), u16(n.validator_trust), u16(n.consensus), u16(n.incentive), u16(n.dividends), emg(n.emission), n.validator_permit ? "V" : "", n.axon || "",
        n.model ? h("span", { title: `earned ${emg(n.model_earned)} as a miner since height ${n.model_since}` }, link(`/provenance/${n.model}`, short(n.model, 6))) : ""]), { id: "metagraph", empty: "no neurons registered" })),
    section("Over epochs",
      lineChart(series("incentive"), { title: "incentive per uid over epochs", xLabel: "epoch", id: "incentive-chart", legend: true }),
      lineChart(series("dividends"), { title: "dividends per uid over epochs", xLabel: "epoch", id: "dividends-chart", legend: true }),
      lineChart([{ name: "emission", points: epochs.map((e) => [e.epoch, e.emission / 1e6]) }], { title: "emission per epoch (EMG)", xLabel: "epoch" })),
  ];
}

// ---- zkML -------------------------------------------------------------------

// The inference proofs come from the zkml/inferences list, 25 a page
// (?after=ID for the next), of one inference key with ?circuit=ID.
const inferPage = 25;

async function zkml(ctx) {
  const after = ctx.params.get("after"), circ = ctx.params.get("circuit");
  if (after) needID(after, "inference");
  if (circ) needID(circ, "circuit");
  const q = new URLSearchParams({ limit: String(inferPage) });
  if (after) q.set("after", after);
  if (circ) q.set("circuit", circ);
  const [circuits, inferences] = await Promise.all([api("/v1/query/zkml/circuits?limit=100"), api(`/v1/query/zkml/inferences?${q}`)]);
  const keep = circ ? `&circuit=${circ}` : "";
  const last = inferences[inferences.length - 1];
  return [
    h("h1", null, "zkML"),
    section("Exams and circuits", table(["id", "kind", "name", "exam items", "registrant", "height"],
      (circuits || []).map((c) => [c.kind === "exam" || c.n ? link(`/zkml/exam/${c.id}`, `#${c.id}`) : c.kind === "inference" ? link(`/zkml?circuit=${c.id}`, `#${c.id}`) : `#${c.id}`, c.kind, c.name, c.n ? num(c.n) : "", acct(c.registrant), link(`/block/${c.height}`, num(c.height))]), { id: "circuits", empty: "no circuits registered" })),
    section(circ ? `Inference proofs under key #${circ}` : "Inference proofs", table(["id", "circuit", "model", "class", "prover", "height"],
      inferences.map((x) => [String(x.id), link(`/zkml?circuit=${x.circuit}`, `#${x.circuit}`), link(`/provenance/${x.commitment}`, short(x.commitment)), String(x.class), acct(x.prover), link(`/block/${x.height}`, num(x.height))]), { id: "inferences", empty: after ? "no more inference proofs" : "no inference proofs" }),
      h("p", { class: "pager", id: "inferences-pager" },
        after ? link(circ ? `/zkml?circuit=${circ}` : "/zkml", "← first page") : null, " ",
        circ ? link("/zkml", "all inference keys") : null, " ",
        inferences.length === inferPage ? link(`/zkml?after=${last.id}${keep}`, "next →") : null)),
  ];
}

async function zkmlExam(ctx, id) {
  needID(id, "exam");
  const [c, board] = await Promise.all([api(`/v1/query/zkml/circuit/${id}`), api(`/v1/query/zkml/leaderboard/${id}`)]);
  // The answer is a list (an array has an .entries method: test for it first).
  const entries = Array.isArray(board) ? board : board?.entries || [];
  return [
    h("h1", null, `Exam #${c.id}: ${c.name}`),
    kv([["kind", c.kind], ["items", num(c.n)], ["exam digest", h("span", { class: "mono" }, c.exam_digest || "")], ["registrant", acct(c.registrant)], ["verifying key hash", h("span", { class: "mono" }, c.vk_hash)]]),
    section("Leaderboard", table(["rank", "model", "verified accuracy", "attestation", "attester", "dataset", "labeling job"],
      entries.map((e) => [String(e.rank), link(`/provenance/${e.commitment}`, short(e.commitment)), `${e.n ? ((100 * e.claim) / e.n).toFixed(1) : 0}% (${e.claim}/${e.n})`, `#${e.attestation}`, acct(e.attester), e.dataset_root ? h("span", { class: "mono" }, short(e.dataset_root)) : "", e.label_job ? link(`/label/job/${e.label_job}`, `#${e.label_job}`) : ""]),
      { id: "leaderboard", empty: "no attestations yet" })),
  ];
}

// ---- personhood ---------------------------------------------------------------

// The personhood page shows the 100 epochs up to ?to=E (default the
// current one): each epoch's record carries the UBI pool's balance when it
// opened and, once closed, what flowed in and out and the balance at its end.
const epochPage = 100;

async function personhood(ctx) {
  const to = ctx.params.get("to");
  if (to) needID(to, "epoch");
  const [pool, ops, tree] = await Promise.all([api("/v1/query/personhood/pool"), api("/v1/query/personhood/operators"), maybe("/v1/query/personhood/tree")]);
  const last = to ? Math.min(Number(to), pool.current_epoch) : pool.current_epoch;
  const after = last >= epochPage ? `&after=${last - epochPage}` : "";
  const epochs = await api(`/v1/query/personhood/epochs?limit=${epochPage}${after}`);
  const listOf = (v, k) => v?.[k] || (Array.isArray(v) ? v : []);
  const opList = listOf(ops, "operators");
  const epList = listOf(epochs, "epochs").filter((e) => e.number <= last).sort((a, b) => a.number - b.number);
  const poolBox = h("div", { id: "ubi-pool" });
  const fillPool = (p) => poolBox.replaceChildren(kv([["UBI pool", emg(p.pool)], ["people enrolled", h("span", { id: "enrolled" }, num(p.enrolled))], ["current epoch", num(p.current_epoch)], ["epoch length", `${num(p.epoch_blocks)} blocks`], tree ? ["identity tree", `${num(tree.size)} leaves, root ${short(tree.root)}`] : null]));
  fillPool(pool);
  ctx.onBlock(async () => { const p = await api("/v1/query/personhood/pool"); if (ctx.current()) fillPool(p); });
  const closed = epList.filter((e) => e.closed);
  const first = epList[0]?.number ?? 0;
  return [
    h("h1", null, "Personhood and UBI"),
    poolBox,
    section("UBI pool over time", lineChart([
      { name: "pool at epoch start (EMG)", points: epList.map((e) => [e.number, e.pool / 1e6]) },
      { name: "flowed in (EMG)", points: closed.map((e) => [e.number, e.inflow / 1e6]) },
      { name: "paid out (EMG)", points: closed.map((e) => [e.number, e.paid_out / 1e6]) },
    ], { title: "UBI pool balance, inflow and grants paid per epoch", xLabel: "epoch", id: "pool-chart" })),
    h("div", { class: "cols" },
      section("Claims per epoch", barChart(epList.map((e) => [e.number, e.claims]), { title: "claims", id: "claims-chart" })),
      section("UBI budget per epoch", lineChart([{ name: "budget (EMG)", points: epList.map((e) => [e.number, e.budget / 1e6]) }, { name: "paid (EMG)", points: epList.map((e) => [e.number, e.paid / 1e6]) }], { title: "budget and paid per epoch", xLabel: "epoch", id: "ubi-chart" }))),
    section("Epochs", table(["epoch", "start", "members", "budget", "grant", "claims", "paid", "pool at start", "flowed in", "paid out", "pool at end"],
      epList.slice().reverse().map((e) => [String(e.number), link(`/block/${e.start_height}`, num(e.start_height)), num(e.members), emg(e.budget), emg(e.grant), num(e.claims), emg(e.paid), emg(e.pool), e.closed ? emg(e.inflow) : "open", emg(e.paid_out), e.closed ? emg(e.pool_end) : "open"]),
      { id: "epochs", empty: "no epochs yet" }),
      first > 0 ? h("p", { class: "pager" }, link(`/personhood?to=${first - 1}`, "← older epochs")) : null),
    section("Operators", table(["operator", "details"], opList.map((o) => [acct(o.address || o.operator), h("span", null, Object.entries(o).filter(([k, v]) => typeof v !== "object" && k !== "address").map(([k, v]) => h("span", { class: "attr" }, h("b", null, k), "=", String(v))))]), { id: "operators", empty: "no operators" })),
  ];
}

// ---- devices ------------------------------------------------------------------

async function devices(ctx) {
  // Epochs are numbered by block time (unix ms / 3,600,000): they come 50
  // a page from device/epochs, which the page used to probe from 0 one
  // request at a time, finding none.
  const epochsAfter = ctx.params.get("epochs_after");
  if (epochsAfter) needID(epochsAfter, "epoch");
  const after = ctx.params.get("makers_after");
  const [params, epochPage, makers] = await Promise.all([api("/v1/query/device/params"), api(`/v1/query/device/epochs?limit=50${epochsAfter ? `&after=${epochsAfter}` : ""}`),
    api(`/v1/query/device/makers?limit=50${after ? `&after=${encodeURIComponent(after)}` : ""}`)]);
  const epochs = epochPage.epochs || [];
  const maker = ctx.params.get("maker");
  const out = [h("h1", null, "Devices"), section("Parameters", kv(Object.entries(params).filter(([, v]) => typeof v !== "object").map(([k, v]) => [k, String(v)])))];
  out.push(section("Epochs", table(["epoch", "details"], epochs.map((e, i) => [String(e.epoch ?? e.number ?? i), h("span", null, Object.entries(e).filter(([, v]) => typeof v !== "object").map(([k, v]) => h("span", { class: "attr" }, h("b", null, k), "=", String(v))))]), { id: "device-epochs", empty: "no epochs posted yet" }),
    epochPage.next ? h("p", null, link(`/devices?epochs_after=${epochPage.next}`, "more epochs →")) : null));
  const form = h("form", { method: "get", action: "/devices" }, h("input", { name: "maker", placeholder: "maker address emg1…", value: maker || "", "aria-label": "maker" }), " ", h("button", { type: "submit" }, "show devices"));
  out.push(section("Makers",
    table(["maker", "name", "stake", "devices"], makers.makers.map((m) => [link(`/devices?maker=${m.address}`, short(m.address, 12)), m.name, emg(m.stake), num(m.devices)]), { id: "makers", empty: "no makers registered" }),
    makers.next ? h("p", null, link(`/devices?makers_after=${makers.next}`, "more makers →")) : null,
    form));
  if (maker) {
    const [mk, list] = await Promise.all([api(`/v1/query/device/maker/${encodeURIComponent(maker)}`), api(`/v1/query/device/maker/${encodeURIComponent(maker)}/devices`)]);
    out.push(section(`Maker ${short(maker, 12)}`, kv(Object.entries(mk).filter(([, v]) => typeof v !== "object").map(([k, v]) => [k, String(v)])),
      table(["device", "owner", "details"], (list.devices || []).map((d) => [link(`/device/${d.id}`, short(d.id)), acct(d.owner), Object.entries(d).filter(([k, v]) => typeof v !== "object" && k !== "id" && k !== "owner").map(([k, v]) => `${k}=${v}`).join(" ")]), { id: "devices", empty: "no devices" })));
  }
  return out;
}

async function device(ctx, id) {
  const d = await api(`/v1/query/device/device/${encodeURIComponent(id)}`);
  return [h("h1", null, "Device"), kv(Object.entries(d).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : (k === "owner" || k === "maker") ? acct(v) : String(v)]))];
}

// ---- provenance -----------------------------------------------------------------

// provenance draws a model's chain of evidence from the zkml provenance
// query: the pages and their crawlers, the crawl job, the dataset, the
// labeling job and its labelers, the training job and its providers, the
// model, its attestations and inference proofs, and the subnet uids that
// serve it. Every node links to its page.
async function provenance(ctx, commitment) {
  const [p, rec] = await Promise.all([maybe(`/v1/query/zkml/provenance/${encodeURIComponent(commitment)}`), maybe(`/v1/query/zkml/model/${encodeURIComponent(commitment)}`)]);
  if (!p && !rec) throw new ApiError(404, { error: `no attestation or inference proof names model ${commitment}` });
  const c = p?.commitment || rec.commitment;
  const nodes = [], edges = [];
  const add = (id, layer, label, href, kind) => { if (!nodes.find((n) => n.id === id)) nodes.push({ id, layer, label, href, kind }); return id; };
  const edge = (a, b) => { if (!edges.find(([x, y]) => x === a && y === b)) edges.push([a, b]); };
  const model = add("model", 5, `model ${short(c, 6)}`, `/provenance/${c}`, "model");
  const atts = p?.attestations || [];
  for (const e of atts) {
    const a = e.attestation;
    const at = add(`att${a.id}`, 6, `attestation #${a.id}: ${a.n ? ((100 * a.claim) / a.n).toFixed(0) : 0}% (${a.claim}/${a.n})`, `/zkml/exam/${a.exam}`, "attestation");
    edge(model, at);
    let ds = null;
    if (e.dataset) {
      const d = e.dataset.dataset, j = e.dataset.job;
      ds = add(`ds${d.id}`, 3, `dataset #${d.id} ${d.name || ""}`.trim(), `/data/dataset/${d.id}`, "dataset");
      const cj = add(`cj${j.id}`, 2, `crawl job #${j.id}`, "/data", "crawl");
      edge(cj, ds);
      const pages = add(`pages${j.id}`, 0, `pages of ${(j.hosts || []).slice(0, 2).join(", ") || "the URL list"}`, "/data", "pages");
      const crawlers = (e.dataset.crawlers || []).slice(0, 6);
      for (const cr of crawlers) { const n = add(`cr${cr.crawler}`, 1, `crawler ${short(cr.crawler, 6)}`, `/account/${cr.crawler}`, "crawler"); edge(pages, n); edge(n, cj); }
      if (!crawlers.length) edge(pages, cj);
    } else if (a.dataset_root) {
      ds = add(`root${a.dataset_root}`, 3, `dataset ${short(a.dataset_root, 6)}`, null, "dataset");
    }
    if (e.label_job) {
      const l = e.label_job;
      const lj = add(`lj${l.job}`, 4, `labeling job #${l.job}`, `/label/job/${l.job}`, "label");
      if (ds) edge(ds, lj);
      for (const o of (l.labelers || []).slice(0, 6)) { const n = add(`lab${o.labeler}`, 3, `labeler ${short(o.labeler, 6)} ${o.gold_total ? `${o.gold_correct}/${o.gold_total}` : ""}`.trim(), `/account/${o.labeler}`, "labeler"); edge(n, lj); }
      edge(lj, model);
    } else if (ds) edge(ds, model);
    if (e.train_job) {
      const t = e.train_job;
      const tj = add(`tj${t.job}`, 4, `training job #${t.job}`, "/compute", "train");
      if (ds && !e.label_job) edge(ds, tj);
      for (const pr of (t.providers || []).slice(0, 6)) { const n = add(`pr${pr.provider}`, 3, `provider ${short(pr.provider, 6)}`, `/account/${pr.provider}`, "provider"); edge(n, tj); }
      edge(tj, model);
    }
  }
  for (const x of (rec?.inferences || []).slice(0, 6)) edge(model, add(`inf${x.id}`, 6, `inference #${x.id}: class ${x.class}`, "/zkml", "inference"));
  const serving = p?.serving?.uids || [];
  for (const u of serving.slice(0, 8)) {
    edge(model, add(`sn${u.netuid}/${u.uid}`, 7, `subnet ${u.netuid} uid ${u.uid}: ${emg(u.earned)}`, `/subnet/${u.netuid}`, "subnet"));
  }
  const out = [
    h("h1", null, "Provenance of a model"),
    kv([["commitment", h("span", { class: "mono", id: "model-commitment" }, c)], ["attestations", num(atts.length)], ["served on", h("span", { id: "serving-count" }, serving.length ? `${serving.length} subnet uid${serving.length > 1 ? "s" : ""}` : "no subnet")]]),
    section("Graph", graph(nodes, edges), h("p", { class: "muted" }, "From the crawled pages (left) to the proven model and where it serves (right); every box is a link.")),
  ];
  if (atts.length) {
    out.push(section("Attestations", table(["attestation", "exam", "proven accuracy", "attester", "dataset", "labeling job", "training job", "height"],
      atts.map((e) => { const a = e.attestation; return [`#${a.id}`, link(`/zkml/exam/${a.exam}`, e.exam || `#${a.exam}`), `${a.n ? ((100 * a.claim) / a.n).toFixed(1) : 0}% (${a.claim}/${a.n})`, acct(a.attester),
        a.dataset ? link(`/data/dataset/${a.dataset}`, `#${a.dataset}`) : (a.dataset_root ? short(a.dataset_root) : ""), a.label_job ? link(`/label/job/${a.label_job}`, `#${a.label_job}`) : "", a.train_job ? `#${a.train_job}` : "", link(`/block/${a.height}`, num(a.height))]; }),
      { id: "provenance-attestations" })));
  }
  const labelers = atts.flatMap((e) => (e.label_job?.labelers || []).map((o) => [e.label_job.job, o]));
  if (labelers.length) {
    out.push(section("Labelers", table(["job", "labeler", "labels", "gold right", "skill", "paid", "slashed"],
      labelers.map(([j, o]) => [link(`/label/job/${j}`, `#${j}`), acct(o.labeler), num(o.labels), `${o.gold_correct}/${o.gold_total}`, pct(o.skill_permille), emg(o.paid), emg(o.slashed)]), { id: "provenance-labelers" })));
  }
  const crawlers = atts.flatMap((e) => (e.dataset?.crawlers || []).map((cr) => [e.dataset.job.id, cr]));
  if (crawlers.length) {
    out.push(section("Crawlers", table(["crawl job", "crawler", "accepted pages", "earned"],
      crawlers.map(([j, cr]) => [String(j), acct(cr.crawler), num(cr.accepted), emg(cr.earned)]), { id: "provenance-crawlers" })));
  }
  const providers = atts.flatMap((e) => (e.train_job?.providers || []).map((pr) => [e.train_job.job, pr]));
  if (providers.length) {
    out.push(section("Training", table(["job", "provider", "state", "paid"],
      providers.map(([j, pr]) => [`#${j}`, acct(pr.provider), pr.state, emg(pr.paid || 0)]), { id: "provenance-providers" })));
  }
  out.push(section("Served on subnets", table(["subnet", "uid", "hotkey", "axon", "since", "earned as a miner", "incentive"],
    serving.map((u) => [link(`/subnet/${u.netuid}`, `${u.netuid} ${u.subnet}`), String(u.uid), acct(u.hotkey), u.axon || "", link(`/block/${u.since}`, num(u.since)), emg(u.earned), u16(u.incentive)]),
    { id: "provenance-serving", empty: "no miner declares it serves this model ('emergence tx subnet serve-model')" })));
  return out;
}

function graph(nodes, edges) {
  const layers = [...new Set(nodes.map((n) => n.layer))].sort((a, b) => a - b);
  const boxW = 168, colW = 190, rowH = 44;
  const W = Math.max(420, layers.length * colW + 20);
  const perLayer = layers.map((l) => nodes.filter((n) => n.layer === l));
  const H = Math.max(...perLayer.map((p) => p.length)) * rowH + 30;
  const pos = new Map();
  perLayer.forEach((ns, li) => ns.forEach((n, k) => pos.set(n.id, { x: 10 + li * colW, y: 15 + k * rowH + (H - 30 - ns.length * rowH) / 2 })));
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "svgchart graph", id: "provenance-graph", role: "img", "aria-label": "provenance graph" });
  for (const [a, b] of edges) {
    const p = pos.get(a), q = pos.get(b);
    if (!p || !q) continue;
    const [x1, y1, x2, y2] = p.x < q.x ? [p.x + boxW, p.y + 15, q.x, q.y + 15] : [q.x + boxW, q.y + 15, p.x, p.y + 15];
    root.appendChild(svg("path", { d: `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`, class: "edge" }));
  }
  for (const n of nodes) {
    const p = pos.get(n.id);
    const label = n.label.length > 24 ? n.label.slice(0, 23) + "…" : n.label;
    const g = svg("g", { "data-kind": n.kind || null, "data-id": n.id }, svg("rect", { x: p.x, y: p.y, width: boxW, height: 30, rx: 6, class: "node" }), svg("text", { x: p.x + 8, y: p.y + 19, class: "nodetext" }, label), svg("title", null, n.label));
    root.appendChild(n.href ? svg("a", { href: n.href }, g) : g);
  }
  // Its box scrolls sideways on a phone instead of shrinking the labels.
  return h("div", { class: "scroll" }, root);
}

// ---- data -----------------------------------------------------------------------

async function data(ctx) {
  // Crawl jobs come 50 a page from one list query (data/jobs), not one
  // request per id: on a busy chain the page waited on 50 round trips.
  // Datasets the same way (data/datasets).
  const after = ctx.params.get("jobs_after") || "", dsAfter = ctx.params.get("datasets_after") || "";
  const [list, dsList, active] = await Promise.all([
    api(`/v1/query/data/jobs?limit=50${after ? `&after=${encodeURIComponent(after)}` : ""}`),
    api(`/v1/query/data/datasets?limit=50${dsAfter ? `&after=${encodeURIComponent(dsAfter)}` : ""}`),
    api("/v1/query/data/crawlers"),
  ]);
  const jobs = list.jobs || [], datasets = dsList.datasets || [];
  return [
    h("h1", null, "Data"),
    section("Crawl jobs", withBars(table(["job", "hosts", "pages", "price/page", "paid / budget", "deadline", "licence"],
      jobs.map((j) => [String(j.id), (j.hosts || []).join(", "), progress(j.urls, j.max_pages), emg(j.price_per_page), `${emg(j.paid)} / ${emg(j.budget)}`, num(j.deadline), j.licence || ""]), { id: "crawl-jobs", empty: "no crawl jobs" })),
      list.next ? h("p", null, link(`/data?jobs_after=${list.next}`, "more crawl jobs →")) : null,
      barChart(jobs.map((j) => [j.id, j.urls]), { title: "pages found per crawl job", id: "crawl-chart" })),
    section("Datasets", table(["dataset", "name", "records", "price", "buyers", "publisher", "crawl job"],
      datasets.map((d) => [link(`/data/dataset/${d.id}`, `#${d.id}`), d.name, num(d.records), emg(d.price), num(d.buyers), acct(d.publisher), String(d.job)]), { id: "datasets", empty: "no datasets published" }),
      dsList.next ? h("p", null, link(`/data?datasets_after=${dsList.next}`, "more datasets →")) : null),
    section("Active crawlers", table(["crawler", "details"], (active.crawlers || []).map((c) => [acct(c.address || c.crawler), Object.entries(c).filter(([, v]) => typeof v !== "object").map(([k, v]) => `${k}=${v}`).join(" ")]), { id: "crawlers", empty: "no active crawlers" })),
  ];
}

// dataset draws a dataset's provenance as a graph: its crawlers, the
// crawl job, the dataset, and the labeling jobs and attestations the data
// module links to it.
async function dataset(ctx, id) {
  needID(id, "dataset");
  const p = await api(`/v1/query/data/provenance/${id}`);
  const d = p.dataset, j = p.job;
  const nodes = [], edges = [];
  const add = (nid, layer, label, href) => { if (!nodes.find((n) => n.id === nid)) nodes.push({ id: nid, layer, label, href }); return nid; };
  const host = add("hosts", 0, `pages of ${(j.hosts || []).slice(0, 2).join(", ") || "the URL list"}`, null);
  const job = add("job", 2, `crawl job #${j.id}`, "/data");
  for (const c of (p.crawlers || []).slice(0, 8)) { const n = add(`c${c.crawler}`, 1, `crawler ${short(c.crawler, 6)}`, `/account/${c.crawler}`); edges.push([host, n]); edges.push([n, job]); }
  if (!(p.crawlers || []).length) edges.push([host, job]);
  const ds = add("ds", 3, `dataset #${d.id} ${d.name || ""}`.trim(), `/data/dataset/${d.id}`);
  edges.push([job, ds]);
  for (const l of (p.label_jobs || []).slice(0, 8)) { const n = add(`l${l}`, 4, `labeling job #${l}`, `/label/job/${l}`); edges.push([ds, n]); }
  for (const a of (p.attestations || []).slice(0, 8)) { const n = add(`a${a}`, 5, `attestation ${short(String(a), 6)}`, "/zkml"); edges.push([ds, n]); }
  return [
    h("h1", null, `Dataset #${d.id}: ${d.name}`),
    kv([["publisher", acct(d.publisher)], ["records", num(d.records)], ["root", h("span", { class: "mono" }, d.root)], ["shards", num((d.shards || []).length)], ["price", emg(d.price)], ["buyers", num(d.buyers)], ["revenue", emg(d.revenue)], ["licence", d.licence || ""], ["published at", link(`/block/${d.height}`, num(d.height))]]),
    section("Provenance", graph(nodes, edges)),
    section("Crawlers", table(["crawler", "assigned", "agreed", "accepted", "disagreed", "unrevealed", "earned"], (p.crawlers || []).map((c) => [acct(c.crawler), num(c.assigned), num(c.agreed), num(c.accepted), num(c.disagreed), num(c.unrevealed), emg(c.earned)]), { id: "dataset-crawlers", empty: "no crawlers" })),
  ];
}

// ---- compute --------------------------------------------------------------------

async function compute(ctx) {
  const [providers, jobs] = await Promise.all([api("/v1/query/compute/providers"), api("/v1/query/compute/jobs")]);
  return [
    h("h1", null, "Compute"),
    section("Providers", table(["provider", "status", "cores", "memory", "price", "stake", "reputation", "jobs", "earned", "slashed"],
      (providers.providers || []).map((p) => [acct(p.address), p.status, num(p.cores), `${num(p.mem_mib)} MiB`, emg(p.price), emg(p.stake), num(p.reputation), num(p.jobs), emg(p.earned), emg(p.slashed)]), { id: "providers", empty: "no providers registered" })),
    section("Jobs", table(["job", "status", "requester", "replicas", "budget", "bids", "submitted", "deadline"],
      (jobs.jobs || []).map((j) => [String(j.id), j.status, acct(j.requester), num(j.r), emg(j.budget), num(j.bids), num(j.submitted_height), num(j.deadline)]), { id: "compute-jobs", empty: "no compute jobs" })),
  ];
}
