"""What a reader expects of answers: the right sentence first, no more than needed, and silence when the source is."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_service.analysis import stem, stem_variants
from qa_service.answering import NO_MORE, OPENING, SUMMARY, AnswerSettings, answer
from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.index import Index
from qa_service.questions import answer_kind, asks_what_it_is_about, build_query, spelt_out_names
from qa_service.ranking import (
    DECLINE_FEATURES,
    FEATURES,
    HeldShare,
    TermMatch,
    candidates,
    decline_features,
    leaned_on,
    quoted_terms,
    rank,
)

LAMOTRIGINE = """\
Lamotrigine in Bipolar Disorder

Lamotrigine, sold under the brand name Lamictal, is an anticonvulsant medication (ACM) that is also used as a \
mood stabiliser. It was first approved in 1994 for the treatment of epilepsy.

The starting dose is low: patients usually take 25 mg a day for the first two weeks. It is then raised \
slowly, because rapid increases raise the risk of a serious rash.

Common side effects include headache, nausea and dizziness. In rare cases, lamotrigine causes Stevens-Johnson \
syndrome, a life-threatening skin reaction. About 10% of patients develop a mild rash in the first weeks.

Lamictal is not recommended during the first trimester of pregnancy unless the benefits outweigh the risks. \
Women taking hormonal contraceptives may need a higher dose, because oestrogen lowers its level in the blood.

The drug was developed by Dr. Alan Miller at the Wellcome laboratories. Hypertension (high blood pressure) is \
not a known side effect.

Figure 2. Dose of lamotrigine over the first eight weeks.

[12] Smith J, Jones K. Lamotrigine in practice. J Neurol. 2001;12:34-56.
"""

GARDENING = """\
Growing Tomatoes

