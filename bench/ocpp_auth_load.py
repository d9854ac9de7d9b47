"""Wrong-password OCPP handshakes against `chargeledger serve` while a real charger sends heartbeats: do guesses
at a station's password delay the chargers or blow up the server's memory?

    .venv/bin/python bench/ocpp_auth_load.py --parallel 40 --rounds 5

Same setup as bench/login_load.py (SQLite, demo data, one station with its password on a real websocket), but
the burst is `rounds` × `parallel` websocket handshakes to that station with a wrong password (security profile
1). Prints the answers (401 refused, 503 too many handshakes from one address), the heartbeat round trip p50/p99
idle, during and after the burst, and the server's RSS. Goal (issue 13): p99 within 20 % of idle, RSS < 500 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import tempfile
from pathlib import Path

import websockets
from websockets.exceptions import InvalidStatus

sys.path.insert(0, str(Path(__file__).parent))
from login_load import STATION, Server, measure, prepare  # noqa: E402


def wrong_handshakes(port: int, parallel: int, rounds: int) -> dict[int, int]:
    """In a process of its own, so the guessing client does not slow the heartbeat client's loop."""
    return asyncio.run(_wrong_handshakes(port, parallel, rounds))


async def _guess(port: int, n: int) -> int:
    credentials = base64.b64encode(f"{STATION}:wrong-password-{n:04d}".encode()).decode()
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ocpp/{STATION}", subprotocols=["ocpp1.6"],
                                      additional_headers={"Authorization": f"Basic {credentials}"},
                                      open_timeout=60):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code
    except Exception:  # noqa: BLE001 - a dropped connection counts as 0
        return 0


async def _wrong_handshakes(port: int, parallel: int, rounds: int) -> dict[int, int]:
    codes: dict[int, int] = {}
    for r in range(rounds):
        for code in await asyncio.gather(*(_guess(port, r * parallel + n) for n in range(parallel))):
            codes[code] = codes.get(code, 0) + 1
    return codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parallel", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=200, help="demo sessions to load")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle before and after")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ocpp-auth-load-") as folder:
        server = Server(prepare(Path(folder), args.sessions))
        try:
            result = asyncio.run(measure(server, args.parallel, args.rounds, args.idle, 0.02,
                                         wrong_handshakes, server.ocpp_port, "handshakes"))
        finally:
            server.stop()
    print(json.dumps({"parallel": args.parallel, "rounds": args.rounds, **result}, indent=2))


if __name__ == "__main__":
    main()
