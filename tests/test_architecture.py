"""The module map in docs/architecture.md names every package and module of recommender/ and
nothing that is not there, every subpackage says what it may import, and the layers hold
(import-linter reads the real import graph)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "recommender"
MAP = (ROOT / "docs" / "architecture.md").read_text()


def map_block() -> str:
    """The recommender part of the map (the first code block of the document)."""
    block = MAP.split("```", 2)[1]
    return block[block.index("recommender/"):block.index("workers/")]


def blocks() -> dict[str, str]:
    """Each package's part of the map ('' for the top-level modules), by package name."""
    out, current = {"": ""}, ""
    for line in map_block().splitlines()[1:]:
        found = re.match(r"  (\w+)/", line)
        if found:
            current = found.group(1)
            out[current] = ""
        elif re.match(r"  \S", line):
            current = ""
        out[current] += line + "\n"
    return out


def test_the_module_map_names_every_package_and_module():
    parts = blocks()
    for sub in (p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        assert sub.name in parts, f"{sub.name}/ is not in the map"
        for module in sub.glob("*.py"):
            if module.name != "__init__.py" and sub.name != "web":
                assert re.search(rf"\b{module.stem}\b", parts[sub.name]), module
    for module in PACKAGE.glob("*.py"):
        assert module.name in parts[""], module


def test_the_module_map_names_nothing_that_is_not_there():
    for package, text in blocks().items():
        for name in re.findall(r"[\w/]+\.py", text):
            base = PACKAGE if "/" in name or not package else PACKAGE / package
            # a module of a folder inside the package (openapi/ in contract/) counts too
            found = (base / name).exists() or any(base.rglob(name))
            assert found, f"the map names {name} in {package or 'recommender'}/"
    assert (PACKAGE / "storage" / "migrations" / "env.py").exists()


def test_every_subpackage_says_what_it_owns_and_may_import():
    for sub in (p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        doc = (sub / "__init__.py").read_text()
        assert doc.startswith('"""') and "import" in doc.split('"""')[1], sub.name


def test_recommender_keeps_few_top_level_modules_and_no_module_is_over_300_lines():
    assert len(list(PACKAGE.glob("*.py"))) <= 8
    long = [str(p.relative_to(ROOT)) for top in ("catalogue", "indexes", "recommender", "workers")
            for p in (ROOT / top).rglob("*.py")
            if "migrations" not in p.parts and len(p.read_text().splitlines()) > 300]
    assert long == []


def test_the_layers_hold():
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 kept, 0 broken" in done.stdout