Tomatoes need at least six hours of direct sunlight every day. Water them deeply twice a week, and more often \
in hot weather. Tomato plants are usually ready to harvest about 60 days after transplanting.
"""


def build(**texts: str) -> Index:
    return Index.build([analyse(parse_document(doc_id, text)) for doc_id, text in texts.items()])


@pytest.fixture(scope="module")
def index() -> Index:
    return build(lamotrigine=LAMOTRIGINE, tomatoes=GARDENING)


def first_quote(index: Index, question: str, history: list[str] | None = None, **kwargs) -> str:
    result = answer(index, question, history, **kwargs)
    assert result.found, f"declined: {question!r} (confidence {result.confidence:.2f})"
    return result.quotes[0].text


def test_the_answering_sentence_comes_first(index):
    assert "headache, nausea and dizziness" in first_quote(index, "What are the common side effects of lamotrigine?")


def test_inflections_meet_their_stems(index):
    assert "25 mg a day" in first_quote(index, "How is lamotrigine dosed at the start?")
    assert "approved in 1994" in first_quote(index, "When was lamotrigine approved for treating epilepsy?")


def test_irregular_verb_forms_meet_their_base_form():
    toll_house = build(tomatoes=GARDENING, bridge=(
        "The Toll House\n\nThe county bought the toll house in 1850.\n\nThe county sold the toll house in 1901.\n\n"
        "A flood took the old bridge in 1953.\n\nThe county built a new bridge in 1960.\n"))
    assert "1901" in first_quote(toll_house, "When did the county sell the toll house?")
    assert "1850" in first_quote(toll_house, "When did the county buy the toll house?")
    assert "1953" in first_quote(toll_house, "When did a flood take the bridge?")
    assert "1960" in first_quote(toll_house, "When did the county build a new bridge?")


def test_stems_one_short_ending_apart_are_variants_of_each_other():
    ordered = sorted({stem("child"), stem("children"), stem("childhood"), stem("chemistry"), stem("chem")})
    assert set(stem_variants(stem("child"), ordered)) == {stem("children"), stem("childhood")}
    assert stem("child") in stem_variants(stem("children"), ordered)
    assert stem_variants(stem("chem"), ordered) == ()  # too short to stand for longer words


DOSING = ("Dosing\n\nEvery child under six is given the liquid form. Adults are given tablets twice a day, usually "
          "with food. The liquid form is given with food to adults who cannot swallow.")


def test_a_question_word_the_corpus_only_has_a_shorter_form_of_finds_that_form():
    result = answer(build(dosing=DOSING, tomatoes=GARDENING), "Which form are children given?")
    assert result.query.own.get(stem("child")) == 1.0
    assert result.quotes[0].text.startswith("Every child under six")


def test_a_sentence_holding_a_variant_of_a_question_stem_holds_that_word():
    # The corpus says "children" too, so the question keeps its own stem; "child" still counts as holding it.
    index = build(dosing=DOSING + "\n\nParents of young children often ask about tablets.", tomatoes=GARDENING)
    query = build_query("Which form are children given?", index)
    ranked, _ = rank(query, index.search(query.terms, None, k=12), index, None)
    assert ranked[0].text.startswith("Every child under six")
    assert ranked[0].features[0] == pytest.approx(1.0)


def test_a_set_of_terms_holds_a_question_term_by_itself_a_variant_or_a_whole_alias():
    index = build(dosing=DOSING + "\n\nParents of young children often ask about tablets.", tomatoes=GARDENING,
                  pressure="Hypertension (high blood pressure) is common.")
    child, hypertension = TermMatch.of(stem("child"), index), TermMatch.of(stem("hypertension"), index)
    assert child.held_by({stem("child")}) and child.held_by({stem("children"), stem("water")})
    assert not child.held_by({stem("water")})
    alias = {stem("high"), stem("blood"), stem("pressure")}
    assert hypertension.held_by(alias) and hypertension.held_by(alias | {stem("water")})
    assert not hypertension.held_by({stem("high"), stem("blood")})  # part of a name is not the name


def test_a_question_weighs_the_abbreviation_of_a_name_it_spells_out_whole_not_of_one_of_its_words():
    index = build(spread="Japanese encephalitis virus (JEV) is spread by mosquitoes. A cold virus spreads by hand.")
    whole = build_query("How is Japanese encephalitis virus spread?", index)
    part = build_query("How is a cold virus spread?", index)

    assert "jev" in whole.terms and "jev" in whole.expanded
    assert "jev" not in part.terms
    assert TermMatch.of("virus", index, set(whole.matching)).held_by({"jev"})
    assert not TermMatch.of("virus", index, set(part.matching)).held_by({"jev"})


def test_the_held_share_weighs_each_term_held_by_its_idf():
    index = build(dosing=DOSING, tomatoes=GARDENING)
    weights = {stem("child"): 1.0, stem("tablet"): 0.5, stem("unheard"): 1.0}
    idf = {stem("child"): 2.0, stem("tablet"): 4.0}
    share = HeldShare(weights, idf, index)
    assert share.of({stem("child"), stem("water")}) == pytest.approx(2.0 / 4.0)
    assert share.of({stem("tablet")}) == pytest.approx(2.0 / 4.0)
    assert share.of(set()) == 0.0
    assert HeldShare({stem("unheard"): 1.0}, idf, index).of({stem("unheard")}) == 0.0  # no idf mass to hold


def test_a_name_spelt_out_beside_its_abbreviation_weighs_as_one_name():
    question = "How does human adenovirus type 55 (HAdV-55) spread?"
    assert spelt_out_names(question) == [("human adenovirus type 55", "HAdV-55")]
    index = build(virus="Adenoviruses\n\nHuman adenovirus type 55 spreads by droplets. Type 55 is a human virus.")
    query = build_query(question, index)
    assert query.own[stem("adenovirus")] == pytest.approx(1 / 3)
    assert query.own[stem("spread")] == 1.0


def test_a_brand_name_finds_what_the_text_says_of_the_generic_name(index):
    # Only "lamotrigine" stands in the answer; the text links it to "Lamictal" ("sold under the brand name").
    assert "Stevens-Johnson" in first_quote(index, "Can Lamictal cause a life-threatening skin reaction?")


def test_a_generic_name_finds_what_the_text_says_of_the_brand_name(index):
    assert "first trimester" in first_quote(index, "Is lamotrigine recommended in pregnancy?")


def test_a_lay_word_finds_the_clinical_word_the_corpus_pairs_it_with(index):
    quote = first_quote(index, "Does it cause hypertension?", documents=["lamotrigine"])
    assert "high blood pressure" in quote


def test_an_acronym_the_text_defines_finds_its_long_form(index):
    assert "mood stabiliser" in first_quote(index, "Is lamotrigine an ACM?")


def test_misspelt_words_are_matched_to_the_corpus_vocabulary(index):
    result = answer(index, "lamotrigene comon side efects")
    assert result.found
    assert "headache, nausea and dizziness" in result.quotes[0].text
    assert result.query.corrections == {"lamotrigene": "lamotrigine", "comon": "common", "efects": "effects"}


def test_known_words_are_never_corrected(index):
    assert answer(index, "Does lamotrigine cause nausea?").query.corrections == {}


def test_how_many_prefers_a_sentence_with_a_number(index):
    assert "60 days" in first_quote(index, "How many days until tomatoes are ready to harvest?")


def test_what_percentage_prefers_a_sentence_with_a_percentage(index):
    assert "10%" in first_quote(index, "What percentage of patients develop a mild rash?")


def test_who_prefers_a_sentence_naming_someone(index):
    assert "Alan Miller" in first_quote(index, "Who developed lamotrigine?")


def test_when_did_prefers_a_sentence_with_a_date(index):
    assert "1994" in first_quote(index, "When was lamotrigine first approved?")


@pytest.mark.parametrize(("question", "kind"), [
    ("Who developed lamotrigine?", "person"),
    ("In what year was lamotrigine approved?", "date"),
    ("Why could lamotrigine suit someone who also has epilepsy?", None),
    ("How many patients who take it develop a rash?", "number"),
])
def test_the_kind_of_answer_comes_from_the_question_word_not_a_relative_clause(question, kind):
    assert answer_kind(question) == kind


def test_negations_stay_in_the_question(index):
    result = answer(index, "Is Lamictal not recommended in pregnancy?")
    assert "not" in result.query.own
    assert "first trimester" in result.quotes[0].text


def test_a_heading_is_never_the_first_quote_when_a_sentence_answers(index):
    quote = first_quote(index, "What is lamotrigine used for in bipolar disorder?")
    assert quote != "Lamotrigine in Bipolar Disorder"


def test_captions_and_references_give_way_to_real_sentences(index):
    quote = first_quote(index, "How is the dose of lamotrigine raised over the first weeks?")
    assert not quote.startswith(("Figure 2", "[12]"))
    assert "raised" in quote


def test_a_sentence_that_points_back_is_quoted_with_the_one_before(index):
    quote = first_quote(index, "Why is the dose raised slowly?")
    assert quote.startswith("The starting dose is low")
    assert "serious rash" in quote


def test_a_sentence_that_points_back_is_judged_with_the_one_before(index):
    # "It is then raised slowly..." names the dose only in the sentence it leans on, and is quoted with it: it holds
    # every word of the question, as the quote the reader sees does.
    query = build_query("Why is the starting dose raised slowly?", index)
    ranked, _ = rank(query, index.search(query.terms, None, k=12), index, None)
    leaning = next(c for c in ranked if c.text.startswith("It is then raised slowly"))
    assert leaning.features[0] == pytest.approx(1.0)
    assert leaning is ranked[0]


def test_a_follow_up_is_answered_in_the_context_of_the_earlier_question(index):
    history = ["What are the common side effects of lamotrigine?"]
    assert "Stevens-Johnson" in first_quote(index, "What about rare ones?", history)


def test_a_follow_up_about_the_same_subject_finds_its_answer(index):
    history = ["What is lamotrigine?"]
    assert "first trimester" in first_quote(index, "Is it recommended in pregnancy?", history)
    assert "25 mg a day" in first_quote(index, "And the starting dose?", history)


DESCALING = """\
# Looking after the kettle

