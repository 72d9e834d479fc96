// The document page: marks the characters named by the address's #q=<start>-<end> (offsets of /api/ask, in
// Unicode code points, end excluded) and scrolls them into view. The address alone says what is marked, so a
// reload or a shared link opens at the same quote.

const note = document.getElementById("quote-note");
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

function quotedRange() {
  const match = /^#q=(\d+)-(\d+)$/.exec(window.location.hash);
  if (!match) return null;
  const start = Number(match[1]);
  const end = Number(match[2]);
  return end > start ? { start, end } : null;
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

function showQuote() {
  unmark();
  const range = quotedRange();
  note.hidden = true;
  if (!range) return;
  const blocks = [...document.querySelectorAll("[data-start]")].filter(
    (block) => Number(block.dataset.start) < range.end && Number(block.dataset.end) > range.start,
  );
  if (blocks.length === 0) {
    note.textContent = "The quoted passage is not in this version of the document; it may have changed since.";
    note.hidden = false;
    return;
  }
  const marks = blocks.map((block) => markBlock(block, range));
  const first = marks[0];
  first.id = "quote";
  // Focus goes to the quote, so that a screen reader reads it and Tab goes on from there.
  first.tabIndex = -1;
  first.focus({ preventScroll: true });
  first.scrollIntoView({ block: "center", behavior: reducedMotion.matches ? "auto" : "instant" });
  note.textContent = "The quoted passage is highlighted.";
  note.hidden = false;
  // Lets browser tools and bench/page.py see how long a document took to open at its quote.
  performance.mark("quote-shown");
}

window.addEventListener("hashchange", showQuote);
showQuote();
