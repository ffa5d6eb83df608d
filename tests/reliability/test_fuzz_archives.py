"""Fuzzed `.keras` archives: provenance fields, wide and deep configs, function objects.

Only the documented errors ever escape; a requirement line is always a valid pinned requirement;
the scan agrees with a plain recursive reading of the config and meets each limit where it is;
and no object makes Keras import a module outside Keras and the plugins.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
from hypothesis import given
from hypothesis import strategies as st
from packaging.requirements import Requirement

import layer_registry
from layer_registry import ModelFileError
from layer_registry import RegistryError
from layer_registry import UnsafeModelError
from layer_registry._models import _archive
from layer_registry._models._archive import _limits
from support.models import sequential


def write(folder: Path, config: Any, metadata: Any = None, members: dict | None = None) -> Path:
    path = folder / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "metadata.json", json.dumps(metadata or {"keras_version": keras.__version__})
        )
        archive.writestr("config.json", json.dumps(config))
        for name, data in (members or {}).items():
            archive.writestr(name, data)
    return path


# -- provenance fields -----------------------------------------------------------------------

NAMESPACES = ["examples", "acme", "periodic", "Acme", "a b", "", "x" * 300]
TEXTS = st.one_of(
    st.sampled_from(
        [
            "acme-layers",
            "layer-registry-examples",
            "--index-url http://127.0.0.1:47123/simple\nlayer-registry-examples",
            "acme-layers; python_version < '4'",
            "acme-layers @ https://example.com/x.whl",
            "-e .",
            "acme layers",
            "1.0.0",
            "2.0.0rc1",
            "1.0\n--extra-index-url http://x",
            "==1.0",
            ">=1",
            "latest",
            "",
        ]
    ),
    st.text(max_size=12),
)
VALUES = st.one_of(TEXTS, st.none(), st.integers(), st.lists(TEXTS, max_size=2))
PLUGIN_RECORD = st.fixed_dictionaries(
    {"distribution": VALUES, "version": VALUES},
    optional={"libraries": st.one_of(st.dictionaries(TEXTS, VALUES, max_size=3), VALUES)},
)
PROVENANCE = st.fixed_dictionaries(
    {
        "plugins": st.one_of(
            st.dictionaries(st.sampled_from(NAMESPACES), st.one_of(PLUGIN_RECORD, VALUES)),
            VALUES,
        )
    },
    optional={
        "format": st.one_of(st.just(2), VALUES),
        "layers": st.one_of(
            st.dictionaries(
                st.sampled_from(["acme>Scale", "examples>CustomLinear", "periodic>Snake"]),
                st.sampled_from(NAMESPACES),
            ),
            st.lists(st.sampled_from(["acme>Scale", "examples>CustomLinear", "x"]), max_size=3),
            VALUES,
        ),
    },
)
PINNED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+")


@given(PROVENANCE, st.booleans(), st.sampled_from(["acme>Scale", "examples>CustomLinear"]))
def test_fuzzed_provenance_gives_pinned_requirements_or_a_registry_error(
    tmp_path_factory, record, in_metadata, name
):
    config = sequential({"module": "acme_layers", "class_name": "Scale", "registered_name": name})
    folder = tmp_path_factory.mktemp("provenance")
    if in_metadata:
        path = write(folder, config, metadata={"keras_version": "3", "layer_registry": record})
    else:  # where files saved before kept it
        path = write(folder, config, members={"layer_registry.json": json.dumps(record)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", layer_registry.ProvenanceWarning)
        try:
            lines = layer_registry.requirements(path)
        except RegistryError:
            return
    for line in lines:
        # Nothing pip would read as an option, a URL, a marker or a second line.
        assert PINNED.fullmatch(line), line
        requirement = Requirement(line)
        assert [spec.operator for spec in requirement.specifier] == ["=="]
        assert not requirement.url and not requirement.marker


# -- wide and deep configs -------------------------------------------------------------------

LIMITS = {"NODE_LIMIT": 60, "DEPTH_LIMIT": 8, "KEY_LIMIT": 10}
"""Lowered for the fuzzing, so that examples reach each limit and go past it."""


@contextlib.contextmanager
def lowered_limits() -> Iterator[None]:
    saved = {name: getattr(_limits, name) for name in LIMITS}
    for name, value in LIMITS.items():
        setattr(_limits, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(_limits, name, value)


KEYS = st.one_of(
    st.sampled_from(["class_name", "config", "layers", "registered_name", "module"]),
    st.text(max_size=14),
)
LEAVES = st.one_of(
    st.none(),
    st.integers(),
    st.sampled_from(["Dense", "keras", "acme>Scale", "examples>CustomLinear", "function"]),
)


@st.composite
def wide_and_deep(draw) -> Any:
    """A small config made wide, given a long key and wrapped deep, around each limit."""
    tree = draw(
        st.recursive(
            LEAVES,
            lambda children: st.one_of(
                st.lists(children, max_size=3),
                st.dictionaries(KEYS, children, max_size=3),
                st.builds(
                    lambda name, inner: {
                        "class_name": "X",
                        "registered_name": name,
                        "config": inner,
                    },
                    st.sampled_from(["acme>Scale", "zeta>Deep", "examples>CustomLinear"]),
                    children,
                ),
            ),
            max_leaves=8,
        )
    )
    tree = [tree] * draw(st.integers(0, 70)) if draw(st.booleans()) else tree
    tree = {"k" * draw(st.integers(0, 14)): tree} if draw(st.booleans()) else tree
    for _ in range(draw(st.integers(0, 10))):
        tree = [tree] if draw(st.booleans()) else {draw(KEYS): tree}
    return tree


def reference(config: Any) -> tuple[int, int, int, set[str]]:
    """Values, depth, longest key and registered names, read the plain recursive way.

    A registered name is the name Keras looks an object up by (a function's config, a class's
    registered name, else its class name) when it reads ``package>Name``.
    """
    values, depth, key, names = 1, 0, 0, set()
    if isinstance(config, dict):
        if isinstance(config.get("class_name"), str):
            lookup = keras_lookup(config)
            if isinstance(lookup, str) and re.fullmatch(r"[^>\s]+>[^>\s]+", lookup):
                names.add(lookup)
        children = list(config.values())
        key = max((len(k) for k in config), default=0)
    elif isinstance(config, list):
        children = config
    else:
        return values, depth, key, names
    for child in children:
        v, d, k, n = reference(child)
        values, key, names = values + v, max(key, k), names | n
        if isinstance(child, (dict, list)):
            depth = max(depth, d + 1)
    return values, depth, key, names


def keras_lookup(obj: dict[str, Any]) -> Any:
    """The name Keras looks ``obj`` up by before any module (serialization_lib, 3.15)."""
    if obj["class_name"] == "function":
        return obj.get("config")
    return obj.get("registered_name", obj["class_name"])


@given(wide_and_deep())
def test_the_scan_meets_each_limit_where_a_plain_reading_does(tmp_path_factory, config):
    values, depth, key, names = reference(config)
    past = (
        values > LIMITS["NODE_LIMIT"] or depth > LIMITS["DEPTH_LIMIT"] or key > LIMITS["KEY_LIMIT"]
    )
    path = write(tmp_path_factory.mktemp("wide"), {"class_name": "Sequential", "config": config})
    with lowered_limits():
        # Read from a file, only the documented errors escape.
        with contextlib.suppress(RegistryError):
            layer_registry.requirements(path)
        try:
            found = _archive.scan(config, path="m.keras")
        except ModelFileError as error:
            assert past, (values, depth, key)
            assert str(error).startswith("m.keras: config.json ")
            assert any(f"{limit:,}" in str(error) for limit in LIMITS.values())
            return
    assert not past, (values, depth, key)
    assert set(found.names) == names


# -- function objects ------------------------------------------------------------------------

ABSENT = object()
CANARIES = ("canary", "keras_hub")
"""Modules that are not installed: a try to import them is seen, whatever its outcome."""
MODULES = [
    None,
    "os",
    "subprocess",
    "builtins",
    "keras",
    "keras.layers",
    "keras.activations",
    "keras.utils",
    "keras.saving",
    "keras_hub.src.canary",
    "canary",
    "canary.sub",
    "layer_registry_examples.custom_linear",
    3,
]
NAMES = ["system", "relu", "tanh", "get_file", "load_model", "payload", "Dense", "CustomLinear"]
REGISTERED = ["examples>CustomLinear", "Custom>fn", "os>system", "canary>payload"]
OBJECTS = st.fixed_dictionaries(
    {
        "class_name": st.sampled_from(["function", "Dense", "Lambda", "CustomLinear", "system"]),
        "module": st.sampled_from(MODULES),
        "config": st.one_of(
            st.sampled_from([*NAMES, *REGISTERED]), st.just({"units": 2}), st.none()
        ),
        "registered_name": st.sampled_from([ABSENT, None, "function", *NAMES, *REGISTERED]),
    }
).map(lambda obj: {key: value for key, value in obj.items() if value is not ABSENT})


class ImportRecorder:
    """A finder that sees every import not yet done, records it, and finds nothing."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        self.seen.append(name)


