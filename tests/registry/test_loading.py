"""Discovery, loading, Keras registration and fault isolation, against real dist-info plugins."""

from __future__ import annotations

import sys
import threading

import keras
import pytest

import layer_registry
from layer_registry import PluginError
from layer_registry import Registry
from support import LIBRARY_PLUGINS
from support.distributions import plugin_source
from support.distributions import write_plugin


def good_plugin(site_dir, unique, cls="GoodLayer", **kwargs):
    namespace = kwargs.pop("namespace", f"good_{unique}")
    write_plugin(
        site_dir,
        distribution=kwargs.pop("distribution", f"good-{unique}"),
        namespace=namespace,
        source=plugin_source(cls),
        **kwargs,
    )
    return namespace


def status_of(registry: Registry, namespace: str):
    (record,) = [p for p in registry.plugins() if p.namespace == namespace]
    return record


def test_a_third_party_plugin_is_discovered_and_registered_with_keras(site_dir, unique):
    namespace = good_plugin(site_dir, unique, summary="Someone else's layers.")
    registry = Registry(only={namespace})

    cls = registry.get(f"{namespace}>GoodLayer")

    assert cls.__module__ == f"good_{unique}"
    assert keras.saving.get_registered_object(f"{namespace}>GoodLayer") is cls
    assert keras.saving.get_registered_name(cls) == f"{namespace}>GoodLayer"
    record = status_of(registry, namespace)
    assert (record.status, record.distribution, record.version) == (
        "loaded",
        f"good-{unique}",
        "1.0.0",
    )
    assert record.layers == (f"{namespace}>GoodLayer",)
    assert record.summary == "Someone else's layers."
    assert record.home_page == f"https://example.org/good-{unique}"


def test_info_describes_the_layer_from_its_registration(site_dir, unique):
    namespace = good_plugin(site_dir, unique)
    info = Registry(only={namespace}).info("GoodLayer")

    assert info.name == f"{namespace}>GoodLayer"
    assert (info.namespace, info.class_name, info.plugin) == (namespace, "GoodLayer", namespace)
    assert info.summary == "A test layer."
    assert info.example == {"units": 2}
    assert info.input_shape == (2, 3)
    assert info.input_dtype == "float32"
    assert info.tags == ("test",)
    assert info.import_path == f"good_{unique}:GoodLayer"
    assert info.signature == "(units=2, **kwargs)"


def test_discovery_imports_no_plugin_until_a_lookup_needs_it(site_dir, unique):
    first = good_plugin(
        site_dir, unique, cls="First", namespace=f"first_{unique}", distribution=f"first-{unique}"
    )
    second = good_plugin(
        site_dir,
        unique,
        cls="Second",
        namespace=f"second_{unique}",
        distribution=f"second-{unique}",
    )
    registry = Registry(only={first, second})

    registry.get(f"{first}>First")

    assert f"first_{unique}" in sys.modules
    assert f"second_{unique}" not in sys.modules
    assert registry.load() == 1  # only the second was left to load
    assert f"second_{unique}" in sys.modules


