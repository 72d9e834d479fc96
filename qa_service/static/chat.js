// The chat page: sends each question, with the conversation's earlier questions and the quotes their replies
// showed, to /api/ask and shows the reply; copies quotes, keeps the conversation (in sessionStorage and in the
// address), limits questions to the documents chosen and, when the server records answers, takes a vote on each.
// Text from the corpus only ever enters the page through textContent, so markup in a document shows as text.

const form = document.getElementById("ask-form");
const input = document.getElementById("question");
const askButton = document.getElementById("ask-button");
const newConversationButton = document.getElementById("new-conversation");
const shareButton = document.getElementById("share-conversation");
const undoNotice = document.getElementById("undo-notice");
const undoButton = document.getElementById("undo-new-conversation");
const scope = document.getElementById("scope");
const thread = document.getElementById("thread");
const welcome = document.getElementById("welcome");
const announcer = document.getElementById("announcer");
const counter = document.getElementById("question-count");
const maxHistory = Number(form.dataset.maxHistory);
const documentPage = form.dataset.documentPage;
const feedbackAddress = form.dataset.feedback;
const documentsAddress = form.dataset.documents;
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
const STORAGE_KEY = "qa-conversation";
const RETURN_KEY = "qa-return-to";

// `turns` are the answered questions with their replies, oldest first: they are what a reload restores, what the
// address shares, and what follow-ups are read with. `cleared` holds the turns "New conversation" (or opening a
// shared address) put away, until "Undo" brings them back or the reader asks the next question.
const conversation = { turns: [], request: null, cleared: null };
let contextCount = 0;

