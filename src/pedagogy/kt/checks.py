"""The KT model contract as checks anyone can run (like scikit-learn's ``check_estimator``).

>>> from pedagogy.kt import PFA
>>> from pedagogy.kt.checks import check_model
>>> check_model(PFA())  # raises AssertionError naming the model and the broken check

:func:`check_model` takes an *unfitted* model instance (its parameters are
kept: pass small settings for slow models) and, optionally, a small
:class:`~pedagogy.kt.data.Responses`; without one it builds
:func:`synthetic_responses`.  It works on copies (``type(model)(**params)``),
so the instance passed in is not changed.  The checks, in order:

* ``declared parameters``: every constructor argument has a rule in
  ``_parameter_constraints`` and the given values satisfy it;
* ``not fitted``: ``predict_proba``, ``tracker`` and ``save`` raise
  :class:`~pedagogy.kt.base.NotFittedError` before ``fit``;
* ``empty data``: fitting on no answers is a ``ValueError`` naming the model
  and leaves it unfitted;
* ``fit and predict``: ``fit`` returns the model itself; one probability per
  answer, finite, in [0, 1], the same on a second call;
* ``no leakage``: flipping answer ``t`` of a student changes none of that
  student's predictions at positions ``<= t`` and none of other students'
  (so a model that learns across students at prediction time, e.g.
  ``Elo(update_items=True)``, fails here by design), while some later
  prediction does change (the model uses history at all);
* ``tracker``: :meth:`~pedagogy.kt.base.KTModel.replay` (a fresh tracker fed
  the answers in order) equals ``predict_proba`` to 1e-9, and ``mastery``
  gives probabilities;
* ``bad parameters``: for every parameter, values its rule rejects make
  ``fit`` raise a ``ValueError`` naming the parameter, and the fitted model's
  predictions stay as they were;
* ``save and load``: JSON and ``.npz`` round trips give the same class,
  parameters and predictions (exactly).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from pedagogy.kt.base import KTModel, NotFittedError, load
from pedagogy.kt.data import Responses
from pedagogy.params import rejected_values

__all__ = ["check_model", "synthetic_responses", "rejected_values"]

#: tolerance of tracker replay against batch prediction
TRACKER_ATOL = 1e-9


def synthetic_responses(n_students: int = 40, n_answers: int = 20, seed: int = 0) -> Responses:
    """A small log with structure every model can pick up: 4 skills, 3 items each, some two-skill answers.

    Students learn under BKT-like rules (a hidden known/unknown state per
    skill), so later answers depend on earlier ones.
    """
    rng = np.random.default_rng(seed)
    skills = ["add", "sub", "mul", "div"]
    guess = {"add": 0.3, "sub": 0.25, "mul": 0.2, "div": 0.15}
    users: list[str] = []
    answer_skills: list[Any] = []
    items: list[str] = []
    correct: list[int] = []
    for u in range(n_students):
        known = {s: bool(rng.random() < 0.3) for s in skills}
        for _ in range(n_answers):
            k = int(rng.integers(len(skills)))
            item = int(rng.integers(3))
            pair = rng.random() < 0.1 and k + 1 < len(skills)
            practised = skills[k : k + 2] if pair else [skills[k]]
            p = float(np.prod([0.9 if known[s] else guess[s] for s in practised]))
            users.append(f"student{u}")
            answer_skills.append(practised if pair else practised[0])
            items.append(f"{'+'.join(practised)}-q{item}")
            correct.append(int(rng.random() < p))
            for s in practised:
                known[s] = known[s] or bool(rng.random() < 0.2)
    return Responses.from_arrays(users, answer_skills, correct, item=items, source="synthetic")


# ------------------------------------------------------------------ checks
class _Check:
    """Runs one named check on copies of a model; failures are ``AssertionError`` naming both."""

    def __init__(self, model: KTModel, data: Responses) -> None:
        self.model = model
        self.data = data
        self.label = model.name or type(model).__name__
        self.what = ""

    def fresh(self) -> KTModel:
        return type(self.model)(**self.model.get_params())

    def fail(self, message: str) -> None:
        raise AssertionError(f"check_model({self.label}): {self.what}: {message}")

    def expect(self, ok: bool, message: str) -> None:
        if not ok:
            self.fail(message)

    def raises(self, exc: type[BaseException], call: Callable[[], Any], message: str) -> BaseException:
        try:
            call()
        except exc as caught:
            return caught
        except Exception as other:  # noqa: BLE001 - reported as the failure
            self.fail(f"{message}: raised {type(other).__name__}: {other}")
        self.fail(f"{message}: nothing was raised")
        raise AssertionError  # unreachable: fail() raises

    # -- the checks -------------------------------------------------------
    def declared_parameters(self) -> None:
        rules = type(self.model)._parameter_constraints
        params = self.model.get_params()
        missing = [k for k in params if k not in rules]
        self.expect(not missing, f"constructor arguments without a rule in _parameter_constraints: {missing}")
        extra = [k for k in rules if k not in params]
        self.expect(not extra, f"rules for names that are not constructor arguments: {extra}")
        try:
            self.model._check_params()
        except ValueError as exc:
            self.fail(f"the model given is not valid: {exc}")
        self.expect(self.fresh().get_params() == params, "type(model)(**get_params()) does not give the same parameters")

    def not_fitted(self) -> None:
        model = self.fresh()
        self.raises(NotFittedError, lambda: model.predict_proba(self.data), "predict_proba before fit")
        self.raises(NotFittedError, model.tracker, "tracker before fit")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.json")
            self.raises(NotFittedError, lambda: model.save(path), "save before fit")
            self.expect(not os.path.exists(path), "save before fit wrote a file")

    def empty_data(self) -> None:
        model = self.fresh()
        exc = self.raises(ValueError, lambda: model.fit(self.data.subset([])), "fit on empty data")
        self.expect(str(exc).startswith(f"{model.name}:"), f"the error does not start with the model's name: {exc}")
        self.raises(NotFittedError, lambda: model.predict_proba(self.data), "predict_proba after a failed fit")

    def fit_and_predict(self) -> tuple[KTModel, np.ndarray]:
        model = self.fresh()
        self.expect(model.fit(self.data) is model, "fit does not return self")
        p = np.asarray(model.predict_proba(self.data))
        n = self.data.n_answers
        self.expect(p.shape == (n,), f"predict_proba gave shape {p.shape}, expected ({n},): one per answer")
        self.expect(p.dtype.kind == "f", f"predict_proba gave dtype {p.dtype}, expected floats")
        self.expect(bool(np.all(np.isfinite(p))), "predict_proba gave NaN or inf")
        self.expect(bool(np.all((p >= 0) & (p <= 1))), f"predictions outside [0, 1]: min {p.min()}, max {p.max()}")
        self.expect(np.array_equal(model.predict_proba(self.data), p), "a second predict_proba differs from the first")
        return model, p

    def no_leakage(self, model: KTModel, p: np.ndarray) -> None:
        data = self.data
        ptr = data.user_ptr
        lengths = np.diff(ptr)
        students = [u for u in range(data.n_users) if lengths[u] >= 3][:3]
        self.expect(bool(students), "the data needs students with at least 3 answers")
        later_changed = False
        for u in students:
            s, e = int(ptr[u]), int(ptr[u + 1])
            t = (s + e) // 2
            flipped = Responses(**{**data.__dict__, "correct": data.correct.copy()})
            flipped.correct[t] = 1 - flipped.correct[t]
            q = np.asarray(model.predict_proba(flipped))
            who = f"student {data.user_names[u]!r}"
            bad = np.flatnonzero(q[s : t + 1] != p[s : t + 1])
            self.expect(
                not bad.size,
                f"flipping answer {t - s} of {who} changed its prediction at position {int(bad[0]) if bad.size else 0} (<= {t - s})",
            )
            others = np.ones(data.n_answers, dtype=bool)
            others[s:e] = False
            self.expect(np.array_equal(q[others], p[others]), f"flipping an answer of {who} changed other students' predictions")
            later_changed = later_changed or not np.array_equal(q[t + 1 : e], p[t + 1 : e])
        self.expect(later_changed, "flipping an answer never changed a later prediction of the student (history unused?)")

    def tracker(self, model: KTModel, p: np.ndarray) -> None:
        live = np.asarray(model.replay(self.data))
        self.expect(live.shape == p.shape, f"replay gave shape {live.shape}, expected {p.shape}")
        diff = np.abs(live - p)
        i = int(np.argmax(diff))
        self.expect(
            bool(diff[i] <= TRACKER_ATOL), f"tracker differs from predict_proba by {diff[i]:.3g} at answer {i} (tolerance {TRACKER_ATOL:g})"
        )
        tr = model.tracker()
        mastery = tr.mastery(self.data.user_names[0])
        self.expect(
            isinstance(mastery, dict) and all(0.0 <= float(v) <= 1.0 for v in mastery.values()),
            "tracker.mastery(student) is not a dict of probabilities",
        )

    def save_and_load(self, model: KTModel, p: np.ndarray) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            for suffix in (".json", ".npz"):
                path = os.path.join(tmp, f"model{suffix}")
                model.save(path)
                again = load(path)
                self.expect(type(again) is type(model), f"{suffix}: loaded a {type(again).__name__}")
                self.expect(_plain(again.get_params()) == _plain(model.get_params()), f"{suffix}: parameters changed: {again.get_params()}")
                self.expect(np.array_equal(again.predict_proba(self.data), p), f"{suffix}: predictions changed after loading")

    def bad_parameters(self, model: KTModel, p: np.ndarray) -> None:
        rules = type(model)._parameter_constraints
        for name, rule in rules.items():
            good = getattr(model, name)
            for bad in rejected_values(rule):
                setattr(model, name, bad)
                try:
                    exc = self.raises(ValueError, lambda: model.fit(self.data), f"fit with {name}={bad!r}")
                finally:
                    setattr(model, name, good)
                self.expect(repr(name) in str(exc), f"the error for {name}={bad!r} does not name {name!r}: {exc}")
                self.expect(np.array_equal(model.predict_proba(self.data), p), f"the rejected {name}={bad!r} changed the fitted model")


def _plain(value: Any) -> Any:
    """Tuples as lists (JSON has only lists), recursively: parameters compared as saved."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def check_model(model: KTModel, data: Responses | None = None) -> None:
    """Check an unfitted model instance against the KT model contract (see the module docstring).

    Raises ``AssertionError`` with a message naming the model and the check
    that failed; returns ``None`` when every check passes.
    """
    if not isinstance(model, KTModel):
        raise TypeError(f"check_model needs a KTModel instance, got {type(model).__name__}")
    data = synthetic_responses() if data is None else data
    if data.n_answers == 0:
        raise ValueError("check_model needs data with answers")
    c = _Check(model, data)
    c.what = "declared parameters"
    c.declared_parameters()
    c.what = "not fitted"
    c.not_fitted()
    c.what = "empty data"
    c.empty_data()
    c.what = "fit and predict"
    fitted, p = c.fit_and_predict()
    for what, step in (
        ("no leakage", c.no_leakage),
        ("tracker", c.tracker),
        ("bad parameters", c.bad_parameters),
        ("save and load", c.save_and_load),
    ):
        c.what = what
        step(fitted, p)
