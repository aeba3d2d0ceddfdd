"""Answer feedback: submissions checked on entry, kept in SQLite, exported as SQuAD labels."""
