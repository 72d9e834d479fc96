"""blocks.notes_placed: every format's footnotes moved to where their marks are, and nothing lost on the way."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from qa_service.blocks import Block, notes_placed

NAMES = ("a", "b", "c")
blocks_st = st.lists(st.builds(
    Block, text=st.text(alphabet="xyz", min_size=1, max_size=3), row=st.booleans(),
    item=st.integers(min_value=0, max_value=2), note=st.sampled_from(("", "", *NAMES)),
    refers=st.lists(st.sampled_from(NAMES), max_size=2).map(tuple)), max_size=12)


@given(blocks_st)
def test_placing_notes_keeps_every_block_once(blocks):
    placed = notes_placed(blocks)
    assert Counter(b.text for b in placed) == Counter(b.text for b in blocks)
    assert Counter(replace(b, item=0) for b in placed) == Counter(replace(b, item=0) for b in blocks)


def test_a_note_follows_the_first_block_that_refers_to_it_past_the_rest_of_its_table():
    blocks = [Block("Intro", refers=("n",)), Block("Model Size", row=True),
              Block("Mini 0.8 l", row=True, refers=("m",)),
              Block("Family 1.7 l", row=True), Block("After."), Block("Note n.", note="n"),
              Block("Note m.", note="m", item=1), Block("Again", refers=("n",))]
    assert [(b.text, b.item) for b in notes_placed(blocks)] == [
        ("Intro", 0), ("Note n.", 0), ("Model Size", 0), ("Mini 0.8 l", 0), ("Family 1.7 l", 0), ("Note m.", 0),
        ("After.", 0), ("Again", 0)]


def test_a_note_nothing_outside_the_notes_refers_to_stays_where_it_is():
    blocks = [Block("Text."), Block("Note a.", note="a", refers=("b",)), Block("Note b.", note="b", refers=("b",))]
    assert notes_placed(blocks) == blocks
