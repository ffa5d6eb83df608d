"""The conformance kit: named checks that tell a plugin author what is wrong with a layer.

```python
from layer_registry.testing import parametrize_with_checks

@parametrize_with_checks("acme")
def test_conformance(layer, check):
    check(layer)
```

Importing this package is cheap; Keras is imported when a check runs.
"""

from layer_registry.testing._catalogue import CHECKS
from layer_registry.testing._parametrize import parametrize_with_checks
from layer_registry.testing._results import CheckResult
from layer_registry.testing._runner import check_layer
from layer_registry.testing._runner import run_checks

__all__ = [
    "CHECKS",
    "CheckResult",
    "check_layer",
    "parametrize_with_checks",
    "run_checks",
]