function fromTemplate(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

function slot(root, name) {
  return root.querySelector(`[data-slot="${name}"]`);
}

// The API's offsets count Unicode code points, JavaScript strings count UTF-16 units: slice an array of code
// points so that a character outside the Basic Multilingual Plane does not shift every highlight after it.
function sliceText(chars, start, end) {
  return chars.slice(start, end).join("");
}

function mark(text, className) {
  const element = document.createElement("mark");
  element.className = className;
  element.textContent = text;
  return element;
}

function appendHighlighted(parent, text, highlights) {
  const chars = Array.from(text);
  const spans = [...highlights].sort((a, b) => a[0] - b[0]);
  let position = 0;
  for (const [start, end] of spans) {
    if (start < position || end <= start || end > chars.length) continue;
    parent.append(sliceText(chars, position, start), mark(sliceText(chars, start, end), "term"));
    position = end;
  }
  parent.append(sliceText(chars, position, chars.length));
}

function appendContext(parent, quote) {
  const context = quote.context;
  const chars = Array.from(context.text);
  const start = quote.start - context.start;
  const end = quote.end - context.start;
  if (start < 0 || end > chars.length || sliceText(chars, start, end) !== quote.text) {
    parent.append(context.text);
    return;
  }
  parent.append(sliceText(chars, 0, start), mark(quote.text, "quoted"), sliceText(chars, end, chars.length));
}

function setExpanded(toggle, panel, expanded) {
  toggle.setAttribute("aria-expanded", String(expanded));
  slot(toggle, "toggle-label").textContent = expanded ? "Hide context" : "Show in context";
  panel.hidden = !expanded;
}

// The reader page of the quote's document, opened at the quote (document.js reads #q=<start>-<end>).
// It names the document's version, so that the page can say when the document has changed since.
function quoteAddress(quote) {
  const version = quote.document_version ? `?version=${encodeURIComponent(quote.document_version)}` : "";
  return `${documentPage}${encodeURIComponent(quote.document)}${version}#q=${quote.start}-${quote.end}`;
}

// Where in its document the quote sits, after the title: " › Side effects › Rare effects, page 2" (the headings
// above it, top level first, and its page in a PDF); "" when the document has neither.
function citationPlace(quote) {
  const headings = (quote.section || []).map((heading) => ` › ${heading}`).join("");
  return quote.page ? `${headings}, page ${quote.page}` : headings;
}

function renderQuote(quote) {
  const item = fromTemplate("quote-template");
  appendHighlighted(slot(item, "text"), quote.text, quote.highlights || []);
  const link = slot(item, "title-link");
  link.textContent = quote.title || quote.document;
  link.href = quoteAddress(quote);
  link.addEventListener("click", () => rememberReturn(item));
  slot(item, "place").textContent = citationPlace(quote);
  const copyButton = slot(item, "copy");
  copyButton.addEventListener("click", () => copyQuote(quote, copyButton));
  const toggle = slot(item, "toggle");
  const panel = slot(item, "context");
  if (!quote.context) {
    toggle.remove();
    panel.remove();
    return item;
  }
  contextCount += 1;
  panel.id = `context-${contextCount}`;
  toggle.setAttribute("aria-controls", panel.id);
  appendContext(slot(item, "context-text"), quote);
  toggle.addEventListener("click", () => {
    const expanded = toggle.getAttribute("aria-expanded") !== "true";
    setExpanded(toggle, panel, expanded);
    // The paragraph opens below the button, maybe under the question box: bring all of it into view.
    if (expanded) panel.scrollIntoView({ block: "nearest", behavior: reducedMotion.matches ? "auto" : "smooth" });
  });
  return item;
}

// The quote as people paste it: in quotation marks, then the title, the place in the document and the address
// of the quote in its document.
function clipboardItems(quote) {
  const address = new URL(quoteAddress(quote), window.location.href).href;
  const title = quote.title || quote.document;
  const place = citationPlace(quote);
  const plain = `“${quote.text}”\n— ${title}${place}, ${address}`;
  const quoteElement = document.createElement("blockquote");
  quoteElement.append(Object.assign(document.createElement("p"), { textContent: quote.text }));
  const source = document.createElement("p");
  source.append("— ", Object.assign(document.createElement("a"), { href: address, textContent: title }), place);
  return { plain, html: quoteElement.outerHTML + source.outerHTML };
}

async function writeClipboard(plain, html) {
  if (html && window.ClipboardItem) {
    await navigator.clipboard.write([new ClipboardItem({
      "text/plain": new Blob([plain], { type: "text/plain" }),
      "text/html": new Blob([html], { type: "text/html" }),
    })]);
  } else {
    await navigator.clipboard.writeText(plain);
  }
}

function confirmOnButton(button, text) {
  const label = slot(button, "label");
  const original = label.dataset.original || label.textContent;
  label.dataset.original = original;
  label.textContent = text;
  window.setTimeout(() => {
    label.textContent = original;
  }, 2000);
}

async function copyText(button, plain, html, done) {
  try {
    if (!navigator.clipboard) throw new Error("no clipboard");
    await writeClipboard(plain, html);
    confirmOnButton(button, "Copied");
    announce(done);
  } catch {
    // The clipboard is only offered to pages served over HTTPS (or from this computer) and with permission.
    announce("Could not copy: this browser did not allow it here. Select the text and copy it instead.");
    confirmOnButton(button, "Could not copy");
  }
}

function copyQuote(quote, button) {
  const { plain, html } = clipboardItems(quote);
  copyText(button, plain, html, "Quote copied, with its source and link.");
}

function correctionsText(corrections) {
  const pairs = Object.entries(corrections || {});
  if (pairs.length === 0) return "";
  return `Searched for ${pairs.map(([typed, used]) => `‘${used}’ instead of ‘${typed}’`).join(", ")}.`;
}

function listItem(...parts) {
  const item = document.createElement("li");
  item.append(...parts);
  return item;
}

// Where each quote sits and what the answer was read from: what a reader needs to check it, out of the way.
function aboutLines(answer, found, searched) {
  const lines = [];
  const total = scope ? scopeBoxes().length : 0;
  if (searched) lines.push(listItem(`Searched ${searched.length} of the ${total} documents.`));
  else if (total > 1) lines.push(listItem(`Searched all ${total} documents.`));
  if (found) {
    answer.quotes.forEach((quote, i) => {
      const link = document.createElement("a");
      link.href = quoteAddress(quote);
      link.textContent = `characters ${quote.start}–${quote.end}`;
      const which = answer.quotes.length === 1 ? "The quote" : `Quote ${i + 1}`;
      lines.push(listItem(`${which} is `, link, ` of the document “${quote.document}”, counted from 0.`));
    });
    const percent = Math.round(answer.confidence * 100);
    lines.push(listItem(`The service’s confidence that the first quote answers the question: ${percent}%.`));
  }
  lines.push(listItem(`Answered from corpus version ${answer.corpus_version}, which changes whenever a document ` +
    "does."));
  return lines;
}

// Where the quotes a reply showed sit in their documents: sent back with a follow-up, so that its answer says
// something new instead of quoting them again.
function shownQuotes(answer) {
  if (!answer.found) return [];
  return answer.quotes.map(({ document, start, end }) => ({ document, start, end }));
}

// "“Lithium Notes” is no longer in the source": the chosen documents an editor removed while the reader was
// choosing ({id, title} each), left out of the search the answer was asked over.
function goneText(dropped) {
  const names = dropped.map((d) => `“${d.title}”`);
  const listed = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  return `${listed} ${names.length === 1 ? "is" : "are"} no longer in the source`;
}

function droppedText(dropped) {
  if (!dropped?.length) return "";
  return `${goneText(dropped)}, so ${dropped.length === 1 ? "it was" : "they were"} left out of the search.`;
}

// When none of the chosen documents is left, the reader chooses again rather than getting an answer from
// documents they did not choose.
function chooseAgainText(dropped) {
  const left = scopeBoxes().length;
  const next = left > 1 ? `Choose the documents to search in (all ${left} are chosen now), then ask again.` :
    left === 1 ? "Ask again to search the one document left." : "The source holds no document now.";
  return `${goneText(dropped)}, and nothing else you chose is left. ${next}`;
}

// `searched` is the documents the question was limited to ({id, title} each), or null for all of them; `dropped`
// the chosen documents that had been removed from the corpus by the time it was asked.
function renderAnswer(answer, searched, dropped = null) {
  if (answer.small_talk) {
    // The service's own reply to "Hi" or "Thanks!": nothing was searched, so nothing to cite or vote on.
    const note = fromTemplate("note-template");
    slot(note, "message").textContent = answer.message;
    return { reply: note, announcement: answer.message };
  }
  const found = answer.found && answer.quotes.length > 0;
  const reply = fromTemplate(found ? "answer-template" : "declined-template");
  reply.dataset.corpusVersion = answer.corpus_version;
  const scopeLine = slot(reply, "scope");
  scopeLine.hidden = !searched;
  if (searched) scopeLine.textContent = `Searched only ${searched.map((d) => `“${d.title}”`).join(", ")}.`;
  const droppedLine = slot(reply, "dropped");
  droppedLine.textContent = droppedText(dropped);
  droppedLine.hidden = droppedLine.textContent === "";
  const readWith = answer.read_with ? `Read with what you asked before: “${answer.read_with}”` : "";
  const readWithLine = slot(reply, "read-with");
  readWithLine.textContent = readWith;
  readWithLine.hidden = readWith === "";
  const corrections = correctionsText(answer.corrections);
  const correctionsLine = slot(reply, "corrections");
  correctionsLine.textContent = corrections;
  correctionsLine.hidden = corrections === "";
  slot(reply, "about-list").append(...aboutLines(answer, found, searched));
  if (found) {
    slot(reply, "quotes").append(...answer.quotes.map(renderQuote));
    const count = answer.quotes.length === 1 ? "one quotation" : `${answer.quotes.length} quotations`;
    const quotes = answer.quotes.map((quote) => quote.text).join(" ");
    return { reply, announcement: `From the source, ${count}. ${droppedLine.textContent} ${readWith} ${corrections} ` +
      quotes };
  }
  slot(reply, "message").textContent = answer.message || "The source does not answer this question.";
  const message = slot(reply, "message").textContent;
  return { reply, announcement: `Not in the source. ${droppedLine.textContent} ${readWith} ${corrections} ${message}` };
}

// A reader's vote on an answer goes to the editors. The kept vote is `{ helpful, message }`; `helpful` is null
// when the service already had a vote for the answer (from another tab, say) and this one was not counted.
async function sendVote(answerId, helpful, comment) {
  const payload = comment ? { answer_id: answerId, helpful, comment } : { answer_id: answerId, helpful };
  let response;
  try {
    response = await fetch(feedbackAddress, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(payload),
    });
  } catch {
    return { error: "Your vote was not sent: could not reach the service. Try again in a moment." };
  }
  if (response.ok) {
    return { vote: { helpful, message: `Thanks: you marked this answer ${helpful ? "helpful" : "not helpful"}.` } };
  }
  if (response.status === 409) return { vote: { helpful: null, message: "This answer already has a vote." } };
  const reason = (await response.json().catch(() => null))?.error?.message;
  return { error: `Your vote was not sent. ${reason || `The service answered with status ${response.status}.`}` };
}

