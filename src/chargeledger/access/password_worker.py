"""The password worker: a small process that checks passwords for the server, one at a time, at the lowest priority.

    python -m chargeledger.access.password_worker

It imports argon2 and `passwords.py` and nothing else of the application (the `chargeledger` and `access`
packages' __init__ files import nothing), so it costs a few MB of code beside Argon2's 19 MiB and starts in a
fraction of a second; a child that re-imported the application took 117 MB and 6 s. The server (password_pool.py)
talks to it over its stdin and stdout: each message is a 4-byte big-endian length and that many bytes of JSON.

    ["matches", stored_hash or null, password or null]  ->  true / false   (passwords.matches)
    ["modules"]                                          ->  the names of the modules it has imported (tests)

It ends when its stdin closes, that is when the server stops or dies.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import sys
from typing import BinaryIO

from chargeledger.access.passwords import matches

LENGTH = struct.Struct(">I")


def write_message(stream: BinaryIO, value) -> None:
    body = json.dumps(value).encode()
    stream.write(LENGTH.pack(len(body)) + body)
    stream.flush()


def read_message(stream: BinaryIO):
    """The next message, or None when the other side has closed the pipe (also in the middle of a message)."""
    head = stream.read(LENGTH.size)
    if len(head) < LENGTH.size:
        return None
    (size,) = LENGTH.unpack(head)
    body = stream.read(size)
    return json.loads(body) if len(body) == size else None


def answer(request: list):
    kind, *arguments = request
    if kind == "matches":
        return matches(*arguments)
    if kind == "modules":
        return sorted(sys.modules)
    raise ValueError(f"unknown request {kind!r}")


def main() -> None:
    # Ctrl-C on `chargeledger serve` reaches the whole process group; the worker ends when the server closes its
    # stdin instead, so it never dies under a check the server is still waiting for.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print goes to the log, not into an answer
    while (request := read_message(requests)) is not None:
        write_message(answers, answer(request))


if __name__ == "__main__":
    main()
