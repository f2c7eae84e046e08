"use strict";
(() => {
  // Every address is relative to the page, so the router works under any prefix.
  const base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
  const STRIP_MS = 120000, TIMELINE_MAX = 100, REFRESH_MS = 1000, TICK_MS = 250;
  const BUCKET_MS = 10000, BUCKETS = 30;   // charts: the last 5 minutes in 10 s bars
  const SVG = "http://www.w3.org/2000/svg";
  const series = new Map();     // name -> [{ t, calls, failures, rejected }]: cumulative counts, oldest first
  const breakers = new Map();   // name -> { snap, at }: a snapshot and when it arrived
  const history = new Map();    // name -> [{ state, t }]: states entered, oldest first
  const seen = new Set();       // keys of the transitions on the timeline (at most TIMELINE_MAX)
  const cards = new Map();      // name -> card elements
  const flags = new Map();      // name -> why the breaker runs on defaults (settings_error)
  const fleets = new Map();     // name -> the fleet's view of a shared breaker (shared)
  const grid = document.getElementById("breakers");
  const timeline = document.getElementById("timeline");
  let seeded = false;

  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const label = (state) => state.replace("_", " ");
  const pct = (rate) => (rate === null || rate === undefined ? "–" : (rate * 100).toFixed(rate < 0.1 ? 1 : 0) + " %");
  const dur = (ms) => {
    if (ms === null || ms === undefined) return "–";
    if (ms < 1000) return Math.max(0, Math.round(ms)) + " ms";
    const s = ms / 1000;
    if (s < 60) return s.toFixed(1) + " s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " m " + String(Math.floor(s % 60)).padStart(2, "0") + " s";
    return Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " m";
  };
  const clock = (t) => new Date(t).toLocaleTimeString([], { hour12: false }) + "." + String(t % 1000).padStart(3, "0");

  function setLive(live, text) {
    const status = document.getElementById("status");
    status.dataset.live = String(live);
    document.getElementById("status-text").textContent = text;
  }

  function remember(name, state, t) {
    const list = history.get(name) || [];
    if (!list.length || list[list.length - 1].state !== state) list.push({ state, t });
    while (list.length > 1 && list[1].t < Date.now() - STRIP_MS) list.shift();
    history.set(name, list);
  }

  // Adds past states to a breaker's history, keeping it sorted and without repeats.
  function mergeHistory(name, entries) {
    const all = (history.get(name) || []).concat(entries).sort((a, b) => a.t - b.t);
    history.set(name, all.filter((e, i) => i === 0 || e.state !== all[i - 1].state));
  }

  function accept(snap, now) {
    breakers.set(snap.name, { snap, at: now });
    remember(snap.name, snap.state, Date.now() - (history.has(snap.name) ? 0 : snap.time_in_state_ms));
  }

  function card(name) {
    let c = cards.get(name);
    if (c) return c;
    const root = el("article", "breaker");
    root.dataset.breaker = name;
    const top = el("div", "top");
    const badge = el("span", "badge");
    top.append(el("span", "name", name), badge);
    const stats = el("div", "stats");
    const values = {};
    for (const [key, title] of [["failures", "failures"], ["rate", "failure rate"], ["calls", "calls in window"],
      ["rejected", "rejected"], ["in_state", "in state"], ["probe", "next probe"]]) {
      const stat = el("div", "stat");
      values[key] = el("div", "v", "–");
      stat.append(values[key], el("div", "k", title));
      stats.append(stat);
    }
    const charts = el("div", "charts");
    const bars = {};
    for (const [key, title] of [["calls", "calls"], ["failures", "failures"], ["rejected", "rejections"]]) {
      const chart = el("figure", "chart");
      chart.dataset.chart = key;
      chart.title = title + " in the last 5 minutes, in 10 s bars" +
        (key === "rejected" ? "" : " (counted by a metrics recorder: Dashboard::metrics_text)");
      const svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("viewBox", "0 0 " + BUCKETS + " 20");
      svg.setAttribute("preserveAspectRatio", "none");
      svg.setAttribute("role", "img");
      const caption = el("figcaption", "", title);
      const total = el("span", "total", "–");
      caption.append(total);
      chart.append(svg, caption);
      charts.append(chart);
      bars[key] = { svg, total };
    }
    const strip = el("div", "strip");
    const legend = el("div", "strip-legend");
    legend.append(el("span", "span"), el("span", "trips"), el("span", "", "now"));
    const flag = el("div", "flag");
    flag.hidden = true;
    root.append(top, flag, stats, charts, strip, legend);
    c = { root, badge, flag, values, bars, strip, span: legend.children[0], trips: legend.children[1] };
    cards.set(name, c);
    const names = [...cards.keys()].sort();
    const next = cards.get(names[names.indexOf(name) + 1]);
    grid.insertBefore(root, next ? next.root : null);
    document.getElementById("empty").hidden = true;
    return c;
  }

  // The strip covers the known history, between 10 s and 2 min.
  function drawStrip(c, name, now) {
    const list = history.get(name) || [];
    const oldest = list.length ? list[0].t : now;
    const span = Math.min(STRIP_MS, Math.max(10000, now - oldest));
    const start = now - span;
    c.strip.replaceChildren();
    if (list.length && list[0].t > start) {
      const unknown = el("span");
      unknown.style.width = ((list[0].t - start) / span) * 100 + "%";
      unknown.title = "not observed";
      c.strip.append(unknown);
    }
    list.forEach((entry, i) => {
      const from = Math.max(entry.t, start);
      const to = i + 1 < list.length ? list[i + 1].t : now;
      if (to <= from) return;
      const seg = el("span");
      seg.dataset.state = entry.state;
      seg.style.width = ((to - from) / span) * 100 + "%";
      seg.style.background = "var(--c)";
      seg.title = label(entry.state);
      c.strip.append(seg);
    });
    c.span.textContent = span < 60000
      ? "−" + Math.round(span / 1000) + " s"
      : "−" + (span / 60000).toFixed(1).replace(".0", "") + " min";
  }

  // Notes a breaker's cumulative counts; keeps the last BUCKETS buckets and one sample before.
  function sample(name, snap, t) {
    const list = series.get(name) || [];
    const calls = snap.calls_total === undefined ? null : snap.calls_total;
    const failures = calls === null ? null : (snap.failures_total || 0);
    list.push({ t, calls, failures, rejected: snap.rejected_calls });
    while (list.length > 2 && list[1].t < t - BUCKET_MS * BUCKETS) list.shift();
    series.set(name, list);
  }

  // Per bucket, how much `key` grew: the last value in it minus the last value before it.
  function buckets(list, key, now) {
    const out = [];
    const valueAt = (t) => {
      let v = null;
      for (const s of list) { if (s.t <= t) v = s[key]; else break; }
      return v;
    };
    for (let i = BUCKETS; i > 0; i--) {
      const start = now - i * BUCKET_MS, end = start + BUCKET_MS;
      // The bucket of the first sample grows from that sample.
      let a = valueAt(start);
      const b = valueAt(end);
      if (a === null && list.length && list[0].t < end) a = list[0][key];
      out.push(a === null || b === null ? null : Math.max(0, b - a));
    }
    return out;
  }

  function drawCharts(c, name, now) {
    const list = series.get(name) || [];
    for (const key of ["calls", "failures", "rejected"]) {
      const { svg, total } = c.bars[key];
      const values = buckets(list, key, now);
      const known = values.filter((v) => v !== null);
      const max = Math.max(1, ...known);
      svg.replaceChildren();
      values.forEach((v, i) => {
        if (v === null) return;
        const bar = document.createElementNS(SVG, "rect");
        const h = v === 0 ? 0.5 : Math.max(1.5, (v / max) * 20);
        bar.setAttribute("x", String(i + 0.1));
        bar.setAttribute("width", "0.8");
        bar.setAttribute("y", String(20 - h));
        bar.setAttribute("height", String(h));
        bar.setAttribute("class", v === 0 ? "zero" : "bar");
        svg.append(bar);
      });
      const last = list.length ? list[list.length - 1][key] : null;
      total.textContent = last === null ? "–" : String(known.reduce((a, b) => a + b, 0));
    }
  }

  function render() {
    const now = performance.now();
    for (const [name, { snap, at }] of breakers) {
      const c = card(name);
      const elapsed = now - at;
      c.root.dataset.state = snap.state;
      c.badge.textContent = label(snap.state);
      c.values.failures.textContent = snap.failure_count;
      c.values.rate.textContent = pct(snap.failure_rate);
      c.values.calls.textContent = snap.calls_in_window;
      c.values.rejected.textContent = snap.rejected_calls;
      c.values.in_state.textContent = dur(snap.time_in_state_ms + elapsed);
      c.values.probe.textContent = snap.retry_in_ms === null ? "–" : dur(Math.max(0, snap.retry_in_ms - elapsed));
      const fleet = fleets.get(name);
      c.trips.textContent = [
        snap.consecutive_trips ? snap.consecutive_trips + " consecutive trips" : "",
        fleet ? "shared · fleet " + (fleet.fleet_state ? label(fleet.fleet_state) : "unknown") + " · " +
          fleet.replicas + (fleet.replicas === 1 ? " replica" : " replicas") +
          (fleet.connected ? "" : " · " + fleet.kind + " unreachable, local only") : "",
      ].filter(Boolean).join(" · ");
      const flag = flags.get(name);
      c.flag.hidden = !flag;
      c.flag.textContent = flag ? "running on defaults: " + flag : "";
      drawStrip(c, name, Date.now());
      drawCharts(c, name, Date.now());
    }
    for (const [name, c] of cards) {
      if (!breakers.has(name)) { c.root.remove(); cards.delete(name); }
    }
    document.getElementById("empty").hidden = cards.size > 0;
    const counts = {};
    for (const { snap } of breakers.values()) counts[snap.state] = (counts[snap.state] || 0) + 1;
    const parts = Object.keys(counts).sort().map((state) => counts[state] + " " + label(state));
    document.getElementById("totals").textContent =
      breakers.size + (breakers.size === 1 ? " breaker" : " breakers") + (parts.length ? " · " + parts.join(" · ") : "");
  }

  function addTransition(t, when, fresh) {
    const key = t.name + "|" + t.from + "|" + t.to + "|" + t.at_ms;
    if (seen.has(key)) return;
    seen.add(key);
    const item = el("li", fresh ? "fresh" : "");
    item.dataset.key = key;
    item.dataset.state = t.to;
    item.dataset.t = String(when);
    const change = el("span");
    change.append(el("span", "", label(t.from) + " → "), el("span", "to", label(t.to)));
    item.append(el("span", "muted", clock(when)), el("strong", "", t.name), change);
    const after = [...timeline.children].find((li) => Number(li.dataset.t) < when);
    timeline.insertBefore(item, after || null);
    while (timeline.children.length > TIMELINE_MAX) {
      seen.delete(timeline.lastChild.dataset.key);
      timeline.lastChild.remove();
    }
  }

  function applySnapshot(all) {
    const now = performance.now();
    for (const name of [...breakers.keys()]) if (!(name in all)) breakers.delete(name);
    const t = Date.now();
    for (const name of [...series.keys()]) if (!(name in all)) series.delete(name);
    for (const [name, snap] of Object.entries(all)) {
      flags.set(name, snap.settings_error || null);
      fleets.set(name, snap.shared || null);
      sample(name, snap, t);
      accept(Object.assign({ name }, snap), now);
    }
    render();
    if (!seeded) { seeded = true; seed(Object.keys(all)); }
  }

  async function seed(names) {
    for (const name of names) {
      try {
        const res = await fetch(base + "api/v1/circuits/" + encodeURIComponent(name), { cache: "no-store" });
        if (!res.ok) continue;
        const detail = await res.json();
        const now = Date.now();
        const known = detail.recent_transitions.map((t) => ({ state: t.to, t: now - t.ago_ms }));
        mergeHistory(name, known);
        for (const t of detail.recent_transitions) addTransition(t, now - t.ago_ms, false);
      } catch (_) { /* the next refresh tries again */ }
    }
    render();
  }

  async function refresh() {
    try {
      const res = await fetch(base + "api/v1/circuits", { cache: "no-store" });
      if (res.ok) applySnapshot(await res.json());
    } catch (_) {
      setLive(false, "disconnected");
    }
  }

  function listen() {
    const source = new EventSource(base + "api/v1/events");
    source.onopen = () => setLive(true, "live");
    source.onerror = () => {
      setLive(false, "reconnecting…");
      // A refused stream (too many readers) is not retried by the browser: retry later.
      if (source.readyState === EventSource.CLOSED) setTimeout(listen, 5000);
    };
    source.addEventListener("snapshot", (e) => applySnapshot(JSON.parse(e.data)));
    source.addEventListener("lagged", () => refresh());
    source.addEventListener("transition", (e) => {
      const t = JSON.parse(e.data);
      addTransition(t, Date.now(), true);
      remember(t.name, t.to, Date.now());
      if (t.snapshot) breakers.set(t.name, { snap: t.snapshot, at: performance.now() });
      render();
    });
  }

  timeline.append(el("li", "empty", "No transitions yet."));
  const observer = new MutationObserver(() => {
    const empty = timeline.querySelector(".empty");
    if (empty && timeline.children.length > 1) empty.remove();
  });
  observer.observe(timeline, { childList: true });
  listen();
  refresh();
  setInterval(refresh, REFRESH_MS);
  setInterval(render, TICK_MS);
})();
