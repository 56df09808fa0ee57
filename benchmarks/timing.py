"""What the benchmarks share: the machine's load and a clock for one call, which every benchmark
prints beside its numbers, and PyHessian's products, the reference of two of them.

Benchmarks are run as scripts (``python benchmarks/bench_x.py``), so this module is imported from
the scripts' own folder. A ratio printed by a benchmark is measured side by side in one run;
the load average says whether the machine was quiet while it ran.
"""

from __future__ import annotations

import copy
import os
import time
import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def load() -> str:
    """The 1-, 5- and 15-minute load averages, as printed after each table."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def clock(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) of one call ``fn()``; on a GPU, work queued
    before the call and by it is waited for, so the wall time is the call's own."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    w, c = time.perf_counter(), time.process_time()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - w, time.process_time() - c


def pyhessian_products(
    model: nn.Module, x: Tensor, y: Tensor
) -> tuple[Callable[[list[Tensor]], tuple[Tensor, ...]], str]:
    """(hvp, its name): hvp maps v, a list of parameter-shaped tensors, to H v, the Hessian of the
    mean cross-entropy of a copy of ``model`` on (x, y) as one batch, by PyHessian 0.1 itself where
    it is installed (its set-up keeps the gradient's graph; its one ``torch.eig`` call, gone from
    torch 2, is in ``density``, which is not called), else by the same double backward written
    out. Used by ``bench_speed`` and ``bench_hessian``."""
    model = copy.deepcopy(model)
    try:
        from pyhessian import hessian
        from pyhessian.utils import hessian_vector_product
    except ImportError:
        ps = [p for p in model.parameters() if p.requires_grad]
        grads = torch.autograd.grad(F.cross_entropy(model(x), y), ps, create_graph=True)
        name = "PyHessian's double backward, written out (PyHessian is not installed)"
        return (lambda vs: torch.autograd.grad(grads, ps, vs, retain_graph=True)), name
    with warnings.catch_warnings():  # "Using backward() with create_graph=True ..."
        warnings.simplefilter("ignore", UserWarning)
        ph = hessian(model, F.cross_entropy, data=(x, y), cuda=x.device.type == "cuda")
    return (lambda vs: hessian_vector_product(ph.gradsH, ph.params, vs)), "PyHessian 0.1"
