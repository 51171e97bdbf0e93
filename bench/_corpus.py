"""Generated note corpora for the benchmarks, made once by ../shared/bench/gen_corpus.py.

gen_corpus is deterministic, so a cached copy under bench/.corpus/ is exact; ``.complete`` marks
a corpus whose generation finished (an interrupted one is made again).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GEN = HERE.parent.parent / "shared" / "bench" / "gen_corpus.py"
CORPORA = HERE / ".corpus"


def corpus(n: int) -> Path:
    """The n-note corpus, generating it on first use."""
    target = CORPORA / f"n{n}"
    if not (target / ".complete").exists():
        if not GEN.is_file():
            raise SystemExit(f"{GEN} not found: the benchmarks need ../shared beside the checkout")
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run([sys.executable, str(GEN), str(target), str(n)], check=True,
                       stdout=subprocess.DEVNULL)
        (target / ".complete").write_text("ok")
    return target
