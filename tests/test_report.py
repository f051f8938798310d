"""The committed report: one clean full run, and a self-contained HTML that renders in Chromium."""
import json
import re
import shutil
import subprocess

import pytest

from conftest import NOTEBOOK, ROOT

HTML = ROOT / "homework4.html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def nb():
    return json.loads(NOTEBOOK.read_text())


def test_committed_notebook_is_one_clean_run(nb):
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    metrics = json.loads((ROOT / "results" / "metrics.json").read_text())
    assert metrics["fast"] is False
    for part in ("p1", "p2", "p3", "p4", "total"):
        assert metrics["seconds"][part] > 0


def test_html_is_exported_from_this_notebook(nb):
    html = HTML.read_text()
    pngs = [o["data"]["image/png"] for c in nb["cells"] if c["cell_type"] == "code"
            for o in c["outputs"] if "image/png" in o.get("data", {})]
    assert pngs
    for png in pngs:
        assert "".join(png).strip()[:200] in html
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64', html)) == len(pngs)
    assert html.count("<audio") >= 4 and "data:audio/wav;base64" in html


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (test.sh installs it)")
def test_html_renders_in_chromium(tmp_path):
    probe = tmp_path / "probe.html"
    script = """<script>window.addEventListener('load', () => {
      const imgs = [...document.images];
      const audio = [...document.querySelectorAll('audio')];
      const r = {imgs: imgs.length, broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
                 audio: audio.length,
                 audioData: audio.filter(a => (a.currentSrc || a.src || (a.querySelector('source') || {}).src || '').startsWith('data:audio')).length};
      const pre = document.createElement('pre'); pre.id = 'probe-result'; pre.textContent = JSON.stringify(r);
      document.body.appendChild(pre);
    });</script>"""
    probe.write_text(HTML.read_text().replace("</body>", script + "</body>"))
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000"]
    dom = subprocess.run(flags + ["--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=180).stdout
    m = re.search(r'<pre id="probe-result">(.*?)</pre>', dom)
    assert m, dom[-2000:]
    result = json.loads(m.group(1).replace("&quot;", '"'))
    assert result["imgs"] > 10 and result["broken"] == 0, result
    assert result["audio"] >= 4 and result["audioData"] == result["audio"], result
    shot = ROOT / "screenshots"
    shot.mkdir(exist_ok=True)
    subprocess.run(flags + ["--window-size=1280,4000", f"--screenshot={shot / 'homework4.png'}", HTML.as_uri()],
                   capture_output=True, timeout=180)
    assert (shot / "homework4.png").stat().st_size > 10_000
