"""Set up a virtual environment and run the project's jobs; needs only Python 3.11+ and pip.

    python3 dev.py site    install everything into .venv, run the conformance checks and build
                           the documentation site into build/site
    python3 dev.py test    install everything into .venv, lint (ruff), type-check (mypy) and
                           run the whole test suite

Extra arguments after ``test`` go to pytest (``python3 dev.py test -k saving``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".setup-stamp"


def plugin_dirs() -> list[Path]:
    return sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))


def setup() -> None:
    """Create .venv and install the core with its extras and every plugin under plugins/."""
    sources = [ROOT / "pyproject.toml", *(d / "pyproject.toml" for d in plugin_dirs())]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return  # nothing to install changed since the last run
    if not PYTHON.exists():
        print(f"creating {VENV.relative_to(ROOT)}", flush=True)
        venv.create(VENV, with_pip=True)
    requirements = ["-e", f"{ROOT}[test,docs]"]
    for plugin in plugin_dirs():
        requirements += ["-e", str(plugin)]
    print("installing layer-registry and its plugins (TensorFlow takes a minute)", flush=True)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", *requirements], check=True)
    STAMP.write_text(digest)


def run(*command: str) -> int:
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT).returncode


def site() -> int:
    """The main job: list the installed layers, check them, build the site into build/site."""
    setup()
    status = run("layer-registry", "list")
    if status:
        return status
    # The conformance results appear on each layer's page; a failing check is shown there, it
    # does not stop the site.
    (ROOT / "build").mkdir(exist_ok=True)
    with open(ROOT / "build" / "conformance.json", "w") as results:
        subprocess.run(
            [str(BIN / "layer-registry"), "check", "--json"], cwd=ROOT, stdout=results, check=False
        )
    # mkdocs.yml builds strictly; a broken third-party example shows on its page instead of
    # failing the whole site (`layer-registry docs build --strict` makes it fatal).
    return run("layer-registry", "docs", "build")


def test(*pytest_args: str) -> int:
    """Lint and type-check, then run every test: the core's and each plugin's, in parallel."""
    setup()
    for check in (("ruff", "check", "."), ("mypy",)):  # mypy's files are in pyproject.toml
        status = run(*check)
        if status:
            return status
    return run("python", "-m", "pytest", "-n", "auto", *pytest_args)


def main(argv: list[str]) -> int:
    jobs = {"site": site, "test": test}
    if not argv or argv[0] not in jobs:
        print(__doc__, file=sys.stderr)
        return 2
    return jobs[argv[0]](*argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
