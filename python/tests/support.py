"""What the tests share: where things are, lab names of this run's, a mark for root."""
import os
import subprocess
from pathlib import Path

import pytest

from topo.lab import RUN_DIR
from topo.pytest_plugin import lab_name, session_mark

HERE = Path(__file__).parent
SOURCE = HERE.parent.parent  # the repository
LABS = HERE / "labs"
DATA = HERE / "data"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")


class Names:
    """Lab names for one test run: `py-<this run's mark><n>`."""

    def __init__(self) -> None:
        self.mark = session_mark()
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return lab_name(Path("py"), self.mark, self.count)

    def left(self) -> list[str]:
        """Namespaces and lab directories of this run's that are still there."""
        netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        found = [line.split()[0] for line in netns.splitlines() if self.mark in line]
        if RUN_DIR.exists():
            found += [str(p) for p in RUN_DIR.iterdir() if self.mark in p.name]
        return found
