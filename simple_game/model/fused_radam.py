"""RAdam's update through PyTorch's fused Adam kernel: the same maths in one pass.

PyTorch (2.13) has a fused step for Adam but none for RAdam, PQN's optimizer (the paper's
and CleanRL's choice). On a CPU, RAdam's multi-tensor step makes about a dozen passes over
the parameters and their moments: 9% of a ``pong_pqn`` agent step (docs/performance.md).

Once RAdam's warm-up is over (``rho_t > 5``: from its 6th step with ``beta2 = 0.999``), its
update differs from Adam's only by two numbers that are the same for every weight of a step::

    RAdam:  p -= lr * r_t / (1 - beta1^t) * m * sqrt(1 - beta2^t) / (sqrt(v) + eps)
    Adam:   p -= lr       / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

(``r_t`` is RAdam's variance rectification), so Adam's kernel with ``lr * r_t`` and
``eps / sqrt(1 - beta2^t)`` computes RAdam's update. The moments and the step count stay
RAdam's own state tensors, which the kernel updates in place, so the optimizer saves and
loads as a plain RAdam. The warm-up steps, and what the kernel cannot express (decoupled
weight decay, a closure, a differentiable or capturable step, parameters at different step
counts, weights on a GPU with RAdam's step counts on the CPU), go through RAdam's own step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch as th
from torch.optim.adam import adam

# RAdam rectifies only once the variance estimate has more than 5 degrees of freedom.
RECTIFY_AFTER_RHO = 5.0


def rho_inf(beta2: float) -> float:
    """The degrees of freedom RAdam's second-moment estimate tends to as steps go on."""
    return 2 / (1 - beta2) - 1


def rho(step: float, beta2: float) -> float:
    """RAdam's degrees of freedom of the second-moment estimate after ``step`` updates."""
    return rho_inf(beta2) - 2 * step * beta2**step / (1 - beta2**step)


def rectification(step: float, beta2: float) -> float:
    """RAdam's ``r_t``: how much of Adam's adaptive step to take at ``step`` (rho > 5)."""
    rho_max, rho_t = rho_inf(beta2), rho(step, beta2)
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_max / ((rho_max - 4) * (rho_max - 2) * rho_t))


def fuse_radam_step(optimizer: th.optim.RAdam) -> None:
    """Replace ``optimizer.step`` (on this instance only) by the fused one above."""
    radam_step = optimizer.step
    # torch's profiler names an optimizer's step so; bench --profile files the update by it.
    profile_name = f"Optimizer.step#{type(optimizer).__name__}.step"

    @th.no_grad()
    def step(closure: Callable[[], Any] | None = None) -> Any:
        groups = [_fused_arguments(optimizer, group) for group in optimizer.param_groups]
        if closure is not None or any(arguments is None for arguments in groups):
            return radam_step(closure)
        with th.profiler.record_function(profile_name):
            for arguments in groups:
                adam(**arguments)  # type: ignore[arg-type]
        return None

    optimizer.step = step  # type: ignore[method-assign]


def _fused_arguments(optimizer: th.optim.RAdam, group: dict[str, Any]) -> dict[str, Any] | None:
    """Adam's functional arguments that make one RAdam step of ``group``; None: not fusable."""
    if (
        group["capturable"]
        or group["differentiable"]
        or (group["decoupled_weight_decay"] and group["weight_decay"] != 0)
        or isinstance(group["lr"], th.Tensor)
    ):
        return None
    params = [p for p in group["params"] if p.grad is not None]
    states = [optimizer.state[p] for p in params]
    if not params or any(
        not state or p.is_complex() for p, state in zip(params, states, strict=True)
    ):
        return None  # first step (RAdam creates the state) or complex weights
    steps = [state["step"] for state in states]
    if any(s.device != p.device for s, p in zip(steps, params, strict=True)):
        return None  # RAdam keeps its step count on the CPU; the kernel wants it beside the weights
    step = float(steps[0]) + 1  # the step being taken
    beta1, beta2 = group["betas"]
    if any(float(s) + 1 != step for s in steps) or rho(step, beta2) <= RECTIFY_AFTER_RHO:
        return None
    return {
        "params": params,
        "grads": [p.grad for p in params],
        "exp_avgs": [state["exp_avg"] for state in states],
        "exp_avg_sqs": [state["exp_avg_sq"] for state in states],
        "max_exp_avg_sqs": [],
        "state_steps": steps,
        "fused": True,
        "amsgrad": False,
        "beta1": beta1,
        "beta2": beta2,
        "lr": group["lr"] * rectification(step, beta2),
        "weight_decay": group["weight_decay"],
        "eps": group["eps"] / math.sqrt(1 - beta2**step),
        "maximize": group["maximize"],
    }
