"""The worked example on the site: its results and plot on the built page, and its hook's cache.

The page tests read the repository's strict build (``site_build``, see conftest), in which the
hook ``site/hooks/worked_examples.py`` ran the experiment (or reused its cached results). The
hook's own tests below are fast: the cache key is a pure function, and a throw-away script
stands in for the experiment.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import struct
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from urllib.parse import urljoin

import pytest

from support.site_builds import ROOT
from support.site_builds import Build

PAGE = "guides/periodic-extrapolation/"
MODELS = ("Dense (tanh)", "Time2Vec", "Snake")
NUMBER = r"\d+(?:\.\d+)?"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_hook() -> ModuleType:
    """The hook module, loaded by path as MkDocs loads it (``site`` is no package)."""
    name = "worked_examples_hook_under_test"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, ROOT / "site" / "hooks" / "worked_examples.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


class Tables(HTMLParser):
    """Every table of a page as rows of cell texts, and every image's ``src``."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.images: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.extend(value for key, value in attrs if key == "src" and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parsed(build: Build) -> Tables:
    parser = Tables()
    parser.feed(build.page(PAGE))
    return parser


def results_table(build: Build) -> list[dict[str, str]]:
    """The rows of the page's results table, as dicts keyed by the header's cells."""
    for table in parsed(build).tables:
        header, *rows = table
        if header and header[0] == "Model":
            return [dict(zip(header, row, strict=True)) for row in rows]
    raise AssertionError(f"no results table on {PAGE}")


def test_the_page_shows_the_results_of_three_models_with_numeric_errors(site_build: Build):
    assert site_build.returncode == 0, site_build.stderr[-3000:]
    html = site_build.page(PAGE)
    assert "worked-example:" not in html, "the marker was not replaced"
    assert "failed to run" not in html
    rows = results_table(site_build)
    assert [row["Model"] for row in rows] == list(MODELS)
    for row in rows:
        assert int(row["Parameters"].replace(",", "")) > 1000, row
        for column in ("RMSE, training range", "RMSE, held-out future"):
            match = re.fullmatch(rf"({NUMBER}) ± ({NUMBER})", row[column])
            assert match, (column, row)
            assert all(math.isfinite(float(value)) for value in match.groups()), row
        seeds = row["Future RMSE per seed"].split(", ")
        assert len(seeds) == 3 and all(re.fullmatch(NUMBER, seed) for seed in seeds), row
    # Comparable budgets: parameter counts within 5 % of each other.
    counts = [int(row["Parameters"].replace(",", "")) for row in rows]
    assert max(counts) <= 1.05 * min(counts), counts


def test_the_page_shows_a_real_png_plot_and_links_the_raw_results(site_build: Build):
    every = parsed(site_build).images
    images = [src for src in every if src.endswith("periodic-extrapolation.png")]
    assert len(images) == 1, every
    # The page is at guides/periodic-extrapolation/index.html; resolve the src as a browser would.
    where = urljoin(f"https://example.org/{PAGE}", images[0]).removeprefix("https://example.org/")
    png = (site_build.site / where).read_bytes()
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 600 and height >= 400, (width, height)
    assert len(png) > 20_000, len(png)
    record = json.loads((site_build.site / "guides/periodic-extrapolation.json").read_text())
    assert list(record["models"]) == list(MODELS)
    for model in record["models"].values():
        assert len(model["runs"]) == len(record["budget"]["seeds"])
        assert model["epochs"] == record["budget"]["epochs"]


def test_the_experiment_runs_or_is_reused_and_the_rebuild_reuses_it(site_build: Build):
    line = re.compile(r"worked example 'periodic-extrapolation': (ran .* in [\d.]+ s|reused)")
    assert line.search(site_build.stderr), site_build.stderr[-3000:]
    assert "worked example 'periodic-extrapolation': reused cached results" in (
        site_build.rebuild_stderr
    )


# -- the hook, fast ------------------------------------------------------------------------------


