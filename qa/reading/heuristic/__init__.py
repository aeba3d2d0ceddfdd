"""The rule-based reader: sentence relevance, answer-kind candidates and question alignment, no trained model."""

from qa.reading.heuristic.reader import ANSWER_THRESHOLD, HeuristicReader

__all__ = ["ANSWER_THRESHOLD", "HeuristicReader"]