// "Did this answer help?" under a reply, offered only when the server records answers (the reply then has an
// answer_id). One vote per answer: the vote is kept with the turn, so after a reload the control shows it given.
function renderFeedback(turn) {
  const control = fromTemplate("feedback-template");
  const votes = [...control.querySelectorAll(".feedback-vote")];
  const comment = slot(control, "comment");
  const status = slot(control, "status");
  // The buttons stay focusable (aria-disabled, not disabled), so focus is not lost when a vote is given.
  const setVotable = (votable) => {
    for (const button of votes) button.setAttribute("aria-disabled", String(!votable));
  };
  const showVote = (vote) => {
    setVotable(false);
    for (const button of votes) {
      button.setAttribute("aria-pressed", String(button.dataset.helpful === String(vote.helpful)));
    }
    slot(control, "more").hidden = true;
  };
  if (turn.vote) {
    showVote(turn.vote);
    status.textContent = turn.vote.message;
    return control;
  }
  for (const button of votes) {
    button.addEventListener("click", async () => {
      if (button.getAttribute("aria-disabled") === "true") return;
      setVotable(false);
      const outcome = await sendVote(turn.answer.answer_id, button.dataset.helpful === "true", comment.value.trim());
      if (outcome.vote) {
        turn.vote = outcome.vote;
        saveConversation();
        showVote(outcome.vote);
      } else {
        setVotable(true);
      }
      say(status, outcome.vote ? outcome.vote.message : outcome.error);
    });
  }
  return control;
}

