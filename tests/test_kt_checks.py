"""``pedagogy.kt.checks.check_model``: every registered model passes it, and it catches broken models."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pytest

from pedagogy import kt
from pedagogy.kt import BKT, PFA, Elo, Responses
from pedagogy.kt.checks import check_model, rejected_values, synthetic_responses
from pedagogy.params import Interval, ListOf, Nullable, OneOf, Rule

# small settings for the slow model; every other model runs with its defaults
SMALL = {"dkt": {"hidden_size": 8, "epochs": 2, "batch_size": 16, "validation": 0.0, "threads": 1}}

#: every model pedagogy registers (test files may register toy models of their own)
PEDAGOGY_MODELS = [n for n in kt.models() if kt.get_model(n).__module__.startswith("pedagogy.kt.")]


@pytest.mark.parametrize("name", PEDAGOGY_MODELS)
def test_every_registered_model_passes(name: str) -> None:
    check_model(kt.get_model(name)(**SMALL.get(name, {})))


@pytest.mark.parametrize(
    "model",
    [BKT(forgets=True, multigs=True, n_restarts=2), BKT(combine="product", seed=None), Elo(tune=True), PFA(C=0.1)],
    ids=["bkt-forgets-multigs", "bkt-product", "elo-tune", "pfa-C"],
)
def test_variants_pass(model: kt.KTModel) -> None:
    check_model(model)


def test_registered_models_include_bkt_and_dkt() -> None:
    assert set(PEDAGOGY_MODELS) == {"bkt", "pfa", "irt1pl", "irt2pl", "elo", "dkt"}


def test_synthetic_data_has_items_and_multi_skill_answers() -> None:
    data = synthetic_responses()
    assert data.item is not None and not data.single_skill
    assert data.n_users == 40 and data.n_answers == 800
    assert 0.2 < data.correct.mean() < 0.8


def test_check_model_does_not_touch_the_instance() -> None:
    model = PFA(C=0.5)
    check_model(model)
    assert model.skill_names_ is None and model.C == 0.5


# ------------------------------------------------------ broken models fail
class _LeakyPFA(PFA):
    """Uses the answer it predicts."""

    def predict_proba(self, data: Responses) -> np.ndarray:
        return 0.5 * super().predict_proba(data) + 0.5 * data.correct


class _CrossStudentPFA(PFA):
    """A student's predictions move with the previous student's answers."""

    def predict_proba(self, data: Responses) -> np.ndarray:
        p = super().predict_proba(data)
        return np.clip(p + 0.01 * np.roll(data.correct, 30), 0.0, 1.0)


class _DriftingTracker(kt.Tracker):
    def __init__(self, inner: kt.Tracker) -> None:
        self.inner = inner

    def update(self, student: str, skill_or_item: str, correct: int) -> float:
        return self.inner.update(student, skill_or_item, correct) + 1e-6

    def predict(self, student: str, skill_or_item: str) -> float:
        return self.inner.predict(student, skill_or_item)

    def mastery(self, student: str) -> dict[str, float]:
        return self.inner.mastery(student)


class _DriftingElo(Elo):
    def tracker(self) -> kt.Tracker:
        return _DriftingTracker(super().tracker())


class _UndeclaredPFA(PFA):
    def __init__(self, C: float = 1.0, max_iter: int = 1000, window: int = 5) -> None:
        super().__init__(C=C, max_iter=max_iter)
        self.window = window


class _UncheckedElo(Elo):
    def _check_params(self) -> None:
        pass


class _FitReturnsNone(PFA):
    def fit(self, data: Responses) -> Any:
        super().fit(data)
        return None


class _IgnoresHistoryPFA(PFA):
    def predict_proba(self, data: Responses) -> np.ndarray:
        self._check_fitted()
        return np.full(data.n_answers, 0.6)


class _FitsEmptyElo(Elo):
    def _start_fit(self, data: Responses) -> None:
        self._check_params()


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (_LeakyPFA(), r"check_model\(pfa\): no leakage: flipping answer \d+ of student '\w+' changed its prediction"),
        (_CrossStudentPFA(), r"check_model\(pfa\): no leakage: .* changed other students' predictions"),
        (Elo(update_items=True), r"check_model\(elo\): no leakage: .* changed other students' predictions"),
        (_IgnoresHistoryPFA(), r"check_model\(pfa\): no leakage: .* never changed a later prediction"),
        (_DriftingElo(), r"check_model\(elo\): tracker: tracker differs from predict_proba by 1e-06"),
        (_UndeclaredPFA(), r"check_model\(pfa\): declared parameters: .* without a rule .*\['window'\]"),
        (PFA(C=-1.0), r"check_model\(pfa\): declared parameters: the model given is not valid: pfa: parameter 'C'"),
        (_UncheckedElo(), r"check_model\(elo\): bad parameters: fit with alpha=0: nothing was raised"),
        (_FitReturnsNone(), r"check_model\(pfa\): fit and predict: fit does not return self"),
        (_FitsEmptyElo(), r"check_model\(elo\): empty data: fit on empty data: (nothing was raised|raised)"),
    ],
    ids=[
        "leaky",
        "cross-student",
        "elo-update-items",
        "no-history",
        "tracker-drift",
        "undeclared",
        "invalid-given",
        "unchecked",
        "fit-returns-none",
        "fits-empty",
    ],
)
def test_broken_models_fail_with_a_clear_message(model: kt.KTModel, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_model(model)


def test_bad_value_error_must_name_the_parameter() -> None:
    class VagueErrors(PFA):
        def _check_params(self) -> None:
            try:
                super()._check_params()
            except ValueError:
                raise ValueError("pfa: bad settings") from None

    with pytest.raises(AssertionError, match=r"bad parameters: the error for C=0 does not name 'C'"):
        check_model(VagueErrors())


def test_a_rejected_value_must_leave_the_fitted_model_alone() -> None:
    class ResetsFirst(PFA):
        def fit(self, data: Responses) -> PFA:
            self.intercept_ = 0.0  # changes the fitted model before the check
            return super().fit(data)

    with pytest.raises(AssertionError, match=r"bad parameters: the rejected C=0 changed the fitted model"):
        check_model(ResetsFirst())


def test_save_load_must_keep_predictions() -> None:
    class ForgetsIntercept(PFA):
        def _set_state(self, state: dict[str, Any]) -> None:
            super()._set_state({**state, "intercept": 0.0})

    kt.base.MODELS._items["pfa"] = ForgetsIntercept  # load() dispatches by name
    try:
        with pytest.raises(AssertionError, match=r"save and load: .json: predictions changed after loading"):
            check_model(ForgetsIntercept())
    finally:
        kt.base.MODELS._items["pfa"] = PFA


def test_not_a_model_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="KTModel instance"):
        check_model(PFA)  # type: ignore[arg-type]


# ------------------------------------------------------- rejected values
@pytest.mark.parametrize(
    ("rule", "first"),
    [
        (Interval(Integral, 3), 2),
        (Interval(Real, 0, closed="neither"), 0),
        (Interval(Real, 0, 1, closed="left"), -0.5),
        (Nullable(Interval(Integral, 0)), -1),
        (ListOf(Interval(Real, 0, closed="neither")), [0]),
        (OneOf("mean", "product"), -1),
    ],
)
def test_rejected_values_are_rejected_and_start_at_the_bound(rule: Rule, first: Any) -> None:
    values = rejected_values(rule)
    assert values[0] == first
    assert 1 <= len(values) <= 4 and not any(rule.accepts(v) for v in values)


def test_every_declared_rule_has_rejected_values() -> None:
    for name in PEDAGOGY_MODELS:
        for param, rule in kt.get_model(name)._parameter_constraints.items():
            assert rejected_values(rule), (name, param)


class _Declared(PFA):
    _parameter_constraints: ClassVar[dict[str, Rule]] = {"C": Interval(Real, 0, closed="neither")}


def test_rules_for_every_constructor_argument() -> None:
    with pytest.raises(AssertionError, match=r"declared parameters: constructor arguments without a rule .*\['max_iter'\]"):
        check_model(_Declared())
