"""Conversations: earlier turns, and a follow-up question completed from them (no generative model).

`turns` checks the history a client sends; `topic` finds what a question is about; `followup`
turns a question that leans on the turn before into readings that stand alone; `asking` asks
them and keeps the reading the reader is surest of.
"""
