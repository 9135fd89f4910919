"""The teacher API: ``propose``, ``observe``, ``state_dict``, ``load``, ``report``.

A concrete teacher subclasses :class:`Teacher`, declares its registry ``name``,
the spaces it accepts, its options with the paper's defaults, and implements
five hooks on *internal* tasks (an ``int`` index for discrete spaces, a float
array for boxes):

* ``_setup()`` — build the empty state (options are validated by then);
* ``_propose(n) -> list`` — ``n`` internal tasks;
* ``_observe(task, score)`` — one validated observation;
* ``_get_state() -> dict`` / ``_set_state(dict)`` — plain JSON data, everything
  needed for an exact resume (the RNG is saved by the base class).

Options are declared once, as ``params = {"name": Param(default, rule, doc)}``
(:mod:`pedagogy.params`): the base class checks them (``_check_options`` is
left for rules that tie several options together), derives ``defaults``, and
``preset="paper"`` swaps in the paper's setting of every option whose default
departs from it.

The base class validates every input *before* any state changes, so a bad call
raises a :class:`ValueError` that names the teacher and leaves it untouched.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from numbers import Real
from typing import Any, ClassVar, Generic, TypeVar, cast, overload

import numpy as np

from pedagogy.params import Param, defaults_of, options_doc, paper_settings, rules_of, validate
from pedagogy.registry import Registry, installed
from pedagogy.spaces import Box, Discrete, SkillGraph, Space, from_dict

__all__ = ["Teacher", "register", "make", "load", "available", "get", "to_jsonable", "STATE_FORMAT", "PRESETS", "REGISTRY"]

STATE_FORMAT = "pedagogy.teacher/1"

#: ``preset`` values: ``None`` (this library's defaults) or ``"paper"`` (every option at the paper's setting)
PRESETS = (None, "paper")

#: every registered teacher class, by name
REGISTRY: Registry[type[Teacher[Any]]] = Registry("teacher")


def to_jsonable(obj: Any) -> Any:
    """Convert numpy values (recursively) into plain Python data for JSON."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Mapping):
        return {(k if isinstance(k, str) else str(k)): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, deque)):
        return [to_jsonable(v) for v in obj]
    return obj


def _is_scalar(x: Any) -> bool:
    t = type(x)
    if t is float or t is int:  # the common case, without the slow ABC check
        return True
    return isinstance(x, (Real, np.number)) or (isinstance(x, np.ndarray) and x.ndim == 0)


_BOOLS = (bool, np.bool_)

#: the kind of space a teacher works on (``Teacher[Discrete]``, ``Teacher[Box]``, ...)
SpaceT = TypeVar("SpaceT", bound=Space[Any])


