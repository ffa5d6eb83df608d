"""Real documentation-site builds, shared by every test of this folder (and xdist worker).

Building is slow (TensorFlow starts in the example worker), so each build below runs once per
test session: the first worker to need it builds it under a file lock, the others reuse it.

- ``site_build``: this repository's ``mkdocs.yml`` with ``mkdocs build --strict``, plus
  throw-away third-party plugins on ``PYTHONPATH`` (``acme``, and ``broken`` whose example
  raises), then the same build again.
- ``failing_build``: ``layer-registry docs build`` without a ``mkdocs.yml`` for throw-away
  plugins whose example raises, whose example hangs, and which fails to import; then strict.
"""

from __future__ import annotations

import json

import pytest

from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import CLI
from support.site_builds import MKDOCS
from support.site_builds import ROOT
from support.site_builds import SLOW_PREAMBLE
from support.site_builds import Build
from support.site_builds import environment
from support.site_builds import once
from support.site_builds import run
from support.site_builds import shared_folder
from support.site_builds import write_acme
from support.site_builds import write_broken


@pytest.fixture(scope="session")
def site_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """This repository's site, built strictly with ``acme`` installed beside, then rebuilt."""
    folder = shared_folder(tmp_path_factory) / "repository"
    with once(folder) as todo:
        if todo is not None:
            # A third party's plugin beside ours, and one whose example fails: the repository's
            # strict build must still pass, with the failure on its page.
            plugins = [write_acme(todo / "acme"), write_broken(todo / "broken")]
            env = environment(plugins, todo / "cache")
            command = [MKDOCS, "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                       "-d", str(todo / "site")]
            first = run(command, env, ROOT)
            second = run(command, env, ROOT) if first.returncode == 0 else first
            (todo / "done.json").write_text(json.dumps({
                "returncode": first.returncode, "stderr": first.stderr,
                "rebuild_returncode": second.returncode, "rebuild_stderr": second.stderr,
                "env": env,
            }))
    record = json.loads((folder / "done.json").read_text())
    return Build(site=folder / "site", **record)


@pytest.fixture(scope="session")
def failing_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """``docs build`` of plugins that go wrong: non-strict (``site``), then strict (rebuild)."""
    folder = shared_folder(tmp_path_factory) / "failing"
    with once(folder) as todo:
        if todo is not None:
            roots = [
                write_broken(todo / "broken"),
                write_plugin(
                    todo / "slow",
                    distribution="slow-layers",
                    namespace="slow",
                    source=plugin_source(
                        "Works",
                        preamble=SLOW_PREAMBLE,
                        register="    register(Hangs, input_shape=(2, 3))\n"
                        "    register(Works, example={'units': 2}, input_shape=(2, 3))",
                    ),
                ),
                write_plugin(
                    todo / "crashing",
                    distribution="crashing-layers",
                    namespace="crashing",
                    source="raise ImportError('crashing-layers needs scipy_nope')\n",
                ),
            ]
            env = environment(roots, todo / "cache")
            docs = [CLI, "docs", "build"]
            lenient = run(
                [*docs, "--plugin", "broken", "--plugin", "slow", "--plugin", "crashing",
                 "--timeout", "6", "-o", str(todo / "site")],
                env,
                todo,
            )
            strict = run(
                [*docs, "--plugin", "broken", "--strict", "-o", str(todo / "strict-site")],
                env,
                todo,
            )
            (todo / "done.json").write_text(json.dumps({
                "returncode": lenient.returncode, "stderr": lenient.stderr,
                "rebuild_returncode": strict.returncode, "rebuild_stderr": strict.stderr,
                "env": env,
            }))
    record = json.loads((folder / "done.json").read_text())
    return Build(site=folder / "site", **record)
