"""Export a notebook to one self-contained HTML file that reads offline.

nbconvert's HTML exporter embeds every image (and the notebook's audio players carry their
sound as data URIs already); its page loads MathJax from a CDN, though, so without a network
every formula would stay raw LaTeX. This script replaces that block with MathJax 3.2.2 itself
(the SVG renderer, fonts included, Apache-2.0), taken from the pinned `django-static-mathjax`
package and inlined in the page.

Usage:  python export_html.py [homework4.ipynb] [homework4.html]
"""
import re
import sys
from importlib.resources import files
from pathlib import Path

from nbconvert import HTMLExporter
from traitlets.config import Config

MATHJAX_JS = files("mathjax") / "static" / "mathjax" / "es5" / "tex-svg.js"
MATHJAX_CONFIG = r"""<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true},
  svg: {fontCache: 'global'}
};
</script>"""
CDN_BLOCK = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
# require.js (for widgets, which this notebook has none of) comes from a CDN too, and an AMD loader
# next to MathJax can capture its modules: it is left out.
REQUIRE_JS = re.compile(r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/require\.js/[^"]*"></script>')


def export(notebook, html):
    # progress bars write one stream output per redraw: merged, and each line kept at its last state (after its
    # last carriage return), as Jupyter shows them
    config = Config({"CoalesceStreamsPreprocessor": {"enabled": True}})
    body, _ = HTMLExporter(embed_images=True, config=config).from_filename(str(notebook))
    if len(CDN_BLOCK.findall(body)) != 1:
        raise RuntimeError(f"{notebook}: nbconvert's MathJax block was not found once in the export; the "
                           "HTML template has changed (check the nbconvert version pinned in requirements.txt).")
    script = MATHJAX_JS.read_text(encoding="utf-8").replace("</script", "<\\/script")
    inline = f"<!-- MathJax 3.2.2 (Apache-2.0), inlined -->\n{MATHJAX_CONFIG}\n<script>{script}</script>"
    body = REQUIRE_JS.sub("", CDN_BLOCK.sub(lambda _: inline, body))
    Path(html).write_text(body, encoding="utf-8")
    return html


if __name__ == "__main__":
    args = sys.argv[1:] or ["homework4.ipynb", "homework4.html"]
    if len(args) != 2:
        sys.exit(__doc__)
    print(f"wrote {export(*args)}")
