"""pytest plugin: labs as fixtures.

    def test_ospf(topo_lab):
        lab = topo_lab("ospf.yaml")              # beside this test file; up once per module
        lab.link("r1:eth2", "down")
        lab.wait_until(lambda: "10.1.0.2" in lab.exec("r1", "ip route get 10.0.0.3").stdout)

`topo_lab(path, scope="module", name=None, wait=False)` brings the lab up the first time it is
asked for in its scope, and down when the scope ends (the last test of the module; the test
itself with scope="function"; the session), whatever happened. Each lab gets a name of its own
(`--name`): the file's name, then a mark of this pytest process (its pid, and its xdist worker),
so that parallel runs (`pytest -n`) do not collide. When a test fails, its report has
`topo status` of each lab it used and the last lines of the labs' logs. Without root, a test
that asks for a lab is skipped.

Installed with topo, pytest loads it by itself (entry point `pytest11`: `topo`); from the source
tree: `PYTHONPATH=python pytest -p topo.pytest_plugin`.
"""
from __future__ import annotations

import os
import random
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import pytest

from topo.command import TopoError
from topo.lab import RUN_DIR, Lab

SCOPES = ("function", "module", "session")
MAX_LAB_NAME = 32  # topo's limit on a lab's name


def running_as_root() -> bool:
    return os.geteuid() == 0


def base36(n: int) -> str:
    digits = string.digits + string.ascii_lowercase
    out = ""
    while True:
        n, d = divmod(n, 36)
        out = digits[d] + out
        if n == 0:
            return out


def session_mark() -> str:
    """This pytest process's mark in its labs' names: its xdist worker (w0, w1...), its pid (no
    other live process has it) and two random characters (a crashed run's lab left behind under
    a pid used again)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    worker = "w" + worker.removeprefix("gw") if worker else ""
    return worker + base36(os.getpid()) + "".join(random.choices(string.ascii_lowercase, k=2))


def lab_name(file: Path, mark: str, count: int) -> str:
    """`<the file's stem>-<mark><count>`, within topo's rules for a lab's name."""
    suffix = f"-{mark}{count}"
    stem = re.sub(r"[^a-z0-9-]+", "-", file.stem.lower()).strip("-") or "lab"
    return stem[:MAX_LAB_NAME - len(suffix)].rstrip("-") + suffix


@dataclass
class Labs:
    """The labs of this pytest session: one per (scope's node, file), up until its scope ends.
    A lab that failed to come up is remembered as its error, raised again for the scope's
    other tests rather than tried again."""
    mark: str = field(default_factory=session_mark)
    count: int = 0
    up: dict[tuple[str, Path], Union[Lab, TopoError]] = field(default_factory=dict)

    def new_name(self, file: Path) -> str:
        while True:
            self.count += 1
            name = lab_name(file, self.mark, self.count)
            if not (RUN_DIR / name).exists():
                return name


labs_key = pytest.StashKey[Labs]()
used_key = pytest.StashKey[list]()  # the labs a test asked for, for its report


def pytest_configure(config: pytest.Config) -> None:
    config.stash[labs_key] = Labs()


def scope_node(request: pytest.FixtureRequest, scope: str) -> pytest.Item | pytest.Collector:
    if scope == "function":
        return request.node
    if scope == "module":
        return request.node.getparent(pytest.Module) or request.session
    return request.session


class LabFactory:
    """What the `topo_lab` fixture gives a test: call it with a lab file for its lab."""

    def __init__(self, request: pytest.FixtureRequest, labs: Labs):
        self.request = request
        self.labs = labs

    def __repr__(self) -> str:
        return "topo_lab(path, scope='module', name=None, wait=False)"

    def __call__(self, path: Union[str, os.PathLike], *, scope: str = "module",
                 name: str | None = None, wait: bool = False) -> Lab:
        if scope not in SCOPES:
            raise ValueError(f"scope {scope!r}: one of {', '.join(SCOPES)}")
        if not running_as_root():
            pytest.skip("topo labs need root (CAP_NET_ADMIN and CAP_SYS_ADMIN): run pytest as "
                        "root")
        file = (self.request.path.parent / path).resolve()
        owner = scope_node(self.request, scope)
        key = (owner.nodeid, file)
        if key not in self.labs.up:
            self.labs.up[key] = bring_up(file, name or self.labs.new_name(file), wait)
            owner.addfinalizer(lambda: take_down(self.labs, key))
        lab = self.labs.up[key]
        if isinstance(lab, TopoError):
            raise lab
        self.request.node.stash.setdefault(used_key, []).append(lab)
        return lab


@pytest.fixture
def topo_lab(request: pytest.FixtureRequest) -> LabFactory:
    """`topo_lab(path, scope="module", name=None, wait=False)`: the lab of a file (a path
    relative to the test file's directory), up for the rest of `scope` (function, module or
    session), under a name of its own unless `name` is given; `wait`: until its tests hold."""
    return LabFactory(request, request.config.stash[labs_key])


def bring_up(file: Path, name: str, wait: bool) -> Union[Lab, TopoError]:
    try:
        return Lab.up(file, name, wait=wait)
    except TopoError as e:
        return e


def take_down(labs: Labs, key: tuple[str, Path]) -> None:
    lab = labs.up.pop(key, None)
    if isinstance(lab, Lab):
        lab.down()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        for lab in dict.fromkeys(item.stash.get(used_key, [])):
            report.sections.extend(failure_sections(lab))


def failure_sections(lab: Lab) -> list[tuple[str, str]]:
    """What a failed test's report shows of a lab: `topo status`, and its logs' last lines."""
    try:
        status = lab.topo.run(["status", lab.name]).stdout
    except TopoError as e:
        status = str(e)
    sections = [(f"topo status {lab.name}", status)]
    for log, tail in lab.logs().items():
        sections.append((f"topo log {lab.name} {log}", tail))
    return sections