FAULTS = {
    "import_error": ("import nonexistent_module_xyz\n", "ModuleNotFoundError: No module named"),
    "syntax_error": ("def broken(:\n", "SyntaxError"),
    "system_exit": ("import sys\nsys.exit(3)\n", "SystemExit: 3"),
    "runtime_error": ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_plugin_that_fails_to_import_is_reported_and_hides_nothing(site_dir, unique, fault):
    source, cause = FAULTS[fault]
    good = good_plugin(site_dir, unique)
    bad = f"bad_{unique}"
    write_plugin(
        site_dir, distribution=f"bad-{unique}", namespace=bad, version="0.3.0", source=source
    )
    registry = Registry(only={good, bad})

    assert registry.names() == [f"{good}>GoodLayer"]
    record = status_of(registry, bad)
    assert record.status == "failed"
    assert cause in record.error
    assert (record.distribution, record.version) == (f"bad-{unique}", "0.3.0")
    assert status_of(registry, good).status == "loaded"


# What one register() call gets wrong, and what the refusal of that class says.
REFUSED_CLASSES = {
    "a_function": ("    register(len)", "is not a class"),
    "not_a_layer": ("    register(dict)", "is not a keras.layers.Layer subclass"),
    "twice": ("    register(GoodLayer)\n    register(GoodLayer)", "already registered"),
    "bad_shape": ("    register(GoodLayer, input_shape=(0, -1))", "input_shape=(0, -1)"),
    "bad_alias": ("    register(GoodLayer, aliases=['not an identifier'])", "invalid alias"),
    "string_tags": ("    register(GoodLayer, tags='time-series')", "give a list of strings"),
    "string_aliases": ("    register(GoodLayer, aliases='OldName')", "give a list of strings"),
    "example_not_dict": ("    register(GoodLayer, example=[3])", "give a dict of constructor"),
    "example_not_json": ("    register(GoodLayer, example={'dtype': object()})", "not JSON data"),
}


@pytest.mark.parametrize("fault", sorted(REFUSED_CLASSES))
def test_a_refused_class_is_skipped_alone_and_its_plugin_reported_partial(site_dir, unique, fault):
    body, cause = REFUSED_CLASSES[fault]
    good = good_plugin(site_dir, unique)
    bad = f"bad_{unique}"
    source = plugin_source("Valid", "GoodLayer", register="    register(Valid)\n" + body)
    write_plugin(site_dir, distribution=f"bad-{unique}", namespace=bad, source=source)
    registry = Registry(only={good, bad})

    record = status_of(registry, bad)
    assert record.status == "partial"
    assert f"{bad}>Valid" in record.layers
    ((where, why),) = record.refused
    assert cause in why
    assert where in {f"bad_{unique}:GoodLayer", "builtins:dict", "<built-in function len>"}
    assert f"{good}>GoodLayer" in registry.names()
    assert keras.saving.get_registered_object(f"{bad}>Valid") is registry.get(f"{bad}>Valid")


# Keras 3 builds get_config from simple constructor arguments: the tutorial's way of writing a
# layer, and a stateless layer, are valid and register.
NO_CONFIG = """
import keras
from keras import ops

class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

class MaskedMean(keras.layers.Layer):
    def call(self, x):
        return ops.mean(x, axis=1)
"""


def test_layers_without_get_config_register_and_round_trip_their_arguments(site_dir, unique):
    namespace = f"noconfig_{unique}"
    source = (
        "import layer_registry\n"
        + NO_CONFIG
        + "@layer_registry.hookimpl\ndef register_layers(register):\n"
        "    register(Scale, example={'factor': 3.0}, input_shape=(2, 4))\n"
        "    register(MaskedMean, input_shape=(2, 3, 4))\n"
    )
    write_plugin(site_dir, distribution=f"noconfig-{unique}", namespace=namespace, source=source)
    registry = Registry(only={namespace})

    assert status_of(registry, namespace).status == "loaded"
    assert registry.names() == [f"{namespace}>MaskedMean", f"{namespace}>Scale"]
    layer = registry.create("Scale", factor=3.0)
    rebuilt = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(rebuilt) is registry.get("Scale") and rebuilt.factor == 3.0


@pytest.mark.parametrize(
    "body, cause",
    [
        ("    raise ValueError('hook exploded')", "ValueError: hook exploded"),
        ("    register(GoodLayer, exmple={})", "unexpected keyword argument 'exmple'"),
    ],
    ids=["hook_raises", "bad_keyword"],
)
def test_a_plugin_whose_hook_raises_fails_whole(site_dir, unique, body, cause):
    good = good_plugin(site_dir, unique)
    bad = f"bad_{unique}"
    # The hook registers a valid layer first: nothing reaches Keras before the hook returns.
    source = plugin_source("Valid", "GoodLayer", register="    register(Valid)\n" + body)
    write_plugin(site_dir, distribution=f"bad-{unique}", namespace=bad, source=source)
    registry = Registry(only={good, bad})

    assert registry.names() == [f"{good}>GoodLayer"]
    record = status_of(registry, bad)
    assert record.status == "failed"
    assert cause in record.error
    assert record.layers == ()
    assert keras.saving.get_registered_object(f"{bad}>Valid") is None


HOOK_MISTAKES = {
    # The definition of the hook, and what the plugin's error must say.
    "wrong_signature": (
        "@layer_registry.hookimpl\ndef register_layers(reg):\n",
        "PluginValidationError",
    ),
    "misspelt": ("@layer_registry.hookimpl\ndef register_layer(register):\n", "register_layer"),
    "undecorated": ("def register_layers(register):\n", "without @layer_registry.hookimpl"),
}


@pytest.mark.parametrize("mistake", sorted(HOOK_MISTAKES))
def test_a_mistaken_hook_is_reported(site_dir, unique, mistake):
    definition, cause = HOOK_MISTAKES[mistake]
    bad = f"bad_{unique}"
    source = f"import layer_registry\n{definition}    pass\n"
    write_plugin(site_dir, distribution=f"bad-{unique}", namespace=bad, source=source)

    record = status_of(Registry(only={bad}), bad)

    assert record.status == "failed"
    assert cause in record.error


def test_a_name_keras_already_maps_elsewhere_is_refused(site_dir, unique):
    bad = f"bad_{unique}"
    # Someone registered bad>GoodLayer with Keras behind the registry's back.
    keras.saving.get_custom_objects()[f"{bad}>GoodLayer"] = keras.layers.Dense
    write_plugin(
        site_dir, distribution=f"bad-{unique}", namespace=bad, source=plugin_source("GoodLayer")
    )

    record = status_of(Registry(only={bad}), bad)

    assert record.status == "partial" and record.layers == ()
    ((where, why),) = record.refused
    assert where == f"bad_{unique}:GoodLayer"
    assert f"would take the name '{bad}>GoodLayer'" in why and "Dense" in why
    assert keras.saving.get_registered_object(f"{bad}>GoodLayer") is keras.layers.Dense


def test_a_namespace_claimed_twice_stays_with_the_first_distribution_in_sorted_order(
    site_dir, unique
):
    namespace = f"shared_{unique}"
    write_plugin(
        site_dir,
        distribution=f"zeta-{unique}",
        namespace=namespace,
        source=plugin_source("FromZeta"),
    )
    write_plugin(
        site_dir,
        distribution=f"alpha-{unique}",
        namespace=namespace,
        source=plugin_source("FromAlpha"),
    )
    registry = Registry(only={namespace})

    assert registry.names() == [f"{namespace}>FromAlpha"]
    records = {p.distribution: p for p in registry.plugins() if p.namespace == namespace}
    assert records[f"alpha-{unique}"].status == "loaded"
    assert records[f"zeta-{unique}"].status == "failed"
    assert f"already provided by distribution alpha-{unique}" in records[f"zeta-{unique}"].error
    assert f"zeta_{unique}" not in sys.modules


def test_a_namespace_that_is_not_an_identifier_is_refused(site_dir, unique):
    write_plugin(
        site_dir,
        distribution=f"odd-{unique}",
        namespace=f"Odd-{unique}",
        source=plugin_source("Odd"),
    )
    (record,) = [p for p in Registry().plugins() if p.distribution == f"odd-{unique}"]
    assert record.status == "failed"
    assert "not a lowercase Python identifier" in record.error


def test_strict_mode_raises_at_the_first_failure(site_dir, unique, monkeypatch):
    bad = f"bad_{unique}"
    write_plugin(
        site_dir,
        distribution=f"bad-{unique}",
        namespace=bad,
        version="2.1.0",
        source="raise ImportError('no such thing')\n",
    )
    monkeypatch.setenv("LAYER_REGISTRY_STRICT", "1")

    with pytest.raises(PluginError) as raised:
        Registry(only={bad}).load()

    error = raised.value
    assert (error.namespace, error.distribution, error.version) == (bad, f"bad-{unique}", "2.1.0")
    assert "ImportError: no such thing" in str(error)
    assert isinstance(error.__cause__, ImportError)


def test_disable_and_only_block_plugins_without_importing_them(site_dir, unique, monkeypatch):
    kept = good_plugin(
        site_dir, unique, cls="Kept", namespace=f"kept_{unique}", distribution=f"kept-{unique}"
    )
    dropped = good_plugin(
        site_dir,
        unique,
        cls="Dropped",
        namespace=f"dropped_{unique}",
        distribution=f"dropped-{unique}",
    )
    monkeypatch.setenv("LAYER_REGISTRY_DISABLE", f"{dropped},examples,{LIBRARY_PLUGINS}")
    registry = Registry()

    assert f"{kept}>Kept" in registry.names()
    assert status_of(registry, dropped).status == "blocked"
    assert "LAYER_REGISTRY_DISABLE" in status_of(registry, dropped).error
    assert f"dropped_{unique}" not in sys.modules
    with pytest.raises(layer_registry.LayerNotFoundError, match="was blocked"):
        registry.get(f"{dropped}>Dropped")

    monkeypatch.delenv("LAYER_REGISTRY_DISABLE")
    only = Registry(only={dropped})
    assert only.names() == [f"{dropped}>Dropped"]
    assert status_of(only, kept).status == "blocked"
    assert "LAYER_REGISTRY_ONLY" in status_of(only, kept).error


def test_a_plugin_printing_while_importing_does_not_reach_stdout(site_dir, unique, capfd):
    namespace = f"noisy_{unique}"
    source = plugin_source("Noisy", preamble="print('hello from an import')\n")
    write_plugin(site_dir, distribution=f"noisy-{unique}", namespace=namespace, source=source)

    assert Registry(only={namespace}).names() == [f"{namespace}>Noisy"]
    out, err = capfd.readouterr()
    assert "hello from an import" not in out
    assert "hello from an import" in err


def test_sixteen_threads_looking_up_at_once_import_each_plugin_once(site_dir, unique):
    namespace = f"counted_{unique}"
    preamble = "import builtins\nbuiltins.__dict__.setdefault('_imports', []).append(__name__)\n"
    write_plugin(
        site_dir,
        distribution=f"counted-{unique}",
        namespace=namespace,
        source=plugin_source("Counted", preamble=preamble),
    )
    registry = Registry(only={namespace})
    barrier = threading.Barrier(16)
    found = []

    def look_up():
        barrier.wait()
        found.append(registry.get("Counted"))

    threads = [threading.Thread(target=look_up) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    import builtins

    assert builtins._imports.count(f"counted_{unique}") == 1
    assert len(found) == 16 and len(set(found)) == 1


def test_an_alias_may_not_take_a_name_already_in_use(site_dir, unique):
    bad = f"bad_{unique}"
    register = "    register(First)\n    register(Second, aliases=['First'])"
    write_plugin(
        site_dir,
        distribution=f"bad-{unique}",
        namespace=bad,
        source=plugin_source("First", "Second", register=register),
    )

    registry = Registry(only={bad})
    record = status_of(registry, bad)

    assert record.status == "partial"
    assert record.layers == (f"{bad}>First",)
    ((where, why),) = record.refused
    assert where == f"bad_{unique}:Second"
    assert f"would take the name '{bad}>First'" in why
    with pytest.raises(layer_registry.LayerNotFoundError, match="was refused by the registry"):
        registry.get(f"{bad}>Second")


def test_a_plugin_may_not_register_another_plugins_class(site_dir, unique):
    thief = f"thief_{unique}"
    # "aaa-" sorts before every other distribution, so the thief would load first.
    source = (
        "import layer_registry\nfrom layer_registry_examples import CustomLinear\n"
        "@layer_registry.hookimpl\ndef register_layers(register):\n    register(CustomLinear)\n"
    )
    write_plugin(site_dir, distribution=f"aaa-{unique}", namespace=thief, source=source)
    registry = Registry(only={thief, "examples"})

    record = status_of(registry, thief)
    assert record.status == "partial"
    ((where, why),) = record.refused
    assert where == "layer_registry_examples.custom_linear:CustomLinear"
    assert "belongs to plugin 'examples'" in why
    assert status_of(registry, "examples").status == "loaded"
    cls = registry.get("examples>CustomLinear")
    assert keras.saving.get_registered_name(cls) == "examples>CustomLinear"


def test_a_plugin_may_build_on_another_plugins_layer_while_it_imports(
    site_dir, unique, monkeypatch
):
    base, derived = f"base_{unique}", f"derived_{unique}"
    write_plugin(
        site_dir, distribution=f"base-{unique}", namespace=base, source=plugin_source("Base")
    )
    source = (
        "import layer_registry\n"
        f"Base = layer_registry.get('{base}>Base')\n"
        "class Derived(Base):\n"
        "    'A layer built on another plugin.'\n"
        "@layer_registry.hookimpl\ndef register_layers(register):\n    register(Derived)\n"
    )
    # "aaa-" sorts first: the derived plugin loads first and pulls the base one in.
    write_plugin(site_dir, distribution=f"aaa-{unique}", namespace=derived, source=source)
    registry = Registry(only={base, derived})
    # The plugin looks its base up through the module-level API: point it at this registry.
    monkeypatch.setattr(layer_registry._api, "default_registry", lambda: registry)
    monkeypatch.setattr(layer_registry._api, "_resolved", {})

    assert registry.names() == [f"{base}>Base", f"{derived}>Derived"]
    assert issubclass(registry.get("Derived"), registry.get("Base"))
    assert status_of(registry, derived).status == "loaded"


def test_a_plugin_rebinding_another_plugins_keras_name_is_failed_and_undone(site_dir, unique):
    victim, thief = f"victim_{unique}", f"thief_{unique}"
    write_plugin(
        site_dir, distribution=f"victim-{unique}", namespace=victim, source=plugin_source("Target")
    )
    preamble = (
        "import keras\n"
        "class Impostor(keras.layers.Layer):\n    def get_config(self):\n"
        "        return super().get_config()\n"
        f"keras.saving.get_custom_objects()['{victim}>Target'] = Impostor\n"
    )
    write_plugin(
        site_dir,
        distribution=f"zzz-{unique}",
        namespace=thief,
        source=plugin_source("Evil", preamble=preamble),
    )
    registry = Registry(only={victim, thief})

    target = registry.get(f"{victim}>Target")  # loads the victim first
    registry.load()

    record = status_of(registry, thief)
    assert record.status == "failed"
    assert f"'{victim}>Target'" in record.error and "restored" in record.error
    assert keras.saving.get_registered_object(f"{victim}>Target") is target
