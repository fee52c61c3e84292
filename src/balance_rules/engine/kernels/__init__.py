"""The rule kinds the core evaluates: one module per kind, one table.

:data:`KERNELS` maps a rule ``kind`` (as written in a standard file) to its
:class:`~balance_rules.engine.kernels.base.Kernel`.  The columnar core runs every
rule of a standard through the kernel of its kind; a kind without a kernel is
not evaluated by the core.  A kernel that ``needs_previous`` (monitoring's
``warning_*`` kinds) reads a county's results in two consecutive years: the
one-year evaluation skips it, ``balance_rules.monitor`` runs it.  Adding a
kind is a module with ``compile``, ``run``, ``record`` and ``explain``, its
branch in ``standard/schema.json`` and its rule class in ``standard/model.py``,
and one :func:`register` call (or a line in the table below) — see
docs/rule-kinds.md.
"""

from __future__ import annotations

from . import (
    coefficients,
    composite,
    county_fact,
    school_k_of_n,
    school_threshold,
    warning_cv_margin,
    warning_cv_rise,
    warning_k_of_n_lost,
)
from .base import Kernel

__all__ = ["KERNELS", "Kernel", "kernel_for", "register"]

#: Rule kind → the kernel that evaluates it.
KERNELS: dict[str, Kernel] = {
    "school_threshold": school_threshold.KERNEL,
    "school_k_of_n": school_k_of_n.KERNEL,
    "coefficients": coefficients.KERNEL,
    "composite": composite.KERNEL,
    "county_fact": county_fact.KERNEL,
    # Year on year (needs_previous): monitoring's early warnings.
    "warning_cv_margin": warning_cv_margin.KERNEL,
    "warning_cv_rise": warning_cv_rise.KERNEL,
    "warning_k_of_n_lost": warning_k_of_n_lost.KERNEL,
}


def register(kernel: Kernel, *, replace: bool = False) -> Kernel:
    """Add *kernel* to the table under its kind (refused if the kind is taken)."""
    if not isinstance(kernel, Kernel):
        raise TypeError(f"register(kernel): expected a Kernel, not {type(kernel).__name__}")
    if kernel.kind in KERNELS and not replace and KERNELS[kernel.kind] is not kernel:
        raise ValueError(f"register(kernel): rule kind {kernel.kind!r} already has a kernel")
    KERNELS[kernel.kind] = kernel
    return kernel


def kernel_for(kind: str) -> Kernel | None:
    """The kernel of a rule kind, or None when the core does not evaluate that kind."""
    return KERNELS.get(kind)
