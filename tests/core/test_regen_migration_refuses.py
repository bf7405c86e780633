"""scripts/regen_migration.py refuses once revisions after 0001_initial exist (QA, 2026-12-06).

It deleted `0001_initial.py`, then failed on the later revisions that build on it, and left the
migrations broken. Now it refuses before it touches anything, and says what to do instead."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from localexa.server.db.migrate import MIGRATIONS_DIR

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "regen_migration.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regen_migration", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fingerprints(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.py"))}


async def test_later_revisions_make_the_script_refuse_before_touching_anything(tmp_path: Path) -> None:
    script = load_script()
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    before = fingerprints(migrations / "versions")
    real = fingerprints(MIGRATIONS_DIR / "versions")
    assert len(before) > 1  # 0001_initial and the revisions after it
    setattr(script, "MIGRATIONS_DIR", migrations)  # noqa: B010 - a module loaded from a path
    with pytest.raises(SystemExit) as refused:
        await script.main()
    told = str(refused.value.code)
    assert "before the first release only" in told
    assert "nothing was changed" in told
    assert "alembic revision --autogenerate" in told
    assert fingerprints(migrations / "versions") == before
    assert fingerprints(MIGRATIONS_DIR / "versions") == real


def test_only_the_initial_revision_is_no_refusal(tmp_path: Path) -> None:
    script = load_script()
    (tmp_path / "0001_initial.py").write_text("revision = '0001_initial'\n")
    script.refuse_after_the_first_release(tmp_path)  # no SystemExit
