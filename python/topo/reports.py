"""What topo's --json reports say, as Python objects: `topo status`, `topo ping`, `topo test` and
`topo plan` (docs/topology.md describes each). Each `from_json` takes the parsed JSON; a key
topo always prints is required (a KeyError means this package and topo disagree), keys added
by a newer topo are ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class Interface:
    """One interface of a node, live from the kernel."""
    name: str
    state: str  # up, down, lowerlayerdown (its peer is down), ...
    mac: str
    mtu: int
    addresses: list[str]  # with their lengths, loopback addresses left out
    peer: Optional[str]  # the other end, `node:iface`
    impairment: Optional[str]  # as topo says it ("delay 10ms loss 1%"), or None
    rx_packets: int
    tx_packets: int

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Interface:
        return cls(name=j["name"], state=j["state"], mac=j["mac"], mtu=j["mtu"],
                   addresses=list(j["addresses"]), peer=j["peer"], impairment=j["impairment"],
                   rx_packets=j["rx_packets"], tx_packets=j["tx_packets"])


@dataclass(frozen=True)
class Daemon:
    name: str
    pid: int  # of its first process
    running: bool  # a live process in its cgroup

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Daemon:
        return cls(name=j["name"], pid=j["pid"], running=j["running"])


@dataclass(frozen=True)
class NodeStatus:
    """A node (or a LAN's namespace) as `topo status` shows it."""
    name: str
    netns: str
    kind: str  # host, router, bridge; lan for a LAN's namespace
    state: str  # running, stopped or paused (`topo node`)
    present: bool  # its namespace is there
    interfaces: list[Interface]
    daemons: list[Daemon]

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> NodeStatus:
        return cls(name=j["name"], netns=j["netns"], kind=j["kind"], state=j["state"],
                   present=j["present"],
                   interfaces=[Interface.from_json(i) for i in j["interfaces"]],
                   daemons=[Daemon.from_json(d) for d in j["daemons"]])

    def interface(self, name: str) -> Interface:
        return _named(self.interfaces, name, f"node {self.name} has no interface")

    def daemon(self, name: str) -> Daemon:
        return _named(self.daemons, name, f"node {self.name} has no daemon")


@dataclass(frozen=True)
class Status:
    """`topo status LAB --json`: the lab live from the kernel, compared with its journal."""
    lab: str
    file: str
    built_by: Optional[str]
    since: str
    state: str  # up, or incomplete (an `up` that did not finish)
    nodes: list[NodeStatus]
    lans: list[NodeStatus]
    host_interfaces: list[dict[str, str]]  # {"name", "mac"} of each end in the root namespace
    drift: list[str]  # what the journal has and the kernel lost, one sentence each
    topo: str  # the topo that printed it

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Status:
        return cls(lab=j["lab"], file=j["file"], built_by=j["built_by"], since=j["since"],
                   state=j["state"], nodes=[NodeStatus.from_json(n) for n in j["nodes"]],
                   lans=[NodeStatus.from_json(n) for n in j["lans"]],
                   host_interfaces=list(j["host_interfaces"]), drift=list(j["drift"]),
                   topo=j["topo"])

    def node(self, name: str) -> NodeStatus:
        return _named(self.nodes + self.lans, name, f"lab {self.lab} has no node")

    def interface(self, end: str) -> Interface:
        """The interface of an end, `node:iface`."""
        node, _, iface = end.partition(":")
        return self.node(node).interface(iface)


@dataclass(frozen=True)
class PingResult:
    """One address pinged: `from_` pinged `to`'s `address`."""
    from_: str
    to: str
    address: str
    family: int
    ok: bool
    failure: Optional[str]  # when not ok: what happened ("no answer", ...)

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> PingResult:
        return cls(from_=j["from"], to=j["to"], address=j["address"], family=j["family"],
                   ok=j["ok"], failure=j.get("failure"))


@dataclass(frozen=True)
class Ping:
    """`topo ping LAB --json`: every node to every other."""
    lab: str
    family: Optional[int]  # 4 or 6, or None for both
    nodes: list[str]
    pairs: int  # the pairs counted (those with a family in common)
    reachable: int
    not_applicable: list[tuple[str, str]]  # (from, to) with no family in common
    results: list[PingResult]
    topo: str

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Ping:
        return cls(lab=j["lab"], family=j["family"], nodes=list(j["nodes"]), pairs=j["pairs"],
                   reachable=j["reachable"],
                   not_applicable=[(p["from"], p["to"]) for p in j["not_applicable"]],
                   results=[PingResult.from_json(r) for r in j["results"]], topo=j["topo"])

    @property
    def ok(self) -> bool:
        """Every pair counted answered (topo ping's exit status 0)."""
        return self.reachable == self.pairs

    @property
    def failures(self) -> list[PingResult]:
        return [r for r in self.results if not r.ok]


@dataclass(frozen=True)
class TestOutput:
    """What a test's command (or ping) did, its last try."""
    __test__ = False  # not a pytest test class
    exit: int
    stdout: str
    stderr: str
    timed_out: bool

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> TestOutput:
        return cls(exit=j["exit"], stdout=j["stdout"], stderr=j["stderr"],
                   timed_out=j["timed_out"])


@dataclass(frozen=True)
class TestResult:
    """One test of the lab file's `tests:`."""
    __test__ = False
    name: str
    passed: bool
    seconds: float  # retries included
    attempts: int
    expected: str  # "exit 0", "ping 10.0.0.3 answers", ...
    got: TestOutput

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> TestResult:
        return cls(name=j["name"], passed=j["passed"], seconds=j["seconds"],
                   attempts=j["attempts"], expected=j["expected"],
                   got=TestOutput.from_json(j["got"]))


@dataclass(frozen=True)
class TestReport:
    """`topo test LAB --json`: the file's tests, run in order."""
    __test__ = False
    lab: str
    passed: int
    failed: int
    tests: list[TestResult]
    topo: str

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> TestReport:
        return cls(lab=j["lab"], passed=j["passed"], failed=j["failed"],
                   tests=[TestResult.from_json(t) for t in j["tests"]], topo=j["topo"])

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def test(self, name: str) -> TestResult:
        return _named(self.tests, name, f"lab {self.lab} ran no test")


@dataclass(frozen=True)
class Change:
    """One line of `topo plan` of a running lab."""
    op: str  # + added, - removed, ~ changed, ! drift put back, note
    kind: str  # node, link, address, route, daemon, ...
    object: str
    detail: str

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Change:
        return cls(op=j["op"], kind=j["kind"], object=j["object"], detail=j["detail"])


@dataclass(frozen=True)
class Plan:
    """`topo plan FILE --json`: what `up` of FILE would do. For a running lab, the changes; for
    one that is not running, every action of building it."""
    lab: str
    running: bool
    changes: list[Change] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    would_change: bool = False  # topo plan's exit status 3
    topo: str = ""

    @classmethod
    def from_json(cls, j: dict[str, Any], returncode: int) -> Plan:
        return cls(lab=j["lab"], running=j["running"],
                   changes=[Change.from_json(c) for c in j.get("changes", [])],
                   actions=list(j.get("actions", [])), would_change=returncode == 3,
                   topo=j["topo"])


def _named(items: list[Any], name: str, missing: str) -> Any:
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"{missing} `{name}` (there are: {', '.join(i.name for i in items)})")
