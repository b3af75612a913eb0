"""Run moto's server (the local AWS API emulator) on loopback, with ``tools.moto_cfn`` loaded.

    python -m tools.moto_server [--host 127.0.0.1] [--port 0]

With port 0 the operating system picks a free port; the one line this prints on stdout,
``LISTENING <port>``, is sent only once the socket accepts connections. It serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    # AWS managed policies (ViewOnlyAccess, ...) exist in IAM; moto loads them only when asked.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

    from moto.server import ThreadedMotoServer

    from tools.moto_cfn import install

    install()
    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    port = server._server.server_port  # type: ignore[union-attr]  # the port actually bound
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"LISTENING {port}", flush=True)
    stop.wait()
    server.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
