"""Text primitives in code-point offsets: script and folding, sentences, words and tokens, highlights."""

from qa.text.script import fold, is_cjk, is_mostly_cjk, is_unicode, normalize, to_half_width, to_simplified
from qa.text.sentences import split_sentences
from qa.text.words import STOPWORDS, find_all, index_tokens, pos_tags, query_terms, whole_words, words

__all__ = [
    "STOPWORDS",
    "find_all",
    "fold",
    "index_tokens",
    "is_cjk",
    "is_mostly_cjk",
    "is_unicode",
    "normalize",
    "pos_tags",
    "query_terms",
    "split_sentences",
    "to_half_width",
    "to_simplified",
    "whole_words",
    "words",
]
