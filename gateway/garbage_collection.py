"""Python's cyclic garbage collector, set for a server that builds large answers.

The collector runs when allocations outnumber deallocations by a threshold (700 by
default), and every run of an older generation walks every object that generation holds.
A gateway answering a page of 200 payment requests allocates hundreds of thousands of
objects that all die with the request; with 16 such requests in flight the default
thresholds make the collector walk their live objects again and again. Measured on the
medium look-alike data (Q1 of bench/peer, 200 requests with their history, `wrk` on one
`smartgate serve`), in answers a second:

| connections | default | `freeze` only | `freeze`, thresholds 10,000 / 10 / 10 |
|---|---|---|---|
| 1 | 15.7–16.4 | 15.7 | 21.6 |
| 4 | 9.6 | 12.2 | 19.0 |
| 16 | 5.5 | 6.4 | 12.1 |

What the thresholds cost is memory held a little longer by cyclic garbage (reference
counting still frees everything else at once): a young collection every 10,000 net
allocations instead of 700, an old one every hundred young ones.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 10, 10)


def tune_for_serving() -> None:
    """Move what exists now (the schema, the settings, imported modules) out of the
    collector's sight for good, and raise its thresholds. Called once per serving process,
    after the app is built and before it serves."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
