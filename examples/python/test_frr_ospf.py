"""Three FRR routers running OSPF (../frr-ospf.yaml), tested with pytest: adjacency, a link cut,
the reroute within a time, and the packets of the failure captured.

Run as root:  pytest examples/python                  (topo installed)
              PYTHONPATH=python pytest -p topo.pytest_plugin examples/python   (source tree)
"""


def route_to_r3(lab):
    return lab.exec("r1", "ip route show 10.0.0.3").stdout


def test_r1_has_two_full_ospf_neighbours(topo_lab):
    lab = topo_lab("../frr-ospf.yaml")  # up once for this file; it waits until OSPF converged
    neighbours = lab.exec("r1", "vtysh -c 'show ip ospf neighbor'").stdout
    assert neighbours.count("Full") == 2, neighbours


def test_r1_reroutes_around_a_failed_link(topo_lab, tmp_path):
    lab = topo_lab("../frr-ospf.yaml")
    assert "via 10.1.0.9" in route_to_r3(lab)  # the direct link, r1:eth2 - r3:eth2

    with lab.capture("r1", tmp_path / "failover.pcapng") as capture:
        lab.link("r1:eth2", "down")
        lab.wait_until(lambda: "via 10.1.0.2" in route_to_r3(lab), timeout=15)  # through r2
    assert capture.packets()["r1:eth1"] > 0  # OSPF's hellos and updates to r2

    lab.link("r1:eth2", "up")
    lab.wait_until(lambda: "via 10.1.0.9" in route_to_r3(lab), timeout=30)
