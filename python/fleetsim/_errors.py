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
    """A Python plugin raised (or answered something fleetsim cannot use): the run stopped.

    ``policy`` names the plugin and ``kind`` says what it is (``"placement policy"``,
    ``"cluster filter"``, ``"cluster score plugin"`` or ``"queue sort"``). ``job`` is the job
    being decided (in a fragmentation experiment, the pod's row in its pod list) and
    ``time_ms`` the simulated time in milliseconds (``time`` the same, readable, such as
    ``2h5m``); either is ``None`` when there is none. ``traceback`` is the Python traceback
    as text, and the original exception is ``__cause__``.
    """

    def __init__(
        self,
        policy: str,
        message: str,
        traceback: str,
        kind: str = "placement policy",
        job: Optional[int] = None,
        time_ms: Optional[int] = None,
        time: Optional[str] = None,
    ) -> None:
        where = []
        if job is not None:
            where.append(f"job {job}")
        if time is not None:
            where.append(f"at {time}")
        context = f" ({', '.join(where)})" if where else ""
        super().__init__(f"{kind} {policy!r} failed{context}: {message}")
        self.policy = policy
        self.kind = kind
        self.job = job
        self.time_ms = time_ms
        self.time = time
        self.traceback = traceback
