// The editor page: lists the documents and adds, replaces and removes them with PUT and DELETE /api/documents/<id>;
// shows a document's history and restores a version, undoes a removal, lists recent changes, and shows what readers
// asked that the documents could not answer. The admin token lives in sessionStorage only (gone when the tab
// closes); text from the server only ever enters the page through textContent.

const main = document.getElementById("main");
const statusLine = document.getElementById("status");
const tokenForm = document.getElementById("token-form");
const tokenInput = document.getElementById("token");
const tokenState = document.getElementById("token-state");
const forgetButton = document.getElementById("forget-token");
const uploadForm = document.getElementById("upload-form");
const uploadFile = document.getElementById("upload-file");
const uploadId = document.getElementById("upload-id");
const replaceConfirm = document.getElementById("replace-confirm");
const replaceQuestion = document.getElementById("replace-question");
const replaceYes = document.getElementById("replace-yes");
const replaceNo = document.getElementById("replace-no");
const documentsBody = document.getElementById("documents");
const corpusState = document.getElementById("corpus-state");
const skippedList = document.getElementById("skipped");
const historyPanel = document.getElementById("history-panel");
const historyTitle = document.getElementById("history-title");
const versionsList = document.getElementById("versions");
const historyClose = document.getElementById("history-close");
const removedTitle = document.getElementById("removed-title");
const removedState = document.getElementById("removed-state");
const removedList = document.getElementById("removed");
const questionsTitle = document.getElementById("questions-title");
const questionsState = document.getElementById("questions-state");
const questionsChart = document.getElementById("questions-chart");
const questionsSvg = document.getElementById("questions-svg");
const questionsCaption = document.getElementById("questions-chart-caption");
const groupsList = document.getElementById("question-groups");
const unhelpfulList = document.getElementById("unhelpful");
const changesState = document.getElementById("changes-state");
const changesList = document.getElementById("changes");

const TOKEN_KEY = "qa-admin-token";
const documentsUrl = main.dataset.documentsUrl;
const { editorUrl, changesUrl, removedUrl, insightsUrl, handledUrl, chatUrl } = main.dataset;
// The chart's SVG namespace, read from the page's own <svg> rather than spelt out here.
const SVG = questionsSvg.namespaceURI;
const CHART_DAYS = 30;
const maxBytes = Number(main.dataset.maxBytes);
// The formats the server reads (qa_service/formats.py): the media type to send a file as, by its extension.
const mediaTypes = JSON.parse(main.dataset.mediaTypes);
const fileKinds = main.dataset.fileKinds;
// The id rule (qa_service/documents.py): the id field's pattern and length, and the characters an id may hold.
const idPattern = new RegExp(uploadId.pattern, "u");
const idMaxChars = uploadId.maxLength;
const notIdCharacters = new RegExp(`[^${main.dataset.idCharacters}]+`, "gu");

let pendingUpload = null;
let editorName = "";
let historyOf = null; // the document whose history is open: {id, version}

