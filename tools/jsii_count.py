"""Run app.py and count the jsii round trips (each a request to the Node process) it makes.

    python -m tools.jsii_count            # prints "jsii round trips: N" to stderr at exit

`make bench` runs it with 100 and 1,000 workloads: the difference over 900 is the number of
round trips one workload costs (building its constructs, synthesizing and checking them).
"""

from __future__ import annotations

import atexit
import runpy
import sys

from jsii._kernel.providers import process

from stacks.config import ROOT

COUNT = [0]
_send = process._NodeProcess.send


def _counting_send(self, request, response_type):  # type: ignore[no-untyped-def]
    COUNT[0] += 1
    return _send(self, request, response_type)


def main() -> None:
    process._NodeProcess.send = _counting_send  # type: ignore[method-assign]
    atexit.register(lambda: print(f"jsii round trips: {COUNT[0]}", file=sys.stderr))
    sys.argv = [str(ROOT / "app.py")]
    runpy.run_path(str(ROOT / "app.py"), run_name="__main__")


if __name__ == "__main__":
    main()
