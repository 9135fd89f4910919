"""pedagogy — decide what a learner should practise next.

One teacher core for two kinds of students: reinforcement-learning agents and
models in training, and human students.  Layers (data flows one way: a module
imports only from the layers to its left; ``tests/test_architecture.py`` checks
it, and the README shows the same line)::

    (params, registry, progress) <- (spaces, kt, class_order, cyclical) <- paths <- (teachers, sim) <- (bench, service, gym, ray, data) <- cli
"""

from pedagogy import spaces, teachers

__version__ = "0.1.0"

__all__ = ["spaces", "teachers", "__version__"]