function say(message, kind = "info") {
  statusLine.textContent = message;
  statusLine.dataset.kind = kind;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function showTokenState() {
  tokenState.textContent = token()
    ? `Signed in as ${editorName || "an editor"} for this tab; the token is forgotten when the tab is closed.`
    : "No token entered: the list can be read, but changes need the token. It is kept in this tab only.";
}

function element(name, text = "", className = "") {
  const made = document.createElement(name);
  if (text) made.textContent = text;
  if (className) made.className = className;
  return made;
}

// `more` tells one button of a list from the others to a screen reader ("Undo removal" + " of lithium"). It is added
// after the visible text, never in place of it, so that the name a speech-input user says, the text they see,
// starts the accessible name (WCAG 2.5.3, Label in Name).
function button(label, onClick, more = "") {
  const made = element("button", label, "button button-quiet");
  made.type = "button";
  if (more) made.setAttribute("aria-label", `${label}${more}`);
  made.addEventListener("click", onClick);
  return made;
}

function when(isoTime) {
  return new Date(isoTime).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function askAgainLink(question, url) {
  const link = element("a", "Ask it again");
  link.href = url;
  // The visible text first, as for the buttons (WCAG 2.5.3), then which question it asks.
  link.setAttribute("aria-label", `Ask it again: “${question}”, in the chat page`);
  return link;
}

// A GET that needs the token: the parsed JSON, or null after saying what went wrong.
async function readAsEditor(url, what) {
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token()}`, Accept: "application/json" } });
    if (response.ok) return await response.json();
    say(`${what} could not be loaded: ${await errorMessage(response)}`, "error");
  } catch {
    say(`${what} could not be loaded: the server could not be reached.`, "error");
  }
  return null;
}

async function postAsEditor(url, { body = null, conditions = {} } = {}) {
  const headers = { Authorization: `Bearer ${token()}`, ...conditions };
  if (body) headers["Content-Type"] = "application/json";
  try {
    return await fetch(url, { method: "POST", headers, body: body ? JSON.stringify(body) : null });
  } catch {
    say("The server could not be reached; nothing was changed.", "error");
    return null;
  }
}

function slot(root, name) {
  return root.querySelector(`[data-slot="${name}"]`);
}

function documentUrl(id) {
  return `${documentsUrl}/${encodeURIComponent(id)}`;
}

function mediaTypeOf(fileName) {
  const extension = fileName.includes(".") ? `.${fileName.split(".").pop().toLowerCase()}` : "";
  return Object.hasOwn(mediaTypes, extension) ? mediaTypes[extension] : null;
}

// The shortest id made from a file name: anything shorter says more about what was dropped than about the file.
const MIN_DERIVED_ID_CHARS = 2;

// "Annual report (2024).md" -> "Annual-report-2024", "Über Ärzte.txt" -> "Uber-Arzte": an id the server accepts.
// Letters are transliterated first (NFKD splits "ü" into "u" and a combining diaeresis, which is dropped), so that
// an accented name keeps its letters instead of losing them to "-". "" when too little of the name is left (a name
// in another script, say): the editor is then asked for an id rather than given an invented one.
function idFromFileName(fileName) {
  const stem = fileName.replace(/\.[^.]*$/, "").normalize("NFKD").replace(/\p{M}+/gu, "");
  const id = stem.replace(notIdCharacters, "-").replace(/^[-.]+|[-.]+$/g, "").slice(0, idMaxChars)
    .replace(/[-.]+$/, "");
  return id.replace(/[^A-Za-z0-9]/g, "").length >= MIN_DERIVED_ID_CHARS ? id : "";
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) return body.error.message;
  } catch {
    // Not the API's JSON error (a proxy's page, say): the status says enough.
  }
  return `The server answered ${response.status} ${response.statusText}.`;
}

async function write(method, id, { body = null, mediaType = null, conditions = {} } = {}) {
  if (!token()) {
    say("Enter the admin token first.", "error");
    tokenInput.focus();
    return null;
  }
  const headers = { Authorization: `Bearer ${token()}`, ...conditions };
  if (mediaType) headers["Content-Type"] = mediaType;
  try {
    return await fetch(documentUrl(id), { method, headers, body });
  } catch {
    say("The server could not be reached; nothing was changed.", "error");
    return null;
  }
}

async function explainFailure(response, id) {
  const message = await errorMessage(response);
  if (response.status === 401) {
    say(`The token was refused: ${message}`, "error");
  } else if (response.status === 412) {
    say(`${id} was changed by someone else since the list was loaded; the list is reloaded, try again.`, "error");
    await loadDocuments();
  } else {
    say(message, "error");
  }
}

async function upload(file, id, conditions) {
  const mediaType = mediaTypeOf(file.name);
  if (!mediaType) {
    say(`${file.name} is not a ${fileKinds} file.`, "error");
    return;
  }
  if (file.size > maxBytes) {
    say(`${file.name} is ${formatSize(file.size)}; the limit is ${formatSize(maxBytes)}.`, "error");
    return;
  }
  say(`Saving ${id}…`);
  const response = await write("PUT", id, { body: file, mediaType, conditions });
  if (!response) return;
  if (response.ok) {
    const saved = await response.json();
    // Files of the id the service could not serve were moved, not deleted: the editor learns where.
    const setAside = (saved.set_aside || []).map((where) => ` ${where} held this id but could not be served; it was ` +
      "moved there on the server, not deleted.").join("");
    say(`${saved.created ? "Added" : "Replaced"} ${saved.id} (version ${saved.version}): “${saved.title}”.${setAside}`);
    await loadDocuments();
    await loadEditorViews();
    focusRow(saved.id);
    return;
  }
  if (response.status === 412 && conditions["If-None-Match"] === "*") {
    pendingUpload = { file, id };
    replaceQuestion.textContent = `A document with the id ${id} already exists. Replace it with ${file.name}?`;
    replaceConfirm.hidden = false;
    say(`${id} already exists: confirm to replace it.`);
    replaceYes.focus();
    return;
  }
  await explainFailure(response, id);
}

async function remove(id, version) {
  say(`Removing ${id}…`);
  const response = await write("DELETE", id, { conditions: { "If-Match": `"${version}"` } });
  if (!response) return;
  if (response.status === 204) {
    say(`Removed ${id}.`);
    await loadDocuments();
    await loadEditorViews();
    // The row is gone: the next thing a keyboard user may want is to undo the removal.
    const undo = removedList.querySelector(`[data-id="${CSS.escape(id)}"] button`);
    (undo || removedTitle).focus();
    return;
  }
  await explainFailure(response, id);
}

function documentRow(doc) {
  const row = document.getElementById("document-row").content.firstElementChild.cloneNode(true);
  row.dataset.id = doc.id;
  slot(row, "id").textContent = doc.id;
  slot(row, "title").textContent = doc.title;
  slot(row, "format").textContent = doc.format;
  slot(row, "size").textContent = formatSize(doc.size);
  slot(row, "version").textContent = doc.version;
  const historyButton = slot(row, "history");
  historyButton.setAttribute("aria-label", `History of ${doc.id}`);
  historyButton.addEventListener("click", () => showHistory(doc));
  const replaceInput = slot(row, "replace");
  replaceInput.setAttribute("aria-label", `Replace ${doc.id} with a file`);
  replaceInput.addEventListener("change", () => {
    const file = replaceInput.files[0];
    replaceInput.value = "";
    if (file) upload(file, doc.id, { "If-Match": `"${doc.version}"` });
  });
  const removeButton = slot(row, "remove");
  const confirm = slot(row, "confirm");
  removeButton.setAttribute("aria-label", `Remove ${doc.id}`);
  slot(row, "confirm-question").textContent = `Remove ${doc.id}? Answers will no longer quote it.`;
  removeButton.addEventListener("click", () => {
    removeButton.hidden = true;
    confirm.hidden = false;
    slot(row, "confirm-no").focus();
  });
  slot(row, "confirm-no").addEventListener("click", () => {
    confirm.hidden = true;
    removeButton.hidden = false;
    removeButton.focus();
  });
  slot(row, "confirm-yes").addEventListener("click", () => remove(doc.id, doc.version));
  return row;
}

async function loadDocuments() {
  let listing;
  try {
    const response = await fetch(documentsUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      say(`The list could not be loaded: ${await errorMessage(response)}`, "error");
      return;
    }
    listing = await response.json();
  } catch {
    say("The list could not be loaded: the server could not be reached.", "error");
    return;
  }
  documentsBody.replaceChildren(...listing.documents.map(documentRow));
  const count = listing.documents.length;
  corpusState.textContent = `${count} ${count === 1 ? "document" : "documents"}, corpus version ${listing.corpus_version}.`;
  skippedList.replaceChildren(...listing.skipped.map((skipped) => {
    const item = document.createElement("li");
    item.textContent = `Not served: ${skipped.message}`;
    return item;
  }));
}

function focusRow(id) {
  const row = documentsBody.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
  if (row) slot(row, "history").focus();
}

// --- a document's history -----------------------------------------------------------------------------------

async function showHistory(doc) {
  if (!token()) {
    say("Enter the admin token first.", "error");
    tokenInput.focus();
    return;
  }
  const listing = await readAsEditor(`${documentUrl(doc.id)}/versions`, `The history of ${doc.id}`);
  if (!listing) return;
  // A restore replaces the version this listing shows as served: the row clicked may have been drawn before the
  // editor's own last write (the list reloads after the status says it is saved).
  const served = listing.versions.find((version) => version.current);
  const shown = served ? { ...doc, version: served.version } : doc;
  historyOf = shown;
  historyTitle.textContent = `History of ${doc.id}`;
  versionsList.replaceChildren(...listing.versions.map((version) => {
    const item = element("li", "", "admin-item");
    const by = version.stored_by ? `by ${version.stored_by}` : "not through the editor";
    item.append(element("code", version.version, "admin-id"),
      element("span", ` ${when(version.stored_at)}, ${by}, ${formatSize(version.size)}: “${version.title}”`));
    if (version.current) {
      item.append(element("strong", " (served now)"));
    } else {
      item.append(button("Restore", () => restore(shown, version.version), ` version ${version.version} of ${doc.id}`));
    }
    return item;
  }));
  historyPanel.hidden = false;
  historyTitle.focus();
}

async function restore(doc, version, { undoingRemoval = false } = {}) {
  say(`Restoring ${doc.id}…`);
  const conditions = undoingRemoval ? { "If-None-Match": "*" } : { "If-Match": `"${doc.version}"` };
  const response = await postAsEditor(`${documentUrl(doc.id)}/versions/${encodeURIComponent(version)}/restore`,
    { conditions });
  if (!response) return;
  if (!response.ok) {
    await explainFailure(response, doc.id);
    return;
  }
  const saved = await response.json();
  say(`${undoingRemoval ? "Brought back" : "Restored"} ${saved.id} to version ${saved.version}: “${saved.title}”.`);
  await loadDocuments();
  await loadEditorViews();
  if (undoingRemoval) {
    focusRow(saved.id);
  } else {
    await showHistory({ id: saved.id, version: saved.version });
  }
}

historyClose.addEventListener("click", () => {
  historyPanel.hidden = true;
  if (historyOf) focusRow(historyOf.id);
  historyOf = null;
});

// --- removals, recent changes, reader questions (all need the token) ------------------------------------------

async function loadRemoved() {
  const listing = await readAsEditor(removedUrl, "The removed documents");
  if (!listing) return;
  removedState.textContent = listing.removed.length
    ? "A removal can be undone until the history is purged (QA_HISTORY_DAYS after it)."
    : "No removal to undo.";
  removedList.replaceChildren(...listing.removed.map((removal) => {
    const item = element("li", "", "admin-item");
    item.dataset.id = removal.id;
    item.append(element("code", removal.id, "admin-id"),
      element("span", ` removed ${when(removal.at)}${removal.by ? ` by ${removal.by}` : ""} `),
      button("Undo removal", () => restore({ id: removal.id }, removal.from_version, { undoingRemoval: true }),
        ` of ${removal.id}`));
    return item;
  }));
}

const ACTIONS = { create: "added", replace: "replaced", restore: "restored", delete: "removed" };

async function loadChanges() {
  const listing = await readAsEditor(`${changesUrl}?limit=20`, "The recent changes");
  if (!listing) return;
  changesState.textContent = listing.changes.length ? "The last 20 changes, newest first." : "No change yet.";
  changesList.replaceChildren(...listing.changes.map((change) => {
    const item = element("li", "", "admin-item");
    const versions = [change.from_version, change.to_version].map((v) => v || "none").join(" → ");
    item.append(element("span", `${when(change.at)}: ${change.by || "the command line"} ${ACTIONS[change.action] || change.action} `),
      element("code", change.id, "admin-id"), element("span", ` (${versions})`, "admin-hint"));
    return item;
  }));
}

function drawChart(days) {
  const today = new Date();
  const shown = [];
  const byDay = new Map(days.map((d) => [d.day, d]));
  for (let back = CHART_DAYS - 1; back >= 0; back -= 1) {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - back));
    const key = day.toISOString().slice(0, 10);
    shown.push(byDay.get(key) || { day: key, asked: 0, declined: 0 });
  }
  const highest = Math.max(1, ...shown.map((d) => d.asked));
  const width = 600 / CHART_DAYS;
  const bars = [];
  shown.forEach((d, n) => {
    for (const [kind, value] of [["asked", d.asked], ["declined", d.declined]]) {
      const bar = document.createElementNS(SVG, "rect");
      const height = (value / highest) * 110;
      bar.setAttribute("x", String(n * width + 2));
      bar.setAttribute("y", String(115 - height));
      bar.setAttribute("width", String(width - 4));
      bar.setAttribute("height", String(height));
      bar.setAttribute("class", `admin-chart-${kind}`);
      const title = document.createElementNS(SVG, "title");
      title.textContent = `${d.day}: ${d.asked} asked, ${d.declined} not answered`;
      bar.append(title);
      bars.push(bar);
    }
  });
  const axis = document.createElementNS(SVG, "line");
  for (const [name, value] of [["x1", 0], ["y1", 115], ["x2", 600], ["y2", 115]]) axis.setAttribute(name, String(value));
  axis.setAttribute("class", "admin-chart-axis");
  questionsSvg.replaceChildren(...bars, axis);
  const asked = shown.reduce((sum, d) => sum + d.asked, 0);
  const declined = shown.reduce((sum, d) => sum + d.declined, 0);
  questionsCaption.textContent = `Questions per day over the last ${CHART_DAYS} days: ${asked} asked, ${declined} not `
    + "answered (the darker part of each bar).";
  questionsChart.hidden = false;
}

async function markHandled(body, listItem, what) {
  const response = await postAsEditor(handledUrl, { body });
  if (!response) return;
  if (!response.ok) {
    say(await errorMessage(response), "error");
    return;
  }
  say(`Marked handled: ${what}. It comes back if readers ask it again.`);
  // Focus moves on to the item that takes this one's place (the next), else the one before, else the heading.
  const list = listItem.parentElement;
  const position = [...list.children].indexOf(listItem);
  await loadInsights();
  const target = list.children[position] || list.children[position - 1];
  (target?.querySelector("button") || questionsTitle).focus();
}

function groupItem(group) {
  const item = element("li", "", "admin-item admin-group");
  const [first, ...others] = group.questions;
  const times = `${group.count} ${group.count === 1 ? "time" : "times"}${others.length ? " in all" : ""}`;
  item.append(element("strong", `“${first.question}”`), element("span", ` asked ${times}, last ${when(group.last_seen)} `),
    askAgainLink(first.question, first.ask_url));
  if (others.length) {
    const also = element("ul", "", "admin-sublist");
    also.setAttribute("aria-label", "Also asked as");
    also.append(...others.map((q) => element("li", `“${q.question}” (${q.count})`)));
    item.append(also);
  }
  item.append(button("Mark handled", () => markHandled({ questions: group.questions.map((q) => q.question) }, item,
    `“${first.question}”`), `: “${first.question}”`));
  return item;
}

function unhelpfulItem(vote) {
  const item = element("li", "", "admin-item");
  item.append(element("strong", `“${vote.question}”`), element("span", ` marked unhelpful ${when(vote.voted_at)} `),
    askAgainLink(vote.question, vote.ask_url));
  for (const quote of vote.quotes) {
    const quoted = element("blockquote", quote.text, "admin-quote");
    quoted.append(element("cite", ` — ${quote.document}`));
    item.append(quoted);
  }
  if (!vote.quotes.length) item.append(element("p", "The answer was a decline.", "admin-hint"));
  if (vote.comment) item.append(element("p", `Comment: ${vote.comment}`));
  item.append(button("Mark handled", () => markHandled({ answers: [vote.answer_key] }, item,
    `the answer to “${vote.question}”`), `: the answer to “${vote.question}”`));
  return item;
}

async function loadInsights() {
  const report = await readAsEditor(insightsUrl, "The reader questions");
  if (!report) return;
  if (report.recording === "off") {
    questionsState.textContent = "Questions are not recorded on this server (QA_RECORD_QUESTIONS is off).";
    questionsChart.hidden = true;
  } else {
    const recorded = report.recording === "all" ? "every question" : "questions that were not answered";
    questionsState.textContent = `Recording ${recorded}; never who asked. ${report.votes.helpful} answers marked `
      + `helpful, ${report.votes.unhelpful} unhelpful.`;
    drawChart(report.days);
  }
  groupsList.replaceChildren(...report.groups.map(groupItem));
  if (!report.groups.length) groupsList.replaceChildren(element("li", "None open.", "admin-hint"));
  unhelpfulList.replaceChildren(...report.unhelpful.map(unhelpfulItem));
  if (!report.unhelpful.length) unhelpfulList.replaceChildren(element("li", "None open.", "admin-hint"));
}

async function download(url, filename) {
  if (!token()) {
    say("Enter the admin token first.", "error");
    tokenInput.focus();
    return;
  }
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token()}` } });
    if (!response.ok) {
      say(`The export failed: ${await errorMessage(response)}`, "error");
      return;
    }
    const link = element("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = filename;
    link.click();
    URL.revokeObjectURL(link.href);
    say(`Exported ${filename}.`);
  } catch {
    say("The export failed: the server could not be reached.", "error");
  }
}