## Descaling

Fill the kettle halfway with equal parts of water and white vinegar.

Bring the mixture to the boil and leave it to stand for an hour.

Empty the kettle and rinse it three times with fresh water.

## Storage

Keep the kettle on a dry surface, away from the cooker.
"""


@pytest.fixture(scope="module")
def kettle() -> Index:
    return Index.build([analyse(parse_document("kettle", DESCALING, "markdown")), analyse(parse_document(
        "tomatoes", GARDENING))])


def test_a_follow_up_that_asks_for_more_gets_what_the_text_says_next(kettle):
    history = ["What do I fill the kettle with to descale it?"]
    assert first_quote(kettle, history[0]).startswith("Fill the kettle halfway")
    assert first_quote(kettle, "Then what?", history).startswith("Bring the mixture to the boil")
    history.append("Then what?")
    assert first_quote(kettle, "And then?", history).startswith("Empty the kettle and rinse it")
    history.append("And then?")
    going_on = answer(kettle, "What comes next?", history)
    assert not going_on.found and going_on.message == NO_MORE  # the next heading starts another section


def test_going_on_keeps_to_the_paragraph_where_the_text_has_no_headings(index):
    history = ["How much sunlight do tomatoes need?"]
    assert first_quote(index, "Tell me more", history).startswith("Water them deeply twice a week")
    asked = "What are the common side effects of lamotrigine?"
    last = answer(index, "Go on", [asked, "Go on", "Go on", "Go on"])
    assert not last.found and last.message == NO_MORE


def test_a_follow_up_asking_for_something_in_particular_is_not_answered_by_the_next_sentence(kettle):
    history = ["What do I fill the kettle with to descale it?"]
    assert not answer(kettle, "Why?", history).found
    assert not answer(kettle, "Really?", history).found  # neither a word of going on nor a follow-up's opening
    assert not answer(kettle, "Then what?", ["Who won the 2018 World Cup final?"]).found


PRINTER = """\
# Looking after the printer

## Clearing the queue

To clear every waiting print job, run:

cancel -a

The printer then starts afresh with an empty queue.

## Status

You can ask the printer for its status from the control panel:

