from hypothesis import HealthCheck
from hypothesis import settings

# 1,500 examples per property by default (issue #13); for a longer hunt:
#   .venv/bin/python -m pytest tests/reliability --hypothesis-profile=long
settings.register_profile(
    "default", max_examples=1_500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=50_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("default")
