"""The `smartgate` command: serve, seed, demo, token, export-schema, settings-table."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.access.caller import Role
from gateway.crosswalk import CrosswalkError
from gateway.settings import AccessSettings, Settings, SettingsError, settings_table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smartgate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser(
        "serve", help="serve the gateway; settings come from SMARTGATE_* variables"
    )
    serve_parser.add_argument(
        "--workers",
        metavar="N",
        help="gateway processes on the port (overrides SMARTGATE_WORKERS)",
    )

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
    commands.add_parser(
        "settings-table", help="print the settings as the Markdown table of docs/operations.md"
    )

    token = commands.add_parser(
        "token", help="mint a bearer token with SMARTGATE_JWT_SECRET (or the demo's secret)"
    )
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--sub", help="an NIP (STAFF, FINANCE) or a client id")
    token.add_argument("--dept", help="the finance code a DEPT_SYSTEM acts for")
    token.add_argument("--ttl", default="8h", help="lifetime: 90s, 30m, 8h, 2d (default 8h)")
    token.add_argument("--demo", action="store_true", help="sign with the demo's secret")

    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args.workers)
        if args.command == "seed":
            return run_seed(args)
        if args.command == "demo":
            from gateway.demo import run_demo

            return run_demo(reset=args.reset, port=args.port, open_browser=not args.no_browser)
        if args.command == "token":
            return mint_token(args)
        if args.command == "settings-table":
            sys.stdout.write(settings_table())
            return 0
        from gateway.schema import print_schema

        sys.stdout.write(print_schema())
        return 0
    except (SettingsError, CrosswalkError) as exc:
        print(f"smartgate: {exc}", file=sys.stderr)
        return 2


def serve(workers: str | None = None) -> int:
    """The gateway on its port until SIGTERM: in this process, or in `workers` processes
    (`gateway.workers`) when more than one. The crosswalk is checked here first, so a bad
    one stops the start with one message however many workers there would be."""
    import uvicorn

    from gateway.app import build_services, check_crosswalk_codes, create_app
    from gateway.garbage_collection import tune_for_serving
    from gateway.logs import access_lines, configure_logging

    env = dict(os.environ)
    if workers is not None:  # the flag is read as the variable is: same range, same message
        env["SMARTGATE_WORKERS"] = workers
    settings = Settings.from_env(env)
    os.environ["SMARTGATE_WORKERS"] = str(settings.workers)  # what the workers inherit
    configure_logging(settings.log_level, settings.audit_log)
    services = build_services(settings)

    async def preflight() -> None:
        await services.sppspm.open()
        try:
            await check_crosswalk_codes(services)
        finally:
            await services.sppspm.close()

    asyncio.run(preflight())
    if settings.workers > 1:
        from gateway.workers import Supervisor

        return Supervisor(settings, settings.workers).run()
    app = create_app(settings, services)
    tune_for_serving()
    # On SIGTERM uvicorn stops accepting, lets requests in flight finish for up to the
    # grace period, closes WebSockets with 1012 (service restart), then the app's lifespan
    # closes the pools.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # configure_logging has set uvicorn's loggers up: JSON lines
        log_level=settings.log_level,
        access_log=access_lines(settings.log_level),
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
    return 0


def mint_token(args: argparse.Namespace) -> int:
    from gateway.access.tokens import mint, parse_ttl

    if args.demo:
        from gateway.demo import demo_secret

        secret, issuer, audience = demo_secret(), None, None
    else:
        access = AccessSettings.from_env(os.environ)
        if access.jwt_secret is None:
            raise SettingsError("SMARTGATE_JWT_SECRET is not set (or pass --demo)")
        secret, issuer, audience = access.jwt_secret, access.jwt_issuer, access.jwt_audience
    sub = args.sub or (
        "smartgate-cli" if args.role in ("DEPT_SYSTEM", "ANALYST", "ADMIN") else None
    )
    if sub is None:
        raise SettingsError(f"--sub: a {args.role} token needs the person's NIP")
    try:
        ttl = parse_ttl(args.ttl)
        print(
            mint(
                secret,
                role=args.role,
                sub=sub,
                dept=args.dept,
                ttl=ttl,
                issuer=issuer,
                audience=audience,
            )
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
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
