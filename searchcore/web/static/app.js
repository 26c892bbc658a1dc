// The search page: plain JavaScript over the JSON API, no framework, no CDN.
//
// Every piece of article text reaches the page as a text node (append of a string,
// textContent), never as HTML, so a title like <script>alert(1)</script> shows as
// text. Highlights are built from the API's character spans. The page state lives
// in the address (?q=...&page=2&source=...&article=ID), so back/forward and links work.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const LISTS = ["source", "category"];
  const DEFAULTS = { q: "", page: 1, sort: "relevance", match: "all", since: "", until: "",
                     collapse: false, article: "", source: [], category: [] };
  let features = { facets: false, collapse: false, after: false, timeline: false };
  let limits = { max_depth: 10000 };
  let state = readState();
  let ticket = 0;          // answers to older requests are dropped
  let cameFromResults = false;

  // -- small DOM helpers ------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));   // strings become text
    }
    return node;
  }
  const clear = (node) => { node.replaceChildren(); return node; };
  const fmt = (n) => Number(n).toLocaleString("en");
  const day = (iso) => (iso ? String(iso).slice(0, 10) : "");

  // -- state <-> address ------------------------------------------------------------
  function readState() {
    const p = new URLSearchParams(location.search);
    const s = { ...DEFAULTS };
    for (const key of ["q", "sort", "match", "since", "until", "article"]) s[key] = p.get(key) || DEFAULTS[key];
    s.page = Math.max(1, parseInt(p.get("page"), 10) || 1);
    s.collapse = p.get("collapse") === "1";
    for (const key of LISTS) s[key] = p.getAll(key);
    return s;
  }

  function addressOf(s) {
    const p = new URLSearchParams();
    for (const key of ["q", "sort", "match", "since", "until"]) {
      if (s[key] && s[key] !== DEFAULTS[key]) p.set(key, s[key]);
    }
    for (const key of LISTS) for (const v of s[key]) p.append(key, v);
    if (s.collapse) p.set("collapse", "1");
    if (s.page > 1) p.set("page", String(s.page));
    if (s.article) p.set("article", s.article);
    return p;
  }

  function go(changes) {
    cameFromResults = !state.article && Boolean(changes.article);
    state = { ...state, ...changes };
    history.pushState(null, "", "?" + addressOf(state).toString());
    render();
  }

  function link(changes, text, cls) {
    const target = { ...state, ...changes };
    return el("a", { href: "?" + addressOf(target).toString(), class: cls,
                     onclick: (e) => { if (e.button === 0 && !e.metaKey && !e.ctrlKey) { e.preventDefault(); go(changes); } } },
              text);
  }

  // -- the API --------------------------------------------------------------------
  async function api(path, params) {
    const url = "api/" + path + (params ? "?" + params.toString() : "");
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    let data;
    try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
    if (!response.ok) { const err = new Error(data.error || response.statusText); err.data = data; err.status = response.status; throw err; }
    return data;
  }

  // The date histogram is a date facet: months, or days inside one month, years
  // inside one... (set from the filter), re-asked by year when months are too many.
  function dateFacet(s) {
    if (s.since && s.since === s.until && /^\d{4}-\d{2}$/.test(s.since)) return "day";
    return "month";
  }

  function searchParams(s) {
    const p = addressOf({ ...s, article: "" });
    p.set("q", s.q);
    if (features.facets) for (const f of ["source", "category", dateFacet(s)]) p.append("facet", f);
    return p;
  }

  // -- rendering ------------------------------------------------------------------
  function render() {
    $("q").value = state.q;
    $("sort").value = state.sort;
    $("any").checked = state.match === "any";
    $("collapse").checked = state.collapse;
    const reading = Boolean(state.article);
    $("article").hidden = !reading;
    $("results").hidden = reading;
    $("facets").hidden = reading;
    document.body.classList.toggle("reading", reading);
    if (reading || !state.q.trim()) document.body.classList.remove("with-facets");
    if (reading) showArticle(state.article);
    else if (state.q.trim()) runSearch();
    else showWelcome();
  }

  function showError(err, query) {
    const box = clear($("error"));
    box.hidden = false;
    box.append(el("strong", {}, "Cannot search: "), err.message);
    const pos = err.data && err.data.position;
    if (Number.isInteger(pos) && query) {
      const chars = Array.from(query);
      box.append(el("pre", { class: "caret" }, chars.join(""), "\n", " ".repeat(Math.min(pos, chars.length)) + "^"));
    }
  }

  async function runSearch() {
    const mine = ++ticket;
    const s = state;
    document.title = s.q + " - searchcore";
    $("error").hidden = true;
    $("summary").textContent = "Searching…";
    $("results").classList.add("busy");
    let data;
    try {
      data = await api("search", searchParams(s));
      if (mine !== ticket) return;
      showResults(data, s);
    } catch (err) {
      if (mine !== ticket) return;
      clear($("hits")); clear($("pager")); clear($("facets")); clear($("timeline"));
      document.body.classList.remove("with-facets");
      $("summary").textContent = "";
      showFilters(s);
      showError(err, s.q);
    } finally {
      if (mine === ticket) $("results").classList.remove("busy");
    }
    if (!data) return;
    try {
      const by = dateFacet(s);
      let buckets = facetValues((data.facets || {})[by]);
      let shown = by;
      if (by === "month" && buckets.length > 36) {   // decades of months: count years
        const p = searchParams(s); p.delete("facet"); p.set("facet", "year"); p.set("limit", "1"); p.set("snippets", "0"); p.delete("page");
        buckets = facetValues(((await api("search", p)).facets || {}).year);
        shown = "year";
      }
      if (mine === ticket) showTimeline(buckets, shown);
    } catch (err) {
      if (mine === ticket) clear($("timeline"));
    }
  }

  function showResults(data, s) {
    showFilters(s);
    const total = data.total;
    const counted = data.total_articles !== undefined && data.total_articles !== total
      ? ` (${fmt(data.total_articles)} articles)` : "";
    const summary = $("summary");
    clear(summary);
    if (!total) {
      summary.append("No matches for ", el("q", {}, s.q), ".");
    } else {
      const first = (data.page - 1) * data.limit + 1;
      const last = first + data.hits.length - 1;
      summary.append(el("span", { id: "total", "data-total": total }, fmt(total)),
                     data.total_is_exact === false ? "+" : "",
                     ` ${s.collapse ? "stories" : "matches"}${counted}`,
                     data.hits.length ? ` · ${fmt(first)}–${fmt(last)}` : "",
                     ` · ${Math.round(data.elapsed_ms)} ms`);
    }
    if (data.suggestion) {
      summary.append(" · Did you mean ", link({ q: data.suggestion, page: 1 }, data.suggestion, "suggestion"), "?");
    }
    const list = clear($("hits"));
    list.start = (data.page - 1) * data.limit + 1;
    for (const hit of data.hits) list.append(hitItem(hit));
    showPager(data);
    showFacets(data.facets || {}, s);
  }

  function meta(item) {
    const parts = [];
    if (item.source) parts.push(el("span", { class: "source" }, item.source));
    if (item.published) parts.push(el("time", { datetime: item.published }, day(item.published)));
    for (const c of item.category || []) parts.push(el("span", { class: "tag" }, c));
    return el("div", { class: "meta" }, parts);
  }

  function marked(node, snippet) {
    // spans are [start, end) in code points (Python's str), so index an array of them
    const chars = Array.from(snippet.text);
    let at = 0;
    for (const [start, end] of snippet.spans || []) {
      if (start > at) node.append(chars.slice(at, start).join(""));
      node.append(el("mark", {}, chars.slice(start, end).join("")));
      at = Math.max(at, end);
    }
    node.append(chars.slice(at).join(""));
    return node;
  }

  function hitItem(hit) {
    const snippets = hit.snippets || [];
    // A title snippet is the whole title with its matches: it marks the heading itself.
    const titled = snippets.find((s) => s.field === "title" && s.text === hit.title);
    const heading = link({ article: hit.id }, titled ? [] : hit.title || "(untitled)", "title");
    if (titled) marked(heading, titled);
    const li = el("li", { class: "hit" }, el("h2", {}, heading), meta(hit));
    for (const snippet of snippets) if (snippet !== titled) li.append(marked(el("p", { class: "snippet" }), snippet));
    const copies = hit.copies || [];
    if (copies.length) {
      const details = el("details", { class: "copies" },
        el("summary", {}, `and ${copies.length} other ${copies.length === 1 ? "copy" : "copies"}`));
      const ul = el("ul");
      for (const copy of copies) {
        ul.append(el("li", {}, link({ article: copy.id }, copy.title || copy.id),
                     " ", el("span", { class: "meta-inline" }, [copy.source, day(copy.published)].filter(Boolean).join(" · "))));
      }
      details.append(ul);
      li.append(details);
    }
    return li;
  }

  function showPager(data) {
    const nav = clear($("pager"));
    const maxPage = Math.max(1, Math.min(data.pages, Math.floor(limits.max_depth / data.limit)));
    if (maxPage <= 1) return;
    const page = data.page;
    if (page > 1) nav.append(link({ page: page - 1 }, "‹ Previous", "prev"));
    const from = Math.max(1, page - 2), to = Math.min(maxPage, page + 2);
    if (from > 1) nav.append(link({ page: 1 }, "1", "num"), from > 2 ? el("span", { class: "gap" }, "…") : null);
    for (let n = from; n <= to; n++) {
      nav.append(n === page ? el("span", { class: "num current", "aria-current": "page" }, String(n)) : link({ page: n }, String(n), "num"));
    }
    if (to < maxPage) nav.append(to < maxPage - 1 ? el("span", { class: "gap" }, "…") : null, link({ page: maxPage }, String(maxPage), "num"));
    if (page < maxPage) nav.append(link({ page: page + 1 }, "Next ›", "next"));
  }

  function facetValues(facet) {
    if (Array.isArray(facet)) return facet;
    if (facet && Array.isArray(facet.values)) return facet.values;
    if (facet && Array.isArray(facet.buckets)) return facet.buckets;
    return [];
  }

  function showFacets(facets, s) {
    const aside = clear($("facets"));
    for (const [name, label] of [["source", "Source"], ["category", "Category"]]) {
      const values = facetValues(facets[name]);
      if (!values.length) continue;
      const ul = el("ul");
      for (const { value, count } of values) {
        const active = s[name].includes(value);
        const changes = { [name]: active ? s[name].filter((v) => v !== value) : [value], page: 1 };
        const a = link(changes, [el("span", { class: "value" }, value || "(none)"), el("span", { class: "count" }, fmt(count))],
                       "facet" + (active ? " active" : ""));
        a.dataset.facet = name; a.dataset.value = value; a.dataset.count = count;
        ul.append(el("li", {}, a));
      }
      // folded on a phone (the hits come first), unless one of its values is a filter
      const open = !window.matchMedia("(max-width: 720px)").matches || s[name].length > 0;
      aside.append(el("details", { class: "facet-group", open }, el("summary", {}, label), ul));
    }
    document.body.classList.toggle("with-facets", aside.childElementCount > 0);
  }

  function showFilters(s) {
    const box = clear($("filters"));
    const chips = [];
    for (const name of LISTS) {
      for (const v of s[name]) chips.push(link({ [name]: s[name].filter((x) => x !== v), page: 1 }, `${name}: ${v} ×`, "chip"));
    }
    if (s.since || s.until) {
      const range = s.since === s.until ? s.since : `${s.since || "…"} – ${s.until || "…"}`;
      chips.push(link({ since: "", until: "", page: 1 }, `date: ${range} ×`, "chip"));
    }
    if (chips.length) box.append(el("span", { class: "label" }, "Filters:"), ...chips);
  }

  // -- the date histogram -----------------------------------------------------------
  function showTimeline(buckets, by) {
    const box = clear($("timeline"));
    if (buckets.length < 2) return;
    const max = Math.max(1, ...buckets.map((b) => b.count));
    const bars = el("div", { class: "bars", role: "list" });
    for (const b of buckets) {
      const bar = el("button", { type: "button", class: "bar", role: "listitem", title: `${b.value}: ${fmt(b.count)}`,
                                 "aria-label": `${b.value}: ${fmt(b.count)} matches`, disabled: b.count === 0,
                                 onclick: () => go({ since: b.value, until: b.value, page: 1 }) });
      bar.dataset.value = b.value;
      const fill = el("span", { class: "fill" });
      fill.style.height = (b.count ? Math.max(3, (100 * b.count) / max) : 0) + "%";   // CSSOM: allowed by the CSP
      bar.append(fill);
      bars.append(bar);
    }
    box.append(bars, el("div", { class: "axis" }, el("span", {}, buckets[0].value),
      el("span", {}, `matches per ${by} · click a bar to narrow`), el("span", {}, buckets[buckets.length - 1].value)));
  }

  // -- article view -----------------------------------------------------------------
  async function showArticle(id) {
    const mine = ++ticket;
    const view = clear($("article"));
    const back = el("button", { type: "button", class: "back", onclick: () => { if (cameFromResults) history.back(); else go({ article: "" }); } }, "‹ Back to results");
    view.append(back, el("p", { class: "loading" }, "Loading…"));
    let a;
    try {
      a = await api("articles/" + encodeURIComponent(id));
    } catch (err) {
      if (mine !== ticket) return;
      view.replaceChildren(back, el("p", { class: "error" }, err.message));
      return;
    }
    if (mine !== ticket) return;
    document.title = (a.title || a.id) + " - searchcore";
    const body = el("div", { class: "body" });
    // news bodies mark paragraphs with one line break or two: every line is a paragraph
    for (const para of String(a.body || "").split(/\n+/)) if (para.trim()) body.append(el("p", {}, para.trim()));
    let source = null;
    if (/^https?:\/\//i.test(a.url || "")) source = el("p", { class: "url" }, el("a", { href: a.url, rel: "noopener noreferrer nofollow" }, a.url));
    view.replaceChildren(...[back, el("h1", {}, a.title || "(untitled)"), meta(a),
      (a.authors || []).length ? el("p", { class: "authors" }, "By " + a.authors.join(", ")) : null,
      source, body, el("p", { class: "id" }, "id ", el("code", {}, a.id))].filter(Boolean));
    window.scrollTo(0, 0);
  }

  // -- first screen -----------------------------------------------------------------
  async function showWelcome() {
    const mine = ++ticket;
    document.title = "searchcore";
    clear($("hits")); clear($("pager")); clear($("facets")); clear($("timeline")); clear($("filters"));
    $("error").hidden = true;
    $("summary").textContent = "";
    try {
      const st = await api("stats");
      if (mine !== ticket) return;
      const sources = Object.keys(st.sources || {}).length;
      const range = st.date_range ? `, ${day(st.date_range[0])} to ${day(st.date_range[1])}` : "";
      $("summary").textContent = `${fmt(st.documents)} articles from ${fmt(sources)} ${sources === 1 ? "source" : "sources"}${range}. Type a query above; * shows everything.`;
    } catch (err) {
      if (mine === ticket) showError(err, "");
    }
  }

  // -- wiring -----------------------------------------------------------------------
  function fromForm(extra) {
    go({ q: $("q").value, sort: $("sort").value, match: $("any").checked ? "any" : "all",
         collapse: features.collapse && $("collapse").checked, page: 1, article: "", ...extra });
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("search").addEventListener("submit", (e) => { e.preventDefault(); fromForm({}); });
    for (const id of ["sort", "any", "collapse"]) $(id).addEventListener("change", () => { if (state.q.trim()) fromForm({ q: state.q }); });
    $("home").addEventListener("click", (e) => { e.preventDefault(); state = { ...DEFAULTS }; history.pushState(null, "", "./"); render(); });
    window.addEventListener("popstate", () => { state = readState(); cameFromResults = false; render(); });
    try {
      const health = await api("../healthz");
      features = health.features || features;
      limits = health.limits || limits;
    } catch (err) { /* the searches below report what is wrong */ }
    $("collapse-option").hidden = !features.collapse;
    render();
    document.body.classList.add("ready");
  });
})();
