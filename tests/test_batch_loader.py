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