for (const exportButton of document.querySelectorAll("[data-export]")) {
  exportButton.addEventListener("click", () => download(exportButton.dataset.export, exportButton.dataset.filename));
}

async function loadEditorViews() {
  if (!token()) return;
  await Promise.all([loadRemoved(), loadChanges(), loadInsights()]);
}

// --- the token ----------------------------------------------------------------------------------------------

// A token is checked as soon as it is entered, so a wrong one is refused before any change is attempted.
async function checkToken(value) {
  try {
    const response = await fetch(editorUrl, { headers: { Authorization: `Bearer ${value}` } });
    if (response.ok) return { name: (await response.json()).name };
    return { refused: await errorMessage(response) };
  } catch {
    return { refused: "the server could not be reached." };
  }
}

tokenForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = tokenInput.value.trim();
  if (!value) return;
  const checked = await checkToken(value);
  if (checked.refused) {
    say(`The token was refused: ${checked.refused}`, "error");
    tokenInput.select();
    tokenInput.focus();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, value);
  editorName = checked.name;
  tokenInput.value = "";
  showTokenState();
  say(`Token accepted: signed in as ${editorName} for this tab.`);
  await loadEditorViews();
});

forgetButton.addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  editorName = "";
  tokenInput.value = "";
  showTokenState();
  for (const list of [removedList, changesList, groupsList, unhelpfulList, versionsList]) list.replaceChildren();
  historyPanel.hidden = true;
  questionsChart.hidden = true;
  say("Token forgotten.");
});

uploadForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const file = uploadFile.files[0];
  if (!file) return;
  const id = uploadId.value.trim() || idFromFileName(file.name);
  if (!id) {
    say(`No id can be made from the name “${file.name}”: enter an id for it.`, "error");
    uploadId.focus();
    return;
  }
  if (!idPattern.test(id)) {
    say(`The id may hold only letters, digits, “.”, “_” and “-” (at most ${idMaxChars}).`, "error");
    uploadId.focus();
    return;
  }
  replaceConfirm.hidden = true;
  upload(file, id, { "If-None-Match": "*" });
});

replaceYes.addEventListener("click", () => {
  replaceConfirm.hidden = true;
  if (pendingUpload) upload(pendingUpload.file, pendingUpload.id, {});
  pendingUpload = null;
});

replaceNo.addEventListener("click", () => {
  replaceConfirm.hidden = true;
  pendingUpload = null;
  say("Nothing was changed.");
});

async function start() {
  if (token()) {
    const checked = await checkToken(token());
    if (checked.refused) {
      sessionStorage.removeItem(TOKEN_KEY);
    } else {
      editorName = checked.name;
    }
  }
  showTokenState();
  await loadDocuments();
  await loadEditorViews();
}

start();
