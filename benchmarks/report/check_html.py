"""Open a report's ``report.html`` in headless Chromium: screenshot it, fail on a broken image or a console message.

The page has no script of its own, so any console message (an error, a blocked resource) is a
fault. A probe script is appended to a temporary copy of the page; on ``load`` it logs every image
that did not decode (``naturalWidth == 0``) and the count of images and tables, which this script
compares with the report folder (one image per ``figures/*.png``, one table per ``*.tex``).

Usage (from the repository root)::

    .venv/bin/python benchmarks/report/check_html.py REPORT_DIR [--screenshot report.png] [--height 4000]

Exit status 0 when the page is clean; 1 otherwise; 2 when ``chromium`` is missing
(``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """<script>
window.addEventListener("load", () => {
  const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt);
  console.log("gapeval-probe images=" + document.images.length + " tables=" +
              document.querySelectorAll("table").length + " broken=" + JSON.stringify(broken));
});
</script>
"""


def check(folder: Path, screenshot: Path, *, width: int = 1100, height: int = 4000) -> list[str]:
    """Problems of ``folder/report.html`` in Chromium (empty when clean); writes ``screenshot``."""
    page = (folder / "report.html").read_text()
    with tempfile.TemporaryDirectory() as work:
        probed = Path(work) / "report.html"  # alone in its folder: a relative link would break
        probed.write_text(page.replace("</body>", PROBE + "</body>"))
        run = subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
             "--virtual-time-budget=10000", f"--window-size={width},{height}",
             f"--screenshot={screenshot.resolve()}", probed.as_uri()],
            capture_output=True, text=True, timeout=120,
        )
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    probe = [line for line in console if "gapeval-probe" in line]
    problems = [f"console: {line}" for line in console if "gapeval-probe" not in line]
    if not screenshot.exists() or screenshot.stat().st_size == 0:
        problems.append(f"no screenshot (chromium exit {run.returncode}): {run.stderr[-500:]}")
    if len(probe) != 1:
        return problems + [f"the probe did not report (console lines: {console})"]
    found = re.search(r"images=(\d+) tables=(\d+) broken=(\[.*?\])", probe[0])
    images, tables, broken = int(found[1]), int(found[2]), found[3]
    expected_images = len(list((folder / "figures").glob("*.png")))
    expected_tables = len(list(folder.glob("*.tex")))
    if broken != "[]":
        problems.append(f"broken images: {broken}")
    if images != expected_images:
        problems.append(f"{images} images on the page, {expected_images} PNGs in figures/")
    if tables != expected_tables:
        problems.append(f"{tables} tables on the page, {expected_tables} .tex tables in the folder")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a report folder (gapeval report --out FOLDER)")
    parser.add_argument("--screenshot", type=Path, default=None, help="PNG to write (default FOLDER/../report-page.png)")
    parser.add_argument("--height", type=int, default=4000, help="window height in pixels (the screenshot's)")
    args = parser.parse_args(argv)
    if shutil.which("chromium") is None:
        print("chromium not found: apt-get install chromium", file=sys.stderr)
        return 2
    screenshot = args.screenshot or args.folder.parent / f"{args.folder.name}-page.png"
    problems = check(args.folder, screenshot, height=args.height)
    for problem in problems:
        print(f"FAIL {problem}")
    print(f"{'ok' if not problems else 'FAILED'}: {args.folder / 'report.html'}; screenshot {screenshot}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
