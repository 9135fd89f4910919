"""Scenario variants and the dev/test split of learners.

Defaults chosen on the learners they are then judged on overfit, so every
scenario *family* (a registered :class:`~pedagogy.sim.base.Scenario`) has a
generator of *variants*: other skill graphs and sizes, forgetting and
learning rates, noise and transfer structures, task-space shapes and
infeasible regions.  A variant is named by an integer seed:

* seed ``0`` is the registered scenario itself, unchanged;
* even seeds are the ``dev`` split: the only learners any default,
  threshold or portfolio may be chosen on;
* odd seeds are the ``test`` split: reported, never tuned on.

A family registers its generator with :func:`register_variants`; most build
it with :func:`draw_with` from the learner class, a function drawing the
learner's constructor arguments from a NumPy generator, and one describing
them in a few words::

    register_variants("my-family", draw_with(MyLearner, draw_params, describe_params))

Variants are deterministic: the same (family, seed) gives the same learner
arguments in any process (the generator is seeded from the seed and the
family's name, never from Python's salted ``hash``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from pedagogy.sim.base import Learner, Scenario, get_scenario

__all__ = [
    "SPLITS",
    "VariantGenerator",
    "draw_with",
    "families",
    "has_variants",
    "register_variants",
    "split_of",
    "variant",
    "variant_seeds",
    "variants",
]

#: the two splits: dev (even seeds, seed 0 = the registered scenario) and test (odd seeds)
SPLITS = ("dev", "test")

#: ``generator(base_scenario, seed) -> Scenario``: the variant ``seed`` (> 0) of a family
VariantGenerator = Callable[[Scenario, int], Scenario]

_GENERATORS: dict[str, VariantGenerator] = {}


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"a variant seed must be an integer >= 0, got {seed!r}")
    return int(seed)


def split_of(seed: int) -> str:
    """``"dev"`` for an even variant seed (0 included), ``"test"`` for an odd one."""
    return "dev" if _check_seed(seed) % 2 == 0 else "test"


def variant_seeds(split: str, n: int) -> list[int]:
    """The first ``n`` variant seeds of ``split``: dev 0, 2, 4, ...; test 1, 3, 5, ..."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"the number of variants must be an integer >= 1, got {n!r}")
    first = 0 if split == "dev" else 1
    return [first + 2 * i for i in range(int(n))]


def register_variants(family: str, generator: VariantGenerator) -> VariantGenerator:
    """Register ``generator`` as family ``family``'s variant generator; returns it.

    A second, different generator for the same family is an error (two
    plugins must not silently shadow each other).
    """
    if not isinstance(family, str) or not family.strip():
        raise ValueError(f"register_variants: family must be a non-empty name, got {family!r}")
    if not callable(generator):
        raise TypeError(f"register_variants: generator must be callable (base scenario, seed) -> Scenario, got {generator!r:.60}")
    old = _GENERATORS.get(family)
    if old is not None and old is not generator:
        raise ValueError(f"family {family!r} already has a variant generator")
    _GENERATORS[family] = generator
    return generator


def _load() -> None:
    import pedagogy.sim  # noqa: F401 - imports every learner module, so every built-in generator is registered


def families() -> list[str]:
    """The registered scenarios that have a variant generator, in registration order."""
    _load()
    from pedagogy.sim.base import scenarios

    return [s for s in scenarios() if s in _GENERATORS]


def has_variants(family: str) -> bool:
    """Whether ``family`` has a variant generator."""
    _load()
    return family in _GENERATORS


def variant(family: str, seed: int) -> Scenario:
    """Variant ``seed`` of scenario family ``family`` (seed 0: the registered scenario itself).

    The variant keeps the family's budgets, metric, batch, targets and
    signals; its name is ``family@seed`` and its description says what was
    drawn.  A family without a generator has only seed 0.
    """
    seed = _check_seed(seed)
    _load()
    base = get_scenario(family)
    if seed == 0:
        return base
    gen = _GENERATORS.get(family)
    if gen is None:
        raise ValueError(f"scenario {family!r} has no variant generator, so no variant {seed} (families with one: {', '.join(families())})")
    out = gen(base, seed)
    if not isinstance(out, Scenario):
        raise TypeError(f"the variant generator of {family!r} returned {out!r:.60}, not a Scenario")
    return out


def variants(family: str, split: str, n: int) -> list[Scenario]:
    """The first ``n`` variants of ``family`` in ``split`` (see :func:`variant_seeds`)."""
    return [variant(family, s) for s in variant_seeds(split, n)]


def _build(learner_class: type[Learner], params: Mapping[str, Any], seed: int) -> Learner:
    return learner_class(**params, seed=seed)  # type: ignore[call-arg]


def draw_with(
    learner_class: type[Learner],
    draw_params: Callable[[np.random.Generator], dict[str, Any]],
    describe_params: Callable[[dict[str, Any]], str],
) -> VariantGenerator:
    """A variant generator building ``learner_class(**draw_params(rng), seed=learner_seed)``.

    ``rng`` is seeded from the variant seed and the family's name, so a
    variant's arguments are the same in every process; ``describe_params``
    says in a few words what was drawn (it becomes the variant's
    description).  The factory is a :func:`functools.partial` of plain data,
    so the variant pickles.
    """

    def generate(base: Scenario, seed: int) -> Scenario:
        rng = np.random.default_rng([seed, zlib.crc32(base.name.encode("utf-8"))])
        params = draw_params(rng)
        # build one learner now: a bad draw fails here, naming the variant, not inside a run
        try:
            _build(learner_class, params, 0)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"variant {seed} of {base.name!r} is not a valid {learner_class.__name__}: {exc}") from None
        return replace(
            base,
            name=f"{base.name}@{seed}",
            description=f"{split_of(seed)} variant {seed} of {base.name}: {describe_params(params)}",
            factory=partial(_build, learner_class, params),
        )

    return generate
