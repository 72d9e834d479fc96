"""Analysis: words to index terms (tokens, stems, stop words), and which terms are variants or opposites."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import lru_cache
from pathlib import Path

import regex
from nltk.stem.snowball import SnowballStemmer

# Letters and digits, with inner apostrophes kept so that "it's" is one word and "Keppra's" loses its "'s".
WORD_PATTERN = r"[^\W_]+(?:['’][^\W_]+)*"
# Compiled with the `regex` engine and the flags of nltk's RegexpTokenizer, which read words before (regex's \w is
# not re's: it takes combining marks, and leaves out numerals such as "½"), so every term stays what it was. Not
# through that tokenizer: it runs each search under a wall-clock timeout, against patterns a caller might craft,
# which cost about 40 µs a call, a tenth of a whole answer at 100,000 passages; this pattern cannot backtrack
# (each repetition must start at an apostrophe). Searched with concurrent=False (words()): by default `regex` lets
# go of the GIL for every search, and taking it back among a gunicorn worker's busy threads cost far more than
# the search (4 threads tokenising a question: 12 times the CPU time).
WORDS = regex.compile(WORD_PATTERN, regex.UNICODE | regex.MULTILINE | regex.DOTALL)

# English function words, and adverbs of habit that a question uses but an answer need not repeat
# ("usually", "typically"). Negations ("not", "no", "never", "without") and comparisons ("more", "less", "than",
# "most", "fewer", "before", "after") are deliberately absent: they carry the meaning of many questions.
STOP_WORDS = frozenset("""
a about above again against all also am an and any are aren't as at be because been being below between both
but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each else ever for
from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself just let's like may
me might must my myself of off on once only or other ought our ours ourselves out over own same shall she
she'd she'll she's should shouldn't so some such that that's the their theirs them themselves then there
there's these they they'd they'll they're they've this those through thus to too under until up upon us
very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's whether which
while who who's whom whose why why's will with won't would wouldn't you you'd you'll you're you've your yours
yourself yourselves one ones thing things someone something anyone anything tell please know called
usually typically generally normally really actually basically
""".split())

QUESTION_WORDS = frozenset("what which who whom whose when where why how".split())

# Capitals that English writes whatever the word means, so no sign of a name: the pronoun "I" (and "I'm", "I've",
# "I'd", "I'll") and "OK". Put before a pattern for a capitalised word, it keeps them out: a reader's "I'm" or "Is
# it OK…" is not a name that the text must hold.
NOT_A_NAME = r"(?!(?:I|OK)(?:['’][a-z]+)?(?![\w'’-]))"

_stemmer = SnowballStemmer("english", ignore_stopwords=False)

# Irregular past forms and participles, and "death"/"dead", to the base form that Snowball gives the regular ones
# ("When did the war begin?" against "the war began"). Forms that are also other words ("found", "left", "saw",
# "lay", "rose", "ground", "wound", "bore") are left alone.
BASE_FORMS = {form: base for base, forms in (
    ("arise", "arose arisen"), ("awake", "awoke awoken"), ("bear", "born borne"), ("beat", "beaten"),
    ("become", "became"), ("begin", "began begun"), ("bend", "bent"), ("bite", "bit bitten"), ("bleed", "bled"),
    ("blow", "blew blown"), ("break", "broke broken"), ("breed", "bred"), ("bring", "brought"),
    ("build", "built"), ("buy", "bought"), ("catch", "caught"), ("choose", "chose chosen"), ("come", "came"),
    ("deal", "dealt"), ("die", "death dead"), ("dig", "dug"), ("draw", "drew drawn"), ("drink", "drank drunk"),
    ("drive", "drove driven"), ("eat", "ate eaten"), ("feed", "fed"), ("feel", "felt"), ("fight", "fought"),
    ("flee", "fled"), ("fly", "flew flown"), ("forbid", "forbade forbidden"), ("foresee", "foresaw foreseen"),
    ("forget", "forgot forgotten"), ("forgive", "forgave forgiven"), ("freeze", "froze frozen"),
    ("get", "got gotten"), ("give", "gave given"), ("go", "went gone"), ("grow", "grew grown"), ("hang", "hung"),
    ("hide", "hid hidden"), ("hold", "held"), ("keep", "kept"), ("know", "knew known"), ("lead", "led"),
    ("lend", "lent"), ("lose", "lost"), ("make", "made"), ("mean", "meant"), ("meet", "met"),
    ("overcome", "overcame"), ("overthrow", "overthrew overthrown"), ("pay", "paid"), ("rebuild", "rebuilt"),
    ("ride", "rode ridden"), ("ring", "rang rung"), ("run", "ran"), ("seek", "sought"), ("sell", "sold"),
    ("send", "sent"), ("shake", "shook shaken"), ("shoot", "shot"), ("sing", "sang sung"), ("sink", "sank sunk"),
    ("sit", "sat"), ("slay", "slew slain"), ("sleep", "slept"), ("speak", "spoke spoken"), ("spend", "spent"),
    ("spin", "spun"), ("stand", "stood"), ("steal", "stole stolen"), ("stick", "stuck"), ("strike", "struck stricken"),
    ("swear", "swore sworn"), ("swim", "swam swum"), ("take", "took taken"), ("teach", "taught"),
    ("tear", "tore torn"), ("tell", "told"), ("think", "thought"), ("throw", "threw thrown"),
    ("undergo", "underwent undergone"), ("understand", "understood"), ("undertake", "undertook undertaken"),
    ("wake", "woke woken"), ("wear", "wore worn"), ("weave", "wove woven"), ("win", "won"),
    ("withdraw", "withdrew withdrawn"), ("write", "wrote written"),
) for form in forms.split()}


def words(text: str) -> list[str]:
    """Lower-cased words of a text, possessive endings removed."""
    out = []
    for token in WORDS.findall(text.lower(), concurrent=False):
        token = token.replace("’", "'")
        if token.endswith("'s"):
            token = token[:-2]
        out.append(token)
    return out


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball stem; short words are acronyms more often than inflections ("AED", "AEDs"), so only lose a plural."""
    if not word.isalpha():
        return word
    word = BASE_FORMS.get(word, word)
    if len(word) <= 3:
        return word
    if len(word) == 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    stemmed = _stemmer.stem(word)
    # Snowball keeps "-ment" on short roots ("treatment"), which would part it from "treat" and "treating".
    if stemmed.endswith("ment") and len(stemmed) >= 8:
        stemmed = stemmed[:-4]
    return stemmed


