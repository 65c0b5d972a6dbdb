"""Root of the test tree: makes tests/sleuth_testkit.py importable from every test folder.

Test folders have no __init__.py, so each is its own import root; running one folder alone would not
otherwise see modules that live in tests/ itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = str(Path(__file__).parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
