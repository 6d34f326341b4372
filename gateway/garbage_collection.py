"""Python's cyclic garbage collector, set for a server that builds large answers.

The collector runs when allocations outnumber deallocations by a threshold (700 by
default), and every run of an older generation walks every object that generation holds.
A gateway answering a page of 200 payment requests allocates hundreds of thousands of
objects that all die with the request (an operation's loaders are let go when its answer
is made, so reference counting frees nearly all of them); with 16 such requests in
flight the default thresholds make the collector walk their live objects again and again.

The count that starts a young collection is allocations minus deallocations, so it falls
back when a request's answer is let go: a collection starts only when the objects alive
at once pass the threshold. At 50,000 a city Q3 (52 departments x 40 payment requests
with their histories, 2 MB) still met one young collection per request, in-process: 27
in 28 requests, about 30 ms each, walking the request's live answer (10% of its time);
at 200,000 none in 28. An operation used to leave its objects in a reference cycle
(about 60 a tiny query), which only a collection frees: with them, bench/peer's Q2 met a
young collection of about 66 ms every 3,000 requests in-process. Now that nothing of an
answered operation is left in a cycle (`gateway.acyclic_executor`), it met none in 15,000,
and its CPU a request fell from 770 to 650 µs. Under load the requests in flight add up
and collections come back, no worse than before.

Answers a second of bench/peer's queries on one `smartgate serve`, city scale, `python
bench/garbage_collection.py --scale city --query Q3` (then `--query Q1 --seconds 6`),
2026-11-30, with the server's peak resident memory; the load generator and PostgreSQL
share the two cores with the gateway, so figures differ by a tenth from run to run:

| Q3 collector | 1 conn. | 4 conn. | 16 conn. | peak RSS |
|---|---|---|---|---|
| Python's defaults | 1.6 | 2.0 | 2.2 | 215 MiB |
| `freeze` only | 2.5 | 2.4 | 2.4 | 209 MiB |
| `freeze`, 10,000/10/10 | 2.5 | 2.6 | 2.5 | 213 MiB |
| `freeze`, 50,000/20/100 | 2.5 | 3.0 | 3.3 | 216 MiB |
| `freeze`, 100,000/10/10 | 2.9 | 3.0 | 3.5 | 228 MiB |
| `freeze`, 200,000/20/100 | 2.5 | 3.5 | 3.2 | 215 MiB |

| Q1 collector | 1 conn. | 4 conn. | 16 conn. | peak RSS |
|---|---|---|---|---|
| Python's defaults | 15.9 | 21.0 | 18.3 | 93 MiB |
| `freeze` only | 17.2 | 22.3 | 19.2 | 92 MiB |
| `freeze`, 50,000/20/100 | 19.4 | 24.4 | 22.3 | 94 MiB |
| `freeze`, 200,000/20/100 | 17.0 | 23.9 | 22.0 | 99 MiB |

(At 16 connections a few Q3 requests are refused with 503 by the gateway's own load
shedding, as designed.) What the thresholds cost is memory held a little longer by cyclic
garbage (reference counting still frees everything else at once): a young collection
every 200,000 net allocations instead of 700, an older one every twenty young ones, the
oldest every hundred of those (or sooner, by Python's own rule, when a quarter of the old
generation is new to it).
"""

from __future__ import annotations

import gc

THRESHOLDS = (200_000, 20, 100)


def tune_for_serving() -> None:
    """Move what exists now (the schema, the settings, imported modules) out of the
    collector's sight for good, and raise its thresholds. Called once per serving process,
    after the app is built and before it serves."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
