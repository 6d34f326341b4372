"""The `smartgate` command: serve, seed, demo, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.crosswalk import CrosswalkError
from gateway.settings import Settings, SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smartgate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("serve", help="serve the gateway; settings come from SMARTGATE_* variables")

    seed = commands.add_parser("seed", help="create and fill look-alike e-kin and sppspm databases")
    seed.add_argument("--ekin-dsn", required=True)
    seed.add_argument("--sppspm-dsn", required=True)
    seed.add_argument("--scale", default="small", choices=("small", "medium", "city"))
    seed.add_argument("--seed", type=int, default=1, help="same seed, same data (default 1)")
    seed.add_argument("--crosswalk", type=Path, help="write the demo crosswalk CSV here")
    seed.add_argument("--reset", action="store_true", help="drop existing tables first")

    demo = commands.add_parser("demo", help="embedded PostgreSQL, seeded data, GraphiQL")
    demo.add_argument("--reset", action="store_true", help="rebuild the demo data from scratch")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-browser", action="store_true", help="do not open GraphiQL")

    commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")

    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return serve()
        if args.command == "seed":
            return run_seed(args)
        if args.command == "demo":
            from gateway.demo import run_demo

            return run_demo(reset=args.reset, port=args.port, open_browser=not args.no_browser)
        from gateway.schema import print_schema

        sys.stdout.write(print_schema())
        return 0
    except (SettingsError, CrosswalkError) as exc:
        print(f"smartgate: {exc}", file=sys.stderr)
        return 2


def serve() -> int:
    import uvicorn

    from gateway.app import build_services, check_crosswalk_codes, create_app

    settings = Settings.from_env()
    services = build_services(settings)

    async def preflight() -> None:
        await services.sppspm.open()
        try:
            await check_crosswalk_codes(services)
        finally:
            await services.sppspm.close()

    asyncio.run(preflight())
    uvicorn.run(
        create_app(settings, services),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
    )
    return 0


def run_seed(args: argparse.Namespace) -> int:
    from gateway.seed import SeedError, seed

    try:
        report = asyncio.run(
            seed(
                args.ekin_dsn,
                args.sppspm_dsn,
                scale=args.scale,
                seed=args.seed,
                crosswalk_path=args.crosswalk,
                reset=args.reset,
            )
        )
    except SeedError as exc:
        print(f"smartgate seed: {exc}", file=sys.stderr)
        return 2
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
