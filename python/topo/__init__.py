"""topo from Python: network-namespace labs for protocol tests, driven through the topo command.

    from topo import Lab

    with Lab.up("lab.yaml") as lab:                      # topo up; topo down at the end
        lab.exec("r1", "vtysh -c 'show ip ospf neighbor'")
        lab.link("r1:eth2", "down")
        lab.wait_until(lambda: "via 10.1.0.2" in lab.exec("r1", "ip route get 10.0.0.3").stdout)
        assert lab.ping().ok

Everything is done by the `topo` command (its --json reports read into dataclasses), found as
$TOPO, else on PATH, else in the source tree's build/. Failures raise TopoError with topo's
exit status and message. The pytest plugin (topo.pytest_plugin) gives a `topo_lab` fixture.
"""
from topo.command import ExecError, Timeout, Topo, TopoError, find_topo
from topo.lab import Capture, Lab, Node, wait_until
from topo.pcapng import read_capture
from topo.reports import (Change, Daemon, Interface, NodeStatus, Ping, PingResult, Plan, Status,
                          TestOutput, TestReport, TestResult)

__all__ = [
    "Capture", "Change", "Daemon", "ExecError", "Interface", "Lab", "Node", "NodeStatus", "Ping",
    "PingResult", "Plan", "Status", "TestOutput", "TestReport", "TestResult", "Timeout", "Topo",
    "TopoError", "find_topo", "read_capture", "wait_until",
]