function appendFeedback(reply, turn) {
  if (turn.answer.answer_id) reply.append(renderFeedback(turn));
}

function renderError(message) {
  const reply = fromTemplate("error-template");
  slot(reply, "message").textContent = message;
  return { reply, announcement: `Could not answer. ${message}` };
}

function say(region, text) {
  // Emptying the region first makes a screen reader announce a message even when it repeats the previous one.
  region.textContent = "";
  window.setTimeout(() => {
    region.textContent = text;
  }, 50);
}

function announce(text) {
  say(announcer, text.replace(/\s+/g, " ").trim());
}

function setBusy(busy) {
  form.setAttribute("aria-busy", String(busy));
  thread.setAttribute("aria-busy", String(busy));
  askButton.setAttribute("aria-disabled", String(busy));
  askButton.textContent = busy ? "Asking…" : "Ask";
}

function scrollToTurn(turn) {
  turn.scrollIntoView({ block: "start", behavior: reducedMotion.matches ? "auto" : "smooth" });
}

async function post(payload, signal) {
  const response = await fetch(form.action, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(payload),
    signal,
  });
  const body = await response.json().catch(() => null);
  if (response.ok && body && Array.isArray(body.quotes)) return { answer: body };
  const message = body?.error?.message;
  const code = body?.error?.code;
  if (typeof message === "string" && message) return { error: message, code };
  return { error: `The service answered with status ${response.status}. Try again in a moment.` };
}

