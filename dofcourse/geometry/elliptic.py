"""Projection onto an elliptic cone, and its support function on the unit sphere.

The cone K = {v : v^T N v <= 0, sign-side s.t. sigma (U^T v)_1 >= 0}, where N is symmetric with
exactly one negative eigenvalue nu_1 < 0 < nu_2 <= ... (eigenvectors U). This is the shape of the
cone of directions from a point theta_0 into an ellipsoid (``dofcourse.geometry.well``). Its polar
is K° = {y : y^T N^-1 y <= 0, sigma (U^T y)_1 <= 0}.

In eigen-coordinates x = U^T g the projection is z = (I + mu diag(nu))^-1 x with mu the root of
phi(mu) = sum_i nu_i x_i^2 / (1 + mu nu_i)^2 = 0 on the interval where z lies on K's side; each
interval holds exactly one root (phi is monotone there), found by vectorised bisection. The same
stationarity equation, with mu < 0, gives the maximiser of <g, u> over unit u in K when g is in K°.
"""

from __future__ import annotations

import numpy as np

from dofcourse import checks
from dofcourse.geometry._common import check_gaussians


def _bisect(fun, lo: np.ndarray, hi: np.ndarray, increasing: bool, iters: int = 200) -> np.ndarray:
    """Root of each monotone fun on (lo, hi), elementwise; ``fun`` maps (n,) -> (n,)."""
    inner_lo, inner_hi = np.nextafter(lo, hi), np.nextafter(hi, lo)  # poles sit at the ends
    lo, hi = lo.copy(), hi.copy()
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        with np.errstate(divide="ignore", invalid="ignore"):  # mid may land on a pole: inf is fine
            positive = fun(mid) > 0
        go_left = positive if increasing else ~positive
        hi = np.where(go_left, mid, hi)
        lo = np.where(go_left, lo, mid)
    return np.clip(0.5 * (lo + hi), inner_lo, inner_hi)


class EllipticCone:
    """The cone {v : v^T N v <= 0} on the side of ``inside`` (a vector known to lie in it).
    Chapter 04."""

    def __init__(self, n_matrix: np.ndarray, inside: np.ndarray):
        n_matrix = checks.array(n_matrix, "n_matrix", ndim=2)
        if n_matrix.shape[0] != n_matrix.shape[1]:
            raise ValueError(f"n_matrix must be a square matrix, got shape {n_matrix.shape}")
        if not np.allclose(n_matrix, n_matrix.T, atol=1e-10 * np.abs(n_matrix).max()):
            raise ValueError("n_matrix (N) must be symmetric")
        inside = checks.array(inside, "inside", ndim=1)
        if inside.shape != (n_matrix.shape[0],):
            raise ValueError(f"inside must have shape ({n_matrix.shape[0]},), got {inside.shape}")
        nu, u = np.linalg.eigh(n_matrix)
        if not (nu[0] < 0 and (nu.size == 1 or nu[1] > 0)):
            raise ValueError(
                "n_matrix (N) must have exactly one negative eigenvalue and no zero eigenvalue"
            )
        self.D = nu.size
        self.nu, self.u = nu, u
        side = (u.T @ inside)[0]
        if side == 0 or inside @ n_matrix @ inside > 0:
            raise ValueError("inside must lie strictly inside the cone")
        self.sigma = np.sign(side)

    def _coords(self, g: np.ndarray) -> np.ndarray:
        return check_gaussians(g, self.D) @ self.u

    def _classify(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(in K, in K°) for eigen-coordinates x (n, D)."""
        side = self.sigma * x[:, 0]
        in_k = (x**2 @ self.nu <= 0) & (side >= 0)
        in_polar = (x**2 @ (1 / self.nu) <= 0) & (side <= 0)
        return in_k, in_polar

    def _boundary(self, x: np.ndarray) -> np.ndarray:
        """Projection onto the boundary for x in neither K nor K° (eigen-coordinates)."""
        nu, z = self.nu, np.zeros_like(x)
        right = self.sigma * x[:, 0] > 0  # already on K's side: mu in (0, 1/|nu_1|)
        if right.any():
            xr = x[right]
            mu = _bisect(
                lambda m: (nu * xr**2 / (1 + m[:, None] * nu) ** 2).sum(1),
                np.zeros(len(xr)),
                np.full(len(xr), 1 / -nu[0]),
                increasing=False,
            )
            z[right] = xr / (1 + mu[:, None] * nu)
        if (~right).any():  # wrong side: mu = 1/t beyond the pole, t in (0, |nu_1|)
            xw = x[~right]
            t = _bisect(
                lambda s: (nu * xw**2 / (s[:, None] + nu) ** 2).sum(1),
                np.zeros(len(xw)),
                np.full(len(xw), -nu[0]),
                increasing=False,
            )
            z[~right] = xw * t[:, None] / (t[:, None] + nu)
        return z

    def project(self, g: np.ndarray) -> np.ndarray:
        """Pi_K(g) for a batch g (n, D). Chapter 04."""
        x = self._coords(g)
        in_k, in_polar = self._classify(x)
        z = np.zeros_like(x)
        z[in_k] = x[in_k]
        rest = ~in_k & ~in_polar
        if rest.any():
            z[rest] = self._boundary(x[rest])
        return z @ self.u.T

    def contains(self, v: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        """Whether each row of v lies in K (up to a relative tolerance). Chapter 04."""
        x = self._coords(v)
        scale = np.sum(x**2, axis=1) * np.abs(self.nu).max()
        return (x**2 @ self.nu <= tol * scale) & (self.sigma * x[:, 0] >= -tol)

    def sphere_support(self, g: np.ndarray) -> np.ndarray:
        """sup <g, u> over unit u in K, per row of g: the support function of K ∩ sphere.

        ||g|| in K, ||Pi_K g|| outside K°, and in K° (where the value is <= 0) the stationary point
        u ~ -(I + mu N)^-1 g with mu = -1/t, t in (0, nu_2), of the boundary. Chapter 04.
        """
        x = self._coords(g)
        in_k, in_polar = self._classify(x)
        out = np.linalg.norm(x, axis=1)
        rest = ~in_k & ~in_polar
        if rest.any():
            out[rest] = np.linalg.norm(self._boundary(x[rest]), axis=1)
        if in_polar.any():
            xp, nu = x[in_polar], self.nu
            upper = nu[1] if nu.size > 1 else 1.0
            t = _bisect(
                lambda s: (nu * xp**2 / (s[:, None] - nu) ** 2).sum(1),
                np.zeros(len(xp)),
                np.full(len(xp), upper),
                increasing=True,
            )
            u = -xp / (t[:, None] - nu)
            out[in_polar] = np.sum(xp * u, axis=1) / np.linalg.norm(u, axis=1)
        return out
