"""Named collections managed while a server runs: documents uploaded and deleted through a queue that one
writer per collection applies to its index (issue 32)."""
