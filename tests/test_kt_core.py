"""``pedagogy.kt.core`` against hand-computed values, arrays against scalars; the KT model registry."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pedagogy import kt
from pedagogy.kt import core
from pedagogy.kt.base import MODELS, KTModel
from pedagogy.kt.checks import synthetic_responses


def test_bkt_emission_and_evidence_by_hand() -> None:
    # P(L) = 0.3, guess 0.2, slip 0.1
    assert core.bkt_p_correct(0.3, 0.2, 0.1) == pytest.approx(0.3 * 0.9 + 0.7 * 0.2)
    assert core.bkt_likelihoods(0.2, 0.1, 1) == (pytest.approx(0.9), 0.2)
    assert core.bkt_likelihoods(0.2, 0.1, 0) == (0.1, pytest.approx(0.8))
    right = core.bkt_posterior(0.3, 0.2, 0.1, 1)
    wrong = core.bkt_posterior(0.3, 0.2, 0.1, 0)
    assert right == pytest.approx(0.27 / 0.41, abs=1e-15)
    assert wrong == pytest.approx(0.03 / 0.59, abs=1e-15)
    assert core.bkt_posterior(0.3, 0.2, 0.1, 0.25) == pytest.approx(0.25 * right + 0.75 * wrong)
    # an answer the parameters make impossible leaves P(L) as it is
    assert core.bkt_posterior(1.0, 0.2, 0.0, 0) == 1.0


def test_bkt_transition_and_update_by_hand() -> None:
    assert core.bkt_transition(0.4, 0.1, 0.05) == pytest.approx(0.1 + 0.4 * 0.85)
    assert core.bkt_transition(0.0, 0.1, 0.0) == pytest.approx(0.1)  # unknown: learns with P(T)
    assert core.bkt_transition(1.0, 0.1, 0.05) == pytest.approx(0.95)  # known: forgets with P(F)
    p = core.bkt_update(0.3, 0.15, 0.0, 0.2, 0.1, 1)
    assert p == pytest.approx(0.15 + (0.27 / 0.41) * 0.85, abs=1e-15)


def test_bkt_arrays_equal_scalars_bit_for_bit() -> None:
    rng = np.random.default_rng(0)
    p, g, s = rng.uniform(0.01, 0.99, 50), rng.uniform(0.01, 0.45, 50), rng.uniform(0.01, 0.45, 50)
    c = rng.integers(0, 2, 50)
    post = core.bkt_posterior_array(p, g, s, c)
    assert post.tolist() == [core.bkt_posterior(*v) for v in zip(p.tolist(), g.tolist(), s.tolist(), c.tolist(), strict=True)]
    e1, e0 = core.bkt_likelihoods(g, s, c)
    assert core.bkt_bayes(p, e1, e0).tolist() == post.tolist()
    assert core.bkt_p_correct(p, g, s).tolist() == [core.bkt_p_correct(*v) for v in zip(p.tolist(), g.tolist(), s.tolist(), strict=True)]
    zero = core.bkt_posterior_array(np.array([1.0]), np.array([0.2]), np.array([0.0]), np.array([0]))
    assert zero.tolist() == [1.0]


def test_check_bkt() -> None:
    full = core.check_bkt({"prior": 0.1, "learn": 0.2, "guess": 0.2, "slip": 0.1}, "demo", defaults={"forget": 0.0})
    assert full == {"prior": 0.1, "learn": 0.2, "guess": 0.2, "slip": 0.1, "forget": 0.0}
    with pytest.raises(ValueError, match="demo: BKT parameter 'forget' of skill 'x' is missing"):
        core.check_bkt({"prior": 0.1, "learn": 0.2, "guess": 0.2, "slip": 0.1}, "demo", where="skill 'x'")
    with pytest.raises(ValueError, match=r"demo: BKT parameter 'slip' must be a probability in \[0, 1\], got 1.5"):
        core.check_bkt({**full, "slip": 1.5}, "demo")
    with pytest.raises(ValueError, match="demo: guess \\+ slip must be below 1, got 0.6 \\+ 0.4"):
        core.check_bkt({**full, "guess": 0.6, "slip": 0.4}, "demo")
    with pytest.raises(ValueError, match="unknown BKT parameter 'learns'"):
        core.check_bkt({**full, "learns": 0.1}, "demo")


def test_fitted_bkt_parameters_pass_check_bkt() -> None:
    # what a teacher built from a fitted model does: per-skill parameters, defaults for the rest
    data = synthetic_responses()
    model = kt.BKT(n_restarts=2).fit(data)
    defaults = core.check_bkt(model.defaults_(), "teacher")
    for skill, params in model.params_table().items():
        assert core.check_bkt(params, "teacher", where=f"skill {skill!r}") == params
    tr = model.tracker()
    p0 = core.bkt_p_correct(defaults["prior"], defaults["guess"], defaults["slip"])
    assert tr.predict("new", "never-seen") == pytest.approx(p0, abs=1e-15)


def test_logistic_by_hand_and_without_overflow() -> None:
    assert core.logistic(0.0) == 0.5
    assert core.logistic(2.0) == pytest.approx(1 / (1 + np.exp(-2.0)), abs=1e-16)
    assert core.logistic(-2.0) == pytest.approx(np.exp(-2.0) / (1 + np.exp(-2.0)), abs=1e-16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert core.logistic(-1000.0) == 0.0 and core.logistic(1000.0) == 1.0
        x = np.array([-1000.0, -30.0, -2.0, 0.0, 2.0, 30.0, 1000.0])
        arr = core.logistic(x)
    assert isinstance(arr, np.ndarray)
    np.testing.assert_allclose(arr, [core.logistic(v) for v in x.tolist()], rtol=1e-15, atol=0)


def test_elo_by_hand() -> None:
    assert core.elo_gain(1.0, 0.05, 0) == 1.0
    assert core.elo_gain(1.0, 0.05, 10) == pytest.approx(1 / 1.5)
    p, theta, d = core.elo_step(0.0, 0.0, 0, 10, 1, 1.0, 0.05)
    assert (p, theta) == (0.5, 0.5) and d == pytest.approx(-0.5 / 1.5)
    p, theta, d = core.elo_step(1.0, 0.5, 20, 0, 0, 2.0, 0.05)
    q = 1 / (1 + np.exp(-0.5))
    assert p == pytest.approx(q) and theta == pytest.approx(1.0 - 2.0 / 2.0 * q) and d == pytest.approx(0.5 + 2.0 * q)


# --------------------------------------------------------------- registry
def test_registry_refuses_a_second_model_under_a_taken_name() -> None:
    class Impostor(kt.PFA):
        name = "bkt"

    with pytest.raises(ValueError, match="KT model name 'bkt' is already registered by BKT"):
        kt.register_model(Impostor)
    assert kt.get_model("bkt") is kt.BKT
    assert kt.register_model(kt.BKT) is kt.BKT  # registering the same class again is harmless


def test_registry_lookup_and_lazy_dkt() -> None:
    with pytest.raises(ValueError, match="unknown KT model 'nope'; known KT models: (.*, )?bkt, dkt, elo"):
        kt.get_model("nope")
    assert "dkt" in kt.models()  # torch is installed here: listed before it is imported
    cls = kt.get_model("dkt")
    assert issubclass(cls, KTModel) and cls.__module__ == "pedagogy.kt.dkt" and "dkt" in MODELS