class Teacher(Generic[SpaceT]):
    """Base class of all teachers.  See the module docstring for the hooks.

    ``Teacher[S]`` works on spaces of type ``S``, so ``self.space`` is typed
    as what ``space_types`` accepts.
    """

    #: registry name, e.g. ``"alp-gmm"``
    name: ClassVar[str] = ""
    #: one line for ``pedagogy teachers``
    description: ClassVar[str] = ""
    #: the paper the implementation follows
    paper: ClassVar[str] = ""
    #: what ``observe`` expects as a score
    score_doc: ClassVar[str] = "a real number, higher is better"
    #: (low, high) bounds a score must lie in; ``None`` for an open side
    score_range: ClassVar[tuple[float | None, float | None]] = (None, None)
    #: space classes this teacher accepts
    space_types: ClassVar[tuple[type[Space[Any]], ...]] = (Box, Discrete)
    #: option name -> declaration (default, rule, doc, the paper's value where it differs)
    params: ClassVar[dict[str, Param]] = {}
    #: option name -> default, derived from ``params``
    defaults: ClassVar[dict[str, Any]] = {}
    #: per-call cost independent of the number of tasks: fit for Discrete
    #: spaces of 100,000+ tasks (e.g. environment seeds)
    large_discrete: ClassVar[bool] = False
    #: if True, ``observe`` rejects a task that is not an outstanding proposal
    requires_proposed: bool = False
    #: how many outstanding proposals are remembered when ``requires_proposed``
    max_pending: ClassVar[int] = 100_000
    #: optional packages the teacher imports when built, with the extra that installs them
    requires: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "params" in cls.__dict__:
            cls.defaults = defaults_of(cls.params)
            if cls.__doc__ and cls.params:
                cls.__doc__ = cls.__doc__.rstrip() + "\n\n" + options_doc(cls.params)

    @classmethod
    def missing_requirements(cls) -> list[str]:
        """``pip install`` hints for the optional packages this teacher needs and this installation lacks."""
        return [f"{module} (pip install 'pedagogy[{extra}]')" for module, extra in cls.requires.items() if not installed(module)]

    @classmethod
    def accepted_spaces(cls) -> list[str]:
        """The names of the space classes this teacher accepts, subclasses included (``SkillGraph`` is a ``Discrete``)."""
        return [k.__name__ for k in (Box, Discrete, SkillGraph) if issubclass(k, cls.space_types)]

    @classmethod
    def paper_departures(cls) -> dict[str, Param]:
        """The options whose default is not the paper's setting, with their declarations."""
        return {k: p for k, p in cls.params.items() if p.departs}

    def __init__(self, space: SpaceT, seed: int | None = None, preset: str | None = None, **options: Any):
        if preset not in PRESETS:
            raise ValueError(f"teacher '{self.name}': preset must be None or 'paper', got {preset!r}")
        if not isinstance(space, self.space_types):
            accepted = " or ".join(t.__name__ for t in self.space_types)
            raise ValueError(f"teacher '{self.name}' needs a {accepted} space, got {space!r}")
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            known = ", ".join(sorted(self.defaults)) or "none"
            raise ValueError(f"teacher '{self.name}': unknown option {unknown[0]!r} (known options: {known})")
        if seed is None:
            seed = int(cast(int, np.random.SeedSequence().entropy))
        elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"teacher '{self.name}': seed must be a non-negative integer or None, got {seed!r}")
        self.space = space
        self.seed = int(seed)
        base = {**self.defaults, **(paper_settings(self.params) if preset == "paper" else {})}
        self.options: dict[str, Any] = {**base, **to_jsonable(options)}
        self.rng = np.random.default_rng(self.seed)
        self.n_proposed = 0
        self.n_observed = 0
        self._pending: deque[Any] = deque()
        self._pending_count: dict[Any, int] = {}
        self._discrete = isinstance(space, Discrete)
        if self._discrete:
            self._index_get = cast(Discrete, space)._index.get
        validate(self.options, rules_of(self.params), f"teacher '{self.name}'")
        self._check_options()
        self._setup()

    # ------------------------------------------------------------------ hooks
    def _check_options(self) -> None:
        """Checks that tie several options together (each option's own rule is checked already)."""

    def _setup(self) -> None:
        raise NotImplementedError

    def _propose(self, n: int) -> list[Any]:
        raise NotImplementedError

    def _observe(self, task: Any, score: float) -> None:
        raise NotImplementedError

    def _observe_many(self, tasks: list[Any], scores: list[float]) -> None:
        for t, s in zip(tasks, scores):
            self._observe(t, s)

    def _get_state(self) -> dict[str, Any]:
        raise NotImplementedError

    def _set_state(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def _report(self) -> dict[str, Any]:
        return {}

    # --------------------------------------------------------------- helpers
    def _error(self, message: str) -> ValueError:
        return ValueError(f"teacher '{self.name}': {message}")

    def _to_internal(self, task: Any) -> Any:
        if self._discrete:
            try:
                # True == 1 for dicts, so booleans must not pass as task names.
                idx = None if type(task) in _BOOLS else self._index_get(task)
            except TypeError:  # unhashable: a list, an array, ...
                idx = None
            if idx is None:
                raise self._error(f"task {task!r} is not in the space {self.space!r}")
            return idx
        x = cast(Box, self.space).as_task(task)
        if x is None or not self.space.contains(x):
            raise self._error(f"task {task!r} is not in the space {self.space!r}")
        return x

    def _to_external(self, task: Any) -> Any:
        if self._discrete:
            return cast(Discrete, self.space).tasks[task]
        return np.array(task, dtype=float)

    def _pending_key(self, task: Any) -> Any:
        return task if self._discrete else tuple(task.tolist())

    def _check_score(self, score: Any) -> float:
        if not _is_scalar(score) or type(score) in _BOOLS:
            raise self._error(f"score must be a real number, got {score!r}")
        s = float(score)
        if not math.isfinite(s):
            raise self._error(f"score must be finite, got {s}")
        low, high = self.score_range
        if (low is not None and s < low) or (high is not None and s > high):
            lo = "-inf" if low is None else f"{low:g}"
            hi = "inf" if high is None else f"{high:g}"
            raise self._error(f"score must be in [{lo}, {hi}] ({self.score_doc}), got {s}")
        return s

    # ------------------------------------------------------------------- API
    @overload
    def propose(self, n: None = None) -> Any: ...

    @overload
    def propose(self, n: int) -> list[Any]: ...

    def propose(self, n: int | None = None) -> Any | list[Any]:
        """Propose one task (``n=None``) or a ``list`` of ``n`` tasks.

        The contract, for every teacher: ``propose()`` returns *one task*, of
        the space's task type — a float ``numpy.ndarray`` of shape ``(d,)`` on a
        :class:`~pedagogy.spaces.Box`, the task's name (as given to the space)
        on a :class:`~pedagogy.spaces.Discrete` or
        :class:`~pedagogy.spaces.SkillGraph`.  ``propose(n)`` returns a plain
        ``list`` of ``n`` such tasks, whatever the space (``propose(1)`` is a
        one-element list); ``np.stack(teacher.propose(n))`` gives an ``(n, d)``
        array on a box.  ``observe`` accepts both forms back.
        """
        if n is None:
            k = 1
        elif isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise self._error(f"propose(n): n must be a positive integer or None, got {n!r}")
        else:
            k = int(n)
        internal = self._propose(k)
        self.n_proposed += k
        if self.requires_proposed:
            for t in internal:
                key = self._pending_key(t)
                self._pending.append(key)
                self._pending_count[key] = self._pending_count.get(key, 0) + 1
                if len(self._pending) > self.max_pending:
                    old = self._pending.popleft()
                    c = self._pending_count[old] - 1
                    if c:
                        self._pending_count[old] = c
                    else:
                        del self._pending_count[old]
        if n is None:
            return self._to_external(internal[0])
        return [self._to_external(t) for t in internal]

    def observe(self, task: Any, score: Any) -> None:
        """Report the learner's score on ``task``; or lists of tasks and scores (batched).

        The call is batched when ``score`` is a sequence; then ``task`` must be a
        sequence of the same length.  Every input is validated before anything
        changes.
        """
        if _is_scalar(score):
            # Fast path for one observation; validated before anything changes.
            s = self._check_score(score)
            t = self._to_internal(task)
            if self.requires_proposed:
                self._take_pending([t])
            self._observe(t, s)
            self.n_observed += 1
            return
        else:
            if isinstance(score, (str, bytes, Mapping)):
                raise self._error(f"score must be a real number or a sequence of them, got {score!r:.60}")
            try:
                scores_in = list(score)
                tasks_in = list(task)
            except TypeError:
                raise self._error("batched observe needs a sequence of tasks and a sequence of scores") from None
            if len(tasks_in) != len(scores_in):
                raise self._error(f"observe got {len(tasks_in)} tasks but {len(scores_in)} scores")
        scores = [self._check_score(s) for s in scores_in]
        tasks = [self._to_internal(t) for t in tasks_in]
        if self.requires_proposed:
            self._take_pending(tasks)
        if len(tasks) == 1:
            self._observe(tasks[0], scores[0])
        else:
            self._observe_many(tasks, scores)
        self.n_observed += len(tasks)

    def _take_pending(self, tasks: list[Any]) -> None:
        """Check that every task is an outstanding proposal, then mark them observed."""
        need: dict[Any, int] = {}
        for t in tasks:
            key = self._pending_key(t)
            need[key] = need.get(key, 0) + 1
            if need[key] > self._pending_count.get(key, 0):
                raise self._error(f"task {self._to_external(t)!r} was not proposed by this teacher (or was already observed)")
        for key, c in need.items():
            left = self._pending_count[key] - c
            if left:
                self._pending_count[key] = left
            else:
                del self._pending_count[key]
            for _ in range(c):
                self._pending.remove(key)

    def report(self) -> dict[str, Any]:
        """What the teacher believes now (for plots and logs): a small plain dict."""
        out: dict[str, Any] = {"teacher": self.name, "proposed": self.n_proposed, "observed": self.n_observed}
        out.update(to_jsonable(self._report()))
        return out

    def state_dict(self, space: bool = True) -> dict[str, Any]:
        """Everything needed to resume exactly, as plain JSON-serialisable data.

        ``space=False`` leaves the space out (a caller that keeps it elsewhere, such as the
        service's course, saves its size on every write); :func:`load` then needs ``space=``.
        """
        pending = [list(k) if isinstance(k, tuple) else k for k in self._pending]
        return {
            "format": STATE_FORMAT,
            "teacher": self.name,
            **({"space": self.space.to_dict()} if space else {}),
            "seed": self.seed,
            "options": to_jsonable(self.options),
            "rng": to_jsonable(self.rng.bit_generator.state),
            "proposed": self.n_proposed,
            "observed": self.n_observed,
            "pending": pending,
            "state": to_jsonable(self._get_state()),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], space: Space[Any] | None = None) -> Teacher[Any]:
        """Rebuild this class of teacher from :meth:`state_dict` output (what :func:`load` does after the look-up).

        ``space``: the teacher's space, when the state was saved without it (else the saved one is used).
        """
        if state.get("teacher") != cls.name:
            raise ValueError(f"teachers.load: state of teacher {state.get('teacher')!r} given to '{cls.name}'")
        if space is None:
            if "space" not in state:
                raise ValueError("teachers.load: the state was saved without its space (state_dict(space=False)); pass space=")
            space = from_dict(state["space"])
        teacher = cls(cast(Any, space), seed=state["seed"], **state["options"])
        try:
            teacher._restore(state)
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"teachers.load: state of teacher '{cls.name}' is malformed ({exc!r})") from exc
        return teacher

    def _restore(self, state: Mapping[str, Any]) -> None:
        self.rng.bit_generator.state = dict(state["rng"])
        self.n_proposed = int(state["proposed"])
        self.n_observed = int(state["observed"])
        keys = [tuple(k) if isinstance(k, list) else k for k in state["pending"]]
        self._pending = deque(keys)
        self._pending_count = {}
        for k in keys:
            self._pending_count[k] = self._pending_count.get(k, 0) + 1
        self._set_state(dict(state["state"]))

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.options.items() if self.defaults.get(k) != v}
        opts = "".join(f", {k}={v!r}" for k, v in changed.items())
        return f"{type(self).__name__}({self.space!r}, seed={self.seed}{opts})"


