"""Readers pick the answer span in a passage: the Reader protocol, router, sentence relevance; heuristic/, trained/."""

from qa.reading.reader import Policy, Reader, Reading, ScoredSpan, SentenceScores

__all__ = ["Policy", "Reader", "Reading", "ScoredSpan", "SentenceScores"]
