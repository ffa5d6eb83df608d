"""Loading one plugin: import it, call its hook with a ``register`` bound to it, check each
registration, commit the accepted ones to Keras, and undo whatever it rebound behind our back."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any

from layer_registry._errors import PluginError
from layer_registry._records import split_name
from layer_registry._registry._discovery import Plugin
from layer_registry._registry._index import Index
from layer_registry._registry._ownership import Owners
from layer_registry._registry._registration import Accepted
from layer_registry._registry._registration import Refusal
from layer_registry._registry._registration import Register
from layer_registry._registry._registration import accept

if TYPE_CHECKING:
    import pluggy


class InvalidPlugin(Exception):
    """A plugin did something that fails it as a whole (not one class: see ``Refusal``)."""


class Loader:
    """Loads plugins into an index, one at a time, through one pluggy plugin manager."""

    def __init__(self, plugins: list[Plugin], index: Index, *, strict: bool) -> None:
        self._index = index
        self._strict = strict
        self._owners = Owners(
            [(p.entry_point.dist, p.namespace) for p in plugins if p.entry_point.dist]
        )
        self._pm: pluggy.PluginManager | None = None

    def _plugin_manager(self) -> pluggy.PluginManager:
        if self._pm is None:
            import pluggy

            from layer_registry import _hookspecs

            self._pm = pluggy.PluginManager(_hookspecs.PROJECT_NAME)
            self._pm.add_hookspecs(_hookspecs)
        return self._pm

    def load(self, plugin: Plugin) -> int:
        """Load ``plugin``; return 1 when it loaded (in full or in part), 0 when it failed."""
        import keras

        pm = self._plugin_manager()
        custom_objects = keras.saving.get_custom_objects()
        keras_names_before = dict(custom_objects)
        register = Register(plugin.namespace, plugin.describe())
        plugin.status = "loading"  # a nested load must not start this one again
        module = None
        try:
            # A plugin printing while it imports must not corrupt a caller's stdout (--json).
            with _stdout_to_stderr():
                module = plugin.entry_point.load()
                pm.register(module, name=plugin.namespace)
                pm.check_pending()  # a misspelt hook name fails the plugin, with the name
                if not pm.get_hookcallers(module) and callable(
                    getattr(module, "register_layers", None)
                ):
                    raise InvalidPlugin(
                        f"{plugin.describe()} defines register_layers without "
                        "@layer_registry.hookimpl, so it is never called; decorate it"
                    )
                # Only this plugin's hook, with a register bound to it.
                others = [p for p in pm.get_plugins() if p is not module]
                pm.subset_hook_caller("register_layers", others)(register=register)
            register.close()
            self._restore_hijacked(plugin, keras_names_before)
            accepted = self._accept(plugin, register)
        except (Exception, SystemExit) as exc:
            register.close()
            if module is not None and pm.is_registered(module):
                pm.unregister(module)
            self._fail(plugin, exc)
            return 0
        self._commit(plugin, accepted)
        # Names the plugin gave Keras itself, bypassing the registry's checks (doctor shows them).
        own = {n for a in accepted for n in (a.info.name, *a.info.alias_names)}
        plugin.foreign_names = sorted(set(custom_objects) - set(keras_names_before) - own)
        return 1

    def _accept(self, plugin: Plugin, register: Register) -> list[Accepted]:
        """The plugin's registrations that pass the checks; the others go to ``refused``."""
        accepted: list[Accepted] = []
        taken = self._index.committed()
        registered = self._index.classes()
        plugin.refused = list(register.refused)
        for request in register.requests:
            try:
                result = accept(
                    request,
                    namespace=plugin.namespace,
                    dist=plugin.entry_point.dist,
                    owners=self._owners,
                    taken=taken,
                    registered=registered,
                )
            except Refusal as refusal:
                plugin.refused.append((refusal.target, refusal.why))
                continue
            accepted.append(result)
            registered[result.cls] = result.info.name
            for name in (result.info.name, *result.info.alias_names, result.info.plugin_name):
                taken[name] = result.cls
        if self._strict and plugin.refused:
            where, why = plugin.refused[0]
            raise InvalidPlugin(f"{plugin.describe()} registered {where}, which {why}")
        return accepted

    def _restore_hijacked(self, plugin: Plugin, before: dict[str, Any]) -> None:
        """Undo a plugin's rebinding of names Keras already had; fail it for trying.

        Keras lets anyone overwrite a registered name (or re-register a class under another
        name, changing what is written into saved files); one plugin must not redirect
        another's layers that way.
        """
        import keras

        custom_objects = keras.saving.get_custom_objects()
        changed = sorted(
            name for name, obj in before.items() if custom_objects.get(name) is not obj
        )
        classes = self._index.classes()
        renamed = sorted(
            (name, cls)
            for cls, name in classes.items()
            if keras.saving.get_registered_name(cls) != name
        )
        if not changed and not renamed:
            return
        for name in changed:
            custom_objects[name] = before[name]
        for name, cls in renamed:
            package, class_name = split_name(name)
            keras.saving.register_keras_serializable(package=package, name=class_name)(cls)
        raise InvalidPlugin(
            f"{plugin.describe()} rebound names Keras already had: "
            + ", ".join(map(repr, changed + [name for name, _ in renamed]))
            + "; the registry restored them. A plugin registers only its own layers, through "
            "register_layers"
        )

    def _fail(self, plugin: Plugin, exc: BaseException) -> None:
        plugin.fail(
            str(exc)
            if isinstance(exc, InvalidPlugin)
            else f"{type(exc).__name__}: {exc}".rstrip(": ")
        )
        if self._strict:
            raise PluginError(
                f"{plugin.describe()} failed to load: {plugin.error}",
                namespace=plugin.namespace,
                distribution=plugin.distribution,
                version=plugin.version,
            ) from exc

    def _commit(self, plugin: Plugin, accepted: list[Accepted]) -> None:
        import keras

        custom_objects = keras.saving.get_custom_objects()
        for registration in accepted:
            cls, info = registration.cls, registration.info
            if not registration.known_to_keras:
                keras.saving.register_keras_serializable(
                    package=info.namespace, name=cls.__name__
                )(cls)
            for alias in info.alias_names:
                # Not through register_keras_serializable: that would make Keras save the class
                # under its old name. Loading needs only the name-to-class direction.
                custom_objects[alias] = cls
            self._index.add(info, cls)
            plugin.layers.append(info.name)
        plugin.status = "partial" if plugin.refused else "loaded"


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Point ``sys.stdout`` and file descriptor 1 at stderr for a while.

    A plugin may print from C or with ``os.write(1, ...)``, past ``sys.stdout``. Process-wide
    for the moment a plugin loads: another thread printing then writes to stderr too.
    """
    with contextlib.redirect_stdout(sys.stderr):
        sys.stderr.flush()
        try:
            saved = os.dup(1)
        except OSError:  # no fd 1 at all: nothing to protect
            yield
            return
        try:
            os.dup2(2, 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
