"""Copy the NHS.UK frontend's built CSS, JavaScript and images out of node_modules into the
package's static folder, so that every asset is served by us (no CDN).

The stylesheet's ``@font-face`` rules load the Frutiger web font from NHS servers; they are
dropped, so pages use the design system's fallback font (Arial) and load nothing from
elsewhere. Run by the Makefile after ``npm ci``:
``python recommender/web/build_assets.py node_modules/nhsuk-frontend recommender/web/static/nhsuk``
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

FILES = ("nhsuk-frontend.min.css", "nhsuk-frontend.min.js", "nhsuk-frontend.min.js.map")
REMOTE_FONT = re.compile(r"@font-face\s*\{[^}]*url\(\s*['\"]?https?://[^}]*\}")
REMOTE_URL = re.compile(r"url\(\s*['\"]?(?:https?:)?//")
STAMP = ".built"


def local_css(css: str) -> str:
    """The stylesheet without rules that fetch from another host; fails if any remain."""
    css = REMOTE_FONT.sub("", css)
    css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", css)
    if REMOTE_URL.search(css):
        raise ValueError("the stylesheet still loads something from another host")
    return css


def build(package: Path, target: Path) -> str:
    """Copy the assets; return the frontend's version."""
    dist = package / "dist" / "nhsuk"
    version = json.loads((package / "package.json").read_text())["version"]
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in FILES:
        text = (dist / name).read_text(encoding="utf-8")
        if name.endswith(".css"):
            text = local_css(text)
        (target / name).write_text(text, encoding="utf-8")
    shutil.copytree(dist / "assets", target / "assets")
    (target / STAMP).write_text(version + "\n")
    return version


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    version = build(Path(argv[0]), Path(argv[1]))
    print(f"nhsuk-frontend {version} assets copied to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
