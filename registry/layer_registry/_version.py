"""The package version, apart from ``__init__`` so internal modules import it without a cycle."""

__version__ = "0.1.0"
