"""Labs in the kernel, through the package, as a test author uses it (root). One lab for the
module (labs/small.yaml: h1 - r1 - h2, r1 running a daemon); a test that breaks it puts it
back. Tests of up, down, changes and mistakes make labs of their own."""
import subprocess

import pytest

from support import LABS, needs_root
from topo import ExecError, Lab, Timeout, TopoError
from topo.lab import RUN_DIR

pytestmark = needs_root

SMALL = LABS / "small.yaml"
TWO_HOSTS = """name: two
nodes: {a: {}, b: {}}
links:
  - endpoints: [a:eth1, b:eth1]
    addresses: [10.8.0.1/30, 10.8.0.2/30]
"""


@pytest.fixture(scope="module")
def lab(names):
    with Lab.up(SMALL, names.next()) as lab:
        yield lab


def netns_of(lab_name):
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return sorted(line.split()[0] for line in listed.splitlines()
                  if line.startswith(lab_name + "-"))


def test_up_makes_the_lab_under_its_own_name(lab):
    status = lab.status()
    assert status.lab == lab.name and status.drift == []
    assert netns_of(lab.name) == [f"{lab.name}-h1", f"{lab.name}-h2", f"{lab.name}-r1"]
    assert status.node("r1").daemon("sleeper").running
    assert status.interface("h1:eth1").peer == "r1:eth1"


def test_exec_runs_a_string_with_sh_and_a_list_as_it_is(lab):
    done = lab.exec("h1", "echo $TOPO_NODE; echo to stderr >&2")
    assert (done.returncode, done.stdout, done.stderr) == (0, "h1\n", "to stderr\n")
    assert lab.exec("h1", ["echo", "$TOPO_NODE"]).stdout == "$TOPO_NODE\n"
    assert lab.exec("h2", "cat", input="from stdin").stdout == "from stdin"


def test_a_command_that_fails_raises_unless_not_checked(lab):
    with pytest.raises(ExecError) as raised:
        lab.exec("h1", "echo some output; exit 3")
    assert raised.value.returncode == 3
    assert "some output" in str(raised.value)
    assert lab.exec("h1", "exit 3", check=False).returncode == 3


def test_a_command_past_its_timeout_is_stopped(lab):
    with pytest.raises(Timeout, match="ran past 0.2 s"):
        lab.exec("h1", ["sleep", "31.5"], timeout=0.2)
    lab.wait_until(lambda: subprocess.run(["pgrep", "-f", "sleep 31.5"]).returncode == 1,
                   timeout=5)