The status page lists the ink levels, the paper count and the last error.
"""


def test_a_sentence_ending_in_a_colon_is_quoted_with_the_command_it_introduces():
    printer = Index.build([analyse(parse_document("printer", PRINTER, "markdown"))])
    quote = answer(printer, "How do I clear every waiting print job?").quotes[0]
    assert quote.text == "To clear every waiting print job, run:\n\ncancel -a"
    assert quote.context_start <= quote.start and quote.end <= quote.context_end  # its context holds both
    going_on = answer(printer, "Then what?", ["How do I clear every waiting print job?"]).quotes[0]
    assert going_on.text.startswith("The printer then starts afresh")  # after the command, not at it
    # A whole sentence in the next paragraph is not what the colon introduced (a text whose list was lost).
    status = answer(printer, "How can I ask the printer for its status from the control panel?").quotes[0]
    assert status.text == "You can ask the printer for its status from the control panel:"



KIT = """\
# Emergency kit

The kit by the door holds:

- a torch with spare batteries
- a whistle on a cord
- two foil blankets

Check the kit every spring and replace what has run down.

The car has its own kit with a tow rope.
"""


def test_a_sentence_ending_in_a_colon_is_quoted_with_the_whole_list_it_introduces_when_it_fits():
    # One item alone would say that the kit holds a torch and nothing else.
    kit = Index.build([analyse(parse_document("kit", KIT, "markdown"))])
    assert answer(kit, "What does the kit by the door hold?").quotes[0].text == (
        "The kit by the door holds:\n\na torch with spare batteries\n\na whistle on a cord\n\ntwo foil blankets")


STEPS = """\
# Your account

## Resetting your password

You can set a new password from the sign-in page. To reset your password:

1. Open the sign-in page and choose "Forgot password".
2. Enter the address you signed up with.
3. Open the message we send you. Follow its link within an hour.

The link works only once.

## Moving house

Tell us your new address before you move. Before you move, note:

- Parcels already sent still go to the old address, and we cannot stop or redirect them once they have left the
  warehouse, whatever the carrier's own website offers.
- Invoices show the address they were sent to on the day they were made, so old invoices keep the old address.
- Gift cards stay valid, and what is left on them moves with your account to the new address without anything
  for you to do.
"""


def test_a_sentence_ending_in_a_colon_is_quoted_with_the_steps_it_introduces_whole_sentences_as_they_are():
    # A list's items are whole sentences here; the format says they are the list the colon introduces.
    steps = Index.build([analyse(parse_document("steps", STEPS, "markdown"))])
    assert answer(steps, "How do I reset my password?").quotes[0].text == (
        "To reset your password:\n\nOpen the sign-in page and choose \"Forgot password\".\n\nEnter the address you "
        "signed up with.\n\nOpen the message we send you. Follow its link within an hour.")


def test_the_items_a_colon_introduces_are_quoted_whole_while_they_fit_and_never_cut_off():
    # The third item would take the quote over MAX_CHARS: the first two, whole, and nothing of the third.
    steps = Index.build([analyse(parse_document("steps", STEPS, "markdown"))])
    quote = answer(steps, "What should I note before I move house?").quotes[0].text
    assert quote.endswith("Before you move, note:\n\nParcels already sent still go to the old address, and we "
                          "cannot stop or redirect them once they have left the warehouse, whatever the carrier's "
                          "own website offers.\n\nInvoices show the address they were sent to on the day they were "
                          "made, so old invoices keep the old address.")


def test_a_plain_texts_numbered_lines_after_a_colon_are_quoted_with_it():
    text = ("Resetting your password\n\nTo reset your password:\n1. Open the sign-in page.\n2. Enter the address "
            "you signed up with.\n3. Open the message we send you. Follow its link.\n\nThe link works only once.")
    steps = Index.build([analyse(parse_document("steps", text))])
    assert answer(steps, "How do I reset my password?").quotes[0].text == (
        "To reset your password:\n1. Open the sign-in page.\n2. Enter the address you signed up with.\n3. Open the "
        "message we send you. Follow its link.")


def test_a_faq_entry_that_asks_nothing_in_so_many_words_is_answered_by_its_reply_not_quoted():
    page = (Path(__file__).resolve().parent / "pages" / "kettle-faq.html").read_text()
    kettle = Index.build([analyse(parse_document("kettle", page, "html"))])
    reply = answer(kettle, "why are there white flakes in my kettle?", settings=AnswerSettings(min_confidence=0))
    assert reply.quotes[0].text.startswith("That is limescale from hard water.")


def test_a_plain_faqs_question_is_answered_by_its_reply_not_quoted():
    faq = ("Help centre\n\nHow do I reset my password?\n\nOpen Settings, choose Security and press Reset.\n\n"
           "Can I pay by invoice?\n\nYes, for yearly plans. Monthly plans are paid by card.")
    help_centre = Index.build([analyse(parse_document("help", faq))])
    reply = answer(help_centre, "How do I reset my password?", settings=AnswerSettings(min_confidence=0))
    assert reply.quotes[0].text == "Open Settings, choose Security and press Reset."


def test_the_paragraphs_of_an_html_list_item_are_all_the_list():
    page = ("<html><body><main><h1>Closing your account</h1><p>Closing deletes your saved searches. Before you "
            "close it, keep in mind:</p><ul><li>Your invoices stay with us for seven years.</li><li><p>You cannot "
            "reopen a closed account.</p><p>A new account starts empty.</p></li><li>Refunds take ten days.</ul>"
            "<p>To close it, write to the support team.</p></main></body></html>")
    closing = Index.build([analyse(parse_document("closing", page, "html"))])
    assert answer(closing, "What should I keep in mind before I close my account?").quotes[0].text.endswith(
        "keep in mind:\n\nYour invoices stay with us for seven years.\n\nYou cannot reopen a closed account.\n\n"
        "A new account starts empty.\n\nRefunds take ten days.")


PAYING = """\
# Paying

