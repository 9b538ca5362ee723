"""A running lab, driven through the topo command: up and down, commands in its nodes, its
status, pings and tests, link failures, impairments, node failures, captures and changes.
"""
from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence, TypeVar, Union

from topo.command import ExecError, Timeout, Topo, TopoError
from topo.pcapng import read_capture
from topo.reports import Ping, Plan, Status, TestReport

# Where topo keeps a running lab's state and logs (docs/topology.md, Names and places).
RUN_DIR = Path("/run/topo")

# A lab file: a path, or YAML text (any str with a line break in it), which topo reads from
# standard input (its relative paths are then taken from the current directory).
Source = Union[str, os.PathLike]
T = TypeVar("T")


def _file_argument(source: Source) -> tuple[str, Optional[str]]:
    """What topo is given for a lab file: its path, or `-` and the text for standard input."""
    if isinstance(source, str) and "\n" in source:
        return "-", source
    return os.fspath(source), None


def wait_until(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.1,
               what: str | None = None) -> T:
    """Calls `check` until it returns something true, and returns that; every `interval`
    seconds, for at most `timeout` seconds. An AssertionError or TopoError from `check` counts
    as not yet; when the time is up, Timeout says the last one (any other exception is a
    mistake in `check` and goes through at once)."""
    __tracebackhide__ = True
    deadline = time.monotonic() + timeout
    what = what or getattr(check, "__name__", "the condition")
    while True:
        last: BaseException | None = None
        try:
            result = check()
            if result:
                return result
        except (AssertionError, TopoError) as e:
            last = e
        left = deadline - time.monotonic()
        if left <= 0:
            because = f": {last}" if last else ""
            raise Timeout(f"{what} did not hold within {timeout:g} s{because}") from last
        time.sleep(min(interval, left))


