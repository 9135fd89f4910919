"""Every KT model (BKT, PFA, IRT 1PL/2PL, Elo, DKT): accuracy on data with known
structure, the contract (:func:`pedagogy.kt.checks.check_model`) on simulated
data, tracker == batch, parameter validation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pedagogy import kt
from pedagogy.kt import NotFittedError, Responses
from pedagogy.kt.checks import check_model

FIXTURES = Path(__file__).parent / "fixtures" / "kt"

# DKT kept tiny so the whole file stays fast
TINY_DKT = {"hidden_size": 16, "epochs": 3, "batch_size": 16, "lr": 0.02, "validation": 0.0, "threads": 1}
MODELS = {
    "bkt": {},
    "pfa": {},
    "irt1pl": {},
    "irt2pl": {},
    "elo": {},
    "dkt": TINY_DKT,
}


def simulate(n_students: int, n_answers: int = 30, n_skills: int = 6, seed: int = 0, prefix: str = "s") -> Responses:
    """Students with an ability, skills with a difficulty, and learning with practice."""
    rng = np.random.default_rng(seed)
    diff = np.linspace(-1.5, 1.5, n_skills)
    users, skills, correct = [], [], []
    for s in range(n_students):
        theta = rng.normal(0, 1.2)
        practice = np.zeros(n_skills)
        for _ in range(n_answers):
            k = int(rng.integers(n_skills))
            p = 1 / (1 + np.exp(-(theta - diff[k] + 0.25 * practice[k] - 0.5)))
            users.append(f"{prefix}{s}")
            skills.append(str(k))
            correct.append(int(rng.random() < p))
            practice[k] += 1
    return Responses.from_arrays(users, skills, correct)


@pytest.fixture(scope="module")
def sim_train() -> Responses:
    return simulate(150, seed=1)


@pytest.fixture(scope="module")
def sim_test() -> Responses:
    return simulate(60, seed=2, prefix="t")


@pytest.fixture(scope="module")
def fitted(sim_train: Responses) -> dict[str, kt.KTModel]:
    return {name: kt.get_model(name)(**params).fit(sim_train) for name, params in MODELS.items()}


def auc(y: np.ndarray, p: np.ndarray) -> float:
    return kt.score_predictions(y, p)["auc"]


def test_every_registered_model_is_tested() -> None:
    # models registered by pedagogy itself (test files may register toy models of their own)
    ours = {n for n in kt.models() if kt.get_model(n).__module__.startswith("pedagogy.kt.")}
    assert set(MODELS) == ours


@pytest.mark.parametrize("name", MODELS)
def test_beats_constant_on_simulated_data(name: str, fitted: dict, sim_test: Responses) -> None:
    scores = fitted[name].evaluate(sim_test)
    assert scores["auc"] > 0.65, scores
    assert scores["n"] == sim_test.n_answers


@pytest.mark.parametrize("name", ["bkt", "pfa", "irt1pl", "elo"])
def test_beats_constant_on_real_slice(name: str) -> None:
    train = kt.read(FIXTURES / "assist2009_train_50.csv")
    test = kt.read(FIXTURES / "assist2009_test_30.csv")
    assert kt.get_model(name)().fit(train).evaluate(test)["auc"] > 0.6


@pytest.mark.parametrize("name", MODELS)
def test_contract_on_simulated_data(name: str, sim_test: Responses) -> None:
    # leakage, tracker == batch, save/load, not-fitted and bad-parameter checks on this file's data
    check_model(kt.get_model(name)(**MODELS[name]), sim_test.subset(range(20)))


@pytest.mark.parametrize("name", MODELS)
def test_tracker_equals_batch(name: str, fitted: dict, sim_test: Responses) -> None:
    model = fitted[name]
    data = sim_test.subset(range(8))  # 240 answers: the DKT tracker steps one at a time
    batch = model.predict_proba(data)
    tr = model.tracker()
    skills = np.asarray(data.skill_names)[data.skill]
    live = np.array([tr.update(data.user_names[u], s, int(c)) for u, s, c in zip(data.user, skills, data.correct, strict=True)])
    np.testing.assert_allclose(live, batch, rtol=0, atol=1e-9)
    # the tracker's next prediction is the batch prediction of one more answer of that student
    last = data.user_names[-1]
    users = [data.user_names[u] for u in data.user]
    for skill in ("0", "5", "never-seen"):
        more = Responses.from_arrays([*users, last], [*skills, skill], [*data.correct.tolist(), 0])
        assert tr.predict(last, skill) == pytest.approx(model.predict_proba(more)[-1], abs=1e-9), skill
    m = tr.mastery(last)
    assert set(m) >= {"0", "1"} and all(0 <= v <= 1 for v in m.values())


@pytest.mark.parametrize("name", MODELS)
def test_unseen_skills_and_students(name: str, fitted: dict) -> None:
    data = Responses.from_arrays(["x", "x", "y"], ["0", "never-seen", "never-seen"], [1, 0, 1])
    p = fitted[name].predict_proba(data)
    assert p.shape == (3,) and np.all((p > 0) & (p < 1))


@pytest.mark.parametrize("name", MODELS)
def test_multi_skill_answers(name: str) -> None:
    rng = np.random.default_rng(0)
    users = [f"u{i // 12}" for i in range(480)]
    skills = [["a", "b"] if i % 3 == 0 else ["a"] if i % 3 == 1 else "c" for i in range(480)]
    correct = (rng.random(480) < 0.6).astype(int)
    data = Responses.from_arrays(users, skills, correct)
    assert not data.single_skill
    model = kt.get_model(name)(**MODELS[name]).fit(data)
    p = model.predict_proba(data)
    assert p.shape == (480,) and np.all((p > 0) & (p < 1))


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("pfa", {"C": 0}, "pfa: parameter 'C' must be a number > 0, got 0"),
        ("pfa", {"max_iter": 1.5}, "pfa: parameter 'max_iter' must be an integer >= 1, got 1.5"),
        ("irt1pl", {"model": "2pl"}, "irt1pl: parameter 'model' must be one of '1pl', got '2pl'"),
        ("irt2pl", {"prior_b": -1.0}, "irt2pl: parameter 'prior_b' must be a number > 0, got -1.0"),
        ("irt2pl", {"grid_size": 2}, "irt2pl: parameter 'grid_size' must be an integer >= 3, got 2"),
        ("irt1pl", {"tol": True}, "irt1pl: parameter 'tol' must be a number > 0, got True"),
        ("elo", {"alpha": 0}, "elo: parameter 'alpha' must be a number > 0, got 0"),
        ("elo", {"beta": -0.1}, "elo: parameter 'beta' must be a number >= 0, got -0.1"),
        ("elo", {"tune": "yes"}, "elo: parameter 'tune' must be true or false, got 'yes'"),
        ("elo", {"alphas": []}, "elo: parameter 'alphas' must be a non-empty list of numbers > 0, got []"),
        ("elo", {"betas": [0.1, -1]}, "elo: parameter 'betas' must be a non-empty list of numbers >= 0, got [0.1, -1]"),
        ("dkt", {"hidden_size": 0}, "dkt: parameter 'hidden_size' must be an integer >= 1, got 0"),
        ("dkt", {"dropout": 1.0}, "dkt: parameter 'dropout' must be a number in [0, 1), got 1.0"),
        ("dkt", {"lr": -1}, "dkt: parameter 'lr' must be a number > 0, got -1"),
        ("dkt", {"max_len": 1}, "dkt: parameter 'max_len' must be an integer >= 2, got 1"),
    ],
)
def test_bad_parameters_rejected(name: str, params: dict, message: str, sim_train: Responses) -> None:
    model = kt.get_model(name)(**params)
    with pytest.raises(ValueError) as exc:
        model.fit(sim_train)
    assert str(exc.value) == message
    with pytest.raises(NotFittedError):  # the failed fit left the model unfitted
        model.predict_proba(sim_train)


def test_pfa_counts_only_earlier_answers() -> None:
    from pedagogy.kt.pfa import prior_counts

    data = Responses.from_arrays(["u"] * 4 + ["v"] * 2, ["a", "a", "b", "a", "a", "a"], [1, 0, 1, 1, 0, 1])
    _, _, succ, fail = prior_counts(data)
    assert succ.tolist() == [0, 1, 0, 1, 0, 0]
    assert fail.tolist() == [0, 0, 0, 1, 0, 1]


def test_pfa_learns_positive_success_weight(fitted: dict) -> None:
    pfa = fitted["pfa"]
    assert np.mean(pfa.gamma_) > 0  # practice helps in the simulation


def test_irt_recovers_difficulty_order(fitted: dict) -> None:
    irt = fitted["irt1pl"]
    b = dict(zip(irt.item_names_, irt.b_, strict=True))
    order = [b[str(k)] for k in range(6)]
    assert np.all(np.diff(order) > 0)  # simulated difficulties increase with the skill id
    assert irt.skill_level_  # three-line style data: skills are the items


def test_elo_tune_picks_from_grid(sim_train: Responses) -> None:
    elo = kt.get_model("elo")(tune=True, alphas=[0.5, 2.0], betas=[0.05]).fit(sim_train)
    assert elo.alpha_ in (0.5, 2.0) and elo.beta_ == 0.05


def test_dkt_is_reproducible(sim_train: Responses, sim_test: Responses) -> None:
    a = kt.get_model("dkt")(**{**TINY_DKT, "epochs": 1}).fit(sim_train).predict_proba(sim_test)
    b = kt.get_model("dkt")(**{**TINY_DKT, "epochs": 1}).fit(sim_train).predict_proba(sim_test)
    np.testing.assert_array_equal(a, b)


def test_dkt_early_stopping_uses_validation(sim_train: Responses) -> None:
    m = kt.get_model("dkt")(hidden_size=8, epochs=3, validation=0.2, patience=1, threads=1).fit(sim_train)
    assert 1 <= m.epochs_run_ <= 3
    assert all("valid_auc" in h for h in m.history_)


def test_dkt_long_sequences_run_whole(sim_train: Responses) -> None:
    # training windows of 8 answers; prediction still uses the whole history
    model = kt.get_model("dkt")(**{**TINY_DKT, "max_len": 8, "epochs": 1}).fit(sim_train)
    data = simulate(2, n_answers=40, seed=5)
    p = model.predict_proba(data)
    flipped = Responses(**{**data.__dict__, "correct": data.correct.copy()})
    flipped.correct[2] = 1 - flipped.correct[2]
    assert not np.isclose(model.predict_proba(flipped)[35], p[35])  # answer 2 still matters at 35


def test_kt_imports_without_torch() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import pedagogy.kt as kt\n"
        "assert 'dkt' not in kt.models(), kt.models()\n"
        "assert {'pfa', 'irt1pl', 'irt2pl', 'elo'} <= set(kt.models())\n"
        "try:\n    kt.get_model('dkt')\nexcept ImportError as e:\n    print('ok', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")


@pytest.mark.parametrize("name", ["bkt", "pfa", "irt1pl", "irt2pl", "elo"])
def test_tracker_state_load_and_weighted_update(name: str, fitted: dict, sim_test: Responses) -> None:
    # the public per-student API: state() is plain JSON, load() resumes exactly, update_score(0/1) is update()
    import json

    model = fitted[name]
    data = sim_test.subset(range(2))
    skills = np.asarray(data.skill_names)[data.skill]
    a, b = model.tracker(), model.tracker()
    for u, s, c in zip(data.user, skills, data.correct, strict=True):
        a.update(data.user_names[u], s, int(c))
        b.update_score(data.user_names[u], s, float(c))
    ann = data.user_names[0]
    assert a.state(ann) == b.state(ann)
    st = json.loads(json.dumps(a.state(ann)))  # survives a JSON round trip
    fresh = model.tracker()
    fresh.load("bob", st)
    assert fresh.state("bob") == a.state(ann) and fresh.predict("bob", "3") == a.predict(ann, "3")
    assert fresh.state("carl") == model.tracker().state("carl")  # other students untouched
    # a fractional score moves the prediction strictly between a wrong and a right answer
    outs = {}
    for score in (0.0, 0.3, 1.0):
        t = model.tracker()
        t.load("x", st)
        p_before = t.update_score("x", "3", score)
        assert p_before == pytest.approx(a.predict(ann, "3"), abs=1e-12)
        outs[score] = t.predict("x", "3")
    assert outs[0.0] < outs[0.3] < outs[1.0]
    for bad in (1.5, -0.1, float("nan"), True, "1"):
        with pytest.raises(ValueError, match="score"):
            fresh.update_score("bob", "3", bad)  # type: ignore[arg-type]
    assert fresh.state("bob") == a.state(ann)  # refused updates change nothing


@pytest.mark.parametrize(
    ("name", "state", "message"),
    [
        ("pfa", {"counts": {"3": [1, -1]}}, "counts of skill '3'"),
        ("pfa", {"counts": [1, 2]}, "must map skill"),
        ("irt1pl", {"log_posterior": [0.0, 1.0]}, "61 finite numbers"),
        ("irt2pl", {"log_posterior": "x"}, "list of numbers|finite numbers"),
        ("elo", {"rating": "high", "answers": 1}, "rating"),
        ("elo", {"rating": 0.5, "answers": -2}, "answers"),
    ],
)
def test_tracker_load_rejects_bad_state(name: str, state: dict, message: str, fitted: dict) -> None:
    tr = fitted[name].tracker()
    tr.update("ann", "3", 1)
    before = tr.state("ann")
    with pytest.raises(ValueError, match=message):
        tr.load("ann", state)
    assert tr.state("ann") == before
