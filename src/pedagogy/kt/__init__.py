"""Knowledge tracing: student models fitted on real answer logs.

Models follow the scikit-learn estimator shape (``fit`` / ``predict_proba`` /
``evaluate``) with a one-step-ahead, leak-free protocol, and give a live
``tracker()`` for tutoring.  ``DKT`` needs the ``[torch]`` extra and is
imported lazily.
"""

from __future__ import annotations

from pedagogy.kt.base import KTModel, NotFittedError, Tracker, get_model, models, register_model
from pedagogy.kt.data import DataError, Responses

__all__ = ["KTModel", "Tracker", "Responses", "DataError", "NotFittedError", "get_model", "models", "register_model"]
