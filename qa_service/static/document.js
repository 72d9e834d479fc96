// The document page: marks the characters named by the address's #q=<start>-<end> (offsets of /api/ask, in
// Unicode code points, end excluded) and scrolls them into view. The address alone says what is marked, so a
// reload or a shared link opens at the same quote. A long document comes in sections: the page holds the first,
// and the others are fetched here, the one holding the quote first, then the rest in order while the reader reads.
// Their text is inserted through textContent only, so markup in a document shows as text.

const note = document.getElementById("quote-note");
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
const sections = [...document.querySelectorAll(".document-section")];
const filling = new Map();
// An empty section takes about the room its text will (characters per line and line height of .document-block),
// so that the scroll bar and the place of the quote do not jump much as sections arrive.
const PIXELS_PER_CHAR = 0.45;
// How long after the last section arrived the quote is still held in view (its neighbours' layout settling).
const SETTLE_MS = 1000;

for (const section of sections) section.style.minHeight = `${Number(section.dataset.chars) * PIXELS_PER_CHAR}px`;

function quotedRange() {
  const match = /^#q=(\d+)-(\d+)$/.exec(window.location.hash);
  if (!match) return null;
  const start = Number(match[1]);
  const end = Number(match[2]);
  return end > start ? { start, end } : null;
}

function showNote(text) {
  note.textContent = text;
  note.hidden = false;
}

function blockElement(block) {
  const element = document.createElement(block.heading ? "h2" : "p");
  element.className = block.heading ? "document-block document-heading" : "document-block";
  element.dataset.start = String(block.start);
  element.dataset.end = String(block.end);
  element.textContent = block.text;
  return element;
}

async function fetchSection(section) {
  const response = await fetch(section.dataset.src, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok || !Array.isArray(body?.blocks)) {
    showNote(body?.error?.message || `Part of the document could not be loaded (status ${response.status}).`);
    return;
  }
  section.replaceChildren(...body.blocks.map(blockElement));
  section.style.minHeight = "";
  section.removeAttribute("aria-busy");
}

function fill(section) {
  if (!filling.has(section)) {
    filling.set(section, fetchSection(section).catch(() => {
      showNote("Part of the document could not be loaded. Check the connection and reload the page.");
    }));
  }
  return filling.get(section);
}

function unmark() {
  for (const mark of document.querySelectorAll("mark.quoted")) mark.replaceWith(...mark.childNodes);
  for (const block of document.querySelectorAll("[data-start]")) block.normalize();
}

// Wrap the part of one block that falls in the range; a block whose text does not match its offsets (it cannot
// happen with text the page was given, but a browser extension may have changed it) is marked whole.
function markBlock(block, range) {
  const blockStart = Number(block.dataset.start);
  const chars = Array.from(block.textContent);
  const mark = document.createElement("mark");
  mark.className = "quoted";
  if (chars.length !== Number(block.dataset.end) - blockStart) {
    mark.append(...block.childNodes);
    block.append(mark);
    return mark;
  }
  const from = Math.max(range.start, blockStart) - blockStart;
  const to = Math.min(range.end, blockStart + chars.length) - blockStart;
  mark.textContent = chars.slice(from, to).join("");
  block.replaceChildren(chars.slice(0, from).join(""), mark, chars.slice(to).join(""));
  return mark;
}

// The quote is held in view while the rest of the document arrives, until the reader scrolls or presses a key.
// The browser's scroll anchoring alone did not hold it: a quote in the document's last screenful cannot be centred,
// so the window is scrolled to the end, and there Chromium made no adjustment as the sections above arrived (each
// some 12,000 px taller once filled): a quote near the end of a 440 KB document ended 11,000 px below the window.
// Every change in the document's size (a section filled, paragraphs laid out as they come on screen) brings the
// quote back, before the change is painted.
let held = null;

function hold(mark) {
  held = mark;
}

function letGo() {
  held = null;
}

new ResizeObserver(() => {
  if (held?.isConnected) held.scrollIntoView({ block: "center", behavior: "instant" });
}).observe(document.querySelector(".document"));
for (const event of ["wheel", "touchstart", "keydown", "mousedown"]) {
  window.addEventListener(event, letGo, { passive: true, capture: true });
}

async function showQuote() {
  letGo();
  unmark();
  const range = quotedRange();
  note.hidden = true;
  if (!range) return;
  const holding = sections.filter(
    (section) => Number(section.dataset.sectionStart) < range.end && Number(section.dataset.sectionEnd) > range.start,
  );
  await Promise.all(holding.map(fill));
  const blocks = [...document.querySelectorAll("[data-start]")].filter(
    (block) => Number(block.dataset.start) < range.end && Number(block.dataset.end) > range.start,
  );
  if (blocks.length === 0) {
    showNote("The quoted passage is not in this version of the document; it may have changed since.");
    return;
  }
  const marks = blocks.map((block) => markBlock(block, range));
  const first = marks[0];
  first.id = "quote";
  // Focus goes to the quote, so that a screen reader reads it and Tab goes on from there.
  first.tabIndex = -1;
  first.focus({ preventScroll: true });
  first.scrollIntoView({ block: "center", behavior: reducedMotion.matches ? "auto" : "instant" });
  hold(first);
  showNote("The quoted passage is highlighted.");
  // Lets browser tools and bench/page.py see how long a document took to open at its quote.
  performance.mark("quote-shown");
}

// The rest of the document, one section at a time in order, so that reading on (or searching the page) finds it;
// the browser keeps the quote where it is on the screen as sections above it arrive (scroll anchoring).
async function fillTheRest() {
  for (const section of sections) {
    await new Promise((resolve) => window.requestIdleCallback ? window.requestIdleCallback(resolve) :
      window.setTimeout(resolve, 0));
    await fill(section);
  }
}

// A section the reader scrolls towards is fetched at once, ahead of its turn in fillTheRest.
const nearby = new IntersectionObserver((entries) => {
  for (const entry of entries) if (entry.isIntersecting) fill(entry.target);
}, { rootMargin: "1500px 0px" });
for (const section of sections) nearby.observe(section);

window.addEventListener("hashchange", () => showQuote().then(() => window.setTimeout(letGo, SETTLE_MS)));
showQuote().then(fillTheRest).then(() => window.setTimeout(letGo, SETTLE_MS));