def test_popen_starts_a_long_running_command_that_signals_reach(lab):
    process = lab.popen("h2", "echo ready; exec sleep 30", stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    process.terminate()
    assert process.wait(timeout=5) == -15  # topo died of the signal its command died of
    process.stdout.close()


def test_ping_and_the_files_tests(lab):
    ping = lab.ping()
    assert ping.ok and ping.pairs == 6, ping.failures
    assert lab.ping(nodes=["h*"]).pairs == lab.ping(nodes="h*").pairs == 2
    report = lab.test()
    assert report.ok and [t.name for t in report.tests] == ["h1 reaches h2", "r1 has its loopback"]
    assert [t.name for t in lab.test("r1 *").tests] == ["r1 has its loopback"]


def test_a_link_down_and_up_again(lab):
    lab.link("r1:eth2", "down")
    try:
        assert lab.status().interface("r1:eth2").state == "down"
        # Its peer's carrier goes as the kernel gets to it (linkwatch: within a second).
        lab.wait_until(lambda: lab.status().interface("h2:eth1").state != "up", timeout=5)
    finally:
        lab.link("r1:eth2", "up")
    lab.wait_until(lambda: lab.ping(nodes=["h1", "h2"]).ok, timeout=10)


def test_an_impairment_is_set_and_cleared(lab):
    lab.impair("r1:eth1", rate="20mbit")
    assert lab.status().interface("r1:eth1").impairment == "rate 20mbit"
    lab.impair("r1:eth1", clear=True)
    assert lab.status().interface("r1:eth1").impairment is None


def test_a_node_stops_starts_pauses_and_resumes(lab):
    r1 = lab.node("r1")
    r1.stop()
    status = lab.status()
    assert status.node("r1").state == "stopped" and status.node("r1").daemons == []
    with pytest.raises(TopoError) as raised:
        r1.stop()
    assert raised.value.returncode == 1 and "stopped" in str(raised.value)
    r1.start()
    assert lab.status().node("r1").daemon("sleeper").running
    r1.pause()
    assert lab.status().node("r1").state == "paused"
    r1.resume()
    assert lab.status().node("r1").state == "running"
    assert r1.exec("hostname").stdout == "r1\n"


def test_a_capture_holds_the_packets_of_its_block(lab, tmp_path):
    lab.exec("h1", "ping -c1 -W2 10.9.2.2")  # neighbours known first: no ARP in the capture
    with lab.capture(["h1:eth1", "h2:eth1"], tmp_path / "ping.pcapng", filter="icmp") as capture:
        lab.exec("h1", "ping -c2 -i0.1 -W1 10.9.2.2")
    packets = capture.packets()
    assert list(packets) == ["h1:eth1", "h2:eth1"]
    assert packets["h1:eth1"] == packets["h2:eth1"] == 4  # two requests, two replies
    assert "capture of lab" in capture.report


def test_a_capture_that_cannot_start_raises(lab, tmp_path):
    with pytest.raises(TopoError) as raised:
        with lab.capture("r9:eth1", tmp_path / "none.pcapng"):
            pass
    assert raised.value.returncode == 2 and "no link end r9:eth1" in str(raised.value)
    assert not (tmp_path / "none.pcapng").exists()


def test_plan_and_apply_change_a_running_lab(names):
    with Lab.up(TWO_HOSTS, names.next()) as lab:
        bigger = TWO_HOSTS.replace("{a: {}, b: {}}", "{a: {}, b: {}, c: {}}") + (
            "  - endpoints: [b:eth2, c:eth1]\n")
        plan = lab.plan(bigger)
        assert plan.running and plan.would_change
        assert ("+", "node", "c") in {(c.op, c.kind, c.object) for c in plan.changes}
        lab.apply(bigger)
        assert [n.name for n in lab.status().nodes] == ["a", "b", "c"]
        assert not lab.plan(bigger).would_change


def test_up_without_a_name_takes_the_files(names):
    name = names.next()
    with Lab.up(TWO_HOSTS.replace("name: two", f"name: {name}")) as lab:
        assert lab.name == name and lab.status().lab == name
    assert not (RUN_DIR / name).exists()


def test_a_lab_goes_down_when_its_block_raises(names):
    name = names.next()
    with pytest.raises(RuntimeError):
        with Lab.up(TWO_HOSTS, name):
            assert netns_of(name) == [f"{name}-a", f"{name}-b"]
            raise RuntimeError("a test that failed")
    assert netns_of(name) == [] and not (RUN_DIR / name).exists()


def test_a_mistake_in_a_file_creates_nothing(names, tmp_path):
    name = names.next()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nnodes:\n  a: {kind: ruter}\n")
    with pytest.raises(TopoError) as raised:
        Lab.up(bad, name)
    assert raised.value.returncode == 2
    assert f"{bad}:3:13: unknown kind `ruter`" in str(raised.value)
    assert netns_of(name) == [] and not (RUN_DIR / name).exists()


def test_a_new_lab_that_is_never_ready_is_taken_down(names):
    name = names.next()
    never = TWO_HOSTS + """tests:
  - name: never
    exec: {node: a, cmd: "false"}
ready: {tests: all, timeout: 200ms}
"""
    with pytest.raises(TopoError) as raised:
        Lab.up(never, name)
    assert raised.value.returncode == 1 and "never" in str(raised.value)
    assert netns_of(name) == [] and not (RUN_DIR / name).exists()


def test_a_lab_that_is_not_running_says_so():
    with pytest.raises(TopoError) as raised:
        Lab("py-not-running").status()
    assert raised.value.returncode == 1 and "is not running" in str(raised.value)
