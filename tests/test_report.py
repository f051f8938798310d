"""The committed report: one clean full run, and a self-contained HTML that renders in Chromium."""
import json
import re
import shutil
import subprocess
import sys

import pytest

from conftest import NOTEBOOK, ROOT

HTML = ROOT / "homework4.html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def nb():
    return json.loads(NOTEBOOK.read_text())


@pytest.fixture(scope="module")
def metrics():
    return json.loads((ROOT / "results" / "metrics.json").read_text())


def test_committed_notebook_is_one_clean_run(nb, metrics):
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert metrics["fast"] is False
    for part in ("p1", "p2", "p3", "p4", "total"):
        assert metrics[f"seconds_{part}"] > 0


def test_html_is_exported_from_this_notebook(nb):
    html = HTML.read_text()
    pngs = [o["data"]["image/png"] for c in nb["cells"] if c["cell_type"] == "code"
            for o in c["outputs"] if "image/png" in o.get("data", {})]
    assert pngs
    for png in pngs:
        assert "".join(png).strip()[:200] in html
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64', html)) == len(pngs)
    assert html.count("<audio") >= 4 and "data:audio/wav;base64" in html


def _offline_chromium(tmp_path):
    """Headless Chromium with every connection sent to a closed local port: no network at all."""
    return [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=30000"]


def _probe(page, tmp_path):
    dom = subprocess.run(_offline_chromium(tmp_path) + ["--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=300).stdout
    m = re.search(r'<pre id="probe-result">(.*?)</pre>', dom)
    assert m, dom[-2000:]
    return json.loads(m.group(1).replace("&quot;", '"'))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (test.sh installs it)")
def test_math_renders_offline_in_chromium(tmp_path):
    """MathJax is inlined: with the network off, every formula is typeset and no raw LaTeX is left."""
    probe = tmp_path / "math.html"
    script = r"""<script>window.addEventListener('load', () => { const done = () => {
      const text = [...document.querySelectorAll('.jp-RenderedMarkdown')].map(e => {
        const c = e.cloneNode(true); c.querySelectorAll('mjx-container').forEach(x => x.remove()); return c.textContent;
      }).join('\n');
      const r = {typeset: document.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
                 errors: document.querySelectorAll('mjx-merror').length,
                 dollars: (text.match(/\$/g) || []).length, raw: /\\(mathcal|mathrm|frac|sum)/.test(text)};
      const pre = document.createElement('pre'); pre.id = 'probe-result'; pre.textContent = JSON.stringify(r);
      document.body.appendChild(pre); };
      (window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve()).then(done); });</script>"""
    probe.write_text(HTML.read_text().replace("</body>", script + "</body>"))
    result = _probe(probe, tmp_path)
    assert result["typeset"] > 50 and result["errors"] == 0, result
    assert result["dollars"] == 0 and not result["raw"], result


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (test.sh installs it)")
def test_html_renders_in_chromium(nb, tmp_path):
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
    result = _probe(probe, tmp_path)
    pngs = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    assert result["imgs"] == pngs >= 8 and result["broken"] == 0, result
    assert result["audio"] >= 4 and result["audioData"] == result["audio"], result
    shot = ROOT / "screenshots"
    shot.mkdir(exist_ok=True)
    subprocess.run(_offline_chromium(tmp_path) + ["--window-size=1280,4000", f"--screenshot={shot / 'homework4.png'}",
                                                  HTML.as_uri()], capture_output=True, timeout=180)
    assert (shot / "homework4.png").stat().st_size > 10_000


def _result_text(nb, part):
    """The last Markdown that the last code cell of a section displays."""
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and part in c["metadata"].get("tags", [])]
    shown = ["".join(o["data"]["text/markdown"]) for o in cells[-1]["outputs"] if "text/markdown" in o.get("data", {})]
    return shown[-1] if shown else ""


RESULTS = {   # problem -> the metrics its closing Result paragraph must quote, as the code formats them
    "p1": ["p1_librispeech_ensemble:.3f", "p1_librispeech_auc:.3f", "p1_commonvoice_ensemble:.3f",
           "p1_librispeech_ensemble_gain:+.3f"],
    "p2": ["p2_rho_chosen_mean:.3f", "p2_control_ks_max:.3f", "p2_test_elbo:.1f"],
    "p3": ["p3_conditioning:.3f", "p3_frechet_ratio:.1f", "p3_specks:.2f", "p3_d_fake_acc:.2f"],
    "p4": ["p4_lc_0:.3f", "p4_lc_0.1:.3f", "p4_lc_10:.3f", "p4_centre_mse_0.1:.4f"],
}


def _quote(metrics, ref):
    """'key:fmt' or 'key[i]:fmt' (an interval's bound) -> the metric as the text writes it; a bare number is a setting."""
    if ":" not in ref:
        return ref
    key, fmt = ref.rsplit(":", 1)
    index = re.fullmatch(r"(.*)\[(\d)\]", key)
    value = metrics[index.group(1)][int(index.group(2))] if index else metrics[key]
    return f"{value:{fmt}}"


def test_each_section_states_the_task_and_closes_with_its_printed_result(nb, metrics):
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    for n in (1, 2, 3, 4):
        opening = next(i for i, m in enumerate(markdown) if m.lstrip().startswith(f'<a id="p{n}"></a>'))
        assert "**The task.**" in markdown[opening], f"problem {n} does not open with the task"
    for part, refs in RESULTS.items():
        text = _result_text(nb, part)
        assert text.startswith("**Result"), f"{part}: the section's last cell shows no Result paragraph"
        for ref in refs:
            assert _quote(metrics, ref) in text, f"{part}: {ref} (results/metrics.json) is not in the Result paragraph"


def test_math_source_is_not_mangled_by_markdown():
    """MathJax typesets the LaTeX that Markdown left in the page: no Markdown tag may land inside it."""
    html = HTML.read_text()
    for source in (r"\binom{10}{2}", r"\mathcal{L}_G", r"\mathrm{KL}"):
        assert source in html, source
    body = html[html.index("<body"):]
    spans = re.findall(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", body, flags=re.S)
    assert len(spans) > 20
    for display, inline in spans:
        assert not re.search(r"</?(em|strong|i|b)>", display or inline), (display or inline)[:200]


def test_readme_quotes_the_committed_metrics(metrics):
    readme = (ROOT / "README.md").read_text()
    for ref in ("p1_librispeech_ensemble:.3f", "p1_commonvoice_ensemble:.3f", "p2_rho_chosen_mean:.3f",
                "p3_conditioning:.3f", "p3_frechet_ratio:.1f", "p4_lc_0:.3f", "p4_lc_0.1:.3f", "p4_lc_10:.3f"):
        assert _quote(metrics, ref) in readme, f"README does not quote {ref} from results/metrics.json"
    assert f"{round(metrics['seconds_total']):,} s" in readme
    for report in sorted((ROOT / "results" / "experiments").glob("*.md")):
        assert f"(results/experiments/{report.name})" in readme, f"README's table of experiments lacks {report.name}"


def test_readme_is_the_template_filled_from_the_committed_results():
    check = subprocess.run([sys.executable, str(ROOT / "update_readme.py"), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, f"README.md is not what update_readme.py makes of results/: {check.stderr[-500:]}"
    assert "{{" not in (ROOT / "README.md").read_text()


ANSWERS = {   # problem -> every number of its Answer, in order: 'key:fmt' from metrics.json, else a setting or the assignment's
    1: ["p1_test_speakers:d", "p1_librispeech_ensemble:.3f", "p1_librispeech_ensemble_ci95[0]:.3f",
        "p1_librispeech_ensemble_ci95[1]:.3f", "p1_librispeech_auc:.3f", "p1_seeds:d", "70", "p1_commonvoice_speakers:d",
        "p1_commonvoice_ensemble:.3f", "p1_commonvoice_ensemble_ci95[0]:.3f", "p1_commonvoice_ensemble_ci95[1]:.3f",
        "p1_commonvoice_auc:.3f", "p1_librispeech_ensemble_gain:+.3f", "p1_librispeech_ensemble_gain_ci95[0]:+.3f",
        "p1_librispeech_ensemble_gain_ci95[1]:+.3f"],
    2: ["p2_K:d", "p2_seeds:d", "p2_rho_chosen_mean:.3f", "p2_rho_chosen_ci95[0]:.3f", "p2_rho_chosen_ci95[1]:.3f",
        "p2_rho_chosen_min:.3f"],
    3: ["0.3", "0.0005", "p3_epochs:d", "p3_conditioning:.3f", "p3_conditioning_ci95[0]:.3f",
        "p3_conditioning_ci95[1]:.3f", "1,000", "p3_worst_digit_accuracy:.2f", "p3_frechet_ratio:.1f",
        "p3_d_real_acc:.2f", "p3_d_fake_acc:.2f", "0.5"],
    4: ["100", "10", "1,000", "p4_lc_10:.3f", "p4_lc_10_ci95[0]:.3f", "p4_lc_10_ci95[1]:.3f", "p4_centre_mse_10:.4f",
        "0.1", "p4_lc_0.1:.3f", "p4_lc_0.1_ci95[0]:.3f", "p4_lc_0.1_ci95[1]:.3f", "0", "p4_lc_0:.3f",
        "p4_lc_0_ci95[0]:.3f", "p4_lc_0_ci95[1]:.3f", "p4_confident_0:.2f", "p4_epochs:d", "0.1", "10"],
}
NUMBER = r"(?<![\w.,])[+-]?\d+(?:,\d{3})*(?:\.\d+)?(?![\w.])"


def test_every_problem_opens_with_its_answer_in_numbers_from_the_run(nb, metrics):
    """The first cell of each problem states its answer, links its graded figures, and each number in it is, in order,
    the metric ANSWERS names, rounded as the text rounds it (or a setting or the assignment's own number)."""
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    for n, refs in ANSWERS.items():
        opening = next(m for m in markdown if m.lstrip().startswith(f'<a id="p{n}"></a>'))
        answer = re.search(r"\*\*Answer\.\*\*(.*?)(?:\n\n|$)", opening, re.S)
        assert answer, f"problem {n}: the first cell has no **Answer.** paragraph"
        assert f"(#p{n}-graded)" in answer.group(1), f"problem {n}: the answer does not link to its graded figures"
        assert f'<a id="p{n}-graded"></a>' in "\n".join(markdown), f"problem {n}: no graded-figures anchor"
        quoted = re.findall(NUMBER, re.sub(r"\]\(#[\w-]+\)", "]", answer.group(1)))      # numbers outside the link
        assert quoted == [_quote(metrics, ref) for ref in refs], f"problem {n}: {quoted}"


def test_every_experiment_report_comes_from_a_full_run():
    """Each committed report is a full run's (not FAST), and the README links every one of them."""
    reports = sorted((ROOT / "results" / "experiments").glob("*.json"))
    assert {p.stem for p in reports} == {p.stem for p in (ROOT / "experiments").glob("p*.py")}
    for path in reports:
        data = json.loads(path.read_text())
        assert data["fast"] is False and data["minutes"] > 0, f"{path.name} is from a FAST run"


def test_judgement_words_in_the_text_follow_their_intervals(nb):
    """In the hand-written Evidence paragraphs, the interval nearest to 'helps' or 'hurts' excludes zero, and the one
    nearest to 'not resolved' holds it."""
    evidence = " ".join("".join(c["source"]) for c in nb["cells"]
                        if c["cell_type"] == "markdown" and "-evidence" in "".join(c["source"]))
    flat = " ".join(evidence.split())
    intervals = [(m.start(), m.end(), float(m.group(1)), float(m.group(2)))
                 for m in re.finditer(r"\[([+-]?\d+\.\d+), ([+-]?\d+\.\d+)\]", flat)]
    words = list(re.finditer(r"not resolved|helps|hurts", flat))
    assert len(words) >= 4 and len(intervals) > 20
    for w in words:
        _, _, lo, hi = min(intervals, key=lambda iv: min(abs(w.start() - iv[1]), abs(iv[0] - w.end())))
        assert (w.group() != "not resolved") == (lo > 0 or hi < 0), (w.group(), lo, hi, flat[w.start() - 80:w.end()])


def test_the_report_is_short(nb):
    """At most 2,500 words (whitespace-separated) of markdown and of the Markdown the code displays, and at most 730
    non-blank lines of code (700 until problem 1 gained the candidates that experiments/p1_microphones trains: they
    live in the notebook's definitions, never in a second copy)."""
    words = sum(len("".join(c["source"]).split()) for c in nb["cells"] if c["cell_type"] == "markdown")
    words += sum(len("".join(o["data"]["text/markdown"]).split()) for c in nb["cells"] for o in c.get("outputs", [])
                 if "text/markdown" in o.get("data", {}))
    assert words <= 2500, f"{words} words"
    code = sum(1 for c in nb["cells"] if c["cell_type"] == "code" for line in "".join(c["source"]).splitlines() if line.strip())
    assert code <= 730, f"{code} lines of code"


def test_evidence_paragraphs_quote_the_linked_reports(nb):
    """Each problem's Evidence paragraph links experiment reports that exist, and every number in it is in one of them."""
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    for n in (1, 2, 3, 4):
        [evidence] = [m for m in markdown if f'<a id="p{n}-evidence"></a>' in m]
        links = re.findall(r"\]\((results/experiments/\w+\.md)\)", evidence)
        assert links, f"problem {n}: the Evidence paragraph links no report"
        reports = "\n".join((ROOT / link).read_text() for link in links)
        for number in re.findall(r"(?<![\w.])[+-]?\d+\.\d+(?![\w.])", evidence):
            assert number in reports, f"problem {n}: {number} is in no linked report"
