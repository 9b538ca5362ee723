"""The pytest plugin, run on test files of its own with pytester: labs up for their scope and
down after it whatever happened, a failing test's report with the lab's status and logs, a skip
without root, parallel workers that do not collide."""
import importlib.util
import subprocess
from pathlib import Path

import pytest

from support import needs_root
from topo.lab import RUN_DIR

LAB = """name: plugged
nodes:
  a: {exec: [echo hello from a]}
  b: {}
links:
  - endpoints: [a:eth1, b:eth1]
    addresses: [10.7.0.1/30, 10.7.0.2/30]
"""

# The labs a test file's tests used, for the checks after its run: each test writes its lab's
# name to a file named after the test.
NOTE_NAME = """
def note(lab, request):
    with open(request.node.name + ".lab", "w") as f:
        f.write(lab.name)
"""


def run(pytester, *args):
    """The test files of `pytester` run with the plugin (never twice: an installed topo's
    entry point is left out)."""
    pytester.makefile(".yaml", lab=LAB)
    return pytester.runpytest_inprocess("-p", "no:topo", "-p", "topo.pytest_plugin",
                                        "-p", "no:cacheprovider", *args)


def labs_used(pytester):
    return {p.stem: p.read_text() for p in Path(pytester.path).glob("*.lab")}


def left_behind(name):
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line for line in netns.splitlines() if line.startswith(name + "-")] + [
        str(p) for p in [RUN_DIR / name] if p.exists()]


@needs_root
def test_a_lab_is_up_for_its_test_and_down_after_it(pytester):
    pytester.makepyfile(NOTE_NAME + """
def test_ping(topo_lab, request):
    lab = topo_lab("lab.yaml")
    note(lab, request)
    assert lab.ping().ok
    assert lab.status().node("a").netns == lab.name + "-a"
""")
    run(pytester).assert_outcomes(passed=1)
    name = labs_used(pytester)["test_ping"]
    assert name.startswith("lab-")
    assert left_behind(name) == []


@needs_root
def test_a_failing_test_reports_the_labs_status_and_logs(pytester):
    pytester.makepyfile(NOTE_NAME + """
def test_fails(topo_lab, request):
    lab = topo_lab("lab.yaml")
    note(lab, request)
    assert lab.exec("a", "echo hi").stdout == "bye"
""")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    name = labs_used(pytester)["test_fails"]
    result.stdout.fnmatch_lines([
        f"*- topo status {name} -*",
        f"lab {name} (*) up since *: 2 nodes",
        f"*- topo log {name} a/exec.log -*",
        "hello from a",
    ])
    assert left_behind(name) == []


@needs_root
def test_a_module_lab_serves_its_tests_and_goes_down_after_one_raised(pytester):
    pytester.makepyfile(NOTE_NAME + """
def test_first_raises(topo_lab, request):
    note(topo_lab("lab.yaml"), request)
    raise RuntimeError("broken")

def test_second_has_the_same_lab(topo_lab, request):
    note(topo_lab("lab.yaml"), request)

def test_own_lab(topo_lab, request):
    note(topo_lab("lab.yaml", scope="function"), request)
""")
    run(pytester).assert_outcomes(passed=2, failed=1)
    used = labs_used(pytester)
    assert used["test_first_raises"] == used["test_second_has_the_same_lab"]
    assert used["test_own_lab"] != used["test_first_raises"]
    for name in used.values():
        assert left_behind(name) == []


@needs_root
def test_a_lab_that_cannot_come_up_fails_the_test_with_topos_message(pytester):
    pytester.makefile(".yaml", bad="name: bad\nnodes:\n  a: {kind: ruter}\n")
    pytester.makepyfile("""
def test_bad(topo_lab):
    topo_lab("bad.yaml")
""")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*bad.yaml:3:13: unknown kind `ruter`*"])


def test_without_root_a_test_with_a_lab_is_skipped(pytester):
    pytester.makeconftest("""
import pytest
import topo.pytest_plugin

@pytest.fixture(autouse=True)
def not_root(monkeypatch):
    monkeypatch.setattr(topo.pytest_plugin, "running_as_root", lambda: False)
""")
    pytester.makepyfile("""
def test_lab(topo_lab):
    topo_lab("lab.yaml")
""")
    result = run(pytester, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*topo labs need root*"])


@needs_root
@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="needs pytest-xdist")
def test_parallel_workers_have_labs_of_their_own(pytester):
    pytester.makepyfile("""
import os

def test_on_each_worker(topo_lab):
    lab = topo_lab("lab.yaml")
    with open(os.environ["PYTEST_XDIST_WORKER"] + ".lab", "w") as f:
        f.write(lab.name)
    assert lab.ping().ok
""")
    pytester.makefile(".yaml", lab=LAB)
    result = pytester.runpytest_subprocess("-p", "no:topo", "-p", "topo.pytest_plugin",
                                           "-p", "xdist.plugin", "-p", "no:cacheprovider",
                                           "-n", "2", "--dist", "each")
    result.assert_outcomes(passed=2)
    used = labs_used(pytester)
    assert used["gw0"].startswith("lab-w0") and used["gw1"].startswith("lab-w1"), used
    for name in used.values():
        assert left_behind(name) == []
