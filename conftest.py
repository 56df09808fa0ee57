"""Test configuration for the whole repository.

The chapters are tested with nbval (``pytest --nbval-lax``): each notebook runs top to bottom in a
fresh kernel, in quick mode, with a fresh cache, so that a green run means the chapter really
computed its results and its check cells passed. The kernels inherit these variables.
"""

import os
import tempfile

os.environ["DOFCOURSE_QUICK"] = "1"
os.environ.setdefault("DOFCOURSE_CACHE", tempfile.mkdtemp(prefix="dofcourse-test-cache-"))
os.environ.setdefault("MPLBACKEND", "Agg")
