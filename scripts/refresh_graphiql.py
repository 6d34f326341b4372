"""Refresh GraphiQL's vendored assets from the npm registry.

The GraphiQL page (`gateway/static/graphiql/graphiql.html`) loads its scripts and styles
from the gateway itself, so it works where no public CDN can be reached. This script
downloads the pinned packages below, checks each tarball against the registry's
`dist.integrity` (SHA-512), and writes the files the page loads, each package's licence
beside them, and `manifest.json` (versions, tarballs, integrity, sizes, and the SHA-384
that the page's subresource-integrity attributes carry). Nothing is written unless every
package checks out. To upgrade: change a version here, run the script, load /graphql in a
browser (`tests/test_browser.py`), commit what it wrote.

    .venv/bin/python scripts/refresh_graphiql.py            # download, check, write
    .venv/bin/python scripts/refresh_graphiql.py --check    # compare with what is vendored

Standard library only; `--registry` (or `NPM_CONFIG_REGISTRY`) names a mirror.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "gateway" / "static" / "graphiql"
DEFAULT_REGISTRY = "https://registry.npmjs.org"
LICENCE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "license", "license.md")


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    files: tuple[str, ...]  # paths inside the package, as the page loads them
    licence_from: str | None = None  # a package of the same repository, when it ships none

    @property
    def folder(self) -> str:
        """`react-18.2.0`, `graphiql-plugin-explorer-1.0.2`: the version is in every URL,
        so the gateway can let browsers cache the files for good."""
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}"


# The versions strawberry-graphql's own GraphiQL page loads from its CDN (strawberry 0.341:
# GraphiQL 3.8.3, with the headers editor and subscriptions over graphql-transport-ws,
# graphql-ws being bundled in graphiql.min.js). js-cookie is left out: the page read a
# Django CSRF cookie with it, and the gateway sets none.
PINS = (
    Pin("react", "18.2.0", ("umd/react.production.min.js",)),
    Pin("react-dom", "18.2.0", ("umd/react-dom.production.min.js",)),
    Pin("graphiql", "3.8.3", ("graphiql.min.js", "graphiql.min.css")),
    # Its tarball has no licence file; package.json says MIT and the package lives in the
    # graphql/graphiql repository, whose MIT licence the graphiql package ships.
    Pin(
        "@graphiql/plugin-explorer",
        "1.0.2",
        ("dist/index.umd.js", "dist/style.css"),
        licence_from="graphiql",
    ),
)


@dataclass(frozen=True)
class Fetched:
    pin: Pin
    tarball: str
    integrity: str
    licence_name: str  # the SPDX expression of package.json
    files: dict[str, bytes]
    licence_file: str | None  # its name in the tarball, None when it ships none
    licence: bytes | None


class RefreshError(Exception):
    pass


def get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "smartgate-refresh-graphiql"})
    with urllib.request.urlopen(request, timeout=60) as response:
        body: bytes = response.read()
        return body


def fetch(pin: Pin, registry: str) -> Fetched:
    """The pinned package's files, from a tarball whose SHA-512 matches the registry's."""
    meta = json.loads(get(f"{registry}/{urllib.parse.quote(pin.name, safe='@')}/{pin.version}"))
    dist = meta["dist"]
    algorithm, _, expected = dist["integrity"].partition("-")
    if algorithm != "sha512":
        raise RefreshError(f"{pin.name}@{pin.version}: integrity is {algorithm}, not sha512")
    tarball = get(dist["tarball"])
    actual = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if actual != expected:
        raise RefreshError(
            f"{pin.name}@{pin.version}: the tarball's SHA-512 is {actual}, the registry says"
            f" {expected}"
        )
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        members = {m.name.partition("/")[2]: m for m in archive.getmembers() if m.isfile()}

        def read(path: str) -> bytes:
            extracted = archive.extractfile(members[path])
            assert extracted is not None
            return extracted.read()

        missing = [f for f in pin.files if f not in members]
        if missing:
            raise RefreshError(f"{pin.name}@{pin.version} has no {', '.join(missing)}")
        files = {path: read(path) for path in pin.files}
        licence_file = next((n for n in LICENCE_NAMES if n in members), None)
        licence = read(licence_file) if licence_file else None
    if licence is None and pin.licence_from is None:
        raise RefreshError(f"{pin.name}@{pin.version} ships no licence file; name one")
    return Fetched(
        pin,
        dist["tarball"],
        dist["integrity"],
        meta.get("license", ""),
        files,
        licence_file,
        licence,
    )


def sri(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


def licence_of(item: Fetched, fetched: dict[str, Fetched]) -> bytes:
    if item.licence is not None:
        return item.licence
    assert item.pin.licence_from is not None
    source = fetched[item.pin.licence_from]
    assert source.licence is not None
    note = (
        f"{item.pin.name} {item.pin.version} ships no licence file; its package.json says"
        f" {item.licence_name} and it is part of the same repository as"
        f" {source.pin.name} {source.pin.version}, whose licence follows.\n\n"
    )
    return note.encode() + source.licence


def planned(fetched: dict[str, Fetched], registry: str) -> tuple[dict[str, bytes], dict]:
    """Every file to write, by its path under TARGET, and the manifest."""
    out: dict[str, bytes] = {}
    packages = []
    for item in fetched.values():
        folder = item.pin.folder
        for path, content in item.files.items():
            out[f"{folder}/{path}"] = content
        out[f"{folder}/LICENSE"] = licence_of(item, fetched)
        packages.append(
            {
                "name": item.pin.name,
                "version": item.pin.version,
                "folder": folder,
                "license": item.licence_name,
                "licenseFile": "LICENSE",
                "licenseFrom": item.licence_file or f"{item.pin.licence_from} (see LICENSE)",
                "tarball": item.tarball,
                "integrity": item.integrity,
                "files": [
                    {"path": path, "bytes": len(content), "sri": sri(content)}
                    for path, content in item.files.items()
                ],
            }
        )
    manifest = {
        "about": "Written by scripts/refresh_graphiql.py; do not edit by hand.",
        "registry": registry,
        "packages": packages,
    }
    return out, manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--registry",
        default=os.environ.get("NPM_CONFIG_REGISTRY", DEFAULT_REGISTRY).rstrip("/"),
        help=f"npm registry (default {DEFAULT_REGISTRY})",
    )
    parser.add_argument(
        "--check", action="store_true", help="compare with the vendored files; write nothing"
    )
    args = parser.parse_args(argv)
    try:
        fetched = {pin.name: fetch(pin, args.registry) for pin in PINS}
    except (RefreshError, OSError, KeyError, tarfile.TarError) as exc:
        print(f"refresh_graphiql: {exc}", file=sys.stderr)
        return 1
    files, manifest = planned(fetched, args.registry)
    manifest_text = json.dumps(manifest, indent=2) + "\n"
    if args.check:
        differ = [p for p, c in files.items() if not _same(TARGET / p, c)]
        if not _same(TARGET / "manifest.json", manifest_text.encode()):
            differ.append("manifest.json")
        for path in differ:
            print(f"differs from the registry: {path}")
        print("vendored assets match the registry" if not differ else "run without --check")
        return 1 if differ else 0
    folders = {item.pin.folder for item in fetched.values()}
    for old in TARGET.iterdir() if TARGET.is_dir() else ():
        if old.is_dir() and old.name not in folders:
            shutil.rmtree(old)  # an earlier version
    for path, content in files.items():
        (TARGET / path).parent.mkdir(parents=True, exist_ok=True)
        (TARGET / path).write_bytes(content)
    (TARGET / "manifest.json").write_text(manifest_text)
    for package in manifest["packages"]:
        size = sum(f["bytes"] for f in package["files"])
        print(f"{package['name']} {package['version']}: {size:,} bytes, {package['license']}")
    return 0


def _same(path: Path, content: bytes) -> bool:
    return path.is_file() and path.read_bytes() == content


if __name__ == "__main__":
    sys.exit(main())
