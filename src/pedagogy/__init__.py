"""pedagogy — decide what a learner should practise next.

One teacher core for two kinds of students: reinforcement-learning agents and
models in training, and human students.  Layers (data flows one way)::

    spaces <- teachers <- (sim, kt) <- (bench, service, gym, ray, data) <- cli
"""

from pedagogy import spaces, teachers

__version__ = "0.1.0"

__all__ = ["spaces", "teachers", "__version__"]
