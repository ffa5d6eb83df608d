"""What the tests share: throw-away plugin distributions, fresh processes, site builds, kit layers.

``tests/`` is on ``sys.path`` (its ``conftest.py`` is not in a package), so tests import these as
``from support.distributions import write_plugin``; subprocesses get it through ``PYTHONPATH``.
"""
