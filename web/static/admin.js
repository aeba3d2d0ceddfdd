// Admin page behaviour: collections and their documents over the JSON API (/api/collections…).
// Every name, reason and metadata value from the server goes into the page through textContent,
// never HTML. With keys set (data-keyed) the key typed here is kept in this tab's sessionStorage
// and sent as a Bearer token; the server decides what it may do (web/access.py).
(() => {
  "use strict";
  const root = document.getElementById("admin");
  if (!root) return;
  const t = JSON.parse(root.dataset.i18n);
  const keyed = root.dataset.keyed === "1";
  const POLL_MS = Number(root.dataset.poll) || 1500;
  const KEY = "ragqa.admin.key";
  const BUSY = new Set(["queued", "indexing", "deleting"]);
  const $ = (id) => document.getElementById(id);
  const keyForm = $("key-form"), keyInput = $("key"), forget = $("forget-key");
  const message = $("message"), problem = $("problem");
  const collectionsBody = $("collections").tBodies[0];
  const section = $("collection"), title = $("collection-title"), readOnly = $("read-only");
  const upload = $("upload"), drop = $("drop"), fileInput = $("file-input"), metadata = $("metadata");
  const documentsBody = $("documents").tBodies[0];
  const reindex = $("reindex");
  let selected = root.dataset.collection || null;
  let pollTimer = null;

  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : `{${k}}`));
  const storedKey = () => { try { return sessionStorage.getItem(KEY) || ""; } catch { return ""; } };
  const storeKey = (key) => { try { key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY); } catch { /* storage off */ } };

  function say(text) {
    problem.hidden = true;
    message.textContent = text;
    message.hidden = !text;
  }
  function complain(text) {
    message.hidden = true;
    problem.textContent = `${t.error}: ${text}`;
    problem.hidden = false;
  }

  class ApiError extends Error {
    constructor(status, code, text) { super(text); this.status = status; this.code = code; }
  }

  // One call to the JSON API; an error answer becomes an ApiError with a message a person can read.
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const key = storedKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    const init = { method, headers };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, "network", t.network_error);
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const code = data?.error?.code || "http_error";
      const detail = data?.error?.message || `HTTP ${response.status}`;
      const text = t["err_" + code] ? `${t["err_" + code]} (${detail})` : detail;
      if (response.status === 401 && keyed) askForKey();
      throw new ApiError(response.status, code, text);
    }
    return data;
  }

  function askForKey() {
    keyForm.hidden = false;
    keyInput.focus();
  }

  const collectionPath = (name) => `/api/collections/${encodeURIComponent(name)}`;
  const counts = (docs) => Object.entries(docs || {}).filter(([, n]) => n).map(([s, n]) => `${t["status_" + s] || s} ${n}`).join(" · ") || "0";

  async function loadCollections() {
    const data = await api("GET", "/api/collections");
    const rows = data.collections.map((c) => {
      const tr = el("tr");
      tr.dataset.name = c.name;
      if (c.name === selected) tr.className = "selected";
      const name = el("th");
      name.scope = "row";
      const open = el("a", "open-collection", c.name);
      open.href = `?collection=${encodeURIComponent(c.name)}&lang=${root.dataset.lang}`;
      open.dataset.name = c.name;
      name.appendChild(open);
      if (c.read_only) name.append(" ", el("span", "badge", t.read_only));
      tr.append(name, el("td", null, counts(c.documents)), el("td", null, c.passages ?? 0), el("td", "path", c.version ?? "—"));
      return tr;
    });
    collectionsBody.replaceChildren(...rows);
    $("no-collections").hidden = rows.length > 0;
    return data.collections;
  }

  function formatSize(bytes) {
    if (typeof bytes !== "number") return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }
  function formatTime(value) {
    if (value === null || value === undefined || value === "") return "";
    const date = typeof value === "number" ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
    return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString(root.dataset.lang === "zh" ? "zh-CN" : "en");
  }
  function metadataList(meta) {
    const list = el("dl", "metadata");
    for (const [k, v] of Object.entries(meta || {})) list.append(el("dt", null, k), el("dd", null, typeof v === "string" ? v : JSON.stringify(v)));
    return list;
  }

  function documentRow(doc, writable) {
    const tr = el("tr");
    tr.dataset.id = doc.id;
    tr.dataset.status = doc.status;
    const name = el("th", "doc-name", doc.name);
    name.scope = "row";
    const status = el("td");
    status.appendChild(el("span", `badge status-${doc.status}`, t["status_" + doc.status] || doc.status));
    const cells = [name, status, el("td", "reason", doc.reason || ""), el("td"), el("td", null, formatSize(doc.size)),
      el("td", null, formatTime(doc.updated || doc.uploaded))];
    cells[3].appendChild(metadataList(doc.metadata));
    const actions = el("td");
    if (writable && doc.status !== "deleting") {
      const del = el("button", "delete", t.delete);
      del.type = "button";
      del.dataset.id = doc.id;
      del.dataset.name = doc.name;
      del.setAttribute("aria-label", `${t.delete} ${doc.name}`);
      actions.appendChild(del);
    }
    tr.append(...cells, actions);
    return tr;
  }

  async function loadDocuments() {
    if (!selected) return;
    const name = selected;
    const data = await api("GET", `${collectionPath(name)}/documents`);
    if (name !== selected) return;  // another collection was opened meanwhile
    const writable = !section.dataset.readOnly;
    documentsBody.replaceChildren(...data.documents.map((doc) => documentRow(doc, writable)));
    $("no-documents").hidden = data.documents.length > 0;
    // Look again while any document is still on its way; a failure to look stops the polling.
    clearTimeout(pollTimer);
    if (data.documents.some((doc) => BUSY.has(doc.status))) pollTimer = setTimeout(refresh, POLL_MS);
  }

  async function refresh() {
    try {
      await loadDocuments();
      await loadCollections();
    } catch (err) {
      complain(err.message);
    }
  }

  async function openCollection(name, collections) {
    selected = name;
    clearTimeout(pollTimer);
    const url = new URL(location.href);
    url.searchParams.set("collection", name);
    history.replaceState(null, "", url);
    $("to-chat").href = `/?lang=${root.dataset.lang}&collection=${encodeURIComponent(name)}`;  // ask this collection
    for (const tr of collectionsBody.rows) tr.classList.toggle("selected", tr.dataset.name === name);
    const found = (collections || []).find((c) => c.name === name);
    const ro = Boolean(found?.read_only);
    section.dataset.readOnly = ro ? "1" : "";
    title.textContent = `${t.documents}: ${name}`;
    readOnly.hidden = !ro;
    upload.hidden = ro;
    reindex.hidden = ro;
    section.hidden = false;
    documentsBody.replaceChildren();
    await loadDocuments();
  }

  async function start() {
    forget.hidden = !storedKey();
    if (keyed && !storedKey()) { askForKey(); return; }
    try {
      const collections = await loadCollections();
      keyForm.hidden = true;
      if (selected) await openCollection(selected, collections);
    } catch (err) {
      complain(err.message);
    }
  }

  function parsedMetadata() {
    const text = metadata.value.trim();
    if (!text) return null;
    let value;
    try { value = JSON.parse(text); } catch { value = undefined; }
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new ApiError(400, "metadata", t.metadata_invalid);
    return text;
  }

  async function send(files) {
    if (!selected || !files.length) return;
    try {
      const form = new FormData();
      for (const file of files) form.append("file", file, file.name);
      const meta = parsedMetadata();
      if (meta) form.append("metadata", meta);
      say(fill(t.uploading, { n: files.length }));
      const data = await api("POST", `${collectionPath(selected)}/documents`, form);
      say(fill(t.uploaded, { n: data.documents?.length ?? files.length }));
      await refresh();
    } catch (err) {
      complain(err.message);
    } finally {
      fileInput.value = "";
    }
  }

  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    storeKey(keyInput.value.trim());
    keyInput.value = "";
    keyForm.hidden = true;
    say(t.key_held);
    start();
  });
  forget.addEventListener("click", () => {
    storeKey("");
    forget.hidden = true;
    collectionsBody.replaceChildren();
    section.hidden = true;
    say("");
    askForKey();
  });

  $("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("new-name");
    const name = input.value.trim();
    try {
      await api("POST", "/api/collections", { name });
      input.value = "";
      say(fill(t.created, { name }));
      await openCollection(name, await loadCollections());
    } catch (err) {
      complain(err.message);
    }
  });

  collectionsBody.addEventListener("click", async (event) => {
    const link = event.target.closest("a.open-collection");
    if (!link) return;
    event.preventDefault();
    try {
      say("");
      await openCollection(link.dataset.name, await loadCollections());
    } catch (err) {
      complain(err.message);
    }
  });

  documentsBody.addEventListener("click", async (event) => {
    const del = event.target.closest("button.delete");
    if (!del || !window.confirm(fill(t.confirm_delete, { name: del.dataset.name }))) return;
    del.disabled = true;
    try {
      await api("DELETE", `${collectionPath(selected)}/documents/${encodeURIComponent(del.dataset.id)}`);
      say(fill(t.deleting_one, { name: del.dataset.name }));
      await refresh();
    } catch (err) {
      del.disabled = false;
      complain(err.message);
    }
  });

  reindex.addEventListener("click", async () => {
    try {
      await api("POST", `${collectionPath(selected)}/reindex`);
      say(fill(t.reindexing, { name: selected }));
      await refresh();
    } catch (err) {
      complain(err.message);
    }
  });

  fileInput.addEventListener("change", () => send([...fileInput.files]));
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (event) => { event.preventDefault(); drop.classList.add("over"); });
  }
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    send([...(event.dataTransfer?.files || [])]);
  });

  start();
})();
