// Chat page behaviour: ask over the JSON API, render answers with highlights, take feedback, keep
// history in the browser session. Every piece of corpus text goes into the page through
// textContent, never HTML. Server-rendered turns (templates/_result.html) have the same markup,
// so the handlers below work on both.
(() => {
  "use strict";
  const app = document.getElementById("app");
  if (!app) return;
  const t = JSON.parse(app.dataset.i18n);
  const lang = app.dataset.lang;
  const [HIGH, MEDIUM] = app.dataset.bands.split(",").map(Number);
  // With API keys set and the page open, the server's page token lets this script call the API
  // without a key (web/access.py); without keys there is none, and none is needed.
  const API_HEADERS = {
    "Content-Type": "application/json",
    Accept: "application/json",
    ...(app.dataset.pageToken ? { "X-Ragqa-Page": app.dataset.pageToken } : {}),
  };
  const form = document.getElementById("ask-form");
  const box = document.getElementById("question");
  const button = document.getElementById("ask-button");
  const conversation = document.getElementById("conversation");
  const status = document.getElementById("status");
  const clear = document.getElementById("clear");
  const KEY = "ragqa.history";
  const PICKED = "ragqa.collection";
  const picker = document.getElementById("collection");
  const KINDS = ["answer", "sentence", "term"];
  const SNIPPET_BEFORE = 20, SNIPPET_CHARS = 60;  // as web/render.py
  const SVG = "http://www.w3.org/2000/svg";
  const THUMBS = {
    up: "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3",
    down: "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3zm7-13h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17",
  };
  let turns = 0;

  const loadHistory = () => {
    try { return JSON.parse(sessionStorage.getItem(KEY)) || []; } catch { return []; }
  };
  const saveHistory = (items) => {
    try { sessionStorage.setItem(KEY, JSON.stringify(items.slice(-30))); } catch { /* storage full or off */ }
  };
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const hidden = (name, value) => {
    const input = el("input");
    Object.assign(input, { type: "hidden", name, value: value ?? "" });
    return input;
  };
  // The API speaks English; the common errors are said in the page's language, as on the server-rendered page.
  const readable = (data, status) => t["err_" + data?.error?.code] || data?.error?.message || `HTTP ${status}`;
  const level = (score) => (score >= HIGH ? "high" : score >= MEDIUM ? "medium" : "low");

  function icon(name) {
    const svg = document.createElementNS(SVG, "svg");
    for (const [k, v] of Object.entries({ class: "icon", viewBox: "0 0 24 24", width: "18", height: "18", "aria-hidden": "true",
      focusable: "false", fill: "none", stroke: "currentColor", "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round" })) {
      svg.setAttribute(k, v);
    }
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", THUMBS[name]);
    svg.appendChild(path);
    return svg;
  }

  // Offsets from the API are Unicode code points; Array.from splits a JS string into code points.
  // "Show in document": the page itself where the source has one (a PDF, a scan), scrolled to the
  // passage in the text otherwise; the answer's offsets when it is the answer's passage, to mark it there.
  function contextHref(p, answer, collection) {
    let href = `/context?passage=${encodeURIComponent(p.id)}&lang=${lang}`;
    if (collection && collection !== "default") href += `&collection=${encodeURIComponent(collection)}`;
    if (answer && answer.passage_id === p.id) href += `&start=${answer.start}&end=${answer.end}`;
    return href + (p.boxes ? "" : "#cited");
  }

  // A few words of the passage around what it was cited for (the answer, else its closest sentence),
  // so citations of one article are told apart. web/render.py's snippet() is the same.
  function snippet(p) {
    const chars = Array.from(p.text);
    const focus = p.highlights.find((h) => h.kind === "answer") || p.highlights.find((h) => h.kind === "sentence");
    const from = Math.max(0, (focus ? focus.start : 0) - SNIPPET_BEFORE);
    const to = Math.min(chars.length, from + SNIPPET_CHARS);
    return (from > 0 ? "…" : "") + chars.slice(from, to).join("").trim() + (to < chars.length ? "…" : "");
  }

  function highlighted(text, highlights) {
    const chars = Array.from(text);
    const layers = chars.map(() => new Set());
    for (const h of highlights) {
      for (let i = Math.max(0, h.start); i < Math.min(chars.length, h.end); i++) layers[i].add(h.kind);
    }
    const keyAt = (i) => KINDS.filter((k) => layers[i].has(k)).join(" ");
    const frag = document.createDocumentFragment();
    let i = 0;
    while (i < chars.length) {
      const key = keyAt(i);
      let j = i;
      while (j < chars.length && keyAt(j) === key) j++;
      const chunk = chars.slice(i, j).join("");
      if (key) {
        frag.appendChild(el(key.includes("answer") ? "mark" : "span", key.split(" ").map((k) => "hl-" + k).join(" "), chunk));
      } else {
        frag.appendChild(document.createTextNode(chunk));
      }
      i = j;
    }
    return frag;
  }

  function questionBubble(question) {
    const q = el("div", "question");
    q.appendChild(el("span", "who", t.you));
    q.appendChild(el("p", null, question));
    return q;
  }

  function answerCard(result, turn) {
    const a = result.answer;
    const card = el("div", "answer-card");
    const head = el("div", "answer-head");
    head.appendChild(el("span", "answer-label", t.answer));
    const band = level(a.score);
    const conf = el("span", `confidence conf-${band}`, `${t["conf_" + band]} · ${Math.round(a.score * 100)}%`);
    conf.title = t.confidence_title;
    head.appendChild(conf);
    const copy = el("button", "link copy", t.copy_answer);
    copy.type = "button";
    head.appendChild(copy);
    card.appendChild(head);
    card.appendChild(el("p", "answer-text", a.text));
    const n = result.passages.findIndex((p) => p.id === a.passage_id);
    if (n >= 0) {
      const source = result.passages[n];
      const quote = el("blockquote", "answer-quote");
      const ctx = el("p", "answer-context");
      ctx.appendChild(highlighted(source.text, source.highlights));
      quote.appendChild(ctx);
      const cite = el("footer", "answer-cite", t.cited_from + " ");
      const link = el("a", null, `[${n + 1}] ${source.title}`);
      link.href = `#${turn}-p${n + 1}`;
      cite.appendChild(link);
      // The file and page a person can open, not only the article title several passages share.
      cite.append(" · ", el("span", "path", source.source.path));
      if (source.page) cite.append(" · ", el("span", "page", t.page.replace("{n}", source.page)));
      const shown = el("a", "in-context", t.in_context);
      shown.href = contextHref(source, a, result.collection);
      cite.append(" · ", shown);
      quote.appendChild(cite);
      card.appendChild(quote);
    }
    return card;
  }

  function feedbackForm(result, entryIndex) {
    const f = el("form", "feedback");
    f.method = "post";
    f.action = "/feedback";
    f.setAttribute("aria-label", t.feedback_label);
    f.dataset.entry = String(entryIndex);
    f.append(hidden("question", result.question), hidden("answer", result.answer?.text), hidden("passage_id", result.answer?.passage_id));
    for (const p of result.passages) f.appendChild(hidden("passages", p.id));
    // The server's signature of this answer as served: feedback on anything else is refused.
    f.appendChild(hidden("token", result.feedback_token));
    if (result.collection && result.collection !== "default") f.appendChild(hidden("collection", result.collection));
    f.appendChild(hidden("lang", lang));
    f.appendChild(el("span", "fb-prompt", t.feedback_prompt));
    for (const [value, label] of [["up", t.helpful], ["down", t.not_helpful]]) {
      const b = el("button", `fb fb-${value}`);
      Object.assign(b, { type: "submit", name: "rating", value });
      b.setAttribute("aria-pressed", "false");
      b.append(icon(value), el("span", null, label));
      f.appendChild(b);
    }
    const more = el("details", "fb-more");
    more.appendChild(el("summary", null, t.correct_it));
    const label = el("label", "fb-label", t.correction_label + " ");
    const input = el("input");
    Object.assign(input, { type: "text", name: "correction", maxLength: 512, autocomplete: "off" });
    label.appendChild(input);
    const send = el("button", "fb fb-send", t.send_correction);
    Object.assign(send, { type: "submit", name: "rating", value: "down" });
    more.append(label, send);
    f.appendChild(more);
    const fbStatus = el("p", "fb-status");
    fbStatus.setAttribute("role", "status");
    f.appendChild(fbStatus);
    return f;
  }

  function passageList(result, turn) {
    const list = el("ol", "passages");
    result.passages.forEach((p, n) => {
      const item = el("li", "passage");
      item.id = `${turn}-p${n + 1}`;
      const details = el("details");
      details.open = n === 0 && !result.answer;  // an answer's passage is already quoted above
      const summary = el("summary");
      summary.append(el("span", "cite", `[${n + 1}]`), " ", el("span", "ptitle", p.title));
      if (p.section) summary.append(" · ", el("span", "psection", p.section));
      summary.append(" · ", el("span", "path", p.source.path));
      if (p.page) summary.append(" · ", el("span", "page", t.page.replace("{n}", p.page)));
      summary.append(" ", el("span", "snippet", snippet(p)));
      details.appendChild(summary);
      const text = el("p", "ptext");
      text.appendChild(highlighted(p.text, p.highlights));
      details.appendChild(text);
      const meta = el("p", "meta", `${t.source}: `);
      meta.append(el("span", "path", p.source.path), " · ");
      if (p.page) meta.append(el("span", "page", t.page.replace("{n}", p.page)), " · ");
      meta.append(`${p.source.start}–${p.source.end} · `);
      const link = el("a", "in-context", t.in_context);
      link.href = contextHref(p, result.answer, result.collection);
      meta.appendChild(link);
      details.appendChild(meta);
      item.appendChild(details);
      list.appendChild(item);
    });
    return list;
  }

  function renderTurn(entry, entryIndex) {
    const result = entry.result;
    const turn = `t${++turns}`;
    const li = el("li", "turn");
    li.appendChild(questionBubble(result.question));
    if (result.read_as && result.read_as.how !== "as asked") {
      // A follow-up completed from the turn before: say how, so a wrong reading can be seen and asked again.
      li.appendChild(el("p", "read-as", t.read_as + result.read_as.question));
    }
    const reply = el("article", "reply");
    reply.setAttribute("aria-label", t.answer);
    if (result.answer) {
      reply.appendChild(answerCard(result, turn));
    } else {
      const none = el("p", "no-answer", t.no_answer);
      none.setAttribute("role", "status");
      reply.appendChild(none);
    }
    const fb = feedbackForm(result, entryIndex);
    if (entry.feedback) markRated(fb, entry.feedback, t.feedback_thanks);
    reply.appendChild(fb);
    reply.appendChild(el("h3", "passages-title", t.passages));
    reply.appendChild(passageList(result, turn));
    li.appendChild(reply);
    return li;
  }

  function renderError(question, message) {
    const li = el("li", "turn");
    li.appendChild(questionBubble(question));
    const err = el("p", "error", `${t.error}: ${message}`);
    err.setAttribute("role", "alert");
    li.appendChild(err);
    return li;
  }

  function pendingTurn(question) {
    const li = el("li", "turn pending");
    li.appendChild(questionBubble(question));
    const wait = el("p", "thinking", t.asking);
    wait.setAttribute("role", "status");
    li.appendChild(wait);
    return li;
  }

  function setBusy(busy) {
    button.disabled = busy;
    form.setAttribute("aria-busy", String(busy));
    conversation.setAttribute("aria-busy", String(busy));
    status.hidden = true;
  }

  const history = loadHistory();
  const render = (entry, n) => (entry.result ? renderTurn(entry, n) : renderError(entry.question, entry.error));
  const first = conversation.firstChild;
  history.forEach((entry, n) => conversation.insertBefore(render(entry, n), first));
  clear.hidden = history.length === 0;
  for (const copy of conversation.querySelectorAll(".copy")) copy.hidden = false;

  // The turns before this question in the same collection, for a follow-up that leans on them
  // ("它的股票代码是多少？"): each as the server read it, with the answer it gave.
  function earlierTurns(collection) {
    return history
      .filter((e) => e.result && (e.result.collection || "default") === collection)
      .slice(-3)
      .map((e) => ({ question: e.result.read_as?.question || e.result.question, answer: e.result.answer?.text ?? null }));
  }

  // Server-sent events from a fetch body: calls onEvent(name, data) for each complete event.
  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffered += decoder.decode(value || new Uint8Array(), { stream: !done });
      let end;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const fields = Object.fromEntries(block.split("\n").map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]));
        if (fields.data) onEvent(fields.event || "message", JSON.parse(fields.data));
      }
      if (done) return;
    }
  }

  // The passages as soon as they are found, while the reader reads them (the answer replaces this).
  function showPassages(pending, found) {
    const wait = pending.querySelector(".thinking");
    if (wait) wait.textContent = t.reading;
    const reply = el("section", "early-passages");
    reply.appendChild(el("h3", "passages-title", t.passages));
    reply.appendChild(passageList(found, `t${turns + 1}`));
    pending.appendChild(reply);
  }

  async function ask(question) {
    setBusy(true);
    const pending = pendingTurn(question);
    conversation.appendChild(pending);
    pending.scrollIntoView({ behavior: "smooth", block: "end" });
    const collection = picker.options.length ? picker.value : "default";
    const body = { question, history: earlierTurns(collection) };
    // Without a picker (one collection) the server's default collection answers, as before collections.
    if (picker.options.length) body.collection = collection;
    let entry;
    try {
      const response = await fetch("/api/ask", {
        method: "POST",
        headers: { ...API_HEADERS, Accept: "text/event-stream" },
        body: JSON.stringify(body),
      });
      if (response.ok && (response.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
        await readEvents(response, (name, data) => {
          if (name === "passages") showPassages(pending, data);
          else if (name === "answer") entry = { result: data };
          else if (name === "error") entry = { question, error: readable(data, 500) };
        });
        entry = entry || { question, error: t.network_error };
      } else {
        const data = await response.json().catch(() => null);
        if (response.ok && data) entry = { result: data };
        else entry = { question, error: readable(data, response.status) };
      }
    } catch {
      entry = { question, error: t.network_error };
    } finally {
      setBusy(false);
    }
    history.push(entry);
    saveHistory(history);
    const node = render(entry, history.length - 1);
    pending.replaceWith(node);
    clear.hidden = false;
    node.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function markRated(f, rating, message) {
    for (const b of f.querySelectorAll("button.fb")) {
      b.disabled = true;
      if (b.classList.contains(`fb-${rating}`)) b.setAttribute("aria-pressed", "true");
    }
    f.querySelector(".fb-status").textContent = message;
  }

  async function sendFeedback(f, rating) {
    const data = new FormData(f);
    const body = {
      question: data.get("question"), rating, answer: data.get("answer") || null,
      // A correction typed before a thumbs up is not what the thumbs up says, so it is not sent.
      passage_id: data.get("passage_id") || null, correction: rating === "down" ? data.get("correction") || null : null,
      passages: data.getAll("passages"), token: data.get("token"),
    };
    const out = f.querySelector(".fb-status");
    out.classList.remove("error");
    try {
      const response = await fetch("/api/feedback", {
        method: "POST", headers: API_HEADERS, body: JSON.stringify(body),
      });
      const reply = await response.json().catch(() => null);
      if (!response.ok) throw new Error(readable(reply, response.status));
    } catch (err) {
      out.classList.add("error");
      out.textContent = `${t.feedback_failed}: ${err instanceof TypeError ? t.network_error : err.message}`;
      return;
    }
    markRated(f, rating, t.feedback_thanks);
    const entry = history[Number(f.dataset.entry)];
    if (entry) { entry.feedback = rating; saveHistory(history); }
  }

  conversation.addEventListener("submit", (event) => {
    const f = event.target.closest("form.feedback");
    if (!f) return;
    event.preventDefault();
    sendFeedback(f, event.submitter?.value === "up" ? "up" : "down");
  });

  conversation.addEventListener("click", (event) => {
    const copy = event.target.closest("button.copy");
    if (!copy) return;
    const text = copy.closest(".answer-card").querySelector(".answer-text").textContent;
    const done = () => { copy.textContent = t.copied; };
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, () => {});
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = box.value.trim();
    if (!question) {
      status.hidden = false;
      status.textContent = t.empty;
      box.focus();
      return;
    }
    box.value = "";
    ask(question);
  });

  // The collections this page may read (GET /api/collections lists only those, web/access.py); the
  // picker shows when there are several. ?collection= (a link from the admin page) picks one, else the
  // last one picked in this tab, else the default collection.
  async function loadCollections() {
    let names;
    try {
      const response = await fetch("/api/collections", { headers: API_HEADERS });
      if (!response.ok) return;
      names = ((await response.json())?.collections || []).map((c) => c.name);
    } catch {
      return;  // a server without collections: no picker
    }
    if (names.length < 2) return;
    let stored = null;
    try { stored = sessionStorage.getItem(PICKED); } catch { /* storage off */ }
    const wanted = [new URLSearchParams(location.search).get("collection"), stored, "default"].find((n) => names.includes(n));
    for (const name of names) picker.appendChild(new Option(name, name, false, name === (wanted ?? names[0])));
    picker.parentElement.hidden = false;
  }

  picker.addEventListener("change", () => {
    try { sessionStorage.setItem(PICKED, picker.value); } catch { /* storage off */ }
  });

  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (!button.disabled) form.requestSubmit();
    }
  });

  clear.addEventListener("click", () => {
    history.length = 0;
    saveHistory(history);
    conversation.replaceChildren();
    clear.hidden = true;
    box.focus();
  });

  loadCollections();
})();
