// The chat page: sends each question, with the conversation's earlier questions, to /api/ask and shows the reply.
// Text from the corpus only ever enters the page through textContent, so markup in a document shows as text.

const form = document.getElementById("ask-form");
const input = document.getElementById("question");
const askButton = document.getElementById("ask-button");
const newConversationButton = document.getElementById("new-conversation");
const thread = document.getElementById("thread");
const welcome = document.getElementById("welcome");
const announcer = document.getElementById("announcer");
const maxHistory = Number(form.dataset.maxHistory);
const documentPage = form.dataset.documentPage;
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

const conversation = { questions: [], request: null };
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
function quoteAddress(quote) {
  return `${documentPage}${encodeURIComponent(quote.document)}#q=${quote.start}-${quote.end}`;
}

function renderQuote(quote) {
  const item = fromTemplate("quote-template");
  appendHighlighted(slot(item, "text"), quote.text, quote.highlights || []);
  const link = slot(item, "title-link");
  link.textContent = quote.title || quote.document;
  link.href = quoteAddress(quote);
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
    setExpanded(toggle, panel, toggle.getAttribute("aria-expanded") !== "true");
  });
  return item;
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
function aboutLines(answer, found) {
  const lines = [];
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

function renderAnswer(answer) {
  const found = answer.found && answer.quotes.length > 0;
  const reply = fromTemplate(found ? "answer-template" : "declined-template");
  reply.dataset.corpusVersion = answer.corpus_version;
  const corrections = correctionsText(answer.corrections);
  const correctionsLine = slot(reply, "corrections");
  correctionsLine.textContent = corrections;
  correctionsLine.hidden = corrections === "";
  slot(reply, "about-list").append(...aboutLines(answer, found));
  if (found) {
    slot(reply, "quotes").append(...answer.quotes.map(renderQuote));
    const count = answer.quotes.length === 1 ? "one quotation" : `${answer.quotes.length} quotations`;
    const quotes = answer.quotes.map((quote) => quote.text).join(" ");
    return { reply, announcement: `From the source, ${count}. ${corrections} ${quotes}` };
  }
  slot(reply, "message").textContent = answer.message || "The source does not answer this question.";
  return { reply, announcement: `Not in the source. ${corrections} ${slot(reply, "message").textContent}` };
}

function renderError(message) {
  const reply = fromTemplate("error-template");
  slot(reply, "message").textContent = message;
  return { reply, announcement: `Could not answer. ${message}` };
}

function announce(text) {
  // Emptying the region first makes a screen reader announce a reply even when it repeats the previous one.
  announcer.textContent = "";
  window.setTimeout(() => {
    announcer.textContent = text.replace(/\s+/g, " ").trim();
  }, 50);
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
  if (typeof message === "string" && message) return { error: message };
  return { error: `The service answered with status ${response.status}. Try again in a moment.` };
}

async function ask(question) {
  const controller = new AbortController();
  conversation.request = controller;
  welcome.hidden = true;
  const turn = fromTemplate("turn-template");
  slot(turn, "question").textContent = question;
  const replySlot = slot(turn, "reply");
  replySlot.append(fromTemplate("pending-template"));
  thread.append(turn);
  setBusy(true);
  scrollToTurn(turn);

  const history = conversation.questions.slice(-maxHistory).map((earlier) => ({ question: earlier }));
  let outcome;
  try {
    outcome = await post({ question, history }, controller.signal);
  } catch {
    outcome = { error: "Could not reach the service. Check the connection and try again." };
  }
  if (controller.signal.aborted) return; // "New conversation" was pressed while this question was on its way.
  conversation.request = null;
  setBusy(false);

  let shown;
  if (outcome.answer) {
    conversation.questions.push(question);
    shown = renderAnswer(outcome.answer);
  } else {
    shown = renderError(outcome.error);
    if (!input.value) input.value = question;
  }
  replySlot.replaceChildren(shown.reply);
  announce(shown.announcement);
  scrollToTurn(turn);
}

function startNewConversation() {
  conversation.request?.abort();
  conversation.request = null;
  conversation.questions = [];
  setBusy(false);
  thread.replaceChildren();
  welcome.hidden = false;
  input.value = "";
  input.focus();
  announce("New conversation started.");
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question || conversation.request) return;
  input.value = "";
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
