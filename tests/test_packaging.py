"""`make run` installs the project with pip: its metadata must build without setuptools' deprecation warning."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_license_is_an_spdx_expression_with_a_setuptools_that_reads_it():
    # `license = {text = ...}` (a TOML table) made every `make run` warn that the form is deprecated (issue 16);
    # an SPDX string needs setuptools 77 or later in the build requirements
    assert isinstance(PYPROJECT["project"]["license"], str)
    setuptools = next(Requirement(r) for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools"))
    assert setuptools.specifier.contains(Version("77")) and not setuptools.specifier.contains(Version("76.9"))
