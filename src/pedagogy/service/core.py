"""What the service computes, without a database: courses, student models, teachers.

A :class:`CourseRuntime` is built once per course (per process) from the
course's stored JSON: the :class:`~pedagogy.spaces.SkillGraph`, the teacher
name and options, and the student model (a fitted ``pedagogy kt fit`` BKT
model, or a default BKT with textbook parameters).  A learner's state in a
course is two JSON documents, the student model's per-learner state and the
teacher's ``state_dict()``; :class:`LearnerSession` loads them, applies
answers or proposals, and dumps them back.  Everything here is deterministic
given the stored state, so replaying a learner's stored answers rebuilds the
same state (``replay``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pedagogy import kt, teachers
from pedagogy.service import inputs
from pedagogy.service.errors import ApiError
from pedagogy.spaces import SkillGraph

__all__ = ["CourseError", "CourseRuntime", "LearnerSession", "learner_seed", "mastery_summary", "parse_course", "DEFAULT_BKT_PARAMS"]

#: the student model of a course that uploads none: one BKT skill per course
#: skill with the mastery teacher's textbook parameters
DEFAULT_BKT_PARAMS = {"prior": 0.5, "learn": 0.1, "guess": 0.2, "slip": 0.1, "forget": 0.0}

#: P(known) at or above which the service calls a skill mastered (course option ``mastery_threshold``)
DEFAULT_MASTERY_THRESHOLD = 0.95

#: the per-learner key used inside a tracker (one tracker holds one learner at a time)
_STUDENT = "learner"


class CourseError(ValueError):
    """A course document that cannot be used; the message names the problem."""


def learner_seed(course_seed: int, learner: str) -> int:
    """The teacher seed of ``learner`` in a course with ``course_seed`` (deterministic, < 2**63).

    Teaching the same learner id in a course with the same seed gives the same
    proposals, which is what makes in-process and HTTP runs comparable.
    """
    digest = hashlib.sha256(f"{int(course_seed)}:{learner}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _load_model_doc(doc: Mapping[str, Any]) -> Any:
    """A KT model from the JSON document ``pedagogy kt fit`` saves (in memory: no file)."""
    return kt.load_dict(doc, source="model")


def _checked(check: Any, value: Any, field: str, **kw: Any) -> Any:
    """``check(value, field)`` by the service's input rules, as a :class:`CourseError`."""
    try:
        return check(value, field, **kw)
    except ApiError as exc:
        raise CourseError(exc.detail) from None


def _default_model_doc(skills: Sequence[str], params: Mapping[str, float]) -> dict[str, Any]:
    n = len(skills)
    state: dict[str, Any] = {"skill_names": list(skills)}
    for k in ("prior", "learn", "forget", "guess", "slip"):
        state[k] = [float(params[k])] * n
    state["log_likelihood"] = [0.0] * n
    state["n_iter"] = [0] * n
    state["skill_count"] = [1.0] * n
    return {"format": kt.FORMAT, "model": "bkt", "params": {}, "state": state}


