"""Running the `topo` command: where it is, and what its failures raise.

Every behaviour lives in topo itself (C++); this module only starts it and hands back what it
printed, so that the Python side and the command line never disagree.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any, Sequence


class TopoError(Exception):
    """topo failed: its exit status (1 a run-time failure, 2 invalid input or usage) and what it
    said on standard error, which for a mistake in a lab file is `FILE:LINE:COL: message` with
    the line and a caret."""

    def __init__(self, command: Sequence[str], returncode: int | None, stderr: str,
                 stdout: str = ""):
        self.command = list(command)
        self.returncode = returncode
        self.stderr = stderr
        self.stdout = stdout
        super().__init__(self._message())

    def _message(self) -> str:
        said = self.stderr.strip() or self.stdout.strip() or "(it said nothing)"
        return f"`{shlex.join(self.command)}` exited with status {self.returncode}:\n{said}"


class ExecError(TopoError):
    """A command run in a node (`Lab.exec` with check=True) exited with a non-zero status."""

    def _message(self) -> str:
        parts = [f"`{shlex.join(self.command)}` exited with status {self.returncode}"]
        for name, text in (("stdout", self.stdout), ("stderr", self.stderr)):
            if text.strip():
                parts.append(f"{name}:\n{_tail(text)}")
        return "\n".join(parts)


class Timeout(TimeoutError):
    """Something did not happen in the time given: a condition `wait_until` polled, a command
    `Lab.exec` ran, a capture that did not start."""


def _tail(text: str, lines: int = 20) -> str:
    kept = text.rstrip("\n").splitlines()[-lines:]
    return "\n".join("    " + line for line in kept)


def find_topo() -> str:
    """The topo binary: $TOPO (a path), else `topo` on PATH, else build/topo of the source tree
    this package is in (python/topo/ beside build/). Raises TopoError when there is none."""
    given = os.environ.get("TOPO")
    if given:
        if not os.access(given, os.X_OK):
            raise TopoError(["topo"], None, f"$TOPO is {given}, which is not an executable file")
        return given
    on_path = shutil.which("topo")
    if on_path:
        return on_path
    in_tree = Path(__file__).resolve().parents[2] / "build" / "topo"
    if os.access(in_tree, os.X_OK):
        return str(in_tree)
    raise TopoError(["topo"], None,
                    "topo is not found: set $TOPO to its path, put it on PATH, or build it "
                    f"in the source tree ({in_tree})")


class Topo:
    """The topo command (`binary`, or find_topo()'s) run with arguments, its output captured."""

    def __init__(self, binary: str | os.PathLike | None = None):
        self.binary = str(binary) if binary else find_topo()

    def command(self, args: Sequence[str]) -> list[str]:
        return [self.binary, *map(str, args)]

    def run(self, args: Sequence[str], *, input: str | None = None,
            ok: Sequence[int] = (0,)) -> subprocess.CompletedProcess:
        """Runs topo to its end; raises TopoError unless its exit status is one of `ok`."""
        __tracebackhide__ = True  # pytest: a failure is shown at its caller's line
        command = self.command(args)
        done = subprocess.run(command, input=input, capture_output=True, encoding="utf-8",
                              errors="replace", stdin=None if input is not None else
                              subprocess.DEVNULL)
        if done.returncode not in ok:
            raise TopoError(command, done.returncode, done.stderr, done.stdout)
        return done

    def json(self, args: Sequence[str], *, input: str | None = None,
             ok: Sequence[int] = (0,)) -> tuple[Any, int]:
        """Runs topo with --json: what it printed, parsed, and its exit status. A status outside
        `ok`, or output that is not JSON (topo failed before it had a report), raises
        TopoError."""
        __tracebackhide__ = True
        done = self.run([*args, "--json"], input=input, ok=ok)
        try:
            return json.loads(done.stdout), done.returncode
        except json.JSONDecodeError:
            raise TopoError(self.command([*args, "--json"]), done.returncode, done.stderr,
                            done.stdout) from None
