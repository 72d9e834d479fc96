// The editor page: lists the documents and adds, replaces and removes them with PUT and DELETE /api/documents/<id>.
// The admin token lives in sessionStorage only (gone when the tab closes); text from the server only ever enters
// the page through textContent.

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

const TOKEN_KEY = "qa-admin-token";
const documentsUrl = main.dataset.documentsUrl;
const maxBytes = Number(main.dataset.maxBytes);
// The formats the server reads (qa_service/formats.py): the media type to send a file as, by its extension.
const mediaTypes = JSON.parse(main.dataset.mediaTypes);
const fileKinds = main.dataset.fileKinds;
// The id rule (qa_service/documents.py): the id field's pattern and length, and the characters an id may hold.
const idPattern = new RegExp(uploadId.pattern, "u");
const idMaxChars = uploadId.maxLength;
const notIdCharacters = new RegExp(`[^${main.dataset.idCharacters}]+`, "gu");

let pendingUpload = null;

function say(message, kind = "info") {
  statusLine.textContent = message;
  statusLine.dataset.kind = kind;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function showTokenState() {
  tokenState.textContent = token()
    ? "A token is entered for this tab; it is forgotten when the tab is closed."
    : "No token entered: the list can be read, but changes need the token. It is kept in this tab only.";
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

// "Annual report (2024).md" -> "Annual-report-2024": an id the server accepts.
function idFromFileName(fileName) {
  const stem = fileName.replace(/\.[^.]*$/, "");
  return stem.replace(notIdCharacters, "-").replace(/^[-.]+|[-.]+$/g, "").slice(0, idMaxChars);
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
    say(`${saved.created ? "Added" : "Replaced"} ${saved.id} (version ${saved.version}): “${saved.title}”.`);
    await loadDocuments();
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

tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const value = tokenInput.value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  tokenInput.value = "";
  showTokenState();
  say("Token entered for this tab.");
});

forgetButton.addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  tokenInput.value = "";
  showTokenState();
  say("Token forgotten.");
});

uploadForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const file = uploadFile.files[0];
  if (!file) return;
  const id = uploadId.value.trim() || idFromFileName(file.name);
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

showTokenState();
loadDocuments();