// Choosing documents (offered when the corpus has more than one): a question can be limited to some of them.
function scopeBoxes() {
  return [...scope.querySelectorAll("input[name=documents]")];
}

function chosenDocuments() {
  if (!scope) return null;
  const chosen = scopeBoxes().filter((box) => box.checked);
  if (chosen.length === scopeBoxes().length) return null;
  return chosen.map((box) => ({ id: box.value, title: box.dataset.title }));
}

function showScope() {
  const boxes = scopeBoxes();
  // With one document left (the others removed since the page was loaded) there is nothing to choose between.
  scope.hidden = boxes.length < 2;
  const chosen = boxes.filter((box) => box.checked);
  // At least one document stays chosen: a question searched in none could only ever be declined.
  for (const box of boxes) box.disabled = chosen.length === 1 && box.checked;
  scope.querySelector("[data-slot=summary]").textContent = chosen.length === boxes.length ?
    `Searching all ${boxes.length} documents` : `Searching ${chosen.length} of ${boxes.length} documents`;
}

// What the chooser calls each document: its title, with its id after it when another document has the same title
// ("Lithium Notes (lithium-2)"), so that documents of one title can be told apart. The page's template names them
// the same way.
function documentNames(documents) {
  const counts = new Map();
  for (const doc of documents) counts.set(doc.title, (counts.get(doc.title) || 0) + 1);
  return documents.map((doc) => ({
    id: doc.id, title: counts.get(doc.title) > 1 ? `${doc.title} (${doc.id})` : doc.title,
  }));
}

function scopeOption(doc, checked) {
  const box = Object.assign(document.createElement("input"),
    { type: "checkbox", name: "documents", value: doc.id, checked });
  box.dataset.title = doc.title;
  const label = document.createElement("label");
  label.className = "scope-option";
  label.append(box, Object.assign(document.createElement("span"), { textContent: doc.title }));
  return label;
}

