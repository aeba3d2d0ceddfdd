"""Photo credits: names a news page prints after a caption, which answer no question but "who took it".

A caption ends in its photographer's name and 摄 (王振宇摄, 新华社记者 姜克红摄). To a reader the
name looks like any person's, so asked 肇庆高新区的书记是谁？ about a page that names no 书记, it
answers with the photographer of the nearby caption. Spans that are such a credit are dropped
from the trained reader's candidates unless the question asks about the picture or its author.
"""

from __future__ import annotations

import re

# The span is followed by 摄 that ends the credit: the passage ends, or a break, a closing bracket
# or the next caption follows. 拍摄 is not matched: 该片由张艺谋拍摄 names a director, an answer.
_CREDIT_END = re.compile(r"\s*(?:/|／)?摄(?=$|[\s。；;，,)）\]】」』]|图为)")
_ASKS_CREDIT = re.compile(r"摄|拍|照片|图片|相片|配图|记者|作者|署名|图为")


def is_credit(passage: str, start: int, end: int) -> bool:
    """Whether passage[start:end] is a photo credit: a name (or agency and name) closed by 摄."""
    if start >= end:
        return False
    cut = end - 1 if passage[end - 1] == "摄" else end  # the reader's span may take 摄 with the name
    return cut > start and _CREDIT_END.match(passage, cut) is not None


def asks_credit(question: str) -> bool:
    """Whether a question asks about a picture or who made it (then a credit may be its answer)."""
    return _ASKS_CREDIT.search(question) is not None
