"""Table rows as texts: a wide row is cut into even texts that each name the row and end a sentence."""

from __future__ import annotations

import random

import pytest

from qa.ingest.readers.table_rows import ROW_CHARS, pieces, row_texts


def test_a_wide_row_is_cut_into_texts_each_led_by_its_label() -> None:
    names = ["", *(f"Column number {k}" for k in range(30))]
    values = ["Illinois", *(f"{k * 1000:,}" for k in range(30))]

    texts = row_texts(names, values)

    assert len(texts) == 3
    assert all(t.startswith("Illinois | ") and t.endswith(".") and len(t) <= ROW_CHARS for t in texts)
    # Every value once, in order, still after its column's name.
    pairs = [pair for t in texts for pair in t.removeprefix("Illinois | ").removesuffix(".").split("; ")]
    assert pairs == [f"Column number {k}: {k * 1000:,}" for k in range(30)]


@pytest.mark.parametrize(
    "names,values,texts",
    [
        (["", "2023"], ["Sales", "10"], ["Sales | 2023: 10."]),
        (["学历", "人数"], ["本科", "12"], ["学历: 本科; 人数: 12."]),
        (["", "说明"], ["备注", "见附注"], ["备注 | 说明: 见附注。"]),  # a Chinese row ends as Chinese does
        (["Note"], ["Already ended."], ["Note: Already ended."]),
        (["", ""], ["", ""], []),
    ],
)
def test_a_row_ends_a_sentence_so_the_splitter_keeps_it_whole(
    names: list[str], values: list[str], texts: list[str]
) -> None:
    assert row_texts(names, values) == texts


def test_pieces_cover_every_item_in_order_within_the_bound_and_evenly() -> None:
    rng = random.Random(7)
    for _ in range(300):
        lengths = [rng.randint(1, 60) for _ in range(rng.randint(0, 40))]
        bound = rng.randint(60, 400)
        runs = pieces(lengths, bound)
        assert [k for a, b in runs for k in range(a, b)] == list(range(len(lengths)))
        sizes = [sum(lengths[a:b]) for a, b in runs]
        assert all(size <= bound for size in sizes)
        # Not a full text and a scrap: no more texts than twice the fewest that could hold them.
        assert len(runs) <= max(1, 2 * -(-sum(lengths) // bound))