// The documents the corpus holds now ({id, title} each), or null when the list could not be read.
async function currentDocuments() {
  try {
    const response = await fetch(documentsAddress, { headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => null);
    return response.ok && Array.isArray(body?.documents) ? body.documents : null;
  } catch {
    return null;
  }
}

// The chooser made again from the corpus as it is now, after a question named a chosen document that an editor
// has since removed. What the reader chose stays chosen; a document added since is not. Returns the chosen
// documents that are gone and whether any chosen one is left (when none is, every document is chosen again, as
// on a first visit, and the reader is asked to choose), or null when the list could not be read.
async function refreshScope() {
  const documents = await currentDocuments();
  if (!documents) return null;
  const ids = new Set(documents.map((doc) => doc.id));
  const chosen = scopeBoxes().filter((box) => box.checked);
  const gone = chosen.filter((box) => !ids.has(box.value)).map((box) => ({ id: box.value, title: box.dataset.title }));
  const kept = new Set(chosen.filter((box) => ids.has(box.value)).map((box) => box.value));
  const fieldset = scope.querySelector("fieldset");
  fieldset.replaceChildren(fieldset.querySelector("legend"),
    ...documentNames(documents).map((doc) => scopeOption(doc, kept.size === 0 || kept.has(doc.id))));
  showScope();
  return { gone, left: kept.size > 0 };
}

// The address of the conversation: /?q=… for one question, every question in the fragment for more (a fragment
// is never sent to the server, so a long conversation makes no long request line), and d=<id> for each document
// the latest question was limited to, so that the address asks them again of the same documents.
function conversationAddress(turns) {
  const path = window.location.pathname;
  if (turns.length === 0) return path;
  const searched = turns[turns.length - 1].searched || [];
  const params = new URLSearchParams([...turns.map((turn) => ["q", turn.question]),
    ...searched.map((d) => ["d", d.id])]);
  return turns.length === 1 ? `${path}?${params}` : `${path}#${params}`;
}

function fromAddress(name) {
  const fromQuery = new URLSearchParams(window.location.search).getAll(name);
  const fromFragment = new URLSearchParams(window.location.hash.slice(1)).getAll(name);
  return [...fromQuery, ...fromFragment].map((value) => value.trim()).filter(Boolean);
}

// An address's d=<id> chooses those documents (ids the corpus no longer has are passed over).
function chooseDocuments(ids) {
  if (!scope || !scopeBoxes().some((box) => ids.includes(box.value))) return;
  for (const box of scopeBoxes()) box.checked = ids.includes(box.value);
  showScope();
}

function readStored(key) {
  try {
    return JSON.parse(window.sessionStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

function writeStored(key, value) {
  try {
    if (value === null) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage may be full or turned off: the conversation goes on, it just will not survive a reload.
  }
}

function saveConversation() {
  window.history.replaceState(null, "", conversationAddress(conversation.turns));
  writeStored(STORAGE_KEY, conversation.turns.length ? { turns: conversation.turns } : null);
  shareButton.hidden = conversation.turns.length === 0;
}

// The turns kept in storage: a question that met an error is shown, but neither kept nor sent as history.
function answeredTurns() {
  return [...thread.children].filter((turn) => turn.querySelector(".reply-answer, .reply-declined"));
}

// Following a citation leaves the page: note which one, so that coming back puts focus where the reader was.
function rememberReturn(quoteItem) {
  const turns = answeredTurns();
  const turnItem = quoteItem.closest(".turn");
  const quotes = [...turnItem.querySelectorAll(".quote")];
  writeStored(RETURN_KEY, { turn: turns.indexOf(turnItem), quote: quotes.indexOf(quoteItem) });
}

// A long question is shown in a few lines, with "Show all" to open it; whether it is cut depends on the width.
function clampQuestion(turn) {
  const text = slot(turn, "question");
  const more = slot(turn, "more");
  if (more.getAttribute("aria-expanded") === "true") return;
  more.hidden = text.scrollHeight <= text.clientHeight + 1;
}

function appendTurn(question) {
  welcome.hidden = true;
  const turn = fromTemplate("turn-template");
  slot(turn, "question").textContent = question;
  const more = slot(turn, "more");
  more.addEventListener("click", () => {
    const expanded = more.getAttribute("aria-expanded") !== "true";
    more.setAttribute("aria-expanded", String(expanded));
    more.textContent = expanded ? "Show less" : "Show all";
    slot(turn, "question").classList.toggle("asked-text-open", expanded);
  });
  thread.append(turn);
  clampQuestion(turn);
  return turn;
}

async function ask(question, { keepUndo = false } = {}) {
  const controller = new AbortController();
  conversation.request = controller;
  if (!keepUndo) dropUndo();
  const turn = appendTurn(question);
  const replySlot = slot(turn, "reply");
  replySlot.append(fromTemplate("pending-template"));
  setBusy(true);
  scrollToTurn(turn);

  // Small talk ("Thanks!") is no earlier question: it would only take a place of the history's few.
  const asked = conversation.turns.filter((earlier) => !earlier.answer.small_talk);
  const history = asked.slice(-maxHistory).map((earlier) => ({
    question: earlier.question, quotes: shownQuotes(earlier.answer),
  }));
  const send = async (documents) => {
    const payload = documents ? { question, history, documents: documents.map((d) => d.id) } : { question, history };
    try {
      return await post(payload, controller.signal);
    } catch {
      return { error: "Could not reach the service. Check the connection and try again." };
    }
  };
  let searched = chosenDocuments();
  let outcome = await send(searched);
  // A chosen document removed by an editor since the page was loaded (the service answers 404 unknown_document):
  // the chooser is made again from the corpus as it is, and the question asked again over the documents left.
  // Twice at most, for a removal that lands between the two requests.
  const dropped = [];
  for (let tries = 0; outcome.code === "unknown_document" && searched && tries < 2; tries += 1) {
    if (controller.signal.aborted) return false;
    const refreshed = await refreshScope();
    if (!refreshed || refreshed.gone.length === 0) break;
    dropped.push(...refreshed.gone);
    if (!refreshed.left) {
      outcome = { chooseAgain: true };
      break;
    }
    searched = chosenDocuments();
    outcome = await send(searched);
  }
  if (controller.signal.aborted) return false; // "New conversation" was pressed while it was on its way.
  conversation.request = null;
  setBusy(false);

  let shown;
  if (outcome.answer) {
    const kept = dropped.length ? { question, answer: outcome.answer, searched, dropped } :
      { question, answer: outcome.answer, searched };
    conversation.turns.push(kept);
    saveConversation();
    shown = renderAnswer(outcome.answer, searched, dropped);
    appendFeedback(shown.reply, kept);
  } else if (outcome.chooseAgain) {
    // Nothing the reader chose is left: rather than search documents they did not choose, the chooser opens
    // (every document ticked) and the question goes back in the box.
    shown = renderError(chooseAgainText(dropped));
    if (!input.value) input.value = question;
    showCount();
    if (!scope.hidden) scope.open = true;
  } else {
    shown = renderError(outcome.error);
    if (!input.value) input.value = question;
    showCount();
  }
  replySlot.replaceChildren(shown.reply);
  announce(shown.announcement);
  scrollToTurn(turn);
  return Boolean(outcome.answer);
}

// Shows answered turns again without asking: after a reload, on coming back from a document, after "Undo".
function renderTurns(turns) {
  for (const turn of turns) {
    const { reply } = renderAnswer(turn.answer, turn.searched || null, turn.dropped || null);
    appendFeedback(reply, turn);
    slot(appendTurn(turn.question), "reply").append(reply);
  }
}

function dropUndo() {
  conversation.cleared = null;
  undoNotice.hidden = true;
}

function offerUndo(turns, reason) {
  conversation.cleared = turns;
  slot(undoNotice, "undo-reason").textContent = reason;
  undoNotice.hidden = false;
}

function startNewConversation() {
  conversation.request?.abort();
  conversation.request = null;
  if (conversation.turns.length) offerUndo(conversation.turns, "The conversation was cleared.");
  conversation.turns = [];
  saveConversation();
  setBusy(false);
  thread.replaceChildren();
  welcome.hidden = false;
  input.value = "";
  showCount();
  input.focus();
  announce(conversation.cleared ? "New conversation started. Undo brings the last one back." :
    "New conversation started.");
}

function undoNewConversation() {
  if (!conversation.cleared) return;
  // A shared address may still be asking its questions: they stop, and the earlier conversation comes back.
  conversation.request?.abort();
  conversation.request = null;
  setBusy(false);
  conversation.turns = conversation.cleared;
  dropUndo();
  thread.replaceChildren();
  renderTurns(conversation.turns);
  saveConversation();
  input.focus();
  scrollToTurn(thread.lastElementChild);
  announce(`Conversation restored: ${conversation.turns.length === 1 ? "one question" :
    `${conversation.turns.length} questions`}.`);
}

// A shared address asks its questions again, one after the other, each read with the ones before it; the
// conversation the tab held before can be brought back with "Undo".
async function replay(questions, replaced) {
  if (replaced.length) offerUndo(replaced, "Opening the link replaced your earlier conversation.");
  for (const question of questions) {
    if (!(await ask(question, { keepUndo: true }))) return;
  }
}

function restoreFocus() {
  const returnTo = readStored(RETURN_KEY);
  writeStored(RETURN_KEY, null);
  const turn = returnTo && answeredTurns()[returnTo.turn];
  const link = turn?.querySelectorAll(".citation-link")[returnTo.quote];
  if (link) link.focus();
  else if (thread.lastElementChild) scrollToTurn(thread.lastElementChild);
}

function start() {
  const shared = fromAddress("q");
  const stored = readStored(STORAGE_KEY)?.turns || [];
  const storedQuestions = stored.map((turn) => turn.question);
  if (shared.length && shared.join("\n") !== storedQuestions.join("\n")) {
    chooseDocuments(fromAddress("d"));
    replay(shared, stored);
    return;
  }
  conversation.turns = stored;
  if (stored.length) {
    welcome.hidden = true;
    renderTurns(stored);
    restoreFocus();
  }
  saveConversation();
}

// The question box grows with its text (CSS field-sizing where the browser has it, else this); Enter asks and
// Shift+Enter starts a new line, as in other chat boxes.
function fitQuestionBox() {
  input.style.height = "auto";
  input.style.height = `${input.scrollHeight + input.offsetHeight - input.clientHeight}px`;
}

// The box holds at most maxlength characters and the browser drops the rest of a longer paste without a word: near
// the limit the page counts, and when a paste or a drop was cut it says so, on screen and to a screen reader.
const maxChars = input.maxLength;
const COUNT_FROM = Math.floor(maxChars * 0.9);
const numbers = new Intl.NumberFormat("en");
let lengthInserted = null; // what the box would hold after the paste or drop under way, had nothing been cut
const describedBy = input.getAttribute("aria-describedby");

function noteInserted(text, replaced) {
  lengthInserted = input.value.length - replaced + text.replace(/\r\n?/g, "\n").length;
}

function showCount({ cut = false } = {}) {
  const length = input.value.length;
  const count = `${numbers.format(length)} of ${numbers.format(maxChars)} characters`;
  const full = maxChars > 0 && length >= maxChars;
  counter.hidden = maxChars <= 0 || length < COUNT_FROM;
  // While shown, the count is part of the box's description, so a screen reader coming back to the box reads it.
  input.setAttribute("aria-describedby", counter.hidden ? describedBy : `${describedBy} ${counter.id}`);
  counter.dataset.full = String(full);
  if (cut) {
    counter.textContent = `${count}: the rest of the text was cut off. Shorten the question, or ask it in parts.`;
  } else if (full) {
    counter.textContent = `${count}: a question can be no longer.`;
  } else {
    counter.textContent = count;
  }
}

input.addEventListener("paste", (event) => {
  noteInserted(event.clipboardData?.getData("text/plain") || "", input.selectionEnd - input.selectionStart);
});
input.addEventListener("drop", (event) => {
  noteInserted(event.dataTransfer?.getData("text/plain") || "", 0);
});
input.addEventListener("input", () => {
  const cut = lengthInserted !== null && lengthInserted > input.value.length;
  lengthInserted = null;
  const wasFull = counter.dataset.full === "true";
  showCount({ cut });
  // Announced when something was cut or the limit is reached, not at every keystroke near it.
  if (cut || (counter.dataset.full === "true" && !wasFull)) announce(counter.textContent);
});

const growsByItself = window.CSS?.supports?.("field-sizing", "content");
if (!growsByItself) input.addEventListener("input", fitQuestionBox);

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

// Scrolling (to a focused control, to an opened paragraph) keeps clear of the question box pinned at the bottom
// of the window: its height is given to the page's scroll-padding.
new ResizeObserver(() => {
  const pinned = getComputedStyle(form).position === "sticky";
  document.documentElement.style.setProperty("--composer-height", `${pinned ? form.offsetHeight : 0}px`);
}).observe(form);

window.addEventListener("resize", () => {
  for (const turn of thread.children) clampQuestion(turn);
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question || conversation.request) return;
  input.value = "";
  if (!growsByItself) fitQuestionBox();
  showCount();
  ask(question);
});

for (const button of document.querySelectorAll(".suggestion")) {
  button.addEventListener("click", (event) => {
    if (conversation.request) return;
    // The suggestions disappear with the welcome text, so focus moves to where the next question is typed;
    // on a touch screen that would open the keyboard over the answer, so it moves to the conversation instead.
    if (event.pointerType === "touch") thread.focus();
    else input.focus();
    ask(button.dataset.question);
  });
}

newConversationButton.addEventListener("click", startNewConversation);
undoButton.addEventListener("click", undoNewConversation);
shareButton.addEventListener("click", () => {
  copyText(shareButton, window.location.href, null, "Link to this conversation copied.");
});
if (scope) {
  scope.addEventListener("change", showScope);
  showScope();
}
start();
