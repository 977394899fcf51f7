"""The exceptions fleetsim raises; the Rust extension builds them by name."""

from __future__ import annotations

from typing import Optional


class ScenarioError(ValueError):
    """A scenario (or experiment, sweep, thresholds file) is invalid.

    ``file``, ``line``, ``column`` and ``field`` (the field path, such as
    ``clusters[2].node_pools[0].gpus``) say where; any of them is ``None`` when unknown.
    """

    def __init__(
        self,
        message: str,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        field: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column
        self.field = field


class PolicyError(RuntimeError):
    """A Python plugin raised: the run stopped.

    ``policy`` names the plugin, ``traceback`` is the Python traceback as text, and the
    original exception is ``__cause__``.
    """

    def __init__(self, policy: str, message: str, traceback: str) -> None:
        super().__init__(f"placement policy {policy!r} failed: {message}")
        self.policy = policy
        self.traceback = traceback
