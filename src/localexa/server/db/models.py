"""Every table of every area, imported in one place so Alembic and `reset` see them all."""

from __future__ import annotations

from localexa.server.console import models as _console  # noqa: F401
from localexa.server.credential_locker import models as _credential_locker  # noqa: F401
from localexa.server.credentials import models as _credentials  # noqa: F401
from localexa.server.db.base import Base
from localexa.server.directives import models as _directives  # noqa: F401
from localexa.server.enablement import models as _enablement  # noqa: F401
from localexa.server.evaluation import models as _evaluation  # noqa: F401
from localexa.server.events import models as _events  # noqa: F401
from localexa.server.lwa import models as _lwa  # noqa: F401
from localexa.server.observe import models as _observe  # noqa: F401
from localexa.server.skills import models as _skills  # noqa: F401

metadata = Base.metadata