def register(cls: type[Teacher[Any]]) -> type[Teacher[Any]]:
    """Class decorator: add a teacher to the registry under ``cls.name``."""
    return REGISTRY.register(cls)


def available() -> list[str]:
    """Sorted names of the registered teachers."""
    return REGISTRY.names()


def get(name: str) -> type[Teacher[Any]]:
    """The teacher class registered as ``name``."""
    return REGISTRY.get(name)


def make(name: str, space: Space[Any], seed: int | None = None, preset: str | None = None, **options: Any) -> Teacher[Any]:
    """Create the teacher registered as ``name`` on ``space``.

    ``preset="paper"`` starts from the paper's setting of every option (see
    ``pedagogy teachers -v`` for the options whose default differs); options
    given here still override it.
    """
    return get(name)(space, seed=seed, preset=preset, **options)


def load(state: Mapping[str, Any], space: Space[Any] | None = None) -> Teacher[Any]:
    """Rebuild a teacher from :meth:`Teacher.state_dict` output (exact resume).

    ``space``: the teacher's space, needed when the state was saved with ``state_dict(space=False)``;
    given, it is used instead of a saved one.
    """
    if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
        raise ValueError(f"teachers.load: not a pedagogy teacher state (expected format {STATE_FORMAT!r})")
    keys = ("teacher", "seed", "options", "rng", "proposed", "observed", "pending", "state")
    missing = [k for k in keys if k not in state]
    if missing:
        raise ValueError(f"teachers.load: state is missing {', '.join(missing)}")
    return get(state["teacher"]).from_state(state, space=space)