## Payment methods

We take these payment methods:

- Cards (Visa, Mastercard)
- PayPal
- Bank transfer, for yearly plans only

We never take cash.
"""


def test_a_list_item_is_quoted_with_the_sentence_that_introduces_its_list_and_the_rest_of_the_list():
    # "PayPal" alone would not say what it is an item of; the list whole says what else there is.
    paying = Index.build([analyse(parse_document("paying", PAYING, "markdown"))])
    whole = ("We take these payment methods:\n\nCards (Visa, Mastercard)\n\nPayPal\n\nBank transfer, for yearly "
             "plans only")
    assert answer(paying, "Can I pay with PayPal?").quotes[0].text == whole
    doc = paying.documents[0]
    paypal = next(i for i in range(len(doc.sentences)) if doc.sentence_text(i) == "PayPal")
    assert leaned_on(doc, paypal) == paypal - 2
    cash = next(i for i in range(len(doc.sentences)) if doc.sentence_text(i).startswith("We never"))
    assert leaned_on(doc, cash) == cash  # after the list: no item of it


NUMBERED = """\
# Fixing a slow build

1. Clear the cache. To clear it, run:

   ```
   make clean
   ```

2. Build again with more jobs. This is usually enough.

A third of builds need nothing more.
"""


def test_a_colon_inside_a_lists_item_introduces_what_is_deeper_not_the_next_item_of_its_own_list():
    numbered = Index.build([analyse(parse_document("numbered", NUMBERED, "markdown"))])
    assert answer(numbered, "How do I clear the cache?").quotes[0].text == "To clear it, run:\n\nmake clean"


def test_a_plain_faqs_question_line_is_never_the_answer_its_reply_is():
    faq = build(help="Account help\n\nQ: Can I change my username?\nA: No. Usernames are permanent, but the "
                     "display name can change.\n\nQ: Where are my invoices?\nA: Under Billing, as PDF files.")
    quote = answer(faq, "Can I change my username?", settings=AnswerSettings(min_confidence=0)).quotes[0]
    assert quote.text.startswith("A: No.")


BUILDING = """\
# Building the server

You can build a 32 bit binary using:

    % make 32bit

After building it, it is a good idea to test it using:

```
% make test
```
"""


def test_a_sentence_ending_in_a_colon_is_quoted_with_the_code_block_it_introduces_however_the_code_looks():
    # Short and without closing punctuation, a line of code looks like a heading; the format says it is code.
    building = Index.build([analyse(parse_document("building", BUILDING, "markdown"))])
    assert answer(building, "How do I build a 32 bit binary?").quotes[0].text == (
        "You can build a 32 bit binary using:\n\n% make 32bit")
    assert answer(building, "How should I test it after building?").quotes[0].text == (
        "After building it, it is a good idea to test it using:\n\n% make test")


def test_a_table_row_is_quoted_as_an_answer_in_its_whole_table_when_that_fits():
    # Short and without closing punctuation, a row looks like a heading, and a heading is never quoted. Alone,
    # "Children 250 mg twice a day" would not say what its numbers are; the table beside it does.
    doses = Index.build([analyse(parse_document("doses", "# Dosing\n\nThe usual doses:\n\n| Who | Dose |\n"
                                                "| --- | --- |\n| Adults | 500 mg twice a day |\n"
                                                "| Children | 250 mg twice a day |\n", "markdown"))])
    assert answer(doses, "What is the dose for children?").quotes[0].text.endswith(
        "Who Dose\nAdults 500 mg twice a day\nChildren 250 mg twice a day")


PRICES = "# Prices\n\n| Plan | Monthly | Yearly |\n| --- | --- | --- |\n" + "".join(
    f"| {plan} | {monthly} euros a month | {monthly * 10} euros a year |\n"
    for plan, monthly in [("Starter", 5), ("Team", 12), ("School", 3), ("Charity", 2), ("Studio", 30),
                          ("Agency", 45), ("Enterprise", 90), ("Archive", 1), ("Hobby", 4), ("Student", 1)]
) + "\nPrices include sales tax.\n"


def test_a_row_of_a_table_too_long_to_quote_is_quoted_with_the_column_heads_when_they_fit_else_alone():
    prices = Index.build([analyse(parse_document("prices", PRICES, "markdown"))])
    quoted = AnswerSettings(min_confidence=0.0)  # what is quoted, not whether words alone are sure enough
    assert answer(prices, "How much is the Team plan?", settings=quoted).quotes[0].text == (
        "Plan Monthly Yearly\nStarter 5 euros a month 50 euros a year\nTeam 12 euros a month 120 euros a year")
    # Far down, the heads and the rows above it would not fit beside it: the row alone, not with the next one,
    # which shares its columns' words.
    assert answer(prices, "How much is the Hobby plan a year?", settings=quoted).quotes[0].text == (
        "Hobby 4 euros a month 40 euros a year")


def test_a_table_row_is_judged_with_its_tables_column_heads_wherever_it_stands():
    prices = Index.build([analyse(parse_document("prices", PRICES, "markdown"))]).documents[0]
    hobby = next(i for i in range(len(prices.sentences)) if prices.sentence_text(i).startswith("Hobby"))
    assert {stem("plan"), stem("hobby")} <= quoted_terms(prices, hobby)  # "Plan" is a column head only
    assert leaned_on(prices, hobby) == hobby  # judged with the heads, not with the rows between


SCANNER = """\
# Scanner questions

