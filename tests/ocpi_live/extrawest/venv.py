"""The extrawest eMSP's venv: built once beside the venv that runs the tests (under sys.prefix, named by the
hash of requirements.txt, so a change of pins builds a new one), from PyPI. `make test` builds it first (python -m
tests.ocpi_live.extrawest.venv); a test that finds none builds it itself, which takes about half a minute."""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
REQUIREMENTS = HERE / "requirements.txt"
EMSP = HERE / "emsp.py"


def location() -> Path:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    return Path(sys.prefix) / "peers" / f"extrawest-{digest}"


def python() -> Path:
    """The venv's python, built first when missing (under a lock: test runs may share the outer venv)."""
    venv = location()
    done = venv / ".installed"
    if done.exists():
        return venv / "bin" / "python"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "-r",
                            str(REQUIREMENTS)], check=True)
            done.touch()
    return venv / "bin" / "python"


if __name__ == "__main__":
    print(python())
