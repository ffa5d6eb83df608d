
from layer_registry._cli import run

run()
