"""What the tests share: throw-away plugin distributions, fresh processes, site builds, kit layers.

``tests/`` is on ``sys.path`` (its ``conftest.py`` is not in a package), so tests import these as
``from support.distributions import write_plugin``; subprocesses get it through ``PYTHONPATH``.
"""

LIBRARY_PLUGINS = "kerashub,kerasrs"
"""The first-party plugins that wrap third-party libraries (keras-hub, keras-rs).

Importing them costs seconds and they add about 80 layers to every listing, check and site, so
the core's tests block them (``LAYER_REGISTRY_DISABLE``, beside what a test blocks itself)
unless a test names the plugins it wants with ``LAYER_REGISTRY_ONLY``. Their own tests
(``plugins/<ns>/tests``) and ``tests/site/test_library_plugins.py`` exercise them.
"""
