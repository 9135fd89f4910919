"""The estimator shape every knowledge-tracing model follows (scikit-learn style).

* ``fit(data: Responses) -> self`` — parameters validated here, fitted on the
  training split only;
* ``predict_proba(data: Responses) -> ndarray`` — for every answer, the
  one-step-ahead probability that it is correct, computed from that student's
  earlier answers only (no leakage);
* ``evaluate(data) -> dict`` — AUC, RMSE, accuracy, log-loss of
  ``predict_proba`` against the answers;
* ``save(path)`` / :func:`load` — JSON (or ``.npz`` for large weights);
* ``tracker() -> Tracker`` — live use, one answer at a time, giving the same
  numbers as ``predict_proba`` on the same history.

Skills and items are matched by *name* between training and test data; a
name never seen in training falls back to the model's population defaults.

Saving and loading (generic; a model plugs in with three small hooks)
---------------------------------------------------------------------
``KTModel.save(path)`` writes ``{"format": "pedagogy.kt/1", "model": name,
"params": get_params(), "state": _get_state()}``.  A model provides:

* ``get_params() -> dict`` — constructor arguments (the default reads the
  ``__init__`` signature and returns the attributes of the same names, as
  scikit-learn does; override when they differ);
* ``_get_state() -> dict`` — everything ``fit`` learned.  Values may be plain
  JSON data (str keys; finite floats) **or numpy arrays**, nested in dicts and
  lists; arrays are stored exactly (dtype and shape kept).  With a path ending
  in ``.npz`` the arrays go into the ``.npz`` archive (good for network
  weights, e.g. ``{k: v.numpy() for k, v in module.state_dict().items()}``)
  and the rest into a JSON header inside it; otherwise everything is JSON;
* ``_set_state(state)`` — the inverse, called on ``cls(**params)`` by
  :func:`load`; arrays come back as numpy arrays.

Optionally ``_check_fitted()`` (the default requires the attribute named by
``_fitted_attribute``, ``skill_names_`` unless a model says otherwise).  :func:`load`
dispatches on ``"model"`` through the registry; DKT (which needs torch) is
registered lazily and imported on first use.  Files written by an earlier
``save`` without ``"format"`` are also read.

Parameters are declared, not checked by hand: a model lists a rule per
constructor argument in ``_parameter_constraints`` (scikit-learn's style, the
rules of :mod:`pedagogy.params`) and ``fit`` checks them all with one error
shape, ``bkt: parameter 'tol' must be a number >= 0, got -1``; rules that tie
two parameters together go in ``_check_param_combination``.
:func:`pedagogy.kt.checks.check_model` checks a model against this contract.
"""

from __future__ import annotations

import inspect
import io
import json
import math
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from pedagogy.kt.data import Responses
from pedagogy.params import Rule, validate
from pedagogy.registry import Registry

__all__ = ["KTModel", "Tracker", "register_model", "get_model", "models", "MODELS", "NotFittedError", "load", "load_dict", "FORMAT"]

#: the ``"format"`` tag of saved models
FORMAT = "pedagogy.kt/1"

#: the KT models by name; DKT is imported on first use (it needs torch)
MODELS: Registry[type[KTModel]] = Registry("KT model")
MODELS.register_lazy("dkt", "pedagogy.kt.dkt", "torch")


class NotFittedError(ValueError):
    """A model was used before ``fit``."""


class Tracker(ABC):
    """Live knowledge tracing: feed answers one at a time.

    ``update(student, skill_or_item, correct)`` records an answer;
    ``predict(student, skill_or_item)`` is the probability that the next
    answer on it is correct; ``mastery(student)`` maps skill name -> estimated
    probability the skill is known (or the model's analogue).
    """

    @abstractmethod
    def update(self, student: str, skill_or_item: str, correct: int) -> float:
        """Record an answer; return the probability of correct predicted *before* it."""

    @abstractmethod
    def predict(self, student: str, skill_or_item: str) -> float:
        """Probability that ``student`` answers ``skill_or_item`` correctly next."""

    @abstractmethod
    def mastery(self, student: str) -> dict[str, float]:
        """Current mastery per skill for ``student``."""


