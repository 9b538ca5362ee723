"""topo's --json reports read into Python objects, and what needs no root: finding topo, its
errors, waiting, lab names. The JSON is topo's own: printed by this build's topo where that
needs no root (plan), else recorded from it (data/record.sh)."""
import json
from pathlib import Path

import pytest

from support import DATA, LABS, SOURCE
from topo import (Lab, Ping, Plan, Status, TestReport, Timeout, Topo, TopoError, find_topo,
                  read_capture, wait_until)
from topo.lab import _file_argument
from topo.pytest_plugin import MAX_LAB_NAME, lab_name, session_mark

TRIANGLE = SOURCE / "examples" / "triangle.yaml"


def recorded(name):
    return json.loads((DATA / name).read_text())


def test_status_of_a_running_lab():
    status = Status.from_json(recorded("status.json"))
    assert status.state == "up" and status.drift == []
    assert [n.name for n in status.nodes] == ["h1", "r1", "h2"]
    r1 = status.node("r1")
    assert (r1.kind, r1.state, r1.present) == ("router", "running", True)
    assert r1.netns == status.lab + "-r1"
    assert r1.daemon("sleeper").running and r1.daemon("sleeper").pid > 0
    eth1 = status.interface("h1:eth1")
    assert (eth1.state, eth1.mtu, eth1.peer) == ("up", 1500, "r1:eth1")
    assert eth1.addresses == ["10.9.1.2/24"] and eth1.impairment is None
    assert status.interface("r1:eth1").impairment == "rate 20mbit"
    with pytest.raises(KeyError, match="no node `r9`"):
        status.node("r9")


def test_status_with_a_node_stopped():
    status = Status.from_json(recorded("status-stopped.json"))
    r1 = status.node("r1")
    assert r1.state == "stopped" and r1.daemons == []
    assert [(i.name, i.state) for i in r1.interfaces] == [
        ("lo", "up"), ("eth1", "down"), ("eth2", "down")]


def test_ping_every_pair():
    ping = Ping.from_json(recorded("ping.json"))
    assert ping.ok and ping.pairs == ping.reachable == 6 and ping.failures == []
    assert ping.nodes == ["h1", "r1", "h2"] and ping.family is None
    first = ping.results[0]
    assert (first.from_, first.to, first.family, first.ok) == ("h1", "r1", 4, True)


def test_ping_with_a_failure():
    ping = Ping.from_json(recorded("ping-failed.json"))
    assert not ping.ok
    assert ping.failures and all(f.failure for f in ping.failures)
    assert {(f.from_, f.to) for f in ping.failures} == {("h1", "h2"), ("h2", "h1")}


def test_tests_with_a_failure():
    report = TestReport.from_json(recorded("test-failed.json"))
    assert (report.passed, report.failed, report.ok) == (1, 1, False)
    passed = report.test("h1 reaches h2")
    assert passed.passed and passed.attempts == 1 and passed.got.exit == 0
    failed = report.test("r1 has its loopback")
    assert not failed.passed and "10\\.9\\.0\\.1/32" in failed.expected
    assert failed.got.exit == 0 and "lo" in failed.got.stdout


def test_plan_of_a_running_lab():
    plan = Plan.from_json(recorded("plan-running.json"), 3)
    assert plan.running and plan.would_change and plan.actions == []
    assert {(c.op, c.kind, c.object) for c in plan.changes} >= {("+", "node", "h3")}


def test_plan_of_a_lab_that_is_not_running_as_topo_prints_it():
    report, status = Topo().json(["plan", TRIANGLE], ok=(3,))
    plan = Plan.from_json(report, status)
    assert (plan.lab, plan.running, plan.would_change) == ("triangle", False, True)
    assert "r1: create netns triangle-r1" in plan.actions
    assert plan.topo.startswith("0.")


def test_a_lab_of_another_name_has_namespaces_of_its_name():
    plan = Lab("tri-other").plan(TRIANGLE)
    assert plan.lab == "tri-other"
    assert "r1: create netns tri-other-r1" in plan.actions


def test_a_mistake_in_a_file_raises_with_its_place_and_exit_status_2():
    text = "name: bad\nnodes:\n  a: {kind: ruter}\n"
    with pytest.raises(TopoError) as raised:
        Lab("bad-x").plan(text)
    assert raised.value.returncode == 2
    assert "<stdin>:3:13: unknown kind `ruter`" in str(raised.value)
    assert "nothing was created" in raised.value.stderr


def test_a_bad_lab_name_is_exit_status_2():
    with pytest.raises(TopoError) as raised:
        Lab("Not_A_Name").plan(TRIANGLE)
    assert raised.value.returncode == 2
    assert "--name: lab name `Not_A_Name` must start with a lower-case letter" in str(
        raised.value)


def test_yaml_text_goes_to_standard_input_and_paths_stay_paths(tmp_path):
    assert _file_argument("name: x\nnodes: {a: {}}\n") == ("-", "name: x\nnodes: {a: {}}\n")
    assert _file_argument("lab.yaml") == ("lab.yaml", None)
    assert _file_argument(tmp_path / "lab.yaml") == (str(tmp_path / "lab.yaml"), None)


def test_topo_is_found_in_TOPO_then_on_PATH(monkeypatch, tmp_path):
    fake = tmp_path / "topo"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("TOPO", str(fake))
    assert find_topo() == str(fake)
    monkeypatch.setenv("TOPO", str(tmp_path / "missing"))
    with pytest.raises(TopoError, match="not an executable file"):
        find_topo()
    monkeypatch.delenv("TOPO")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_topo() == str(fake)


def test_wait_until_returns_what_held_and_times_out_with_the_last_failure():
    tries = iter([0, 0, "done"])
    assert wait_until(lambda: next(tries), timeout=5, interval=0.001) == "done"

    def never():
        assert 1 == 2, "one is not two"
    with pytest.raises(Timeout, match="never did not hold within 0.05 s: one is not two"):
        wait_until(never, timeout=0.05, interval=0.01)
    with pytest.raises(ZeroDivisionError):  # a mistake in the check is not waited on
        wait_until(lambda: 1 / 0, timeout=5)


def test_lab_names_are_names_topo_takes(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw12")
    mark = session_mark()
    assert mark.startswith("w12")
    long_stem = Path("My Lab.With A Very Long Name Indeed v2.yaml")
    names = [lab_name(Path("frr-ospf.yaml"), mark, 1), lab_name(long_stem, mark, 123),
             lab_name(Path("__.yaml"), mark, 2)]
    assert names[0] == f"frr-ospf-{mark}1"
    assert len(set(names)) == 3
    for name in names:
        assert len(name) <= MAX_LAB_NAME
        Topo().run(["validate", LABS / "small.yaml", "--name", name])  # exit 0


def test_a_capture_file_names_its_ends_and_counts_their_packets():
    ends, packets = read_capture(DATA / "capture.pcapng")
    assert ends == ["h1:eth1", "r1:eth1"]
    assert packets["h1:eth1"] >= 2 and packets["r1:eth1"] >= 2
