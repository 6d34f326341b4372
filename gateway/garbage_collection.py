"""Python's cyclic garbage collector, set for a server that builds large answers.

The collector runs when allocations outnumber deallocations by a threshold (700 by
default), and every run of an older generation walks every object that generation holds.
A gateway answering a page of 200 payment requests allocates hundreds of thousands of
objects that all die with the request; with 16 such requests in flight the default
thresholds make the collector walk their live objects again and again. Answers a second
of bench/peer's Q1 (200 payment requests with their history) on one `smartgate serve`,
medium look-alike data, two runs of `python bench/garbage_collection.py`:

| connections | defaults | `freeze` only | `freeze`, 10,000/10/10 | `freeze`, 50,000/20/100 |
|---|---|---|---|---|
| 1 | 12.7–16.4 | 15.7–18.5 | 21.3–21.6 | 19.0–21.3 |
| 4 | 9.6–10.0 | 12.2–13.8 | 19.0 | 17.2–19.4 |
| 16 | 5.0–5.5 | 5.1–6.4 | 10.6–12.1 | 12.7–13.1 |

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