## Who may use the scanner?

If you want a certain user to use the scanner, add the user to the scanner group, i.e. do:

adduser user scanner

This way you won't have to change the permissions of the device file.

## Why is it slow?

Scanning at full resolution takes time:

The scanner reads each line twice.

It then sends the page to the computer.
"""


def test_a_sentence_that_points_back_past_a_command_is_quoted_with_what_introduced_the_command():
    # "This way" is adding the user to the group: quoted alone, it would say what is spared, not what to do.
    scanner = Index.build([analyse(parse_document("scanner", SCANNER, "markdown"))])
    quote = answer(scanner, "How can I avoid changing the permissions of the device file?").quotes[0]
    assert quote.text == ("If you want a certain user to use the scanner, add the user to the scanner group, i.e. "
                          "do:\n\nadduser user scanner\n\nThis way you won't have to change the permissions of the "
                          "device file.")
    # After a whole sentence in a paragraph of its own, a sentence that points back leans on nothing it can show.
    doc = scanner.documents[0]
    leaning = next(i for i in range(len(doc.sentences)) if doc.sentence_text(i).startswith("It then sends"))
    assert leaned_on(doc, leaning) == leaning


@pytest.mark.parametrize(("text", "fmt", "section"), [
    ("Pond notes\n\nLiners\n\nMost ponds need a liner to hold their water.", "text", ("Liners",)),
    # A plain text's field set like a heading is cited as no section.
    ("Pond notes\n\nSHA: edfe02a438fa9b667313da8f03614303fc2a4a14\n\nMost ponds need a liner to hold their water.",
     "text", ()),
    # A heading the format marks is one, whatever it looks like: an API reference's name is its topic.
    ("<h1>Pond kit</h1><dl><dt><code>pond_liner_v2x4</code></dt><dd>Most ponds need a liner to hold their water."
     "</dd></dl>", "html", ("pond_liner_v2x4",)),
])
def test_a_quote_is_cited_under_the_headings_that_name_a_topic(text, fmt, section):
    ponds = Index.build([analyse(parse_document("ponds", text, fmt))])
    assert answer(ponds, "Do ponds need a liner?").quotes[0].section == section

@pytest.mark.parametrize(("question", "about_it"), [
    ("What is this article about?", True),
    ("tl;dr", True),
    ("Can you sum it up?", True),
    ("Give me a summary of the leaflet", True),
    ("What is lamotrigine about?", False),  # names what it asks about
    ("What does the leaflet say about pregnancy?", False),
    ("What about it?", False),  # a follow-up
])
def test_a_question_about_the_whole_document_is_told_apart(question, about_it):
    assert asks_what_it_is_about(question) is about_it


def test_what_a_document_is_about_is_answered_by_its_opening():
    printer = Index.build([analyse(parse_document("printer", PRINTER, "markdown"))])
    opening = answer(printer, "What is this page about?")
    assert opening.message == OPENING
    assert opening.quotes[0].text == "To clear every waiting print job, run:\n\ncancel -a"  # headings skipped


def test_a_document_with_a_summary_section_is_about_what_its_summary_says():
    report = Index.build([analyse(parse_document("report", (
        "# Kettle trial report\n\nThe trial ran from March to May in four kitchens.\n\n"
        "## 1. Summary\n\nNine of ten kettles still boiled after a thousand cycles.\n\n"
        "## 2. Method\n\nEach kettle was filled, boiled and emptied by a robot arm.\n"), "markdown"))])
    summed_up = answer(report, "What is this report about?")
    assert summed_up.quotes[0].text.startswith("Nine of ten kettles")
    assert summed_up.message == SUMMARY
    empty_summary = Index.build([analyse(parse_document("notes", (
        "# Kettle notes\n\nThe kettles were bought in March.\n\n## Summary\n\n## Method\n\n"
        "Each kettle was filled by hand.\n"), "markdown"))])
    opening = answer(empty_summary, "What is this report about?")  # a summary with nothing under it: the opening
    assert opening.quotes[0].text == "The kettles were bought in March." and opening.message == OPENING


def test_of_several_documents_the_opening_is_the_chosen_one_s_or_the_last_quoted_one_s(index):
    assert answer(index, "Summarise this").message != OPENING  # which document? answered as any question
    chosen = answer(index, "Summarise this", documents=["tomatoes"]).quotes[0]
    assert chosen.text.startswith("Tomatoes need at least six hours")
    last = answer(index, "What is the dose?").quotes[0]
    talked_about = answer(index, "What is this about?", ["What is the dose?"],
                          last_shown=[(last.document, last.start, last.end)])
    assert talked_about.message == OPENING and talked_about.quotes[0].document == "lamotrigine"


def test_a_question_that_changes_topic_is_not_dragged_back(index):
    history = ["What are the common side effects of lamotrigine?"]
    assert "sunlight" in first_quote(index, "How much sunlight do tomatoes need?", history)
    assert not answer(index, "Who won the 2018 World Cup final?", history).found


def sentence_feature(index: Index, question: str, sentence: str, name: str) -> float:
    query = build_query(question, index)
    ranked, _ = rank(query, index.search(query.terms, None, k=12), index, None)
    return float(next(c for c in ranked if sentence in c.text).features[FEATURES.index(name)])


def test_a_question_word_counts_as_repeated_only_where_it_stands_whole(index):
    # lamotrigine, stevens, johnson, syndrome: "cause" is not whole inside "causes", "headaches" is absent.
    assert sentence_feature(index, "Does lamotrigine cause Stevens-Johnson syndrome or headaches?",
                            "Stevens-Johnson", "exact") == pytest.approx(4 / 6)


def test_a_question_word_with_an_apostrophe_counts_as_repeated():
    clinic = build(clinic="The Clinic\n\nThe clinic of Dr. O'Brien opened in 1990. It treats migraine.\n",
                   tomatoes=GARDENING)
    # o'brien and clinic; "open" is not whole inside "opened".
    assert sentence_feature(clinic, "When did O'Brien's clinic open?", "O'Brien", "exact") == pytest.approx(2 / 3)


def decline_feature(index: Index, question: str, name: str) -> float:
    query = build_query(question, index)
    ranked, idf = rank(query, index.search(query.terms, None, k=12), index, None)
    return float(decline_features(query, ranked, index, idf)[DECLINE_FEATURES.index(name)])


# SQuAD's unanswerable questions are answerable ones with one thing changed; each edit below is one of its kinds.
@pytest.mark.parametrize(("asked", "edited", "feature"), [
    ("What lowers the level of lamotrigine in the blood?", "What raises the level of lamotrigine in the blood?",
     "antonym"),
    ("Do women taking hormonal contraceptives need a higher dose?",
     "Do women taking hormonal contraceptives not need a higher dose?", "negation_unmatched_sentence"),
    ("How many patients develop a mild rash in the first weeks?",
     "How many patients develop a mild rash in the first three weeks?", "quantity_missing"),
])
def test_a_question_edited_away_from_the_text_loses_confidence(index, asked, edited, feature):
    assert decline_feature(index, asked, feature) == 0.0
    assert decline_feature(index, edited, feature) == 1.0
    assert answer(index, edited).confidence < answer(index, asked).confidence


def test_the_scale_a_how_question_asks_about_is_no_swapped_opposite(index):
    # "slowly" answers "How quickly…?"; "rapidly" in "How slowly…?" would too.
    assert decline_feature(index, "How quickly is the dose of lamotrigine raised?", "antonym") == 0.0


def test_names_the_best_sentence_lacks_and_words_its_document_lacks_are_measured(index):
    assert decline_feature(index, "Who developed lamotrigine at the Wellcome laboratories?",
                           "names_missing_sentence") == 0.0
    assert decline_feature(index, "Who developed lamotrigine at the Pfizer laboratories?",
                           "names_missing_sentence") == 1.0
    assert decline_feature(index, "Who developed lamotrigine at the laboratories?", "missing_from_document") == 0.0
    # "sunlight" is in the corpus (the tomato page) but not in the lamotrigine document that answers the rest.
    assert decline_feature(index, "Who developed lamotrigine in sunlight at the laboratories?",
                           "missing_from_document") > 0.0


def test_a_short_form_the_question_defines_and_digits_in_a_name_are_not_missing_names_or_numbers(index):
    assert decline_feature(index, "What serious rash can lamotrigine (LTG) cause?", "names_missing") == 0.0
    assert decline_feature(index, "What serious rash can lamotrigine cause in LTG users?", "names_missing") == 1.0


@pytest.mark.parametrize("question", [
    "Is it OK to take lamotrigine if I get a mild rash?",
    "Can I get a mild rash while I'm taking lamotrigine?",
    "Can I get a mild rash if I've been taking lamotrigine?",
])
def test_the_pronoun_i_and_ok_are_no_names_the_text_must_hold(index, question):
    assert decline_feature(index, question, "names_missing") == 0.0
    assert decline_feature(index, question, "names_missing_sentence") == 0.0


def test_a_name_that_merely_opens_like_the_pronoun_i_is_still_a_name(index):
    assert decline_feature(index, "Does lamotrigine cause a mild rash near I-95?", "names_missing") == 1.0
    assert decline_feature(index, "Does lamotrigine cause a mild rash in Iceland?", "names_missing") == 1.0
    assert decline_feature(index, "What serious rash does lamotrigine cause with HLA-1502?", "number_missing") == 0.0
    assert decline_feature(index, "What serious rash does lamotrigine cause in 1502 patients?",
                           "number_missing") == 1.0


@pytest.mark.parametrize("question", [
    "What is the capital of France?",  # geography
    "Who won the 2018 World Cup final?",  # sport
    "How long should I boil spaghetti?",  # cooking
    "What does lamotrigine cost at a pharmacy?",  # on topic, but the source never gives a price
    "What is the half-life of lamotrigine in plasma?",  # on topic, but never stated
    "qwxz plorb vhenk",  # gibberish
])
def test_questions_the_source_does_not_answer_are_declined(index, question):
    result = answer(index, question)
    assert not result.found
    assert result.quotes == []
    assert "does not answer" in result.message


def test_the_decline_threshold_is_configurable(index):
    question = "Does lamotrigine cause nausea?"
    assert answer(index, question).found
    assert not answer(index, question, settings=AnswerSettings(min_confidence=1.0)).found


def test_no_two_quotes_say_the_same_thing():
    repeated = "Aspirin thins the blood and lowers the risk of stroke."
    text = f"Aspirin Notes\n\n{repeated}\n\nOther notes follow here.\n\n{repeated}\n\nAspirin thins the blood."
    result = answer(build(aspirin=text), "Does aspirin thin the blood and lower stroke risk?")
    assert result.found
    texts = [q.text for q in result.quotes]
    assert len(texts) == len(set(texts))
    assert len(texts) == 1


def test_every_quote_is_a_slice_of_its_document_text(index):
    for question in ["What are the common side effects of lamotrigine?", "Who developed lamotrigine?",
                     "How often should tomatoes be watered?", "Is Lamictal safe in pregnancy?"]:
        for quote in answer(index, question).quotes:
            document = index.documents[index.position[quote.document]].document
            assert document.text[quote.start:quote.end] == quote.text


def test_an_answer_stays_short(index):
    result = answer(index, "What are the side effects and the risks of lamotrigine during pregnancy?")
    assert 1 <= len(result.quotes) <= 2
    assert sum(len(q.text) for q in result.quotes) <= 400


def test_a_sentence_about_something_named_in_lower_case_is_quoted_as_a_real_sentence():
    tools = build(tools="Package tools\n\nThe system ships several tools for handling packages.\n\n"
                        "synaptic is a graphical package manager with menus and buttons.\n\n"
                        "Packages can also be handled from a terminal.")
    assert first_quote(tools, "Is there a graphical package manager?").startswith("synaptic is a graphical")


PRINTER_FAQ = """# Printer questions

## How do I find out which model I have?

It is easy to find.

Open the front cover.

Look behind the paper tray.

There is a white label there.

The second line of that label names the model.

Ignore the serial number on the first line.

## Why does it beep?

It beeps when the paper runs out.
"""


def test_a_matching_heading_brings_the_later_sentences_of_its_section_as_candidates():
    index = Index.build([analyse(parse_document("printer", PRINTER_FAQ, "markdown"))])
    doc = index.documents[0]
    texts = [doc.sentence_text(i) for i in range(len(doc.sentences))]
    heading = texts.index("How do I find out which model I have?")
    # Retrieved: the heading's passage alone, which holds none of the sentences under it.
    heading_passage = index.passage_around(0, heading)
    assert heading_passage.first == heading_passage.last == heading
    found = {c.text for c in candidates([(heading_passage, 1.0)], index)}
    assert "The second line of that label names the model." in found
    assert "It beeps when the paper runs out." not in found
