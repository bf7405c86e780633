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


def test_a_served_app_does_not_import_pydantic_v1(tmp_path: Path) -> None:
    """FastAPI's check for pydantic 1 models imported `pydantic.v1` (23 modules) as each route was
    declared and for values it encoded; until something imports it, the answer is "no" without
    it (core/pydantic_v1_check.py)."""
    code = (
        "import asyncio, sys\n"
        "import httpx\n"
        "from localexa.server.app import create_app\n"
        "from localexa.server.settings import Settings\n"
        f"app = create_app(Settings(data_dir={str(tmp_path)!r}, demo=False, admin_key='k' * 32))\n"
        "async def start():\n"
        "    async with app.router.lifespan_context(app):\n"
        "        transport = httpx.ASGITransport(app=app)\n"
        "        async with httpx.AsyncClient(transport=transport, base_url='http://127.0.0.1') as c:\n"
        "            assert (await c.get('/_localexa/health')).status_code == 200\n"
        "            admin = {'X-Localexa-Admin-Key': 'k' * 32}\n"
        "            assert (await c.get('/_localexa/clock', headers=admin)).status_code == 200\n"
        "            assert (await c.get('/_localexa/openapi.json')).status_code == 200\n"
        "asyncio.run(start())\n"
        "print(sorted(m for m in sys.modules if m.startswith('pydantic.v1')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_fastapi_still_refuses_a_pydantic_v1_model_once_pydantic_v1_is_imported() -> None:
    """The deferred check answers as FastAPI's own does for an app that uses pydantic 1 models."""
    code = (
        "import warnings\n"
        "import localexa.server.app\n"
        "from fastapi import FastAPI\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('ignore')\n"
        "    from pydantic import v1\n"
        "class Old(v1.BaseModel):\n"
        "    name: str\n"
        "app = FastAPI()\n"
        "try:\n"
        "    @app.post('/old')\n"
        "    def old(body: Old) -> None: ...\n"
        "except Exception as error:\n"
        "    print(type(error).__name__, error)\n"
        "else:\n"
        "    print('accepted')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert "pydantic.v1 models are no longer supported" in result.stdout, result.stdout + result.stderr
