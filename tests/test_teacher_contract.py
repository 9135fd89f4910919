"""The contract every registered teacher keeps, through the checks users can run themselves."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys

import pytest

import pedagogy.teachers as teachers_pkg
from pedagogy import spaces, teachers
from pedagogy.teachers import checks
from tests.conftest import all_spaces_for, space_for

ALL = teachers.available()


def _teacher_modules() -> list[str]:
    return [
        m.name
        for m in pkgutil.iter_modules(teachers_pkg.__path__)
        if m.name not in teachers_pkg._NOT_TEACHERS and not m.name.startswith("_")
    ]


def test_one_teacher_per_module_named_after_it():
    """Each teacher module registers exactly one teacher, whose name is the module's (``_`` for ``-``)."""
    by_module: dict[str, list[str]] = {}
    for name in ALL:
        by_module.setdefault(teachers.get(name).__module__.rsplit(".", 1)[-1], []).append(name)
    assert sorted(by_module) == sorted(_teacher_modules())
    for module, names in by_module.items():
        assert names == [module.replace("_", "-")], f"module {module} registers {names}"


def test_registry_rejects_a_second_teacher_under_a_taken_name():
    class Impostor(teachers.Teacher):
        name = "lp"

    with pytest.raises(ValueError, match="'lp' is already registered by LearningProgressTeacher"):
        teachers.register(Impostor)
    assert teachers.get("lp").__name__ == "LearningProgressTeacher"


@pytest.mark.parametrize("name", ALL)
def test_documented(name):
    cls = teachers.get(name)
    assert cls.description and cls.paper and cls.score_doc
    assert cls.__doc__ and len(cls.__doc__) > 80
    for option, param in cls.params.items():
        assert param.doc, f"{name}: option {option!r} has no documentation"
        if param.departs:
            assert param.why, f"{name}: option {option!r} departs from the paper without saying why"


# Options that bring a bounded buffer's limit within the checked run (riac's default 512 regions of
# up to 200 points each would need ~100,000 episodes to fill).
CONTRACT_OPTIONS = {"riac": {"max_regions": 4}}


@pytest.mark.parametrize("name", ALL)
def test_contract(name):
    for space in all_spaces_for(name):
        checks.check_teacher(name, space, CONTRACT_OPTIONS.get(name))


@pytest.mark.parametrize("name", ALL)
def test_paper_preset_applies_every_paper_setting(name):
    cls = teachers.get(name)
    t = teachers.make(name, space_for(name), seed=0, preset="paper")
    for option, param in cls.params.items():
        assert t.options[option] == (param.paper if param.departs else param.default)
    assert teachers.load(json.loads(json.dumps(t.state_dict()))).options == t.options


def test_paper_preset_yields_to_explicit_options_and_rejects_unknown_presets():
    t = teachers.make("zpdes", space_for("zpdes"), seed=0, preset="paper", review_when_stalled=0.25)
    assert t.options["review_when_stalled"] == 0.25
    with pytest.raises(ValueError, match="teacher 'lp': preset must be None or 'paper', got 'fast'"):
        teachers.make("lp", space_for("lp"), preset="fast")


def test_option_rule_error_names_teacher_option_and_rule():
    with pytest.raises(ValueError, match=r"teacher 'lp': option 'ema_alpha' must be a number in \(0, 1\], got 0"):
        teachers.make("lp", space_for("lp"), ema_alpha=0)


@pytest.mark.parametrize("name", ALL)
def test_wrong_space(name):
    cls = teachers.get(name)
    for other in (spaces.Box([0], [1]), spaces.Discrete(3)):
        if not isinstance(other, cls.space_types):
            with pytest.raises(ValueError, match=name):
                teachers.make(name, other)


# --- the checks themselves must catch broken teachers ------------------------------------------
class _ForgetsOnResume(teachers.Teacher):
    """Proposes the task it last saw: but does not save it, so a resumed copy diverges."""

    name = "test-forgets"
    description = paper = score_doc = "test"
    space_types = (spaces.Discrete,)

    def _setup(self):
        self._last = 0

    def _propose(self, n):
        return [(self._last + int(self.rng.integers(2))) % self.space.n for _ in range(n)]

    def _observe(self, task, score):
        self._last = task

    def _get_state(self):
        return {}

    def _set_state(self, state):
        self._setup()


