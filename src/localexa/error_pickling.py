"""Errors that pickle whatever their `__init__` takes: the client's and the skill kit's.

`pickle` rebuilds an exception by calling its class with its `args` (the message) and then
restores its `__dict__`. An error whose `__init__` takes other arguments than its message
(`APIStatusError(message, response=...)`, `CaFileError(ca_file, reason)`,
`EventGatewayError(status, code, ...)`) could not be unpickled ("missing 1 required positional
argument"), so it could not cross a process boundary: a worker of `multiprocessing` or
`concurrent.futures.ProcessPoolExecutor` that met one failed with that TypeError instead of the
error (re-verification of the night of 2026-12-06). Rebuilt here without calling `__init__`: the
same class, message and attributes. Neutral, as tls_failures.py is: the client and the skill kit
import no code of each other's.
"""

from __future__ import annotations

from typing import Any


def rebuild_error(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """The error `reduce_error` pickled: `cls` made without its `__init__`, then its args and state."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


def reduce_error(error: BaseException) -> tuple[Any, ...]:
    """`error.__reduce__()`: rebuilt by `rebuild_error` from its class, args and `__dict__`."""
    return (rebuild_error, (type(error), error.args, dict(error.__dict__)))
