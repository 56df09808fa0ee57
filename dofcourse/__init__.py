"""dofcourse: how many degrees of freedom does a deep network need to train?

A small helper package for the course notebooks in ``chapters/``. One module per idea: the
engine (``config``, ``device``, ``checks``, ``params``, ``settings``, ``feed``, ``divergence``,
``train``, ``ensemble``, ``experiment``, ``stats``, ``projections``, ``data``, ``models``,
``plotting``), one module or subpackage per chapter topic, and the tooling (``exercises``,
``runner``, ``publish`` with ``slides`` and ``website`` on it).
"""

__version__ = "0.1.0"

from dofcourse.device import configure_threads as _configure_threads  # noqa: E402

_configure_threads()  # torch and BLAS threads from the CPUs this process may use (see device)
