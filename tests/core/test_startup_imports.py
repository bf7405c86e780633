"""What a start loads: the cold start target (< 1 s, bench/) depends on what is NOT imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: Loaded on first use only: outbound HTTP (first skill call), page templates (first page),
#: migrations (a database that is not new and not at head), WebSockets (never).
LAZY = ("httpx", "jinja2", "alembic", "mako", "websockets")


def test_building_and_starting_the_app_loads_none_of_the_lazy_packages(tmp_path: Path) -> None:
    code = (
        "import asyncio, sys\n"
        "from localexa.server.app import create_app\n"
        "from localexa.server.settings import Settings\n"
        f"app = create_app(Settings(data_dir={str(tmp_path)!r}, demo=False))\n"
        "async def start():\n"
        "    async with app.router.lifespan_context(app):\n"
        "        pass\n"
        "asyncio.run(start())\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({LAZY!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
    assert (tmp_path / "localexa.db").exists()
