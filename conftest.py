"""Test configuration for the whole repository.

The chapters are tested with nbval (``pytest --nbval-lax``): each notebook runs top to bottom in a
fresh kernel, in quick mode, with a fresh cache, so that a green run means the chapter really
computed its results and its check cells passed. The kernels inherit these variables.
"""

import os
import tempfile

os.environ["DOFCOURSE_QUICK"] = "1"
# `make test` runs one test worker per available CPU (pytest -n auto); each worker and each
# chapter kernel then uses one thread, so the workers do not compete for the same cores.
os.environ.setdefault("DOFCOURSE_THREADS", "1")
os.environ.setdefault("DOFCOURSE_CACHE", tempfile.mkdtemp(prefix="dofcourse-test-cache-"))
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_xdist_auto_num_workers(config):
    """``-n auto``: the CPUs this process may use (affinity and the container's CPU quota, as the
    course counts them), not the host's cores that a container may not get."""
    from dofcourse.device import available_cpus

    return available_cpus()


def pytest_collection_modifyitems(config, items):
    """nbval waits only 5 s for a cell's output messages after the cell has finished (its
    ``output_timeout``); on a loaded 2-core machine a figure's message can take longer, and the
    chapter then fails with "Timeout of 5 seconds exceeded waiting for output" although the cell
    ran. Give the output as long as a minute; the cell's own limit stays --nbval-cell-timeout."""
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = 60