def test_the_cache_key_changes_when_the_script_or_a_version_changes():
    hook = load_hook()
    versions = {"keras": "3.15.1", "tensorflow": "2.21.0", "layer-registry-periodic": "0.1.0"}
    key = hook.cache_key("print('hello')\n", versions)
    assert key == hook.cache_key("print('hello')\n", dict(reversed(versions.items())))
    assert key != hook.cache_key("print('hello')  # edited\n", versions)
    assert key != hook.cache_key("print('hello')\n", {**versions, "keras": "3.16.0"})
    assert re.fullmatch(r"[0-9a-f]{20}", key)


def test_the_hooks_example_is_keyed_on_the_script_it_runs():
    hook = load_hook()
    example = hook.EXAMPLES["periodic-extrapolation"]
    assert (ROOT / example.script).is_file()
    assert (ROOT / "site" / "docs" / example.page).is_file()
    assert {"keras", "tensorflow", "layer-registry-periodic"} <= set(hook.dependencies(example))


STAND_IN = """
import json, sys
from pathlib import Path

out = Path(sys.argv[1])
out.mkdir(parents=True)
(out / "results.json").write_text(json.dumps({"answer": 42}))
(out / "extrapolation.png").write_bytes(b"\\x89PNG\\r\\n\\x1a\\n")
print("stand-in ran")
"""


def stand_in(hook: ModuleType, root: Path, source: str):
    (root / "example.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return hook.Example(name="stand-in", script="example.py", page="guides/stand-in.md")


def test_a_run_is_cached_and_a_changed_script_runs_again(tmp_path: Path):
    hook = load_hook()
    example = stand_in(hook, tmp_path, STAND_IN)
    first = hook.produce(example, tmp_path)
    assert first.error is None and not first.cached and first.results == {"answer": 42}
    assert first.folder.parent == tmp_path / "build" / ".worked-examples"
    again = hook.produce(example, tmp_path)
    assert again.cached and again.folder == first.folder and again.results == {"answer": 42}
    edited = stand_in(hook, tmp_path, STAND_IN + "# edited\n")
    changed = hook.produce(edited, tmp_path)
    assert not changed.cached and changed.folder != first.folder


def test_a_failing_script_is_reported_with_its_error_and_not_cached(tmp_path: Path):
    hook = load_hook()
    example = stand_in(hook, tmp_path, "raise RuntimeError('the experiment broke')\n")
    outcome = hook.produce(example, tmp_path)
    assert outcome.error is not None
    assert "example.py exited with status 1" in outcome.error
    assert "RuntimeError: the experiment broke" in outcome.error
    assert not [p for p in (tmp_path / "build" / ".worked-examples").iterdir() if p.is_dir()]
    shown = hook.render_failure(outcome)
    assert shown.startswith('!!! failure "The worked example `stand-in` failed to run"')
    assert "RuntimeError: the experiment broke" in shown


@pytest.mark.parametrize("strict", [True, False])
def test_a_failure_fails_a_strict_build_and_is_shown_otherwise(
    tmp_path: Path, strict: bool, monkeypatch: pytest.MonkeyPatch
):
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File
    from mkdocs.structure.files import Files

    hook = load_hook()
    example = stand_in(hook, tmp_path, "raise SystemExit('no data')\n")
    monkeypatch.setitem(hook.EXAMPLES, example.name, example)
    docs = tmp_path / "docs"
    (docs / "guides").mkdir(parents=True)
    (docs / "guides" / "stand-in.md").write_text("<!-- worked-example: stand-in -->\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n")
    config = MkDocsConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
    config.load_dict({"site_name": "t", "docs_dir": str(docs), "strict": strict})
    assert not config.validate()[0]
    files = Files([File("guides/stand-in.md", str(docs), str(tmp_path / "out"), False)])
    hook.on_config(config)
    if strict:
        with pytest.raises(PluginError, match=r"(?s)worked example 'stand-in' failed: .*no data"):
            hook.on_files(files, config)
        return
    hook.on_files(files, config)

    class FakePage:
        file = files.get_file_from_path("guides/stand-in.md")

    markdown = hook.on_page_markdown(
        "<!-- worked-example: stand-in -->", FakePage(), config, files  # type: ignore[arg-type]
    )
    assert "failed to run" in markdown and "no data" in markdown
