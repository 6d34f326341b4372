"""Look-alike e-kin and sppspm databases for demos, tests and benchmarks.

from gateway.seed import seed, SCALES
report = await seed(ekin_dsn, sppspm_dsn, scale="small", seed=1, reset=True)
"""

from connectors.lookalike.plan import SCALES, Plan, build_plan
from gateway.seed.loading import (
    SeedData,
    SeedError,
    SeedReport,
    build_seed_data,
    demo_crosswalk,
    seed,
)

__all__ = [
    "SCALES",
    "Plan",
    "SeedData",
    "SeedError",
    "SeedReport",
    "build_plan",
    "build_seed_data",
    "demo_crosswalk",
    "seed",
]
