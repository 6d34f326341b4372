"""Access control and query safety: who the caller is, what they may read, how much
a request may cost. Every resolver's access goes through `policy`; see docs/clients.md's
"Access control" section for the rules per role."""
