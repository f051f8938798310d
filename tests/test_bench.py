"""bench_batched.py on the notebook's current trainers: it runs and writes its table."""
import re
import subprocess
import sys

from conftest import ROOT


def test_bench_batched_writes_its_table(tmp_path):
    out = tmp_path / "bench.md"
    subprocess.run([sys.executable, str(ROOT / "bench_batched.py"), "--steps", "1", "--out", str(out)],
                   check=True, capture_output=True, cwd=ROOT, timeout=600)
    rows = [line for line in out.read_text().splitlines() if re.match(r"\| problem \d", line)]
    assert len(rows) == 3
    for row in rows:
        alone, together, speedup = (float(x) for x in row.strip("|").split("|")[1:])
        assert alone > 0 and together > 0 and abs(speedup - alone / together) < 0.01
