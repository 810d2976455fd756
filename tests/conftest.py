"""Test configuration shared by the whole suite.

Hypothesis explores new examples on every local run; under CI (``CI=true``) it is
derandomized so a landing is judged on a reproducible run — a failure found locally is
fixed and pinned as an explicit example or table case.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")
