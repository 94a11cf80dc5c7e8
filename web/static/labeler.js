// labeler.js: the labeling page the labeler worker serves on loopback. A
// person answers the assigned items one by one: number keys (or a click)
// choose a class, Enter (or the button) confirms. The worker commits and
// reveals; this page shows progress and the deadlines.
import { h, short } from "./dom.js";

const main = document.getElementById("main");
let state = null;
let shownPos = -1;
let chosen = -1;
let sending = false;

const els = {
  title: h("h1", { id: "title" }, "Labeling"),
  deadlines: h("p", { id: "deadlines", class: "muted" }),
  bar: h("span"),
  count: h("span", { id: "count" }),
  item: h("div", { class: "item", id: "item" }),
  classes: h("div", { class: "classes", id: "classes" }),
  confirm: h("button", { class: "primary", id: "confirm", type: "button", disabled: true }, "Confirm (Enter)"),
  message: h("p", { id: "message", role: "status" }),
  phase: h("p", { id: "phase" }),
};

main.replaceChildren(
  els.title,
  els.deadlines,
  h("div", { class: "progress" }, els.bar),
  h("p", null, els.count),
  els.item,
  els.classes,
  h("p", null, els.confirm, " ", h("span", { class: "muted" }, "keys: ", h("kbd", null, "1"), "…", h("kbd", null, "9"), " choose, ", h("kbd", null, "Enter"), " confirm")),
  els.message,
  els.phase,
);

function choose(k) {
  if (!state || state.phase !== "answering" || k < 0 || k >= state.classes.length) return;
  chosen = k;
  [...els.classes.children].forEach((b, i) => b.classList.toggle("chosen", i === k));
  els.confirm.disabled = false;
}

async function confirm() {
  if (sending || chosen < 0 || !state || state.phase !== "answering") return;
  sending = true;
  els.confirm.disabled = true;
  try {
    const r = await fetch("/ui/answer", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pos: state.pos, class: chosen }) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      els.message.className = "refused";
      els.message.textContent = `answer refused: ${body.error || r.status}`;
    } else {
      els.message.className = "ok";
      els.message.textContent = `item ${state.pos + 1} answered: ${state.classes[chosen]}`;
      chosen = -1;
    }
  } catch (e) {
    els.message.className = "refused";
    els.message.textContent = `the worker did not answer: ${e.message}`;
  } finally {
    sending = false;
    await refresh();
  }
}

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (/^[1-9]$/.test(ev.key)) { choose(Number(ev.key) - 1); ev.preventDefault(); }
  else if (ev.key === "Enter") { confirm(); ev.preventDefault(); }
});
els.confirm.addEventListener("click", confirm);

function render(s) {
  state = s;
  els.title.textContent = `Labeling job #${s.job}`;
  document.getElementById("who").textContent = ` · ${short(s.labeler, 10)}`;
  const left = s.commit_deadline - s.height;
  els.deadlines.textContent = `height ${s.height} · commit deadline ${s.commit_deadline} (${left > 0 ? `${left} blocks left` : "passed"}) · reveal deadline ${s.reveal_deadline}`;
  els.deadlines.className = left > 0 && left < 10 ? "warn" : "muted";
  const done = s.answered, n = s.n;
  els.bar.style.width = n ? `${(100 * done) / n}%` : "0";
  els.count.textContent = n ? `${done} of ${n} answered` : "waiting for the assignment…";
  if (s.phase === "answering" && s.item) {
    if (s.pos !== shownPos) {
      shownPos = s.pos;
      chosen = -1;
      els.confirm.disabled = true;
      const head = h("div", { class: "muted" }, `item ${s.pos + 1} of ${s.n} · ${s.item.id}`);
      const body = s.item.kind === "image"
        ? h("img", { src: `/ui/item?pos=${s.pos}`, alt: s.item.name || s.item.id })
        : h("div", { id: "item-text" }, s.item.text);
      els.item.replaceChildren(head, body);
      els.classes.replaceChildren(...s.classes.map((c, i) => h("button", { type: "button", "data-class": i, onclick: () => choose(i) }, h("kbd", null, String(i + 1)), " ", c)));
    }
    els.item.hidden = false;
  } else {
    shownPos = -1;
    els.item.hidden = true;
    els.classes.replaceChildren();
    els.confirm.disabled = true;
  }
  const phases = { starting: "getting the assignment…", working: s.progress || "working…", done: "done: your answers are committed and revealed on chain", failed: `stopped: ${s.error}` };
  els.phase.textContent = s.phase === "answering" ? "" : phases[s.phase] || s.phase;
  els.phase.className = s.phase === "failed" ? "refused" : s.phase === "done" ? "ok" : "muted";
  els.phase.dataset.phase = s.phase;
  els.phase.dataset.committed = s.committed;
}

async function refresh() {
  try {
    const r = await fetch("/ui/state");
    if (r.ok) render(await r.json());
  } catch { /* the worker stopped; keep the last state on screen */ }
}

refresh();
setInterval(refresh, 500);
