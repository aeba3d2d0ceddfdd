"""Collection names: what a folder and a URL can hold, nothing hidden, nothing that climbs out."""

from __future__ import annotations

import pytest

from qa.collections.names import check_name
from qa.errors import BadRequest


@pytest.mark.parametrize("name", ["a", "reports", "team-a_2024", "0", "x" * 64])
def test_good_names_pass(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "Reports", "-a", "_a", "a/b", "..", ".hidden", "a b", "x" * 65, "报告", None, 3, "a\n"]
)
def test_bad_names_are_refused_with_the_rule(name: object) -> None:
    with pytest.raises(BadRequest) as caught:
        check_name(name)
    assert caught.value.status == 400 and caught.value.code == "invalid_name"
    assert "a-z" in caught.value.message
