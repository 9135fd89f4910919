"""Choose the order in which a class-incremental learner meets the digit classes.

The Curriculum Designer (Singh et al., ICCV 2023; :mod:`pedagogy.class_order`)
ranks class orders from class prototypes: here the mean hidden features of a
small network fitted on a held-out quarter of scikit-learn's bundled digits.
A fresh scikit-learn ``MLPClassifier`` then learns the 10 classes one at a
time, in a single pass with ``partial_fit`` and a small replay memory (5
examples of each class already learned), once in
the designer's best order, once in its worst and once in a random order; the
script prints the final mean accuracy over all classes of each.

One seed is an anecdote: ``benchmarks/class_order.py`` measures the same
question over 5 seeds and 60 random orders per seed.

    python examples/class_order_digits.py
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from pedagogy.class_order import CurriculumDesigner


def single_pass(order: list[int], x: np.ndarray, y: np.ndarray, seed: int = 0, replay: int = 10) -> MLPClassifier:
    """Learn the classes in ``order``, each once, in batches of 10 plus up to ``replay`` remembered examples."""
    rng = np.random.default_rng(seed)
    net = MLPClassifier(hidden_layer_sizes=(64,), learning_rate_init=0.01, random_state=seed)
    memory: list[int] = []  # 5 remembered examples of each class already learned
    for c in order:
        idx = rng.permutation(np.flatnonzero(y == c))
        for start in range(0, len(idx), 10):
            batch = list(idx[start : start + 10])
            extra = list(rng.choice(memory, size=min(replay, len(memory)), replace=False)) if memory else []
            net.partial_fit(x[batch + extra], y[batch + extra], classes=np.arange(10))
        memory += list(idx[:5])
    return net


def main() -> None:
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    x_feat, x_rest, y_feat, y_rest = train_test_split(x, y, train_size=0.25, stratify=y, random_state=0)
    x_train, x_test, y_train, y_test = train_test_split(x_rest, y_rest, test_size=1 / 3, stratify=y_rest, random_state=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extractor = MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=0).fit(x_feat, y_feat)
    features = np.maximum(x_train @ extractor.coefs_[0] + extractor.intercepts_[0], 0.0)

    designer = CurriculumDesigner(features, y_train)  # cosine distances between class prototypes
    best, worst = designer.best(1)[0][0], designer.worst(1)[0][0]
    random_order = np.random.default_rng(1).permutation(10).tolist()
    for name, order in (("designer's best", best), ("designer's worst", worst), ("random", random_order)):
        net = single_pass([int(c) for c in order], x_train, y_train)
        pred = net.predict(x_test)
        acc = np.mean([np.mean(pred[y_test == c] == c) for c in range(10)])
        print(f"{name:17s} {order}  score {designer.score(order):6.3f}  final mean accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
