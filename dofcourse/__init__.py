"""dofcourse: how many degrees of freedom does a deep network need to train?

A small helper package for the course notebooks in ``chapters/``. One module per idea:
``config`` (quick/full mode, paths), ``device``, ``data``, ``models``, ``train``, ``cache``,
``plotting``, and one module per chapter topic.
"""

__version__ = "0.1.0"

from dofcourse.device import configure_threads as _configure_threads  # noqa: E402

_configure_threads()  # torch and BLAS threads from the CPUs this process may use (see device)
