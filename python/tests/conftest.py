"""The topo package's own tests. Run from the source tree (make test does, through CTest):

    TOPO=build/topo PYTHONPATH=python python3 -m pytest -p topo.pytest_plugin python/tests

Kernel tests need root and skip without it; each lab they make has a name of this run's own
(`names`), and the run ends by checking that none of them is left.
"""
import pytest

from support import Names

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def names():
    names = Names()
    yield names
    assert names.left() == [], "labs of this test run left behind"
