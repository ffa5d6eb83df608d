"""What layer-registry reads of a ``.keras`` file: the members, and how much of each.

The limits are read where they are checked, as ``_limits.NAME``, so that one assignment here
(a test lowering a limit) changes every check.
"""

CONFIG_MEMBER = "config.json"
METADATA_MEMBER = "metadata.json"
PROVENANCE_KEY = "layer_registry"
"""The key of ``metadata.json`` under which ``save_model`` records the provenance."""
PROVENANCE_MEMBER = "layer_registry.json"
"""Where ``save_model`` recorded the provenance before: still read, never written."""
PROVENANCE_FORMAT = 2


# What layer-registry reads of a file. Each limit is far above what Keras writes for a real
# model (ResNet152's config: 0.5 MB, 31,000 values, 11 levels deep, keys of 27 characters; Keras
# fails to save 140 models nested in one another, and 120 nest 367 levels) and far below what
# would exhaust memory or time: a hostile file meets a limit, named in the error, before it
# costs anything.
CONFIG_LIMIT = 64 * 2**20
"""The most of ``config.json`` that is read: a model's config is kilobytes, weights live apart."""
METADATA_LIMIT = 2**20
PROVENANCE_LIMIT = 2**20
NODE_LIMIT = 1_000_000
"""The most values (containers and scalars) a config may hold; counted before it is parsed."""
DEPTH_LIMIT = 1_000
"""The deepest a config may nest (a dict or list inside another counts one level)."""
KEY_LIMIT = 1_000
"""The longest key a config may hold, in characters."""
# Keras's own guard against decompression bombs (keras.src.saving.saving_lib,
# _ZIP_MEMBER_MAX_EXPANSION and _ZIP_EXTRACT_BOMB_FLOOR_BYTES, 3.15), repeated here so the check
# runs before Keras is imported. Keras applies it to one member at a time, and only to those it
# extracts; layer-registry applies it to every member and to all of them together, so that
# many small bombs cannot add up.
EXPANSION_LIMIT = 100
"""The most a member (or all of them together) may expand: Keras stores members uncompressed."""
EXPANSION_FLOOR = 2**28
"""Sizes up to 256 MiB are never judged by their expansion."""
