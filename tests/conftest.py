"""Make tests/ importable (``from consumers import ...``) from test files at any depth, and
give the session a private cache."""

import os
import sys
import tempfile
from pathlib import Path

TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

# Tests never read or fill the user's parsed-record cache (see iombib.cache): one private cache
# for the session, inherited by the subprocesses tests start.
os.environ["IOMBIB_CACHE_DIR"] = tempfile.mkdtemp(prefix="iombib-test-cache-")
