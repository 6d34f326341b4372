"""Several gateway processes on one port: `smartgate serve --workers N`.

Each worker is a whole gateway (its own pools, change capture or stream reader, rate
limits as the settings say) in a process of its own, started by `multiprocessing`'s
spawn and reading its settings from the environment it inherits. Each binds the port
itself with `SO_REUSEPORT`, so the kernel spreads new connections over the workers by
a hash of the connection's addresses. uvicorn's own `--workers` shares one listening
socket instead, and whichever worker wakes first accepts every connection waiting: 16
connections opened at once, as a client's pool opens them, were all accepted by one
worker of two in 10 tries of 10, against 8 to 13 on the busier worker with SO_REUSEPORT
(bench/scale_out.py measures both, and their throughput).

The parent only supervises:
- SIGTERM or SIGINT: every worker is sent SIGTERM and drains as a single `smartgate
  serve` does (requests in flight finish within `SMARTGATE_SHUTDOWN_GRACE_S`,
  WebSockets close with 1012); the parent exits 0 once all have gone, killing any that
  outlive the grace period by `DRAIN_MARGIN_S`.
- A worker that dies otherwise is replaced by a new one at once (no sooner than
  `RESTART_PAUSE_S` after the previous start of that worker, so a crashing worker does
  not spin). A worker that fails its start-up (uvicorn's exit status 3: the app's
  lifespan or the bind failed) stops the whole server, since every replacement would
  fail the same way.
- A worker's parent that disappears (SIGKILL) takes the worker with it (Linux's
  parent-death signal), so no orphan keeps the port.

Connections that the kernel had queued for a worker that dies are reset with it; the
clients' retry (or the balancer's) lands on another worker.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

from uvicorn.config import STARTUP_FAILURE  # a worker's exit status: it could not start

from gateway.settings import Settings

log = logging.getLogger("smartgate.workers")

RESTART_PAUSE_S = 1.0
DRAIN_MARGIN_S = 5.0

_PR_SET_PDEATHSIG = 1


def listening_socket(host: str, port: int) -> socket.socket:
    """`host:port` bound with SO_REUSEPORT: one such socket per worker on the same port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def check_port_free(host: str, port: int) -> None:
    """Fail now if something else serves the port. A socket without SO_REUSEPORT cannot
    join the port of anyone, so another `smartgate serve --workers` already on it is found
    too, instead of silently sharing its connections."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(f"cannot serve on {host}:{port}: {exc.strerror}") from None


def run_worker(parent: int) -> None:
    """One worker's life (`parent` is the supervisor's pid): settings from the
    environment, JSON log lines, the gateway on its own SO_REUSEPORT socket until
    SIGTERM."""
    import uvicorn

    from gateway.app import create_app
    from gateway.garbage_collection import tune_for_serving
    from gateway.logs import access_lines, configure_logging

    if sys.platform == "linux":  # die with the parent rather than keep the port as an orphan
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above
            sys.exit(STARTUP_FAILURE)
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.audit_log)
    try:
        sock = listening_socket(settings.host, settings.port)
    except OSError as exc:
        log.error("event=worker_bind_failed error=%r", str(exc))
        sys.exit(STARTUP_FAILURE)
    log.info("event=worker_started pid=%d", os.getpid())
    config = uvicorn.Config(
        create_app(settings),
        log_config=None,
        log_level=settings.log_level,
        access_log=access_lines(settings.log_level),
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
    tune_for_serving()
    uvicorn.Server(config).run(sockets=[sock])


@dataclass
class Worker:
    process: BaseProcess
    started: float


class Supervisor:
    """Keeps `count` workers serving until SIGTERM or SIGINT, then drains them."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
        self.stopping: signal.Signals | None = None
        self._spawn = multiprocessing.get_context("spawn")

    def run(self) -> int:
        try:
            check_port_free(self.settings.host, self.settings.port)
        except OSError as exc:
            log.error("event=port_unavailable error=%r", str(exc))
            return 1
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        workers = [self._start() for _ in range(self.count)]
        log.info(
            "event=serving host=%s port=%d workers=%s",
            self.settings.host,
            self.settings.port,
            ",".join(str(w.process.pid) for w in workers),
        )
        status = 0
        try:
            while self.stopping is None:
                wait([w.process.sentinel for w in workers], timeout=0.5)
                for i, worker in enumerate(workers):
                    if self.stopping is not None or worker.process.is_alive():
                        continue
                    code = worker.process.exitcode
                    if code == STARTUP_FAILURE:
                        log.error("event=worker_start_failed pid=%d", worker.process.pid)
                        self.stopping, status = signal.SIGTERM, 1
                        break
                    log.warning("event=worker_died pid=%d exitcode=%s", worker.process.pid, code)
                    pause = worker.started + RESTART_PAUSE_S - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    workers[i] = self._start()
                    log.info(
                        "event=worker_replaced old=%d new=%d",
                        worker.process.pid,
                        workers[i].process.pid,
                    )
            if status == 0:
                log.info("event=stopping signal=%s", self.stopping.name)
        finally:
            self._drain(workers)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return status

    def _start(self) -> Worker:
        process = self._spawn.Process(
            target=run_worker, args=(os.getpid(),), name="smartgate-worker"
        )
        process.start()
        return Worker(process, time.monotonic())

    def _stop(self, sig: int, frame: FrameType | None) -> None:
        # only noted here: the loop above sees it within half a second
        self.stopping = self.stopping or signal.Signals(sig)

    def _drain(self, workers: list[Worker]) -> None:
        """SIGTERM to every worker (a terminal's Ctrl-C has also sent them SIGINT, which
        uvicorn takes the same way), then wait out their grace period."""
        for worker in workers:
            if worker.process.is_alive() and worker.process.pid is not None:
                os.kill(worker.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.settings.shutdown_grace_s + DRAIN_MARGIN_S
        for worker in workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                log.error("event=worker_outlived_grace pid=%d", worker.process.pid)
                worker.process.kill()
                worker.process.join()
        log.info("event=stopped")