class KTModel(ABC):
    """Base class of knowledge-tracing models (see module docstring)."""

    name: ClassVar[str] = ""
    #: one rule per constructor argument, checked by :meth:`_check_params`
    _parameter_constraints: ClassVar[dict[str, Rule]] = {}
    #: the attribute ``fit`` sets last; ``None`` means not fitted (see :meth:`_check_fitted`)
    _fitted_attribute: ClassVar[str] = "skill_names_"

    @abstractmethod
    def fit(self, data: Responses) -> KTModel:
        """Fit on ``data`` (the training split only) and return ``self``.

        Starts with :meth:`_start_fit` (parameters checked, empty data
        refused), so a bad call changes nothing.
        """

    @abstractmethod
    def predict_proba(self, data: Responses) -> np.ndarray:
        """For every answer of ``data``, in order, the probability that it is correct (float array, one per answer).

        One step ahead: answer ``t`` of a student is predicted from that
        student's earlier answers (and the fitted parameters) only.
        """

    def evaluate(self, data: Responses) -> dict[str, float]:
        """One-step-ahead metrics on ``data`` (AUC, RMSE, accuracy, log-loss, n)."""
        from pedagogy.kt.metrics import score_predictions

        return score_predictions(data.correct, self.predict_proba(data))

    @abstractmethod
    def tracker(self) -> Tracker: ...

    # ---------------------------------------------------------- parameters
    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the constructor arguments; an ``__init__(..., **kwargs)`` adds its parent class's."""
        names: list[str] = []
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            params = inspect.signature(init).parameters.values()
            names += [
                p.name for p in params if p.name != "self" and p.name not in names and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            ]
            if not any(p.kind is p.VAR_KEYWORD for p in params):
                break
        return names

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments (scikit-learn convention: attributes named like the ``__init__`` parameters)."""
        return {k: getattr(self, k) for k in self.param_names()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_params(self) -> None:
        """Validate the constructor arguments against their declared rules, then the cross-parameter hook.

        Raises ``ValueError`` naming the model and the parameter; nothing is changed.
        """
        validate(self.get_params(), self._parameter_constraints, self.name, word="parameter")
        self._check_param_combination()

    def _check_param_combination(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Rules between parameters that a per-parameter rule cannot state (none by default)."""

    def _start_fit(self, data: Responses) -> None:
        """What every ``fit`` checks first: valid parameters and some data."""
        self._check_params()
        if data.n_answers == 0:
            raise ValueError(f"{self.name}: cannot fit on empty data")

    def _check_fitted(self) -> None:
        """Raise :class:`NotFittedError` unless ``fit`` (or :func:`load`) has run."""
        if getattr(self, self._fitted_attribute, None) is None:
            raise NotFittedError(f"{self.name}: model is not fitted; call fit(data) first")

    def replay(self, data: Responses) -> np.ndarray:
        """Feed ``data``'s answers, in order, to a fresh :meth:`tracker`; the probability predicted before each.

        Equal to :meth:`predict_proba` (the contract :func:`pedagogy.kt.checks.check_model`
        tests); models that track items instead of skills override :meth:`_tracker_keys`.
        """
        tr: Any = self.tracker()  # Any: some trackers take ``item=``
        users = np.asarray(data.user_names, dtype=object)[data.user].tolist()
        rows = zip(users, self._tracker_keys(data), data.correct.tolist(), strict=True)
        items = self._tracker_items(data)
        if items is None:
            return np.array([tr.update(u, k, int(c)) for u, k, c in rows], dtype=np.float64)
        return np.array([tr.update(u, k, int(c), item=i) for (u, k, c), i in zip(rows, items, strict=True)], dtype=np.float64)

    def _tracker_keys(self, data: Responses) -> list[Any]:
        """The ``skill_or_item`` argument of the tracker for each answer: its skill name, or list of names."""
        names = np.asarray(data.skill_names, dtype=object)
        if data.single_skill:
            return names[data.skill_idx].tolist()
        ptr = data.skill_ptr
        return [names[data.skill_idx[ptr[i] : ptr[i + 1]]].tolist() for i in range(data.n_answers)]

    def _tracker_items(self, data: Responses) -> list[str] | None:
        """Item names for the tracker's ``item=`` argument, for models whose tracker takes one (else None)."""
        return None

    # ---------------------------------------------------------- persistence
    def _get_state(self) -> dict[str, Any]:
        """What ``fit`` learned: JSON data and/or numpy arrays (see module docstring)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _get_state (needed by save)")

    def _set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`_get_state` returned."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _set_state (needed by load)")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model to ``path``: JSON, or a ``.npz`` archive when the name ends in ``.npz``.

        Parameters
        ----------
        path : str or path-like
        """
        self._check_fitted()
        dest = os.fspath(path)
        arrays: dict[str, np.ndarray] | None = {} if dest.lower().endswith(".npz") else None
        doc = {
            "format": FORMAT,
            "model": self.name,
            "params": _encode(self.get_params(), arrays, "params"),
            "state": _encode(self._get_state(), arrays, "state"),
        }
        text = json.dumps(doc, allow_nan=False)
        if arrays is None:
            with open(dest, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            buf = io.BytesIO()
            # Any: numpy's stub lets **arrays bind allow_pickle; its keys are a0, a1, ... (see _encode)
            members: dict[str, Any] = arrays
            np.savez_compressed(buf, __header__=np.array(text), **members)
            with open(dest, "wb") as fh:
                fh.write(buf.getvalue())


def _encode(obj: Any, arrays: dict[str, np.ndarray] | None, where: str) -> Any:
    """Plain JSON data from ``obj``; numpy arrays tagged (inline, or moved into ``arrays``)."""
    if isinstance(obj, np.ndarray):
        if arrays is not None:
            key = f"a{len(arrays)}"
            arrays[key] = obj
            return {"__npz__": key}
        if obj.dtype.kind == "f" and not np.all(np.isfinite(obj)):
            raise ValueError(f"cannot save {where}: array holds NaN or inf (use a .npz path)")
        if obj.dtype.kind not in "biuf":
            raise ValueError(f"cannot save {where}: arrays of dtype {obj.dtype} are not supported")
        return {"__array__": obj.reshape(-1).tolist(), "dtype": obj.dtype.str, "shape": list(obj.shape)}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ValueError(f"cannot save {where}: {obj} is not a finite number")
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise ValueError(f"cannot save {where}: dict keys must be str, got {k!r}")
            out[k] = _encode(v, arrays, f"{where}.{k}")
        return out
    if isinstance(obj, (list, tuple)):
        return [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    raise ValueError(f"cannot save {where}: {type(obj).__name__} is not JSON data or a numpy array")


def _decode(obj: Any, arrays: Mapping[str, np.ndarray] | None) -> Any:
    if isinstance(obj, dict):
        if "__npz__" in obj and len(obj) == 1:
            if arrays is None:
                raise ValueError("saved model refers to an .npz array but is not an .npz file")
            return np.array(arrays[obj["__npz__"]])
        if "__array__" in obj and set(obj) == {"__array__", "dtype", "shape"}:
            return np.asarray(obj["__array__"], dtype=np.dtype(obj["dtype"])).reshape(obj["shape"])
        return {k: _decode(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    return obj


def load(path: str | os.PathLike[str]) -> KTModel:
    """Load a model written by :meth:`KTModel.save` (JSON or ``.npz``).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    KTModel
        A fitted model of the saved class, giving the same predictions.
    """
    src = os.fspath(path)
    with open(src, "rb") as fh:
        raw = fh.read()
    arrays = None
    if raw[:2] == b"PK":  # a zip archive: .npz
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        text = str(arrays.pop("__header__"))
    else:
        text = raw.decode("utf-8")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{src}: not a saved pedagogy.kt model ({exc})") from None
    return load_dict(doc, arrays, source=src)


def load_dict(doc: Any, arrays: dict[str, Any] | None = None, source: str = "model") -> KTModel:
    """A model from the JSON document :meth:`KTModel.save` writes, already parsed (no file involved).

    Parameters
    ----------
    doc : dict
        The saved document (``{"format", "model", "params", "state"}``).
    arrays : dict, optional
        The arrays of an ``.npz`` save, by name.
    source : str
        What ``doc`` is, for error messages.

    Returns
    -------
    KTModel
    """
    src = source
    if not isinstance(doc, dict) or "model" not in doc or "state" not in doc:
        raise ValueError(f"{src}: not a saved pedagogy.kt model (no 'model'/'state')")
    fmt = doc.get("format", FORMAT)
    if fmt != FORMAT:
        raise ValueError(f"{src}: unsupported format {fmt!r} (this version reads {FORMAT!r})")
    cls = get_model(doc["model"])
    model = cls(**_decode(doc.get("params", {}), arrays))
    model._set_state(_decode(doc["state"], arrays))
    return model


def register_model(cls: type[KTModel]) -> type[KTModel]:
    """Class decorator: register a KT model class under ``cls.name`` (a taken name is an error)."""
    return MODELS.register(cls)


def models() -> list[str]:
    """Names of the usable KT models: registered ones, and lazy ones (DKT) whose dependency is installed."""
    return MODELS.names()


def get_model(name: str) -> type[KTModel]:
    """The model class registered as ``name`` (importing DKT on first use); ``ValueError`` listing the known names."""
    return MODELS.get(name)
