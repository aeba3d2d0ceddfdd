// Chat page behaviour: ask over the JSON API, render answers with highlights, keep history in the
// browser session. Every piece of corpus text goes into the page through textContent, never HTML.
(() => {
  "use strict";
  const app = document.getElementById("app");
  if (!app) return;
  const t = JSON.parse(app.dataset.i18n);
  const form = document.getElementById("ask-form");
  const box = document.getElementById("question");
  const button = document.getElementById("ask-button");
  const conversation = document.getElementById("conversation");
  const status = document.getElementById("status");
  const clear = document.getElementById("clear");
  const KEY = "ragqa.history";
  const KINDS = ["answer", "sentence", "term"];

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

  // Offsets from the API are Unicode code points; Array.from splits a JS string into code points.
  function highlighted(text, highlights) {
    const chars = Array.from(text);
    const layers = chars.map(() => new Set());
    for (const h of highlights) {
      for (let i = Math.max(0, h.start); i < Math.min(chars.length, h.end); i++) layers[i].add(h.kind);
    }
    const frag = document.createDocumentFragment();
    let i = 0;
    while (i < chars.length) {
      const key = KINDS.filter((k) => layers[i].has(k)).join(" ");
      let j = i;
      while (j < chars.length && KINDS.filter((k) => layers[j].has(k)).join(" ") === key) j++;
      const chunk = chars.slice(i, j).join("");
      if (key) {
        const node = el(key.includes("answer") ? "mark" : "span", key.split(" ").map((k) => "hl-" + k).join(" "), chunk);
        frag.appendChild(node);
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

  function renderTurn(result) {
    const li = el("li", "turn");
    li.appendChild(questionBubble(result.question));
    const reply = el("div", "reply");
    const byId = Object.fromEntries(result.passages.map((p) => [p.id, p]));
    if (result.answer) {
      const card = el("div", "answer-card");
      const label = el("div", "answer-label", t.answer + " ");
      label.appendChild(el("span", "confidence", `${t.confidence} ${Math.round(result.answer.score * 100)}%`));
      const copy = el("button", "link copy", t.copy_answer);
      copy.type = "button";
      copy.addEventListener("click", () => {
        navigator.clipboard?.writeText(result.answer.text).then(() => { copy.textContent = t.copied; }, () => {});
      });
      label.appendChild(copy);
      card.appendChild(label);
      card.appendChild(el("p", "answer-text", result.answer.text));
      const source = byId[result.answer.passage_id];
      if (source) {
        const ctx = el("p", "answer-context");
        ctx.appendChild(highlighted(source.text, source.highlights));
        card.appendChild(ctx);
      }
      reply.appendChild(card);
    } else {
      const none = el("p", "no-answer", t.no_answer);
      none.setAttribute("role", "status");
      reply.appendChild(none);
    }
    reply.appendChild(el("h3", "passages-title", t.passages));
    const list = el("ol", "passages");
    result.passages.forEach((p, n) => {
      const item = el("li", "passage");
      const details = el("details");
      if (n === 0) details.open = true;
      const summary = el("summary");
      summary.appendChild(el("span", "cite", `[${n + 1}]`));
      summary.appendChild(document.createTextNode(" "));
      summary.appendChild(el("span", "ptitle", p.title));
      if (p.section) {
        summary.appendChild(document.createTextNode(" · "));
        summary.appendChild(el("span", "psection", p.section));
      }
      details.appendChild(summary);
      const text = el("p", "ptext");
      text.appendChild(highlighted(p.text, p.highlights));
      details.appendChild(text);
      details.appendChild(el("p", "meta", `${t.source}: ${p.source.path} · ${p.source.start}–${p.source.end}`));
      item.appendChild(details);
      list.appendChild(item);
    });
    reply.appendChild(list);
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

  function setBusy(busy) {
    button.disabled = busy;
    form.setAttribute("aria-busy", String(busy));
    status.hidden = !busy;
    status.textContent = busy ? t.asking : "";
  }

  const history = loadHistory();
  const first = conversation.firstChild;
  for (const item of history) {
    conversation.insertBefore(item.result ? renderTurn(item.result) : renderError(item.question, item.error), first);
  }
  clear.hidden = history.length === 0;

  async function ask(question) {
    setBusy(true);
    let entry;
    try {
      const response = await fetch("/api/ask", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ question }),
      });
      const data = await response.json().catch(() => null);
      if (response.ok && data) entry = { result: data };
      else entry = { question, error: data?.error?.message || `HTTP ${response.status}` };
    } catch {
      entry = { question, error: t.network_error };
    } finally {
      setBusy(false);
    }
    const node = entry.result ? renderTurn(entry.result) : renderError(question, entry.error);
    conversation.appendChild(node);
    history.push(entry);
    saveHistory(history);
    clear.hidden = false;
    node.scrollIntoView({ behavior: "smooth", block: "start" });
  }

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

  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  clear.addEventListener("click", () => {
    history.length = 0;
    saveHistory(history);
    conversation.replaceChildren();
    clear.hidden = true;
    box.focus();
  });
})();