class Lab:
    """A lab that topo runs, by name. `Lab.up(file)` brings one up; `Lab(name)` takes one that
    is up already. As a context manager, the lab goes down at the end of the block."""

    def __init__(self, name: str, *, topo: Topo | None = None):
        self.name = name
        self.topo = topo or Topo()

    def __repr__(self) -> str:
        return f"Lab({self.name!r})"

    @classmethod
    def up(cls, source: Source, name: str | None = None, *, wait: bool = False,
           topo: Topo | None = None) -> Lab:
        """`topo up FILE`: builds the lab (or changes a running one to what FILE says). `name`
        runs it as a lab of that name (`--name`: its namespaces NAME-<node>), beside the file's
        own; without it the lab is the file's `name`. `wait`: return when the file's tests hold
        (`--wait`; a file with `ready:` waits anyway). A new lab that fails, in building or in
        waiting, is taken down before TopoError is raised."""
        topo = topo or Topo()
        if name is None:
            name = cls._name_in(source, topo)
        lab = cls(name, topo=topo)
        running = (RUN_DIR / name).exists()
        try:
            lab.apply(source, wait=wait)
        except TopoError as e:
            # A first `up` that built the lab and then failed (its `ready` tests did not hold in
            # time) leaves it up; a failure here leaves nothing, as topo's own failures do.
            if not running:
                lab._down_after(e)
            raise
        return lab

    def _down_after(self, failure: TopoError) -> None:
        try:
            self.down()
        except TopoError as e:
            failure.add_note(f"and taking lab {self.name} down failed too: {e}")

    @staticmethod
    def _name_in(source: Source, topo: Topo) -> str:
        # The file's `name`, as topo reads it (creating nothing).
        file, text = _file_argument(source)
        report, _ = topo.json(["plan", file], input=text, ok=(0, 3))
        return report["lab"]

    def down(self) -> None:
        """`topo down`: removes everything the lab made (nothing when it is not running)."""
        self.topo.run(["down", self.name])

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.down()

    # Commands in nodes.

    def exec(self, node: str, cmd: Union[str, Sequence[str]], *, check: bool = True,
             timeout: float | None = None, input: str | None = None
             ) -> subprocess.CompletedProcess:
        """Runs a command in a node (`topo exec`): a string through `sh -c`, a list as it is.
        Returns its returncode, stdout and stderr (text). With `check`, a non-zero status raises
        ExecError; past `timeout` seconds the command is stopped (SIGTERM, which topo passes
        on to it) and Timeout raised."""
        __tracebackhide__ = True  # pytest: a failure is shown at its caller's line
        command = self._exec_command(node, cmd)
        with subprocess.Popen(command, stdin=subprocess.PIPE if input is not None else
                              subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, encoding="utf-8",
                              errors="replace") as process:
            try:
                stdout, stderr = process.communicate(input, timeout=timeout)
            except subprocess.TimeoutExpired:
                stdout, stderr = _stop(process)
                raise Timeout(f"{cmd!r} in node {node} of lab {self.name} ran past {timeout:g} s"
                              f"; its output so far:\n{stdout}{stderr}") from None
        if check and process.returncode != 0:
            raise ExecError(command, process.returncode, stderr, stdout)
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    def popen(self, node: str, args: Union[str, Sequence[str]], **popen_options: Any
              ) -> subprocess.Popen:
        """Starts a long-running command in a node (`topo exec`), as subprocess.Popen does with
        `popen_options`. Signals sent to it reach the command; `down` stops it at the latest."""
        return subprocess.Popen(self._exec_command(node, args), **popen_options)

    def _exec_command(self, node: str, cmd: Union[str, Sequence[str]]) -> list[str]:
        argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        return self.topo.command(["exec", self.name, node, "--", *argv])

    def node(self, name: str) -> Node:
        return Node(self, name)

    # Looking.

    def status(self) -> Status:
        report, _ = self.topo.json(["status", self.name])
        return Status.from_json(report)

    def ping(self, *, family: int | None = None, nodes: Union[str, Iterable[str]] = ()) -> Ping:
        """`topo ping`: every node to every other (only `nodes`, names or glob patterns, when
        given). A pair that fails is in the report (`.ok`, `.failures`), not an exception."""
        args = ["ping", self.name]
        if family:
            args += ["--family", str(family)]
        for node in [nodes] if isinstance(nodes, str) else nodes:
            args += ["--nodes", node]
        report, _ = self.topo.json(args, ok=(0, 1))
        return Ping.from_json(report)

    def test(self, *only: str) -> TestReport:
        """`topo test`: the lab file's tests (only those named, or matching glob patterns). A
        test that fails is in the report (`.ok`, `.failed`), not an exception."""
        args = ["test", self.name]
        for name in only:
            args += ["--only", name]
        report, _ = self.topo.json(args, ok=(0, 1))
        return TestReport.from_json(report)

    def logs(self, lines: int = 20) -> dict[str, str]:
        """The last `lines` lines of every log of the lab's nodes (their `exec:` lines and
        daemons), by `node/file.log`; empty logs left out. Read where topo writes them."""
        tails = {}
        for path in sorted((RUN_DIR / self.name / "log").glob("*/*.log")):
            text = _file_tail(path, lines)
            if text:
                tails[f"{path.parent.name}/{path.name}"] = text
        return tails

    # Breaking and changing.

    def link(self, end: str, state: str) -> None:
        """`topo link`: one end (`node:iface`) set administratively "down" or "up"."""
        self.topo.run(["link", self.name, end, state])

    def impair(self, end: str, *, delay: str | None = None, jitter: str | None = None,
               loss: str | None = None, duplicate: str | None = None,
               corrupt: str | None = None, reorder: str | None = None, rate: str | None = None,
               clear: bool = False) -> None:
        """`topo impair`: one end's impairment set (replaced), in topo's units ("10ms", "1%",
        "20mbit"), or cleared."""
        args = ["impair", self.name, end]
        values = {"delay": delay, "jitter": jitter, "loss": loss, "duplicate": duplicate,
                  "corrupt": corrupt, "reorder": reorder, "rate": rate}
        for option, value in values.items():
            if value is not None:
                args += [f"--{option}", str(value)]
        if clear:
            args.append("--clear")
        self.topo.run(args)

    def capture(self, ends: Union[str, Sequence[str], None], path: Union[str, os.PathLike], *,
                filter: str | None = None, force: bool = False,
                start_timeout: float = 10.0) -> Capture:
        """`topo capture` into a pcapng file, as a context manager: capturing once the block
        starts, the file complete once it ends. `ends`: an end (`r1:eth1`), a node, a link
        (`r1:eth1,r2:eth1`), a list of those, or None for every end of the lab."""
        words = [ends] if isinstance(ends, str) else list(ends or [])
        args = ["capture", self.name, *words, "-w", os.fspath(path)]
        if filter:
            args += ["-f", filter]
        if force:
            # The file appears when the capture starts: an old one must not stand for it.
            Path(path).unlink(missing_ok=True)
            args.append("--force")
        return Capture(self.topo, args, Path(path), start_timeout)

    def plan(self, source: Source) -> Plan:
        """`topo plan FILE`: what `apply(FILE)` would change in this lab (nothing changes)."""
        file, text = _file_argument(source)
        report, status = self.topo.json(["plan", file, "--name", self.name], input=text,
                                        ok=(0, 3))
        return Plan.from_json(report, status)

    def apply(self, source: Source, *, wait: bool = False) -> None:
        """`topo up FILE`: this lab changed to what FILE says (built, if it is not running)."""
        file, text = _file_argument(source)
        args = ["up", file, "--name", self.name]
        if wait:
            args.append("--wait")
        self.topo.run(args, input=text)

    def wait_until(self, check: Callable[[], T], timeout: float = 30.0,
                   interval: float = 0.1, what: str | None = None) -> T:
        """topo.wait_until: polls `check` until it returns something true."""
        __tracebackhide__ = True
        return wait_until(check, timeout, interval, what)


