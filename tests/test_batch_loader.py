"""`gateway.loaders.BatchLoader` batches exactly as aiodataloader's DataLoader does: the
same keys in the same batches, whichever loop iteration each load is asked in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from aiodataloader import DataLoader

from gateway.loaders import BatchLoader


async def batches_of(
    make: Callable[..., DataLoader[int, int]], pauses: list[int]
) -> list[list[int]]:
    """The batches a loader made of loads asked after `pauses[i]` loop iterations each
    (several tasks asking, as sibling resolvers do), and what each load answered."""
    batches: list[list[int]] = []

    async def batch(keys: list[int]) -> list[int]:
        batches.append(list(keys))
        await asyncio.sleep(0)
        return [key * 10 for key in keys]

    loader = make(batch)

    async def ask(key: int, pause: int) -> int:
        for _ in range(pause):
            await asyncio.sleep(0)
        return await loader.load(key)

    answers = await asyncio.gather(*(ask(key, pause) for key, pause in enumerate(pauses)))
    assert answers == [key * 10 for key in range(len(pauses))]
    return batches


@pytest.mark.parametrize(
    "pauses",
    [
        [0],
        [0, 0, 0],
        [0, 1, 2, 3, 4, 5],
        [0, 0, 1, 1, 2, 2, 3, 3],
        [3, 2, 1, 0, 1, 2, 3],
        [0, 2, 4, 6, 8],
        [5, 5, 0, 1, 9, 2, 2, 7],
    ],
)
async def test_the_same_keys_go_in_the_same_batches_as_with_aiodataloader(
    pauses: list[int],
) -> None:
    assert await batches_of(BatchLoader, pauses) == await batches_of(DataLoader, pauses)


async def test_a_failed_batch_fails_each_of_its_loads() -> None:
    async def batch(keys: list[int]) -> list[int]:
        raise RuntimeError("the source failed")

    loader: BatchLoader[int, int] = BatchLoader(batch)
    answers = await asyncio.gather(loader.load(1), loader.load(2), return_exceptions=True)
    assert [str(answer) for answer in answers] == ["the source failed"] * 2


async def loads_of(
    make: Callable[..., DataLoader[int, int]], keys: list[int], pauses: list[int]
) -> tuple[list[list[int]], list[int], int]:
    """Batches, answers and distinct futures of loads of `keys` (repeats among them),
    each asked after its pause."""
    batches: list[list[int]] = []

    async def batch(asked: list[int]) -> list[int]:
        batches.append(list(asked))
        return [key * 10 for key in asked]

    loader = make(batch)
    futures: list[asyncio.Future[int]] = []

    async def ask(key: int, pause: int) -> int:
        for _ in range(pause):
            await asyncio.sleep(0)
        futures.append(loader.load(key))
        return await futures[-1]

    answers = await asyncio.gather(*(ask(k, p) for k, p in zip(keys, pauses, strict=True)))
    return batches, list(answers), len({id(f) for f in futures})


@pytest.mark.parametrize(
    "options",
    [{}, {"cache": False}, {"max_batch_size": 2}, {"get_cache_key": lambda key: key % 2}],
)
async def test_repeated_keys_and_loader_options_load_as_with_aiodataloader(
    options: dict[str, object],
) -> None:
    """A key asked again answers from the loader's cache (one future for both) while
    caching is on, with or without the options that `BatchLoader.load` leaves to
    aiodataloader's own `load`."""
    keys, pauses = [1, 2, 1, 3, 2, 1, 4, 4], [0, 0, 0, 1, 1, 2, 2, 3]

    def ours(batch: Callable[..., object]) -> DataLoader[int, int]:
        return BatchLoader(batch, **options)  # type: ignore[arg-type]

    def theirs(batch: Callable[..., object]) -> DataLoader[int, int]:
        return DataLoader(batch, **options)  # type: ignore[arg-type]

    assert await loads_of(ours, keys, pauses) == await loads_of(theirs, keys, pauses)
    if not options:
        assert (await loads_of(ours, keys, pauses))[2] == 4, "one future per distinct key"
