"""Name resolution, suggestions, create() and the filters of names()."""

from __future__ import annotations

import keras
import pytest

from layer_registry import AmbiguousNameError
from layer_registry import LayerConfigError
from layer_registry import LayerNotFoundError
from layer_registry import Registry
from layer_registry import RegistryError
from support.distributions import plugin_source
from support.distributions import write_plugin


@pytest.fixture
def two_plugins(site_dir, unique):
    """Plugins ``a_*`` (Shared, OnlyA, Renamed with alias Original) and ``b_*`` (Shared)."""
    a, b = f"a_{unique}", f"b_{unique}"
    register_a = (
        "    register(Shared, tags=['common'])\n"
        "    register(OnlyA, tags=['rare', 'common'])\n"
        "    register(Renamed, aliases=['Original'])"
    )
    write_plugin(
        site_dir,
        distribution=f"a-{unique}",
        namespace=a,
        source=plugin_source("Shared", "OnlyA", "Renamed", register=register_a),
    )
    write_plugin(site_dir, distribution=f"b-{unique}", namespace=b, source=plugin_source("Shared"))
    return Registry(only={a, b}), a, b


def test_full_names_bare_names_and_aliases_resolve(two_plugins):
    registry, a, _ = two_plugins
    only_a = registry.get(f"{a}>OnlyA")

    assert registry.get("OnlyA") is only_a
    assert registry.get(f"{a}>Original") is registry.get(f"{a}>Renamed")
    assert registry.get("Original") is registry.get(f"{a}>Renamed")
    assert registry.resolve("Original") == f"{a}>Renamed"


def test_aliases_are_registered_with_keras_for_loading_old_files(two_plugins):
    registry, a, _ = two_plugins
    renamed = registry.get(f"{a}>Renamed")

    assert keras.saving.get_registered_object(f"{a}>Original") is renamed
    # Saving still writes the current name.
    assert keras.saving.get_registered_name(renamed) == f"{a}>Renamed"


def test_a_bare_name_two_plugins_share_is_ambiguous_and_lists_both(two_plugins):
    registry, a, b = two_plugins
    with pytest.raises(AmbiguousNameError) as raised:
        registry.get("Shared")
    assert raised.value.candidates == (f"{a}>Shared", f"{b}>Shared")
    assert f"'{a}>Shared'" in str(raised.value) and f"'{b}>Shared'" in str(raised.value)


def test_an_unknown_name_suggests_the_closest_names(two_plugins):
    registry, a, _ = two_plugins
    with pytest.raises(LayerNotFoundError) as raised:
        registry.get("OnlyB")
    error = raised.value
    assert isinstance(error, KeyError) and isinstance(error, RegistryError)
    assert error.name == "OnlyB"
    assert error.suggestions[0] == f"{a}>OnlyA"
    assert len(error.suggestions) <= 5
    assert "did you mean" in str(error) and not str(error).startswith("'")


def test_a_typo_in_the_namespace_still_gets_suggestions(two_plugins):
    registry, a, _ = two_plugins
    with pytest.raises(LayerNotFoundError) as raised:
        registry.get(f"{a}x>OnlyA")
    assert f"{a}>OnlyA" in raised.value.suggestions


@pytest.mark.parametrize("name", ["", "   ", ">", "*", "a" * 10_000, "Сло́й", "x>y>z", None, 3])
def test_odd_names_raise_layer_not_found(two_plugins, name):
    registry, _, _ = two_plugins
    with pytest.raises(LayerNotFoundError):
        registry.get(name)


def test_names_filters_by_glob_plugin_and_tag(two_plugins):
    registry, a, b = two_plugins

    assert registry.names() == sorted([f"{a}>OnlyA", f"{a}>Renamed", f"{a}>Shared", f"{b}>Shared"])
    assert registry.names("Only*") == [f"{a}>OnlyA"]
    assert registry.names(f"{b}>*") == [f"{b}>Shared"]
    assert registry.names(plugin=b) == [f"{b}>Shared"]
    assert registry.names(tag="common") == [f"{a}>OnlyA", f"{a}>Shared"]
    assert registry.names("Sh*", tag="rare") == []


def test_create_builds_an_instance_with_keyword_arguments(two_plugins):
    registry, a, _ = two_plugins
    layer = registry.create(f"{a}>OnlyA", units=5, name="mine")
    assert isinstance(layer, registry.get(f"{a}>OnlyA"))
    assert (layer.units, layer.name) == (5, "mine")


def test_create_with_a_wrong_keyword_names_it_and_what_is_accepted(two_plugins):
    registry, a, _ = two_plugins
    with pytest.raises(LayerConfigError) as raised:
        registry.create("OnlyA", unit=5)
    message = str(raised.value)
    assert f"{a}>OnlyA" in message
    assert "'unit'" in message and "did you mean 'units'" in message
    assert "units" in message.split("accepts:")[1] and "name" in message.split("accepts:")[1]


def test_create_reports_a_constructor_that_rejects_its_arguments(two_plugins):
    registry, _, _ = two_plugins
    with pytest.raises(LayerConfigError, match=r"OnlyA\(units=2, dtype='no-such-dtype'\) failed"):
        registry.create("OnlyA", units=2, dtype="no-such-dtype")