class Node:
    """One node of a lab: its life (`topo node`) and commands in it."""

    def __init__(self, lab: Lab, name: str):
        self.lab = lab
        self.name = name

    def __repr__(self) -> str:
        return f"Node({self.lab.name!r}, {self.name!r})"

    def _life(self, action: str) -> None:
        self.lab.topo.run(["node", self.lab.name, self.name, action])

    def stop(self) -> None:
        """Its interfaces down, its processes stopped: a router dies."""
        self._life("stop")

    def start(self) -> None:
        """Back as the lab was built: interfaces, addresses, routes, exec lines, daemons."""
        self._life("start")

    def restart(self) -> None:
        self._life("restart")

    def pause(self) -> None:
        """Every process frozen, the interfaces left up: a router hangs."""
        self._life("pause")

    def resume(self) -> None:
        self._life("resume")

    def exec(self, cmd: Union[str, Sequence[str]], **options: Any
             ) -> subprocess.CompletedProcess:
        return self.lab.exec(self.name, cmd, **options)

    def popen(self, args: Union[str, Sequence[str]], **popen_options: Any) -> subprocess.Popen:
        return self.lab.popen(self.name, args, **popen_options)


class Capture:
    """A `topo capture -w FILE` running for the time of a `with` block. topo creates FILE once
    every end is open, so the block starts when the file is there; at its end topo gets SIGINT
    and writes the rest (and each end's statistics) before it exits."""

    def __init__(self, topo: Topo, args: list[str], path: Path, start_timeout: float):
        self.command = topo.command(args)
        self.path = path
        self.start_timeout = start_timeout
        self.report = ""  # what topo said when it stopped: packets captured and dropped per end
        self._process: subprocess.Popen | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")

    def __enter__(self) -> Capture:
        # Standard error to a file: a pipe nobody reads while the capture runs could fill.
        self._process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.monotonic() + self.start_timeout
        while not self.path.exists():
            if self._process.poll() is not None:
                raise self._failure()
            if time.monotonic() > deadline:
                self._process.kill()
                self._process.wait()
                raise Timeout(f"{self.path} did not appear within {self.start_timeout:g} s of "
                              f"`{' '.join(self.command)}`")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def stop(self) -> None:
        """Stops the capture (SIGINT), unless it stopped by itself, and waits for topo to finish
        the file. Raises TopoError when topo failed."""
        if self._process is None or self._stderr.closed:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
        self._process.wait()
        self.report = self._said()
        if self._process.returncode != 0:
            raise TopoError(self.command, self._process.returncode, self.report)

    def packets(self) -> Counter:
        """Packets in the file per end (`node:iface`); every end captured is a key."""
        ends, packets = read_capture(self.path)
        return Counter({end: packets[end] for end in ends})

    def _said(self) -> str:
        self._stderr.seek(0)
        said = self._stderr.read()
        self._stderr.close()
        return said

    def _failure(self) -> TopoError:
        return TopoError(self.command, self._process.returncode, self._said())


def _stop(process: subprocess.Popen) -> tuple[str, str]:
    """Stops a `topo exec` that ran too long: SIGTERM (topo passes it on to the command), and
    SIGKILL if it is still there 5 s later. What it printed."""
    process.terminate()
    try:
        return process.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


def _file_tail(path: Path, lines: int) -> str:
    # The end of a log that may have grown large: its last 64 KiB are plenty for `lines`.
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 65536))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])
