"""Reading a ``.keras`` file without Keras: its config, the names in it, its provenance.

A ``.keras`` file is a zip archive whose ``config.json`` names every object of the model; a plugin
layer appears as ``"registered_name": "namespace>ClassName"`` (or the name its library gave it).
Everything here is read as untrusted data: the scan refuses configs that could run code before
anything is imported, and provenance fields that are not valid names or versions are left out.

Three rooms: ``_zip`` opens the file and reads its members within the limits of ``_limits``,
``_scan`` walks the config, ``_provenance`` checks what the file says it was saved with.
"""

from layer_registry._models._archive._limits import CONFIG_MEMBER
from layer_registry._models._archive._limits import METADATA_MEMBER
from layer_registry._models._archive._limits import PROVENANCE_FORMAT
from layer_registry._models._archive._limits import PROVENANCE_KEY
from layer_registry._models._archive._limits import PROVENANCE_MEMBER
from layer_registry._models._archive._provenance import Provenance
from layer_registry._models._archive._provenance import parse_provenance
from layer_registry._models._archive._scan import Location
from layer_registry._models._archive._scan import Scan
from layer_registry._models._archive._scan import scan
from layer_registry._models._archive._zip import Archive
from layer_registry._models._archive._zip import open_model_file
from layer_registry._models._archive._zip import read_archive

__all__ = [
    "CONFIG_MEMBER",
    "METADATA_MEMBER",
    "PROVENANCE_FORMAT",
    "PROVENANCE_KEY",
    "PROVENANCE_MEMBER",
    "Archive",
    "Location",
    "Provenance",
    "Scan",
    "open_model_file",
    "parse_provenance",
    "read_archive",
    "scan",
]
