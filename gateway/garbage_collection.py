"""Python's cyclic garbage collector, set for a server that builds large answers.

The collector runs when allocations outnumber deallocations by a threshold (700 by
default), and every run of an older generation walks every object that generation holds.
A gateway answering a page of 200 payment requests allocates hundreds of thousands of
objects that all die with the request (an operation's loaders are let go when its answer
is made, so reference counting frees nearly all of them); with 16 such requests in
flight the default thresholds make the collector walk their live objects again and again.
Answers a second of bench/peer's Q1 (200 payment requests with their history) on one
`smartgate serve`, city scale, two runs of `python bench/garbage_collection.py --scale
city --seconds 6`; the last three columns are `freeze` with those thresholds:

| connections | defaults | `freeze` only | 10,000/10/10 | 50,000/20/100 | 100,000/10/10 |
|---|---|---|---|---|---|
| 1 | 10.7–12.4 | 10.7–12.8 | 11.7–13.3 | 13.9–14.4 | 12.0–14.5 |
| 4 | 14.0–14.4 | 13.4–15.8 | 16.5–17.4 | 17.0–18.4 | 16.4–17.1 |
| 16 | 13.3–14.3 | 12.4–16.2 | 15.2–15.7 | 15.9–18.8 | 14.5–15.8 |

In-process, a city Q3 (2,080 requests with their histories) met six young collections
at 10,000 (30 ms of its 300-470 ms), one at 50,000. What the thresholds cost is memory
held a little longer by cyclic garbage (reference counting still frees everything else at
once): a young collection every 50,000 net allocations instead of 700, an older one every
twenty young ones, the oldest every hundred of those (or sooner, by Python's own rule,
when a quarter of the old generation is new to it).
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)


def tune_for_serving() -> None:
    """Move what exists now (the schema, the settings, imported modules) out of the
    collector's sight for good, and raise its thresholds. Called once per serving process,
    after the app is built and before it serves."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
