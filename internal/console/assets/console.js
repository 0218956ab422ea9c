// The hirebridge console: plain DOM, no framework and no build step. Every
// value from the API is put in the page as text (textContent, createElement),
// never as markup, so an event's content cannot run in the page.
"use strict";

(function () {
  const API = "api/v1/";
  const LIVE_ROWS = 200;
  const STATUS_EVERY_MS = 5000;
  const OUTCOMES = ["published", "duplicate", "spooled", "dead_lettered", "rejected", "unavailable", "abandoned"];
  const TOKEN_KEY = "hirebridge-admin-token";

  const $ = (id) => document.getElementById(id);

  // el builds an element: attrs are attributes (class, title, ...), kids
  // are nodes or strings (as text).
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const k of kids) {
      if (k === undefined || k === null) continue;
      e.append(k instanceof Node ? k : String(k));
    }
    return e;
  }
  const SVG_NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }

  function showError(msg) {
    const p = $("error");
    p.textContent = msg;
    p.hidden = !msg;
  }

  // ---- requests, with the admin token when the API asks for it ----

  class APIError extends Error {
    constructor(status, code, detail) {
      super(detail ? code + ": " + detail : code);
      this.status = status;
      this.code = code;
      this.detail = detail;
    }
  }

  let tokenAsked = null; // the pending question, shared by concurrent requests

  // askToken opens the token dialog once and resolves with the token, or
  // null when cancelled.
  function askToken(why) {
    if (tokenAsked) return tokenAsked;
    const d = $("token-dialog");
    $("token-why").textContent = why;
    $("token-input").value = "";
    tokenAsked = new Promise((resolve) => {
      const done = (tok) => {
        d.removeEventListener("close", onClose);
        $("token-cancel").removeEventListener("click", onCancel);
        tokenAsked = null;
        resolve(tok);
      };
      const onClose = () => {
        const tok = d.returnValue === "ok" ? $("token-input").value.trim() : "";
        if (tok) sessionStorage.setItem(TOKEN_KEY, tok);
        done(tok || null);
      };
      const onCancel = () => { d.returnValue = "cancel"; d.close(); };
      d.addEventListener("close", onClose);
      $("token-cancel").addEventListener("click", onCancel);
      d.returnValue = "";
      d.showModal();
      $("token-input").focus();
    });
    return tokenAsked;
  }

  // call fetches an API path and answers its JSON. On 401 or 403 it asks
  // for the admin token (once per refusal) and tries again with it.
  async function call(path, opts) {
    opts = opts || {};
    for (let attempt = 0; ; attempt++) {
      const headers = { Accept: "application/json" };
      const tok = sessionStorage.getItem(TOKEN_KEY);
      if (tok) headers.Authorization = "Bearer " + tok;
      let body;
      if (opts.json !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(opts.json);
      }
      const resp = await fetch(API + path, { method: opts.method || "GET", headers, body, cache: "no-store", credentials: "same-origin" });
      let data = null;
      const text = await resp.text();
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (resp.ok) return data;
      const code = (data && data.error) || "http_" + resp.status;
      const detail = (data && data.detail) || text.slice(0, 200);
      // 401: a token is needed, or the one kept was wrong. A 403 saying no
      // token is set on the server (or refusing another site) is not
      // helped by one: its detail is shown as the error instead.
      const askable = resp.status === 401 ||
        (resp.status === 403 && code !== "admin_token_required" && code !== "cross_origin");
      if (askable && attempt === 0) {
        if (tok) sessionStorage.removeItem(TOKEN_KEY);
        const got = await askToken(tok
          ? "The admin token was not accepted. Enter HIREBRIDGE_ADMIN_TOKEN:"
          : "This needs the admin token (HIREBRIDGE_ADMIN_TOKEN). It is kept in this tab only:");
        if (got) continue;
      }
      throw new APIError(resp.status, code, detail);
    }
  }

  // ---- formatting ----

  function fmtTime(s) {
    if (!s) return "";
    const d = new Date(s);
    if (isNaN(d)) return String(s);
    return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  }
  function fmtShort(s) {
    const d = new Date(s);
    if (isNaN(d)) return String(s || "");
    return d.toTimeString().slice(0, 8);
  }
  function fmtBytes(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1048576).toFixed(1) + " MiB";
  }
  function fmtMs(v) {
    if (v === null || v === undefined) return "–";
    return (v < 10 ? v.toFixed(2) : v.toFixed(0)) + " ms";
  }

  // ---- status: header, chart, totals ----

  function renderStatus(st) {
    $("where").textContent = st.sink + " · " + (st.where || "") + (st.started_at ? " · started " + fmtTime(st.started_at) : "");
    const b = st.broker || {};
    const badge = $("broker");
    badge.textContent = b.status || "unknown";
    badge.className = "badge b-" + (b.status || "unknown");
    $("broker-detail").textContent = b.detail || "";
    const sp = st.spool || {};
    $("spool").textContent = sp.on
      ? sp.events + " events, " + fmtBytes(sp.bytes || 0) + (sp.events ? ", oldest " + (sp.oldest_age_seconds || 0).toFixed(0) + " s" : "")
      : "off";
    const l = st.latency || {};
    $("latency").textContent = "p50 " + fmtMs(l.p50_ms) + " · p99 " + fmtMs(l.p99_ms);
    $("version").textContent = st.version || "";
    renderChart(st.window || { series: [], steps: 15, step_seconds: 60 }, l.p99_ms_by_step || []);
    renderTotals(st.window || { series: [] });
  }

  function outcomeIndex(o) {
    const i = OUTCOMES.indexOf(o);
    return i < 0 ? OUTCOMES.length : i;
  }

  // renderChart draws stacked bars, one a step, by outcome, and the p99
  // publish latency as a line on its own scale.
  function renderChart(w, p99) {
    const chart = $("chart");
    const title = $("chart-title");
    chart.replaceChildren(title);
    const W = 720, H = 180, left = 36, right = 56, top = 8, bottom = 22;
    const steps = w.steps || 15;
    const byOutcome = new Map();
    for (const s of w.series || []) {
      const counts = byOutcome.get(s.outcome) || new Array(steps).fill(0);
      (s.counts || []).forEach((c, i) => { counts[i] = (counts[i] || 0) + c; });
      byOutcome.set(s.outcome, counts);
    }
    const outcomes = [...byOutcome.keys()].sort((a, b) => outcomeIndex(a) - outcomeIndex(b) || a.localeCompare(b));
    const totals = new Array(steps).fill(0);
    for (const c of byOutcome.values()) c.forEach((v, i) => { totals[i] += v; });
    const max = Math.max(1, ...totals);
    const plotW = W - left - right, plotH = H - top - bottom;
    const bw = plotW / steps;
    // Axis and gridlines: zero, half and the top.
    for (const f of [0, 0.5, 1]) {
      const y = top + plotH * (1 - f);
      chart.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, class: "grid" }));
      const t = svg("text", { x: left - 4, y: y + 4, class: "axis", "text-anchor": "end" });
      t.textContent = String(Math.round(max * f));
      chart.append(t);
    }
    const end = w.end ? new Date(w.end) : new Date();
    const stepMs = (w.step_seconds || 60) * 1000;
    for (let i = 0; i < steps; i++) {
      let y = top + plotH;
      for (const o of outcomes) {
        const v = byOutcome.get(o)[i] || 0;
        if (!v) continue;
        const h = plotH * v / max;
        y -= h;
        const r = svg("rect", { x: left + i * bw + 1, y, width: Math.max(1, bw - 2), height: h, class: "o-" + o });
        const tip = svg("title");
        tip.textContent = fmtShort(new Date(end - (steps - 1 - i) * stepMs)) + " " + o + ": " + v;
        r.append(tip);
        chart.append(r);
      }
      if (i % 5 === 4 || i === 0) {
        const t = svg("text", { x: left + i * bw + bw / 2, y: H - 6, class: "axis", "text-anchor": "middle" });
        t.textContent = fmtShort(new Date(end - (steps - 1 - i) * stepMs)).slice(0, 5);
        chart.append(t);
      }
    }
    // The p99 latency line on the right-hand scale.
    const pts = [];
    const pmax = Math.max(1, ...p99.filter((v) => v !== null && v !== undefined));
    const dots = [];
    p99.forEach((v, i) => {
      if (v === null || v === undefined) return;
      const x = left + i * bw + bw / 2, y = top + plotH * (1 - v / pmax);
      pts.push(x.toFixed(1) + "," + y.toFixed(1));
      dots.push(svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 2.5, class: "p99-dot" }));
    });
    if (pts.length) {
      const line = svg("polyline", { points: pts.join(" "), class: "p99" });
      const tip = svg("title");
      tip.textContent = "p99 publish latency, up to " + fmtMs(pmax);
      line.append(tip);
      chart.append(line, ...dots);
      const t = svg("text", { x: W - right + 4, y: top + 10, class: "axis p99-label" });
      t.textContent = fmtMs(pmax);
      chart.append(t);
    }
    const legend = $("legend");
    legend.replaceChildren();
    for (const o of outcomes) {
      const n = byOutcome.get(o).reduce((a, b) => a + b, 0);
      legend.append(el("span", { class: "key" }, el("span", { class: "swatch o-" + o, "aria-hidden": "true" }), o + " " + n));
    }
    if (pts.length) legend.append(el("span", { class: "key" }, el("span", { class: "swatch p99-swatch", "aria-hidden": "true" }), "p99 latency"));
    if (!outcomes.length) legend.append(el("span", { class: "muted" }, "no events in the last 15 minutes"));
  }

  function renderTotals(w) {
    const rows = [];
    const types = new Set();
    for (const s of w.series || []) {
      const n = (s.counts || []).reduce((a, b) => a + b, 0);
      types.add(s.type);
      if (n) rows.push([s.type, s.outcome, n]);
    }
    rows.sort((a, b) => b[2] - a[2] || a[0].localeCompare(b[0]));
    const tb = $("totals").tBodies[0];
    tb.replaceChildren(...rows.map(([t, o, n]) =>
      el("tr", {}, el("td", {}, t), el("td", {}, el("span", { class: "swatch o-" + o, "aria-hidden": "true" }), " " + o), el("td", { class: "num" }, n))));
    if (!rows.length) tb.append(el("tr", {}, el("td", { colspan: 3, class: "muted" }, "none yet")));
    const dl = $("types");
    const have = new Set([...dl.options].map((o) => o.value));
    for (const t of types) if (t !== "other" && !have.has(t)) dl.append(el("option", { value: t }));
  }

  async function refreshStatus() {
    try {
      renderStatus(await call("status"));
      if ($("error").dataset.from === "status") { showError(""); delete $("error").dataset.from; }
    } catch (e) {
      showError("Status: " + e.message);
      $("error").dataset.from = "status";
    }
  }

  // ---- event rows (live and search) ----

  function eventRow(ev) {
    const open = el("button", { type: "button", class: "link", title: "Show headers and body" }, ev.id);
    open.addEventListener("click", () => openEvent(ev.id));
    const tr = el("tr", { class: ev.dead_letter ? "dl" : null, "data-id": ev.id },
      el("td", { title: ev.stored_at || "" }, fmtTime(ev.stored_at)),
      el("td", {}, ev.dead_letter ? el("span", { class: "tag" }, "dead letter") : null, ev.dead_letter ? " " + (ev.reason || "") : (ev.type || "")),
      el("td", { class: "subject" }, ev.subject || ""),
      el("td", { class: "id" }, open));
    return tr;
  }

  // ---- live feed ----

  let paused = false;
  function startLive() {
    const state = $("live-state");
    const rows = $("live-rows");
    const es = new EventSource(API + "events/live");
    es.addEventListener("open", () => { state.textContent = "live"; state.className = "small ok"; });
    es.addEventListener("error", () => { state.textContent = "reconnecting…"; state.className = "small warn"; });
    es.addEventListener("event", (m) => {
      if (paused) return;
      let ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      rows.prepend(eventRow(ev));
      while (rows.rows.length > LIVE_ROWS) rows.lastElementChild.remove();
    });
    $("live-pause").addEventListener("click", (e) => {
      paused = !paused;
      e.currentTarget.setAttribute("aria-pressed", String(paused));
      e.currentTarget.textContent = paused ? "Resume" : "Pause";
      state.textContent = paused ? "paused" : (es.readyState === 1 ? "live" : "connecting…");
    });
    $("live-clear").addEventListener("click", () => rows.replaceChildren());
  }

  // ---- search ----

  function queryString(form) {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) {
      const s = String(v).trim();
      if (s) q.set(k, s);
    }
    return q.toString();
  }

  async function search(ev) {
    ev.preventDefault();
    const note = $("search-note");
    const rows = $("search-rows");
    note.textContent = "searching…";
    try {
      const r = await call("events?" + queryString(ev.target));
      const list = r.events || [];
      rows.replaceChildren(...list.map(eventRow));
      note.textContent = list.length + (list.length === 1 ? " event" : " events") + " among the newest " +
        r.scanned + " messages read" + (r.truncated ? " — cut short at the scan limit of " + r.scan_limit + ": older events were not read" : "") + ".";
      note.className = r.truncated ? "warn" : "muted";
      if (list.length === 1) openEvent(list[0].id);
    } catch (e) {
      rows.replaceChildren();
      note.textContent = e.message;
      note.className = "error";
    }
  }

  // ---- one event ----

  async function openEvent(id) {
    const sec = $("event");
    $("event-id").textContent = id;
    $("event-meta").replaceChildren();
    $("event-headers").replaceChildren();
    $("event-body").textContent = "loading…";
    sec.hidden = false;
    try {
      const ev = await call("events/" + encodeURIComponent(id));
      const meta = $("event-meta");
      for (const [k, v] of [["topic", ev.topic], ["stored", fmtTime(ev.stored_at)], ["kind", ev.dead_letter ? "dead letter" : "event"]]) {
        meta.append(el("div", {}, el("dt", {}, k), el("dd", {}, v || "")));
      }
      const hb = $("event-headers");
      for (const k of Object.keys(ev.headers || {}).sort()) {
        hb.append(el("tr", {}, el("th", { scope: "row" }, k), el("td", {}, ev.headers[k])));
      }
      $("event-body").textContent = typeof ev.body === "string" ? ev.body : JSON.stringify(ev.body, null, 2);
    } catch (e) {
      $("event-body").textContent = e.message;
    }
    sec.scrollIntoView({ block: "nearest" });
  }

  // ---- dead letters ----

  async function loadDeadLetters(ev) {
    if (ev) ev.preventDefault();
    const note = $("dl-note");
    const groups = $("dl-groups");
    note.textContent = "reading…";
    try {
      const r = await call("deadletters?" + queryString($("dl-form")));
      const list = r.deadletters || [];
      const sel = $("dl-reason");
      const chosen = sel.value;
      sel.replaceChildren(el("option", { value: "" }, "any"),
        ...(r.reasons || []).map((x) => el("option", { value: x.reason }, x.reason + " (" + x.count + ")")));
      if (chosen && ![...sel.options].some((o) => o.value === chosen)) sel.append(el("option", { value: chosen }, chosen));
      sel.value = chosen;
      const by = new Map();
      for (const d of list) {
        if (!by.has(d.reason)) by.set(d.reason, []);
        by.get(d.reason).push(d);
      }
      groups.replaceChildren(...[...by.entries()].map(([reason, ds]) => el("details", { open: true, class: "group" },
        el("summary", {}, el("strong", {}, reason || "(no reason)"), " ", el("span", { class: "muted" }, ds.length + (ds.length === 1 ? " dead letter" : " dead letters"))),
        el("ul", { class: "dls" }, ...ds.map(deadLetterItem)))));
      note.textContent = list.length + " " + $("dl-status").value + " dead letters among the newest " + r.scanned + " messages read" +
        (r.truncated ? " — cut short at the scan limit of " + r.scan_limit + ": older ones were not read" : "") + ".";
      note.className = r.truncated ? "warn" : "muted";
    } catch (e) {
      groups.replaceChildren();
      note.textContent = e.message;
      note.className = "error";
    }
  }

  function deadLetterItem(d) {
    const out = el("p", { class: "outcome", "aria-live": "polite" });
    const open = el("button", { type: "button", class: "link" }, d.id);
    open.addEventListener("click", () => openEvent(d.id));
    // Each button names its dead letter for screen readers: a list has many.
    const dry = el("button", { type: "button", "aria-label": "Dry run " + d.id }, "Dry run");
    const replay = el("button", { type: "button", disabled: true, "aria-label": "Replay " + d.id, title: "Enabled once a dry run says it would publish" }, "Replay");
    const noteIn = el("input", { type: "text", id: "note-" + d.id, placeholder: "optional note", autocomplete: "off" });
    const resolve = el("button", { type: "button", "aria-label": "Resolve " + d.id }, "Resolve");
    const li = el("li", { class: "dl-item", "data-id": d.id, "data-reason": d.reason },
      el("div", { class: "dl-head" }, open, " ", el("span", { class: "muted" }, fmtTime(d.stored_at)),
        d.hirebridge_source && d.hirebridge_source !== "default" ? el("span", { class: "tag" }, d.hirebridge_source) : null,
        d.resolved ? el("span", { class: "tag ok" }, "resolved " + fmtTime(d.resolved.resolved_at) + " by " + (d.resolved.resolved_by || "?") + (d.resolved.note ? ": " + d.resolved.note : "")) : null),
      el("p", { class: "detail" }, d.detail || ""),
      el("div", { class: "actions" }, dry, " ", replay, " ",
        d.resolved ? null : el("label", { for: "note-" + d.id, class: "sr-only" }, "Note for " + d.id),
        d.resolved ? null : noteIn, " ", d.resolved ? null : resolve),
      out);
    dry.addEventListener("click", async () => {
      dry.disabled = true;
      out.textContent = "dry run…";
      try {
        const r = await call("deadletters/" + encodeURIComponent(d.id) + "/replay?dry_run=true", { method: "POST", json: {} });
        out.textContent = describeReplay(r, true);
        out.className = "outcome " + (r.outcome === "would_publish" ? "ok" : "warn");
        replay.disabled = r.outcome !== "would_publish";
      } catch (e) {
        out.textContent = e.message;
        out.className = "outcome error";
      } finally {
        dry.disabled = false;
      }
    });
    replay.addEventListener("click", async () => {
      replay.disabled = true;
      out.textContent = "replaying…";
      try {
        const r = await call("deadletters/" + encodeURIComponent(d.id) + "/replay", { method: "POST", json: {} });
        out.textContent = describeReplay(r, false);
        out.className = "outcome " + (r.outcome === "published" || r.outcome === "already_published" ? "ok" : "warn");
      } catch (e) {
        out.textContent = e.message;
        out.className = "outcome error";
      }
    });
    resolve.addEventListener("click", async () => {
      resolve.disabled = true;
      try {
        const body = noteIn.value.trim() ? { note: noteIn.value.trim() } : {};
        const r = await call("deadletters/" + encodeURIComponent(d.id) + "/resolve", { method: "POST", json: body });
        out.textContent = "resolved at " + fmtTime(r.resolved && r.resolved.resolved_at);
        out.className = "outcome ok";
        if ($("dl-status").value === "open") {
          li.classList.add("gone");
          setTimeout(() => loadDeadLetters(), 600);
        }
      } catch (e) {
        out.textContent = e.message;
        out.className = "outcome error";
        resolve.disabled = false;
      }
    });
    return li;
  }

  function describeReplay(r, dry) {
    let s = (dry ? "Dry run: " : "Replay: ") + r.outcome;
    if (r.event) s += " as " + r.event;
    if (r.event_id) s += " (" + r.event_id + ")";
    if (r.rejected_as) s += " (" + r.rejected_as + ")";
    // A rejection's detail begins with its code, already said.
    if (r.detail) s += ": " + (r.rejected_as && r.detail.startsWith(r.rejected_as + ": ") ? r.detail.slice(r.rejected_as.length + 2) : r.detail);
    return s;
  }

  // ---- start ----

  function start() {
    $("search-form").addEventListener("submit", search);
    $("search-form").addEventListener("reset", () => { $("search-rows").replaceChildren(); $("search-note").textContent = ""; });
    $("dl-form").addEventListener("submit", loadDeadLetters);
    $("dl-status").addEventListener("change", () => loadDeadLetters());
    $("dl-reason").addEventListener("change", () => loadDeadLetters());
    $("event-close").addEventListener("click", () => { $("event").hidden = true; $("event-body").textContent = ""; });
    refreshStatus();
    setInterval(refreshStatus, STATUS_EVERY_MS);
    startLive();
    loadDeadLetters();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
