"""Hessian-vector products: the package's against PyHessian itself, forward-over-reverse and a
double backward that rebuilds the gradient's graph for every product.

Same model, same data (one batch), same vectors, measured side by side in one run, interleaved in
rounds so that load from other processes hits all alike. PyHessian 0.1 (a dev dependency) keeps
the gradient's graph from its set-up, as the package does for one batch
(``timing.pyhessian_products``). Also times a 100-step Lanczos run (full
reorthogonalisation) on the chapter's largest model (the full-mode MLP on the MNIST subset).

    .venv/bin/python benchmarks/bench_hessian.py [--rounds 5] [--reps 10] [--quick] [--threads 1]

On a CPU shared with other processes, ``--threads 1`` avoids thread oversubscription, which
otherwise slows small products many-fold and unevenly.
"""

from __future__ import annotations

import argparse
import resource
import time

import torch
import torch.nn.functional as F
from timing import pyhessian_products
from torch import Tensor, nn

from dofcourse import data, device, hessian, models, params


def hvp_double_backward(model: nn.Module, x: Tensor, y: Tensor, vs: list[Tensor]) -> list[Tensor]:
    """H v as PyHessian computes it for a data loader, rebuilding the graph for each product:
    g = ∂L/∂θ with create_graph, then ∂(g·v)/∂θ."""
    params = [p for p in model.parameters() if p.requires_grad]
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(grads, vs, strict=True))
    return list(torch.autograd.grad(dot, params))


def _split(flat: Tensor, model: nn.Module) -> list[Tensor]:
    """theta (D,) as one tensor per parameter, in the layout the course uses (params.Layout)."""
    return list(params.Layout.of_module(model).unflatten(flat).values())


def _time(fn, reps: int) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps


def compare(model: nn.Module, x: Tensor, y: Tensor, rounds: int, reps: int) -> None:
    op = hessian.hessian_operator(model, (x, y))  # method="auto": measures, keeps the faster
    fwd = hessian.hessian_operator(model, (x, y), method="forward")
    v = torch.randn(
        op.D, device=op.device, generator=torch.Generator(device=op.device).manual_seed(0)
    )
    vs = _split(v, model)
    pyh, pyh_name = pyhessian_products(model, x, y)
    ref = torch.cat([t.reshape(-1) for t in pyh(vs)])
    err = float((op.hvp(v) - ref).norm() / ref.norm())
    err_f = float((fwd.hvp(v) - ref).norm() / ref.norm())
    pkg_t, fwd_t, pyh_t, dbl_t = [], [], [], []
    for _ in range(rounds):
        pkg_t.append(_time(lambda: op.hvp(v), reps))
        fwd_t.append(_time(lambda: fwd.hvp(v), reps))
        pyh_t.append(_time(lambda: pyh(vs), reps))
        dbl_t.append(_time(lambda: hvp_double_backward(model, x, y, vs), reps))
    p, f, r, d = min(pkg_t), min(fwd_t), min(pyh_t), min(dbl_t)
    print(f"  D = {op.D:,}, N = {x.shape[0]:,}; relative difference from {pyh_name}'s H v: "
          f"{err:.1e} (package), {err_f:.1e} (forward-over-reverse)")  # fmt: skip
    print(f"  dofcourse.hessian (auto chose {op.method!r}): {1 / p:8.1f} HVP/s  ({1e3 * p:.1f} ms; "
          f"kept graph {op.graph_bytes / 1e6:.1f} MB)")  # fmt: skip
    print(f"  forward-over-reverse jvp(grad):        {1 / f:8.1f} HVP/s  ({1e3 * f:.1f} ms)")
    print(f"  {pyh_name} (graph kept):            {1 / r:8.1f} HVP/s  ({1e3 * r:.1f} ms)")
    print(f"  double backward, graph rebuilt:        {1 / d:8.1f} HVP/s  ({1e3 * d:.1f} ms)")
    print(f"  ratio dofcourse.hessian / {pyh_name} (HVP/s): {r / p:.2f} (goal >= 1.0)")


def lanczos_time(model: nn.Module, x: Tensor, y: Tensor, steps: int) -> None:
    op = hessian.hessian_operator(model, (x, y))
    start, cpu0 = time.perf_counter(), time.process_time()
    res = hessian.lanczos(op, steps)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    top = float(torch.linalg.eigvalsh(res.tridiagonal())[-1])
    print(
        f"  {steps}-step Lanczos, D = {op.D:,}, N = {x.shape[0]:,}: {wall:.1f} s wall, "
        f"{cpu:.1f} s CPU (λ_max = {top:.4g})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="small model only, fewer repetitions")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = device.get_device()
    print(f"device: {dev}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    torch.manual_seed(0)
    digits = data.load("digits", device=dev)
    cases = [("digits, MLP 64-32-32-10 (chapter quick model)", digits, (32, 32))]
    if not args.quick:
        mnist = data.load("mnist_subset", device=dev)
        widest = "MNIST subset, MLP 784-200-200-10 (chapter full mode, widest)"
        cases.append((widest, mnist, (200, 200)))
    for name, ds, hidden in cases:
        model = models.mlp(ds.input_shape, ds.n_classes, hidden=hidden).to(dev)
        print(name)
        compare(model, ds.x_train, ds.y_train, args.rounds, max(2, args.reps // 2))
    name, ds, hidden = cases[-1]
    model = models.mlp(ds.input_shape, ds.n_classes, hidden=hidden).to(dev)
    print(f"Lanczos on the largest model ({name})")
    lanczos_time(model, ds.x_train, ds.y_train, steps=100)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
