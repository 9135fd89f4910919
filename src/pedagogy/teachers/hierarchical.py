"""``hierarchical``: a source-level teacher (``sec-lp`` by default) over sources, ``learnability`` over the prompts inside each."""

from __future__ import annotations

import math
from typing import Any

from pedagogy.params import InstanceOf, OneOf, Param, Satisfies
from pedagogy.spaces import Discrete
from pedagogy.teachers.base import REGISTRY, Teacher, make, register
from pedagogy.teachers.learnability import LearnabilityTeacher, _groups_shape_ok, observe_naming_the_prompt
from pedagogy.teachers.sec_lp import SecLpTeacher  # registers the default source teacher before the rule below is checked

__all__ = ["HierarchicalTeacher"]


def _source_teacher_ok(name: Any) -> bool:
    return isinstance(name, str) and name != "hierarchical" and name in REGISTRY and Discrete in REGISTRY.get(name).space_types


@register
class HierarchicalTeacher(Teacher[Discrete]):
    """Two levels in one teacher: a source teacher picks the source, ``learnability`` the prompt within it.

    For mixtures of many sources of many prompts (a post-training set built
    from several datasets).  The space is every prompt; ``groups=`` gives each
    prompt's source (without it, all prompts form one source).  A proposal asks
    the source teacher (``source_teacher``, any registered teacher of
    ``Discrete`` spaces; default ``sec-lp``: SEC's advantage bandit, Chen et
    al. 2025, arXiv 2505.14970, gated by learning progress) for a source, then
    draws a prompt of that source by learnability ``p (1 - p)`` (Foster &
    Foerster 2025, arXiv 2502.12272; see ``learnability``, whose options are
    ``prompt_options``): the inner teacher's sum tree of that source, unseen
    prompts valued by their source's tried ones, the prompt-level noise guard.

    An observation of a prompt feeds both levels: the prompt's Beta pass rate,
    and the source teacher with the signal it expects (``source_signal``): the
    success rate itself for teachers scored in ``[0, 1]`` (``sec-lp``, ``lp``),
    or the mean absolute group-normalised advantage ``2 sqrt(q (1 - q))`` of a
    group with success rate ``q`` for the advantage teachers (``sec``,
    ``dump``).  A batched ``observe`` is one call to each level (SEC's one TD
    step per source and batch).

    One object, one JSON state (both levels' states, the space stored once),
    exact resume.  The composition is ours; each level follows its paper.

    Score: the success rate of a group of rollouts of the prompt (mean reward
    in ``[0, 1]``).
    """

    name = "hierarchical"
    description = "A source teacher (sec-lp by default) over sources, learnability p(1-p) over the prompts inside each source."
    paper = (
        "composition of Chen et al. 2025, Self-Evolving Curriculum, arXiv 2505.14970 (sec-lp) over sources and "
        "Foster & Foerster 2025, arXiv 2502.12272 (learnability) over prompts"
    )
    score_doc = "success rate of a group of rollouts of the prompt (mean reward) in [0, 1]"
    score_range = (0.0, 1.0)
    large_discrete = True
    space_types = (Discrete,)
    params = {
        "groups": Param(
            None,
            Satisfies(_groups_shape_ok, "None, a sequence of source labels (one per prompt) or a mapping prompt -> source"),
            "source of each prompt",
        ),
        "source_teacher": Param(
            SecLpTeacher.name,
            Satisfies(_source_teacher_ok, "the name of a registered teacher of Discrete spaces other than 'hierarchical'"),
            "teacher over the sources",
        ),
        "source_options": Param({}, InstanceOf(dict, "a dict of the source teacher's options"), "options of the source teacher"),
        "prompt_options": Param(
            {}, InstanceOf(dict, "a dict of learnability options"), "options of the learnability teacher inside the sources"
        ),
        "source_signal": Param(
            "auto",
            OneOf("auto", "success", "abs_advantage"),
            "what the source teacher observes: the success rate, 2 sqrt(q (1 - q)), or auto (by the teacher's score range)",
        ),
    }

    def _setup(self) -> None:
        o = self.options
        prompt_options = dict(o["prompt_options"])
        if "groups" in prompt_options:
            raise self._error("give groups= to the hierarchical teacher, not in prompt_options")
        try:
            self._prompts = LearnabilityTeacher(self.space, seed=self.seed, groups=o["groups"], **prompt_options)
        except ValueError as exc:
            raise self._error(str(exc).replace("teacher 'learnability': ", "")) from None
        o["groups"] = self._prompts.options["groups"]  # the compact form
        labels = self._prompts._labels
        try:
            self._src = make(o["source_teacher"], Discrete(labels), seed=self.seed + 1, **dict(o["source_options"]))
        except ValueError as exc:
            raise self._error(f"source teacher: {exc}") from None
        self._label_index = {lab: g for g, lab in enumerate(labels)}
        signal = o["source_signal"]
        if signal == "auto":
            signal = "success" if self._src.score_range == (0.0, 1.0) or "advantage" not in self._src.score_doc else "abs_advantage"
        self._signal = signal

    def observe(self, task: Any, score: Any) -> None:
        """As :meth:`Teacher.observe`; an error about a score names the prompt too."""
        observe_naming_the_prompt(self, super().observe, task, score)

    # ------------------------------------------------------------ sampling
    def _propose(self, n: int) -> list[Any]:
        inner = self._prompts
        out = []
        for label in self._src.propose(n):
            g = self._label_index[label]
            if inner._uprob > 0.0 and inner.rng.random() < inner._uprob:
                size = inner._gsize[g]
                out.append(inner._order[inner._goff[g] + int(inner.rng.random() * size)])
            else:
                out.append(inner._draw_in_group(g))
        return out

    # ----------------------------------------------------------- observing
    def _source_score(self, q: float) -> float:
        return q if self._signal == "success" else 2.0 * math.sqrt(q * (1.0 - q))

    def _observe(self, task: Any, score: float) -> None:
        self._observe_many([task], [score])

    def _observe_many(self, tasks: list[Any], scores: list[float]) -> None:
        gid, labels = self._prompts._gid, self._prompts._labels
        sources = [labels[gid[t]] for t in tasks]
        try:  # first: a source teacher that rejects (a source it did not propose) changes nothing
            self._src.observe(sources, [self._source_score(q) for q in scores])
        except ValueError as exc:
            raise self._error(f"source teacher: {exc}") from None
        for t, q in zip(tasks, scores):
            self._prompts._observe(t, q)
        self._prompts.n_observed += len(tasks)

    # --------------------------------------------------------------- state
    def _get_state(self) -> dict[str, Any]:
        inner = self._prompts.state_dict()
        del inner["space"], inner["options"]  # the outer state has both
        return {"prompts": inner, "sources": self._src.state_dict()}

    def _set_state(self, state: dict[str, Any]) -> None:
        self._prompts._restore(state["prompts"])
        src = type(self._src).from_state(state["sources"])
        if src.name != self._src.name:
            raise ValueError(f"source teacher {src.name!r} where {self._src.name!r} was expected")
        self._src = src

    def _report(self) -> dict[str, Any]:
        return {"sources": self._src.report(), "prompts": self._prompts.report()}

    def __repr__(self) -> str:
        text = super().__repr__()
        if self.options["groups"] is not None:
            start = text.find(", groups=")
            end = text.find("}", start)
            text = text[:start] + f", groups=<{len(self._prompts._labels)} sources>" + text[end + 1 :]
        return text
