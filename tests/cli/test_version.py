"""`localexa --version`, and one version in the package and its metadata (every build was 0.1.0
and had no --version: `pip install` of a newer wheel over an older one changed nothing)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from typer.testing import CliRunner

from localexa import __version__
from localexa.cli.main import app

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_version_option_prints_the_packages_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"localexa {__version__}"


def test_the_package_and_its_metadata_agree() -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    assert project["version"] == __version__
