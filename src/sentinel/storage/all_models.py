"""Imports every domain's tables so that Base.metadata is complete (migrations, tests)."""

from __future__ import annotations

from sqlalchemy import MetaData

from sentinel.storage.base import Base


def load_all_models() -> MetaData:
    from sentinel.alerting import models as _alerting  # noqa: F401
    from sentinel.auth import models as _auth  # noqa: F401
    from sentinel.incidents import models as _incidents  # noqa: F401
    from sentinel.logs import models as _logs  # noqa: F401
    from sentinel.notify import models as _notify  # noqa: F401
    from sentinel.oncall import models as _oncall  # noqa: F401
    from sentinel.slo import models as _slo  # noqa: F401
    from sentinel.tracing import indexes as _tracing_indexes  # noqa: F401
    from sentinel.tracing import models as _tracing  # noqa: F401
    from sentinel.worker import models as _worker  # noqa: F401

    return Base.metadata