VARIANT_MIN_LENGTH = 5  # stems at least this long ...
VARIANT_MAX_ENDING = 4  # ... that another stem extends by at most this many letters


def stem_variants(term: str, ordered: list[str]) -> tuple[str, ...]:
    """The stems of `ordered` (the corpus's alphabetic stems, sorted) that one short ending sets apart from this one,
    shorter ones first: forms Snowball leaves unjoined ("child", "children", "childhood"; "reduc", "reduct"), so a
    sentence holding one can count as holding the other. Worked out per term: a question asks about a few."""
    if not term.isalpha() or not _holds(ordered, term):
        return ()
    shorter = [term[:n] for n in range(max(VARIANT_MIN_LENGTH, len(term) - VARIANT_MAX_ENDING), len(term))
               if _holds(ordered, term[:n])]
    longer = []
    if len(term) >= VARIANT_MIN_LENGTH:
        i = bisect_right(ordered, term)
        while i < len(ordered) and ordered[i].startswith(term):  # the stems extending this one sort right after it
            if len(ordered[i]) - len(term) <= VARIANT_MAX_ENDING:
                longer.append(ordered[i])
            i += 1
    return (*shorter, *longer)


def _holds(ordered: list[str], term: str) -> bool:
    i = bisect_left(ordered, term)
    return i < len(ordered) and ordered[i] == term


def _read_antonyms(path: Path) -> dict[str, frozenset[str]]:
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, opposites = line.split("\t")
            table[word] = frozenset(opposites.split())
    return table


# Stem -> its antonyms' stems ("win" -> "lose", "first" -> "last", "north" -> "south"), from WordNet 3.0 by
# scripts/build_antonyms.py: a question that swaps a word for its opposite asks what the text does not say.
ANTONYMS = _read_antonyms(Path(__file__).with_name("data") / "antonyms.tsv")


def is_stop_word(word: str) -> bool:
    return word in STOP_WORDS or len(word) == 1 and not word.isdigit()


def terms(text: str) -> list[str]:
    """The index terms of a text, in order: stems of its words that are not stop words."""
    return [stem(w) for w in words(text) if not is_stop_word(w)]


def term_spans(text: str) -> list[tuple[str, int, int]]:
    """Index terms with the character span of the word each came from (for highlighting)."""
    out = []
    # The words terms() reads, by the same engine: a question's "cafe" + U+0301 is highlighted in a quote.
    for match in WORDS.finditer(text, concurrent=False):
        word = match.group(0).lower().replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        if not is_stop_word(word):
            out.append((stem(word), match.start(), match.end()))
    return out