@contextlib.contextmanager
def recording_imports() -> Iterator[ImportRecorder]:
    recorder = ImportRecorder()
    sys.meta_path.insert(0, recorder)
    try:
        yield recorder
    finally:
        sys.meta_path.remove(recorder)


def keras_would_go_by_module(obj: dict[str, Any]) -> bool:
    """Whether Keras resolves ``obj`` through its module (a function is looked up by its config,
    a class by its registered name; a registered ``package>Name`` is never resolved by module)."""
    lookup = keras_lookup(obj)
    return obj.get("module") is not None and not (
        isinstance(lookup, str) and re.fullmatch(r"[^>\s]+>[^>\s]+", lookup)
    )


@given(OBJECTS, st.booleans())
def test_no_object_makes_keras_import_a_module_outside_keras_and_the_plugins(
    tmp_path_factory, obj, as_activation
):
    if as_activation:
        layer = {
            "module": "keras.layers",
            "class_name": "Dense",
            "registered_name": None,
            "config": {"name": "d", "units": 2, "activation": obj},
        }
    else:
        layer = obj
    config = sequential(
        {
            "module": "keras.layers",
            "class_name": "InputLayer",
            "registered_name": None,
            "config": {"batch_shape": [None, 3], "dtype": "float32", "name": "i"},
        },
        layer,
    )
    path = write(tmp_path_factory.mktemp("functions"), config)
    with recording_imports() as imports:
        try:
            layer_registry.load_model(path)
        except UnsafeModelError:
            refused = True
        except RegistryError:
            refused = False
        else:
            refused = False
    assert not [name for name in imports.seen if name.split(".")[0] in CANARIES], imports.seen
    module = obj.get("module")
    outside = module is not None and not (
        (isinstance(module, str) and (module == "keras" or module.startswith("keras.")))
        or (module == "builtins" and obj["class_name"] == "function")
    )
    # Refused before anything is imported whenever Keras would go by a module outside Keras,
    # whatever registered name the object carries.
    if keras_would_go_by_module(obj) and outside:
        assert refused, obj
