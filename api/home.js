"use strict";
// docent's home page: a small client of the public GraphQL API (queries and uploads over
// HTTP, progress and answers over WebSocket, graphql-transport-ws) and of the page-preview
// endpoint. No external script, no framework. Text from the server only ever reaches the
// page as text nodes (textContent, createTextNode), never as HTML.
const endpoint = new URL("/graphql", location.href).toString();
const wsEndpoint = endpoint.replace(/^http/, "ws");
const $ = (id) => document.getElementById(id);
// Items per page of the documents and conversations lists, and messages per page of a
// thread: ?pageSize=N (1 to 100), else 50 (a thread: 100).
const PAGE_SIZE = Math.min(100, Math.max(1, Number(new URLSearchParams(location.search).get("pageSize")) || 50));

/* ---------------------------------------------------------------- transport */

// With DOCENT_AUTH=dev or oidc every request carries a bearer token, kept for this tab only.
function token() { return sessionStorage.getItem("docent-token") || ""; }
function auth(headers) { return token() ? { ...headers, authorization: `Bearer ${token()}` } : headers; }
// A refusal reopens the sign-in form only when the request carried the tab's current token:
// a request sent before the user signed in may be refused after, and must not undo it.
function needToken(sent = token()) {
  if (sent === token()) $("signin").hidden = false;
  return new Error("sign in: paste a token at the top of the page");
}
$("signin").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem("docent-token", $("token").value.trim());
  $("signin").hidden = true;
  loadDocuments();
  loadConversations();
});

async function graphql(query, variables) {
  const sent = token();
  const response = await fetch(endpoint, {
    method: "POST", headers: auth({ "content-type": "application/json" }),
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) throw needToken(sent);
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map(e => e.message).join("; "));
  return body.data;
}

// The first userError of a mutation's payload as an Error, or nothing.
function userError(payload) {
  const e = payload.userErrors && payload.userErrors[0];
  return e ? new Error(`${e.code}: ${e.message}`) : null;
}

// Live operations share WebSockets (graphql-transport-ws multiplexes them by id): docent
// allows a user a few sockets (DOCENT_WS_SOCKETS_PER_USER, then 2 new ones a second) but 20
// operations on each (MAX_SUBSCRIPTIONS_PER_SOCKET, api/app.py), so a new socket is opened
// only when every open one carries 20. A socket left without operations closes after
// IDLE_MS, so that a burst of watches after an upload reuses it.
const OPERATIONS_PER_SOCKET = 20;
const IDLE_MS = 5000;
const sockets = [];
let operationIds = 0;

// Rejects a live operation whose socket was refused or lost: the caller may read instead.
class SocketLost extends Error {}

function openSocket() {
  const ws = new WebSocket(wsEndpoint, "graphql-transport-ws");
  const socket = { ws, operations: new Map(), open: true, idle: null };
  socket.ready = new Promise((resolve, reject) => { socket.acked = resolve; socket.refused = reject; });
  socket.ready.catch(() => {});  // each operation hears of a refusal through its own handler
  const sent = token();
  const payload = sent ? { authorization: `Bearer ${sent}` } : {};
  ws.onopen = () => ws.send(JSON.stringify({ type: "connection_init", payload }));
  ws.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.type === "connection_ack") socket.acked();
    else if (data.type === "ping") ws.send(JSON.stringify({ type: "pong" }));
    else if (socket.operations.has(data.id)) socket.operations.get(data.id)(data);
  };
  // A close always follows an error: the operations are told there, once.
  ws.onclose = (event) => {
    socket.open = false;
    if (sockets.includes(socket)) sockets.splice(sockets.indexOf(socket), 1);
    const error = event.code === 4403 || event.code === 4401 ? needToken(sent)
      : new SocketLost(`the connection to docent closed (${event.code}${event.reason ? `: ${event.reason}` : ""})`);
    socket.refused(error);
    for (const handle of [...socket.operations.values()]) handle({ type: "lost", error });
  };
  sockets.push(socket);
  return socket;
}

function release(socket, id) {
  socket.operations.delete(id);
  if (socket.operations.size || !socket.open) return;
  clearTimeout(socket.idle);
  socket.idle = setTimeout(() => { if (!socket.operations.size) socket.ws.close(1000); }, IDLE_MS);
}

