"""The Python examples on the openb traces: a policy re-implemented in Python gives the
built-in's allocation curves exactly. They need ../shared/traces; without it they skip,
unless FLEETSIM_REQUIRE_TRACES=1 (as CI sets) makes that a failure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRACES = ROOT / ".." / "shared" / "traces" / "alibaba-gpu-v2023"


def run_example(name: str) -> str:
    if not TRACES.is_dir():
        if os.environ.get("FLEETSIM_REQUIRE_TRACES") == "1":
            pytest.fail(f"no openb traces in {TRACES}")
        pytest.skip(f"no openb traces in {TRACES}")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "python" / name)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("example", ["best_fit.py", "fgd.py"])
def test_a_python_policy_gives_the_builtins_curves(example):
    out = run_example(example)
    # 131 points (0 to 130 % of capacity) for each of seeds 42-44.
    assert "allocation curves identical: True (393 points, seeds 42-44)" in out
    assert "ratio Python/Rust:" in out