def parse_course(doc: Any) -> dict[str, Any]:
    """Validate a course document; return the normalised fields to store.

    Shape::

        {"name": "fractions", "title": "...",
         "skills": {"skill": ["prerequisite", ...], ...},     # or "prerequisites"
         "items": {"item": "skill" | ["skill", ...], ...},     # optional; default: the skills
         "teacher": "mastery", "teacher_options": {...},        # default mastery, {}
         "seed": 0,                                             # teacher seeds derive from it
         "mastery_threshold": 0.95,
         "model": {... the JSON `pedagogy kt fit` saved ...}}   # optional, a BKT model

    Raises :class:`CourseError` naming what is wrong.
    """
    if not isinstance(doc, Mapping):
        raise CourseError("a course must be a JSON object")
    unknown = sorted(
        set(doc) - {"name", "title", "skills", "prerequisites", "items", "teacher", "teacher_options", "seed", "model", "mastery_threshold"}
    )
    if unknown:
        raise CourseError(f"unknown course field {unknown[0]!r}")
    name = _checked(inputs.path_name, doc.get("name"), "name")
    prereq = doc.get("skills", doc.get("prerequisites"))
    if prereq is None:
        raise CourseError("a course needs 'skills': an object skill -> list of prerequisite skills")
    if isinstance(prereq, list):  # [[skill, [prereqs]], ...] pairs (SkillGraph.to_dict form)
        try:
            prereq = {s: p for s, p in prereq}
        except (TypeError, ValueError):
            raise CourseError("'skills' as a list must hold [skill, [prerequisites]] pairs") from None
    items = doc.get("items")
    if isinstance(items, list):
        try:
            items = {it: sks for it, sks in items}
        except (TypeError, ValueError):
            raise CourseError("'items' as a list must hold [item, skill or [skills]] pairs") from None
    if items is not None and not isinstance(items, Mapping):
        raise CourseError("'items' must be an object item -> skill or list of skills")
    if not isinstance(prereq, Mapping):
        raise CourseError("'skills' must be an object skill -> list of prerequisite skills")
    if not prereq:
        raise CourseError("'skills' must name at least one skill")
    if len(prereq) > inputs.MAX_SKILLS:
        raise CourseError(f"skills: {len(prereq)} skills; a course has at most {inputs.MAX_SKILLS}")
    for s, p in prereq.items():
        _checked(inputs.name, s, "skills")
        if not isinstance(p, list) or not all(isinstance(x, str) for x in p):
            raise CourseError(f"skills.{s}: prerequisites must be a list of skill names")
    if items is not None:
        if len(items) > inputs.MAX_ITEMS:
            raise CourseError(f"items: {len(items)} items; a course has at most {inputs.MAX_ITEMS}")
        for it, sks in items.items():
            _checked(inputs.name, it, "items")
            if not (isinstance(sks, str) or (isinstance(sks, list) and sks and all(isinstance(x, str) for x in sks))):
                raise CourseError(f"items.{it}: must be a skill name or a non-empty list of skill names, got {sks!r:.60}")
    try:
        space = SkillGraph(prereq, items=items)
    except (ValueError, TypeError) as exc:
        raise CourseError(str(exc)) from None
    teacher = doc.get("teacher", "mastery")
    options = doc.get("teacher_options", {}) or {}
    if not isinstance(options, Mapping):
        raise CourseError("'teacher_options' must be an object")
    seed = doc.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**62:
        raise CourseError(f"'seed' must be a non-negative integer, got {seed!r}")
    threshold = doc.get("mastery_threshold", DEFAULT_MASTERY_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
        raise CourseError(f"'mastery_threshold' must be a number in (0, 1), got {threshold!r}")
    title = _checked(inputs.text, doc.get("title", ""), "title", max_len=inputs.MAX_TITLE, empty=True)
    if not isinstance(teacher, str):
        raise CourseError("'teacher' must be a teacher's name")
    try:
        teachers.make(teacher, space, seed=0, **options)
    except Exception as exc:  # noqa: BLE001 - any failure of user-given options is the caller's to fix
        raise CourseError(f"teacher {teacher[:100]!r}: {exc}") from None
    model = doc.get("model")
    if model is not None:
        if not isinstance(model, Mapping) or model.get("model") != "bkt":
            kind = model.get("model") if isinstance(model, Mapping) else type(model).__name__
            raise CourseError(f"'model' must be a BKT model saved by `pedagogy kt fit` (model 'bkt'), got {kind!r}")
        try:
            _load_model_doc(model)
        except Exception as exc:  # noqa: BLE001 - a malformed upload, whatever its defect
            raise CourseError(f"'model' could not be loaded: {type(exc).__name__}: {exc}") from None
    return {
        "name": name,
        "title": title,
        "space": space.to_dict(),
        "teacher": teacher,
        "teacher_options": dict(options),
        "seed": seed,
        "model": dict(model) if model is not None else None,
        "mastery_threshold": float(threshold),
    }


@dataclass
class Prediction:
    item: str
    skills: list[str]
    target_skill: str
    predicted_success: float
    p_known: float
    mastered: bool


class CourseRuntime:
    """Everything derived from one stored course (built once per process and cached)."""

    def __init__(
        self,
        course_id: int,
        name: str,
        space: Mapping[str, Any],
        teacher: str,
        teacher_options: Mapping[str, Any],
        seed: int,
        model: Mapping[str, Any] | None,
        mastery_threshold: float = DEFAULT_MASTERY_THRESHOLD,
    ) -> None:
        from pedagogy.spaces import from_dict

        self.course_id = course_id
        self.name = name
        self.space: SkillGraph = from_dict(space)  # type: ignore[assignment]
        self.teacher_name = teacher
        self.teacher_options = dict(teacher_options)
        self.seed = int(seed)
        self.threshold = float(mastery_threshold)
        self.model = _load_model_doc(model if model is not None else _default_model_doc(self.space.skills, DEFAULT_BKT_PARAMS))
        self.fitted_model = model is not None
        self.items: dict[str, Any] = {str(t): t for t in self.space.tasks}
        self.item_skills: dict[str, list[str]] = {str(t): self.space.skills_of(t) for t in self.space.tasks}
        tr = self.model.tracker()
        self._prior_known = tr.mastery(_STUDENT)
        self._default_prior = self.model.defaults_()["prior"]

    # ----------------------------------------------------------- learners
    def new_teacher_state(self, seed: int) -> dict[str, Any]:
        return teachers.make(self.teacher_name, self.space, seed=seed, **self.teacher_options).state_dict(space=False)

    def session(self, model_state: Mapping[str, Any] | None, teacher_state: Mapping[str, Any] | None, seed: int) -> LearnerSession:
        return LearnerSession(self, model_state or {}, teacher_state, seed)

    def p_known_prior(self, skill: str) -> float:
        return float(self._prior_known.get(skill, self._default_prior))


class LearnerSession:
    """One learner's student-model tracker and teacher, loaded from their stored state."""

    def __init__(self, course: CourseRuntime, model_state: Mapping[str, Any], teacher_state: Mapping[str, Any] | None, seed: int) -> None:
        self.course = course
        self.tracker = course.model.tracker()
        self.tracker.load(_STUDENT, model_state)  # one learner per tracker
        self._teacher_state = teacher_state
        self._teacher: Any = None
        self.seed = seed

    @property
    def teacher(self) -> Any:
        if self._teacher is None:
            if self._teacher_state is None:
                c = self.course
                self._teacher = teachers.make(c.teacher_name, c.space, seed=self.seed, **c.teacher_options)
            else:
                self._teacher = teachers.load(self._teacher_state, space=self.course.space)
        return self._teacher

    def model_state(self) -> dict[str, Any]:
        return dict(self.tracker.state(_STUDENT))

    def teacher_state(self) -> dict[str, Any] | None:
        """The teacher's ``state_dict()`` (the stored one, unchanged, if the teacher was not used)."""
        if self._teacher is None:
            return dict(self._teacher_state) if self._teacher_state is not None else None
        return self._teacher.state_dict(space=False)  # the course holds the space

    # ----------------------------------------------------------- answers
    def check_item(self, item: Any) -> str:
        key = str(item)
        if key not in self.course.items:
            raise KeyError(key)
        return key

    def answer(self, item: str, score: float) -> float:
        """Apply one answer (``item`` already checked): update the student model and the teacher.

        Returns the predicted probability of success *before* the answer.
        A fractional score is soft evidence: the mix ``score * (update if
        right) + (1 - score) * (update if wrong)`` of the BKT posteriors.
        """
        p = self.tracker.update_score(_STUDENT, self.course.item_skills[item], score, item=item)
        self.teacher.observe(self.course.items[item], float(score))
        return float(p)

    # ----------------------------------------------------------- reports
    def p_known(self, skill: str) -> float:
        known = self.tracker.state(_STUDENT)["known"]
        return float(known[skill]) if skill in known else self.course.p_known_prior(skill)

    def predict(self, item: str) -> Prediction:
        skills = self.course.item_skills[item]
        p = float(self.tracker.predict(_STUDENT, skills, item=item))
        pk = {s: self.p_known(s) for s in skills}
        target = min(skills, key=lambda s: (pk[s], skills.index(s)))
        return Prediction(item, list(skills), target, p, pk[target], pk[target] >= self.course.threshold)

    def propose(self, n: int) -> list[Prediction]:
        tasks = self.teacher.propose(n)
        return [self.predict(str(t)) for t in tasks]

    def mastery(self) -> list[dict[str, Any]]:
        c = self.course
        rows = []
        known = self.tracker.state(_STUDENT)["known"]  # once: a course may have thousands of skills
        for s in c.space.skills:
            pk = float(known[s]) if s in known else c.p_known_prior(s)
            rows.append(
                {
                    "skill": s,
                    "p_known": pk,
                    "predicted_success": float(self.tracker.predict(_STUDENT, [s])),
                    "mastered": pk >= c.threshold,
                    "prerequisites": list(c.space.prerequisites[s]),
                }
            )
        return rows


def mastery_summary(skills: Sequence[Mapping[str, Any]], threshold: float) -> str:
    """The service's one measure of a learner's progress, as the dashboard and ``pedagogy demo`` show it.

    ``skills`` are the rows of ``GET .../mastery`` (or :meth:`LearnerSession.mastery`): a skill is
    mastered when its P(known) under the course's student model reaches the course's threshold.
    """
    n = sum(bool(r["mastered"]) for r in skills)
    return f"{n}/{len(skills)} skills mastered (P(known) ≥ {threshold:g})"


def reason(pred: Prediction, session: LearnerSession) -> str:
    """One sentence on why an item is proposed."""
    course = session.course
    pre = course.space.prerequisites[pred.target_skill]
    pre_ok = [p for p in pre if session.p_known(p) >= course.threshold]
    state = "already mastered (review)" if pred.mastered else "not yet mastered"
    text = (
        f"{course.teacher_name} teacher: practise skill {pred.target_skill!r}, {state}: "
        f"P(known) {pred.p_known:.2f}, predicted success {pred.predicted_success:.2f}"
    )
    if pre:
        text += f"; prerequisites mastered {len(pre_ok)}/{len(pre)}"
    return text


def check_score(value: Any) -> float:
    """A correctness in [0, 1] (bools count as 0/1); ``ValueError`` otherwise."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"correctness must be 0/1 or a score in [0, 1], got {value!r}")
    return float(value)
