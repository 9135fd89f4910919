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
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from pedagogy.kt.data import Responses

__all__ = ["KTModel", "Tracker", "register_model", "get_model", "models", "NotFittedError"]

_MODELS: dict[str, type[KTModel]] = {}


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

    @abstractmethod
    def fit(self, data: Responses) -> KTModel: ...

    @abstractmethod
    def predict_proba(self, data: Responses) -> np.ndarray: ...

    def evaluate(self, data: Responses) -> dict[str, float]:
        """One-step-ahead metrics on ``data`` (AUC, RMSE, accuracy, log-loss, n)."""
        from pedagogy.kt.metrics import score_predictions

        return score_predictions(data.correct, self.predict_proba(data))

    @abstractmethod
    def tracker(self) -> Tracker: ...

    @abstractmethod
    def save(self, path: str) -> None: ...


def register_model(cls: type[KTModel]) -> type[KTModel]:
    """Class decorator: register a KT model class under ``cls.name``."""
    _MODELS[cls.name] = cls
    return cls


def models() -> list[str]:
    """Names of the registered KT models."""
    return sorted(_MODELS)


def get_model(name: str) -> type[KTModel]:
    try:
        return _MODELS[name]
    except KeyError:
        raise ValueError(f"unknown KT model {name!r}; known models: {', '.join(models())}") from None

