"""``jobcleanup-emulator``: run the emulator in the foreground."""

from __future__ import annotations

import argparse
import logging
import sys

from airflow_provider_jobcleanup.emulator.app import make_server, server_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local emulator of the E-HPC, SCNet, DLI, MRS and RES job APIs.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind; 0 picks a free one (default 8765)")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="answer every service request this many milliseconds late, like a network round trip (default 0)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")
    try:
        server = make_server(args.host, args.port, latency_ms=args.latency_ms)
    except ValueError as err:
        parser.error(str(err))
    print(f"jobcleanup-emulator listening on {server_url(server)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