// Runs one subscription, calling onData with each event's data; resolves when it completes,
// rejects with the server's error, or with SocketLost when its socket was refused or lost.
function subscribe(query, variables, onData) {
  return new Promise((resolve, reject) => {
    const socket = sockets.find(s => s.open && s.operations.size < OPERATIONS_PER_SOCKET) || openSocket();
    clearTimeout(socket.idle);
    const id = String(++operationIds);
    socket.operations.set(id, (data) => {
      if (data.type === "next") {
        if (!data.payload.errors) { onData(data.payload.data); return; }
        release(socket, id);
        if (socket.open) socket.ws.send(JSON.stringify({ id, type: "complete" }));
        reject(new Error(data.payload.errors[0].message));
      } else if (data.type === "error") {
        const error = new Error(data.payload.map(e => e.message).join("; "));
        error.code = data.payload[0] && data.payload[0].extensions && data.payload[0].extensions.code;
        release(socket, id); reject(error);
      } else if (data.type === "complete") {
        release(socket, id); resolve();
      } else if (data.type === "lost") {
        socket.operations.delete(id); reject(data.error);
      }
    });
    socket.ready.then(
      () => socket.ws.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } })),
      () => {},
    );
  });
}

/* ---------------------------------------------------------------- small DOM helpers */

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key === "on") for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else if (key in node && !key.includes("-")) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter(c => c !== null && c !== undefined && c !== false));
  return node;
}
// A button whose visible text is `label`, and whose accessible name adds `about` (hidden).
function actionButton(label, about, onClick, cls = "secondary small") {
  return el("button", { type: "button", class: cls, on: { click: onClick } }, label, el("span", { class: "vh" }, ` ${about}`));
}
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// `text` as nodes, with every word in `terms` (lower case) wrapped in <mark>.
function marked(text, terms) {
  const words = [...terms].filter(t => t.length > 1).sort((a, b) => b.length - a.length)
    .map(t => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (!words.length) return [document.createTextNode(text)];
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${words.join("|")})(?![\\p{L}\\p{N}])`, "giu");
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    nodes.push(document.createTextNode(text.slice(last, match.index)), el("mark", {}, match[0]));
    last = match.index + match[0].length;
  }
  nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}
// The words to mark for `query`: its own words and those the server matched (its
// highlights wrap them in <em>…</em>, the words stemmed as the index stems them).
function hitTerms(query, highlights) {
  const terms = new Set(query.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []);
  for (const fragment of highlights || []) {
    for (const m of fragment.matchAll(/<em>(.*?)<\/em>/g)) terms.add(m[1].toLowerCase());
  }
  return terms;
}

/* ---------------------------------------------------------------- dialogs */

// Opens `dialog` as a modal (the browser keeps focus inside it and closes it on Escape);
// on close, focus goes back to what opened it.
function openDialog(dialog) {
  const opener = document.activeElement;
  dialog.addEventListener("close", () => { if (opener && opener.isConnected) opener.focus(); }, { once: true });
  dialog.showModal();
}
for (const button of document.querySelectorAll("dialog [data-close]")) {
  button.addEventListener("click", () => button.closest("dialog").close());
}

// Asks to confirm a deletion; resolves true when confirmed.
function confirmDelete(text) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  dialog.returnValue = "";
  openDialog(dialog);
  dialog.querySelector("button[value=cancel]").focus();  // the choice that loses nothing
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
}

// The editor dialog for a title (and tags, unless `tags` is null); `save(title, tags)`
// resolves when saved or throws an Error whose message is shown in the dialog.
function edit(heading, title, tags, save) {
  const dialog = $("editor");
  $("editor-heading").textContent = heading;
  $("edit-title").value = title;
  $("edit-tags").value = (tags || []).join(", ");
  $("edit-tags").parentElement.hidden = tags === null;
  $("edit-error").textContent = "";
  $("edit-form").onsubmit = async (event) => {
    event.preventDefault();
    const newTags = $("edit-tags").value.split(",").map(t => t.trim()).filter(Boolean);
    try {
      await save($("edit-title").value.trim(), tags === null ? null : newTags);
      dialog.close();
    } catch (error) {
      $("edit-error").textContent = error.message;
    }
  };
  openDialog(dialog);
  $("edit-title").focus();
}

/* ---------------------------------------------------------------- page previews */

const preview = { regions: [], page: 1, pages: 1, url: "" };

// The preview PNG of `page` as a data: URL, fetched with the Authorization header (an
// <img src> could not send it), at the width the dialog shows, in device pixels.
async function pageImage(url, page) {
  const width = Math.min(2000, Math.max(400, Math.round(($("preview").clientWidth || 800) * (devicePixelRatio || 1) / 100) * 100));
  const target = new URL(url.replace(/\/pages\/\d+\.png/, `/pages/${page}.png`), location.href);
  target.searchParams.set("width", String(width));
  const sent = token();
  const response = await fetch(target, { headers: auth({}) });
  if (response.status === 401) throw needToken(sent);
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    // The file endpoints answer {"errors": [{"message", "extensions": {"code"}}]}.
    const error = (body.errors || [])[0];
    throw new Error(error ? `${(error.extensions || {}).code || response.status}: ${error.message}` : `preview failed (${response.status})`);
  }
  const blob = await response.blob();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error("the preview could not be read"));
    reader.readAsDataURL(blob);
  });
}

async function showPage(page) {
  preview.page = page;
  const view = $("page-view");
  view.querySelectorAll(".region").forEach(r => r.remove());
  $("page-label").textContent = `Page ${page} of ${preview.pages}`;
  $("page-prev").disabled = page <= 1;
  $("page-next").disabled = page >= preview.pages;
  const image = $("page-image");
  image.alt = `Page ${page} of ${$("preview-title").textContent}`;
  $("preview-note").textContent = "Loading the page…";
  try {
    image.src = await pageImage(preview.url, page);
    await image.decode().catch(() => {});
    $("preview-note").textContent = "";
  } catch (error) {
    $("preview-note").textContent = error.message;
    return;
  }
  if (preview.page !== page) return;  // another page was asked for meanwhile
  const here = preview.regions.filter(r => r.page === page);
  for (const r of here) {
    const box = el("div", { class: "region", "aria-hidden": "true" });
    box.style.left = `${r.x0 * 100}%`;
    box.style.top = `${r.y0 * 100}%`;
    box.style.width = `${(r.x1 - r.x0) * 100}%`;
    box.style.height = `${(r.y1 - r.y0) * 100}%`;
    view.append(box);
  }
  if (here.length) {
    $("preview-note").textContent = `The passage is highlighted on page ${page}.`;
    // A tall page (a long scan, a receipt) puts the passage below the fold: show it.
    view.querySelector(".region").scrollIntoView({ block: "center", inline: "nearest" });
  }
}
$("page-prev").addEventListener("click", () => showPage(preview.page - 1));
$("page-next").addEventListener("click", () => showPage(preview.page + 1));

function pages(chunk) {
  if (!chunk.page) return "";
  return chunk.pageEnd && chunk.pageEnd !== chunk.page ? `pages ${chunk.page}–${chunk.pageEnd}` : `page ${chunk.page}`;
}

// Opens a passage: its page preview with its regions highlighted when it has pages that
// render (PDFs, images), else where it is (page number, section) and its text.
// `source`: { title, chunk: {page, pageEnd, section, text, pageUrl, regions}, pageCount }.
function openSource(source) {
  const { chunk } = source;
  $("preview-title").textContent = [source.title, pages(chunk), chunk.section].filter(Boolean).join(", ");
  $("preview-text").textContent = chunk.text || "";
  const hasPages = Boolean(chunk.pageUrl);
  $("page-view").hidden = !hasPages;
  document.querySelector("#preview .pager").hidden = !hasPages;
  $("preview-note").textContent = hasPages ? "" : (chunk.page ? `On ${pages(chunk)} (no preview for this format).` : "This format has no pages.");
  openDialog($("preview"));
  if (!hasPages) return;
  preview.url = chunk.pageUrl;
  preview.regions = chunk.regions || [];
  preview.pages = Math.max(source.pageCount || 1, chunk.pageEnd || 1, chunk.page || 1);
  const first = preview.regions.length ? Math.min(...preview.regions.map(r => r.page)) : chunk.page;
  showPage(first || 1);
}

/* ---------------------------------------------------------------- documents */

const DOC_FIELDS = "id title status chunkCount tags pageCount error { code message }";
const UPLOAD = `mutation($file: Upload!) { uploadDocument(file: $file) {
  document { ${DOC_FIELDS} } deduplicated similarTo { title } userErrors { code message } } }`;
const WATCH = `subscription($id: ID!) { documentEvents(id: $id) {
  status stage current total error { code message } document { ${DOC_FIELDS} } } }`;
const LIST = `query($first: Int!, $after: String, $filter: DocumentFilter) {
  documents(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { ${DOC_FIELDS} } } } }`;
const UPDATE = `mutation($id: ID!, $title: String, $tags: [String!]) {
  updateDocument(id: $id, title: $title, tags: $tags) { document { ${DOC_FIELDS} } userErrors { code message } } }`;
const DELETE = `mutation($id: ID!) { deleteDocument(id: $id) { deletedDocumentId userErrors { code message } } }`;

const list = $("documents");
const rows = new Map();
const knownTags = new Set();
let listCursor = null;
let listGeneration = 0;
let listTotal = 0;

function showCount(change = 0) {
  listTotal += change;
  $("doc-count").textContent = Object.keys(documentFilter()).length
    ? plural(listTotal, "document matches", "documents match") : plural(listTotal, "document", "documents");
}

function row(id, title, { prepend = true } = {}) {
  let li = rows.get(id);
  if (!li) {
    li = el("li", { "data-id": id },
      el("span", { class: "title" }, title), el("span", { class: "status" }),
      el("span", { class: "reason" }), el("div", { class: "tags" }), el("div", { class: "actions" }));
    if (prepend) list.prepend(li); else list.append(li);
    rows.set(id, li);
  }
  return li;
}

function show(li, status, detail, reason) {
  const badge = li.querySelector(".status");
  badge.className = `status ${status}`;
  badge.textContent = detail ? `${status} · ${detail}` : status;
  li.querySelector(".reason").textContent = reason || "";
}

// Fills a row from a Document: title, status, passages, tags, and its Edit and Delete.
function showDocument(li, doc, detail) {
  li.querySelector(".title").textContent = doc.title;
  const passages = doc.status === "READY" ? plural(doc.chunkCount, "passage", "passages") : "";
  show(li, doc.status, [passages, detail].filter(Boolean).join(" · "), doc.error ? `${doc.error.code}: ${doc.error.message}` : "");
  const tags = li.querySelector(".tags");
  tags.replaceChildren(...doc.tags.map(tag => {
    knownTags.add(tag);
    return el("button", { type: "button", class: "tag", title: `Show documents tagged ${tag}`, on: { click: () => { $("doc-tag").value = tag; loadDocuments(); } } }, tag);
  }));
  $("known-tags").replaceChildren(...[...knownTags].sort().map(tag => el("option", { value: tag })));
  li.querySelector(".actions").replaceChildren(
    actionButton("Edit", doc.title, () => editDocument(li, doc)),
    actionButton("Delete", doc.title, () => deleteDocument(li, doc), "secondary small danger"),
  );
}

const DOCUMENT = `query($id: ID!) { document(id: $id) { ${DOC_FIELDS} } }`;
// How often a row whose live events are lost is read again (ms), until READY or FAILED.
const REREAD_MS = 2000;

// Follows a document's processing in its row: live over a shared socket; when that socket is
// refused (too many for this user) or lost, by reading the document again until it is READY
// or FAILED, so that no row stays QUEUED.
async function watch(id, li) {
  try {
    await subscribe(WATCH, { id }, (data) => {
      const e = data.documentEvents;
      if (e.document && (e.status === "READY" || e.status === "FAILED")) { showDocument(li, e.document); return; }
      const progress = e.total ? `${e.stage.toLowerCase()} ${e.current}/${e.total}` : e.stage.toLowerCase();
      show(li, e.status, e.status === "FAILED" ? "" : progress, e.error ? `${e.error.code}: ${e.error.message}` : "");
    });
  } catch (error) {
    // Refused as one operation too many for this user (RATE_LIMITED): read instead, too.
    if (!(error instanceof SocketLost) && error.code !== "RATE_LIMITED") {
      show(li, "FAILED", "", error.message);
      return;
    }
    await reread(id, li);
  }
}

async function reread(id, li) {
  for (;;) {
    try {
      const doc = (await graphql(DOCUMENT, { id })).document;
      if (!doc) return;  // deleted meanwhile
      if (doc.status === "READY" || doc.status === "FAILED") { showDocument(li, doc); return; }
      show(li, doc.status, "");
    } catch (error) {
      show(li, li.querySelector(".status").textContent.split(" ")[0], "", error.message);
    }
    await new Promise(done => setTimeout(done, REREAD_MS));
  }
}

function notice(text) { $("notice").textContent = text; }

async function upload(file) {
  const li = row(`pending-${file.name}-${Math.random()}`, file.name);
  show(li, "UPLOADING");
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: UPLOAD, variables: { file: null } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", file, file.name);
  try {
    const sent = token();
    const response = await fetch(endpoint, { method: "POST", body: form, headers: auth({ "Apollo-Require-Preflight": "true" }) });
    if (response.status === 401) throw needToken(sent);
    const body = await response.json();
    if (body.errors) throw new Error(body.errors[0].message);
    const payload = body.data.uploadDocument;
    const failed = userError(payload);
    if (failed) { show(li, "FAILED", "", failed.message); return; }
    const doc = payload.document;
    rows.delete(li.dataset.id);
    li.remove();
    if (!rows.has(doc.id)) showCount(1);
    const real = row(doc.id, doc.title);
    if (payload.deduplicated) {
      notice(`“${file.name}” was already uploaded, as “${doc.title}”: no copy was added.`);
    } else if (payload.similarTo.length) {
      notice(`“${file.name}” was added; you also have ${payload.similarTo.map(d => `“${d.title}”`).join(", ")} with a similar name.`);
    }
    showDocument(real, doc, payload.deduplicated ? "already uploaded" : "");
    if (doc.status === "QUEUED" || doc.status === "PROCESSING") await watch(doc.id, real);
  } catch (error) {
    show(li, "FAILED", "", error.message);
  }
}

function editDocument(li, doc) {
  edit(`Edit “${doc.title}”`, doc.title, doc.tags, async (title, tags) => {
    // Only what changed: a new title or tags queue the document again and spend the budget.
    const sameTags = tags.length === doc.tags.length && tags.every((t, i) => t === doc.tags[i]);
    const data = await graphql(UPDATE, { id: doc.id, title: title === doc.title ? null : title, tags: sameTags ? null : tags });
    const failed = userError(data.updateDocument);
    if (failed) throw failed;
    const updated = data.updateDocument.document;
    showDocument(li, updated);
    if (updated.status === "QUEUED" || updated.status === "PROCESSING") watch(updated.id, li);
  });
}

async function deleteDocument(li, doc) {
  if (!(await confirmDelete(`Delete “${doc.title}”? Its file and passages are removed; answers that cited it keep the citation, marked as deleted.`))) return;
  try {
    const data = await graphql(DELETE, { id: doc.id });
    const failed = userError(data.deleteDocument);
    if (failed) throw failed;
    rows.delete(doc.id);
    li.remove();
    showCount(-1);
    notice(`“${doc.title}” was deleted.`);
    $("documents").focus();
  } catch (error) {
    // The document is as it was: say why it was not deleted, keep its status.
    li.querySelector(".reason").textContent = `Not deleted: ${error.message}`;
  }
}

function documentFilter() {
  const filter = {};
  const title = $("doc-search").value.trim();
  const tag = $("doc-tag").value.trim();
  if (title) filter.titleContains = title;
  if (tag) filter.tags = [tag];
  return filter;
}

// The first page of the documents the filters select (or, with `more`, the next page).
async function loadDocuments(more = false) {
  const generation = more ? listGeneration : ++listGeneration;
  if (!more) { list.textContent = ""; rows.clear(); listCursor = null; }
  try {
    const data = await graphql(LIST, { first: PAGE_SIZE, after: listCursor, filter: documentFilter() });
    if (generation !== listGeneration) return;  // the filters changed meanwhile
    const { edges, pageInfo, totalCount } = data.documents;
    for (const { node } of edges) {
      const li = row(node.id, node.title, { prepend: false });
      showDocument(li, node);
      if (node.status === "QUEUED" || node.status === "PROCESSING") watch(node.id, li);
    }
    listCursor = pageInfo.endCursor;
    $("more").hidden = !pageInfo.hasNextPage;
    listTotal = totalCount;
    showCount();
  } catch (error) {
    list.textContent = error.message;
  }
}
list.tabIndex = -1;
$("more").addEventListener("click", () => loadDocuments(true));
const reload = debounce(() => loadDocuments(), 250);
$("doc-search").addEventListener("input", reload);
$("doc-tag").addEventListener("input", reload);

$("choose").addEventListener("click", () => $("files").click());
$("files").addEventListener("change", () => { for (const f of $("files").files) upload(f); $("files").value = ""; });
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault(); drop.classList.remove("over");
  for (const f of e.dataTransfer.files) upload(f);
});

/* ---------------------------------------------------------------- passages search */

const CHUNK_FIELDS = "id page pageEnd section text pageUrl regions { page x0 y0 x1 y1 }";
const SEARCH = `query($q: String!) { search(input: { query: $q, topK: 10 }) {
  hits { highlights chunk { ${CHUNK_FIELDS} } document { id title pageCount } } } }`;

$("search").addEventListener("submit", async (event) => {
  event.preventDefault();
  const query = $("search-query").value.trim();
  const hits = $("hits");
  hits.textContent = "";
  if (!query) return;
  $("search-status").textContent = "Searching…";
  try {
    const data = await graphql(SEARCH, { q: query });
    const found = data.search.hits;
    $("search-status").textContent = found.length ? plural(found.length, "passage", "passages") + " found" : "Nothing found.";
    for (const hit of found) {
      const source = { title: hit.document.title, chunk: hit.chunk, pageCount: hit.document.pageCount };
      const where = [hit.document.title, pages(hit.chunk), hit.chunk.section].filter(Boolean).join(", ");
      hits.append(el("li", { class: "hit" },
        el("button", { type: "button", class: "link", on: { click: () => openSource(source) } }, where),
        el("blockquote", {}, ...marked(hit.chunk.text.slice(0, 600), hitTerms(query, hit.highlights)))));
    }
  } catch (error) {
    $("search-status").textContent = error.message;
  }
});

/* ---------------------------------------------------------------- conversations */

const ANSWER = `subscription($q: String!, $conversation: ID) { answer(input: { question: $q, conversationId: $conversation }) {
  __typename
  ... on AnswerDelta { text }
  ... on AnswerError { code message }
  ... on AnswerDone { answer { text grounded model conversationId messageId standaloneQuestion
      citations { index document { id title pageCount } chunk { ${CHUNK_FIELDS} } } } } } }`;
const CONVERSATIONS = `query($after: String, $first: Int) { conversations(first: $first, after: $after) { totalCount
  pageInfo { hasNextPage endCursor } edges { node { id title } } } }`;
// The thread's newest messages first (`last`), earlier ones on demand (`before`).
const CONVERSATION = `query($id: ID!, $before: String, $last: Int) { conversation(id: $id) { id title
  messages(last: $last, before: $before) { pageInfo { hasPreviousPage startCursor } edges { node {
  id role text standaloneQuestion feedback { rating }
  citations { index title page section text documentDeleted document { id title pageCount } }
  answer { citations { index document { id title pageCount } chunk { ${CHUNK_FIELDS} } } } } } } } }`;
const RENAME = `mutation($id: ID!, $title: String!) { renameConversation(id: $id, title: $title) { conversation { id title } userErrors { code message } } }`;
const FORGET = `mutation($id: ID!) { deleteConversation(id: $id) { deletedConversationId userErrors { code message } } }`;
const RATE = `mutation($id: ID!, $rating: Rating!) { rateAnswer(messageId: $id, rating: $rating) { message { id feedback { rating } } userErrors { code message } } }`;
const UNRATE = `mutation($id: ID!) { clearRating(messageId: $id) { message { id feedback { rating } } userErrors { code message } } }`;

const current = { id: null, title: "" };
const thread = $("thread");

function setConversation(id, title) {
  current.id = id;
  current.title = title || "";
  $("conversation-title").textContent = id ? current.title : "New conversation";
  $("rename-conversation").hidden = $("delete-conversation").hidden = !id;
  if (!id) $("earlier-messages").hidden = true;
  for (const button of document.querySelectorAll("#conversations button")) {
    button.setAttribute("aria-current", String(button.dataset.id === id));
  }
}

const listed = { after: null };
async function loadConversations(more = false) {
  try {
    const data = await graphql(CONVERSATIONS, { after: more ? listed.after : null, first: PAGE_SIZE });
    const { edges, totalCount, pageInfo } = data.conversations;
    document.querySelector("#history summary").textContent = `Conversations (${totalCount})`;
    const items = edges.map(({ node }) => el("li", {},
      el("button", { type: "button", "data-id": node.id, "aria-current": String(node.id === current.id), on: { click: () => openConversation(node.id) } }, node.title)));
    if (more) $("conversations").append(...items); else $("conversations").replaceChildren(...items);
    listed.after = pageInfo.endCursor;
    $("more-conversations").hidden = !pageInfo.hasNextPage;
    const mine = edges.find(e => e.node.id === current.id);
    if (mine) setConversation(mine.node.id, mine.node.title);
  } catch (error) {
    $("conversations").textContent = error.message;
  }
}
$("more-conversations").addEventListener("click", () => loadConversations(true));

// A citation in a thread: a button that opens its passage. `c`: a Citation (document,
// chunk) or, for a document since deleted, a MessageCitation (title, page, documentDeleted).
function citationItem(c) {
  const li = el("li", { class: "citation", value: c.index });
  if (c.chunk) {
    const where = `${c.document.title}${c.chunk.page ? `, ${pages(c.chunk)}` : ""}${c.chunk.section ? ` — ${c.chunk.section}` : ""}`;
    li.append(
      el("button", { type: "button", class: "link source", on: { click: () => openSource({ title: c.document.title, chunk: c.chunk, pageCount: c.document.pageCount }) } }, where),
      el("blockquote", {}, c.chunk.text.slice(0, 400)));
  } else {
    li.append(el("strong", {}, `${c.title || "A document"}${c.page ? `, page ${c.page}` : ""}`),
      el("span", { class: "muted" }, c.documentDeleted ? " (deleted, or no longer shared with you)" : ""));
    if (c.text) li.append(el("blockquote", {}, c.text.slice(0, 400)));
  }
  return li;
}

function rateButtons(messageId, rating) {
  const box = el("div", { class: "rating", role: "group", "aria-label": "Rate this answer" });
  // Toggles: pressing the pressed one takes the rating back (clearRating); the buttons
  // show what the server now holds, not what was pressed.
  const set = async (value, button) => {
    try {
      const pressed = button.getAttribute("aria-pressed") === "true";
      const data = pressed ? await graphql(UNRATE, { id: messageId }) : await graphql(RATE, { id: messageId, rating: value });
      const payload = pressed ? data.clearRating : data.rateAnswer;
      const failed = userError(payload);
      if (failed) throw failed;
      const now = payload.message.feedback && payload.message.feedback.rating;
      for (const b of box.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.rating === now));
      box.querySelector(".muted").textContent = now ? "Thank you." : pressed ? "Rating removed." : "";
    } catch (error) {
      box.querySelector(".muted").textContent = error.message;
    }
    button.focus();
  };
  for (const [value, label] of [["UP", "Helpful"], ["DOWN", "Not helpful"]]) {
    const button = el("button", { type: "button", class: "secondary small", "data-rating": value, "aria-pressed": String(rating === value) }, label);
    button.addEventListener("click", () => set(value, button));
    box.append(button);
  }
  box.append(el("span", { class: "muted", "aria-live": "polite" }));
  return box;
}

// An answer in the thread (filled as it streams, then by `finish`).
function answerItem() {
  const li = el("li", { class: "assistant" }, el("p", { class: "answer" }), el("p", { class: "standalone" }),
    el("ol", { class: "sources" }), el("div", { class: "model muted" }));
  li.querySelector(".standalone").hidden = true;
  return li;
}
function finish(li, answer, question) {
  li.querySelector(".answer").textContent = answer.text;
  if (answer.standaloneQuestion && question && answer.standaloneQuestion.trim() !== question.trim()) {
    const note = li.querySelector(".standalone");
    note.textContent = `Searched for: ${answer.standaloneQuestion}`;
    note.hidden = false;
  }
  li.querySelector(".sources").replaceChildren(...answer.citations.map(citationItem));
  li.querySelector(".model").textContent = answer.model || "";
  if (answer.messageId) li.append(rateButtons(answer.messageId, answer.rating));
}

// The thread's messages as list items, in order (a question, then its answer).
function threadItems(edges) {
  const items = [];
  let question = "";
  for (const { node } of edges) {
    if (node.role === "USER") {
      question = node.text;
      items.push(el("li", { class: "user" }, node.text));
      continue;
    }
    const li = answerItem();
    items.push(li);
    // The answer's own citations while their documents can be read; the stored ones (a
    // deleted document shown as deleted) for the rest.
    const live = node.answer ? node.answer.citations : [];
    const stored = node.citations.filter(c => !live.some(l => l.index === c.index));
    finish(li, {
      text: node.text, standaloneQuestion: node.standaloneQuestion, messageId: node.id,
      rating: node.feedback && node.feedback.rating,
      citations: [...live, ...stored].sort((a, b) => a.index - b.index),
    }, question);
  }
  return items;
}

const earlier = { before: null };
async function openConversation(id, older = false) {
  try {
    const last = new URLSearchParams(location.search).has("pageSize") ? PAGE_SIZE : 100;
    const data = await graphql(CONVERSATION, { id, before: older ? earlier.before : null, last });
    const conversation = data.conversation;
    if (!conversation) { setConversation(null); thread.textContent = ""; $("earlier-messages").hidden = true; loadConversations(); return; }
    setConversation(conversation.id, conversation.title);
    const { edges, pageInfo } = conversation.messages;
    if (older) thread.prepend(...threadItems(edges)); else thread.replaceChildren(...threadItems(edges));
    earlier.before = pageInfo.startCursor;
    $("earlier-messages").hidden = !pageInfo.hasPreviousPage;
  } catch (error) {
    thread.textContent = error.message;
  }
}
$("earlier-messages").addEventListener("click", () => openConversation(current.id, true));

$("ask").addEventListener("submit", async (event) => {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  $("question").value = "";
  thread.append(el("li", { class: "user" }, question));
  const li = answerItem();
  thread.append(li);
  const text = li.querySelector(".answer");
  text.textContent = "…";
  let started = false;
  try {
    await subscribe(ANSWER, { q: question, conversation: current.id }, (data) => {
      const e = data.answer;
      if (e.__typename === "AnswerDelta") { text.textContent = (started ? text.textContent : "") + e.text; started = true; }
      else if (e.__typename === "AnswerError") text.textContent = `${e.code}: ${e.message}`;
      else if (e.__typename === "AnswerDone") {
        finish(li, e.answer, question);
        if (e.answer.conversationId && e.answer.conversationId !== current.id) {
          setConversation(e.answer.conversationId, question);
        }
        loadConversations();
      }
    });
  } catch (error) {
    text.textContent = error.message;
  }
});

$("new-conversation").addEventListener("click", () => {
  setConversation(null);
  thread.textContent = "";
  $("question").focus();
});
$("rename-conversation").addEventListener("click", () => {
  const id = current.id;
  edit("Rename the conversation", current.title, null, async (title) => {
    const data = await graphql(RENAME, { id, title });
    const failed = userError(data.renameConversation);
    if (failed) throw failed;
    setConversation(id, data.renameConversation.conversation.title);
    await loadConversations();
  });
});
$("delete-conversation").addEventListener("click", async () => {
  const id = current.id;
  if (!(await confirmDelete(`Delete the conversation “${current.title}”, its messages and ratings?`))) return;
  try {
    const data = await graphql(FORGET, { id });
    const failed = userError(data.deleteConversation);
    if (failed) throw failed;
    setConversation(null);
    thread.textContent = "";
    await loadConversations();
    $("new-conversation").focus();
  } catch (error) {
    $("conversation-title").textContent = error.message;
  }
});

loadDocuments();
loadConversations();