class _ChangesStateOnBadInput(_ForgetsOnResume):
    """Counts calls before validating them."""

    name = "test-eager"

    def _setup(self):
        self._calls = 0

    def _propose(self, n):
        return [0] * n

    def _observe(self, task, score):
        self._calls += 1

    def _get_state(self):
        return {"calls": self._calls}

    def _set_state(self, state):
        self._calls = state["calls"]

    def observe(self, task, score):
        self._calls += 1
        super().observe(task, score)


class _Unbounded(_ChangesStateOnBadInput):
    """Keeps every score."""

    name = "test-unbounded"

    def _setup(self):
        self._scores = []

    def _observe(self, task, score):
        self._scores.append(score)

    def _get_state(self):
        return {"scores": list(self._scores)}

    def _set_state(self, state):
        self._scores = list(state["scores"])

    observe = teachers.Teacher.observe


def test_checks_catch_a_teacher_that_does_not_resume():
    with pytest.raises(AssertionError, match="'test-forgets' fails exact resume"):
        checks.check_exact_resume(_ForgetsOnResume, spaces.Discrete(5))


def test_checks_catch_state_changed_by_bad_input():
    with pytest.raises(AssertionError, match="'test-eager' fails bad input: a task outside the space was rejected but changed the state"):
        checks.check_bad_input(_ChangesStateOnBadInput, spaces.Discrete(5))


def test_checks_catch_unbounded_state():
    with pytest.raises(AssertionError, match="'test-unbounded' fails bounded state"):
        checks.check_bounded_state(_Unbounded, spaces.Discrete(5), cycles=200)


def test_stable_scorer_is_the_same_in_every_process():
    """Python salts str hashes per process; the contract scorer must not depend on that."""
    code = "from pedagogy.teachers.checks import stable_scorer; s = stable_scorer(0); print([s(f'task{i}') for i in range(5)])"
    outs = {
        subprocess.run(
            [sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1
    s = checks.stable_scorer(0)
    assert outs.pop().strip() == str([s(f"task{i}") for i in range(5)])


# Teachers that must know the probability a task was proposed with (Exp3's
# importance weights) reject observations of tasks they never proposed.
NEEDS_PROPOSAL = [(n, {}) for n in ALL if teachers.get(n).requires_proposed] + [("tscl", {"algorithm": "exp3"})]


def _snapshot(t):
    return json.dumps(t.state_dict(), sort_keys=True, allow_nan=False)


@pytest.mark.parametrize("name, options", NEEDS_PROPOSAL)
def test_task_never_proposed_rejected(name, options):
    space = space_for(name)
    t = teachers.make(name, space, seed=0, **options)
    assert t.requires_proposed
    first = t.propose()
    never = next(x for x in space.tasks if x != first)  # type: ignore[attr-defined]
    before = _snapshot(t)
    with pytest.raises(ValueError, match="not proposed"):
        t.observe(never, 0.5)
    assert _snapshot(t) == before
    x = t.propose()
    t.observe(x, 0.5)
    before = _snapshot(t)
    with pytest.raises(ValueError, match="not proposed"):
        t.observe(x, 0.5)  # already observed
    assert _snapshot(t) == before


def test_unknown_teacher_lists_known():
    with pytest.raises(ValueError, match="known teachers: .*alp-gmm"):
        teachers.make("alp_gmm_typo", spaces.Discrete(2))


def test_load_rejects_garbage():
    with pytest.raises(ValueError, match="not a pedagogy teacher state"):
        teachers.load({"teacher": "random"})
    state = teachers.make("random", spaces.Discrete(2), seed=0).state_dict()
    del state["rng"]
    with pytest.raises(ValueError, match="missing rng"):
        teachers.load(state)


def test_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        teachers.make("random", spaces.Discrete(2), seed=-1)


def test_modules_import_cleanly():
    for module in _teacher_modules():
        importlib.import_module(f"pedagogy.teachers.{module}")


@pytest.mark.parametrize("name", ALL)
def test_state_without_its_space_resumes_exactly_with_the_space_given(name):
    space = space_for(name)
    t = teachers.make(name, space, seed=3)
    for _ in range(5):
        batch = t.propose(4)
        t.observe(batch, [0.5] * len(batch))
    lean = t.state_dict(space=False)
    assert "space" not in lean and {k: v for k, v in t.state_dict().items() if k != "space"} == lean
    with pytest.raises(ValueError, match="without its space"):
        teachers.load(lean)
    resumed = teachers.load(json.loads(json.dumps(lean)), space=space)
    assert resumed.state_dict() == t.state_dict()
    assert repr(resumed.propose(8)) == repr(t.propose(8))
