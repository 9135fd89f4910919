"""
Class orders for a class-incremental learner
============================================

Choose the order in which a class-incremental learner meets the digit classes.

The Curriculum Designer (Singh et al., ICCV 2023; :mod:`pedagogy.class_order`)
ranks class orders from class prototypes: here the mean hidden features of a
small network fitted on a held-out quarter of scikit-learn's bundled digits.
A fresh scikit-learn ``MLPClassifier`` then learns the 10 classes one at a
time, in a single pass with ``partial_fit`` and a small replay memory (5
examples of each class already learned), in the
designer's best order, in its worst and in a random order; the script prints
the final mean accuracy over all classes of each, as the mean ± standard
deviation over 5 seeds (the learner's initialisation and batches; a new random
order per seed), with every seed's figure beside it.

Five seeds and one random order per seed are still a small sample:
``benchmarks/class_order.py`` measures the same question over 5 seeds, the
designer's 5 best and 5 worst orders and 60 random orders per seed.  Run time:
about 15 s on one CPU core.

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


def main(seeds: int = 5) -> None:
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
    orders = {"designer's best": [int(c) for c in best], "designer's worst": [int(c) for c in worst]}
    for name, order in orders.items():
        print(f"{name:17s} {order}  score {designer.score(order):6.3f}")
    # Every seed changes the learner's initialisation and batches; "random" draws a new order per seed.
    results: dict[str, list[float]] = {name: [] for name in (*orders, "random")}
    for seed in range(seeds):
        random_order = np.random.default_rng(1000 + seed).permutation(10).tolist()
        for name, order in (*orders.items(), ("random", random_order)):
            results[name].append(mean_accuracy(single_pass(order, x_train, y_train, seed=seed), x_test, y_test))
    print(f"final mean accuracy over {seeds} seeds (mean ± sd; every seed shown, none left out):")
    for name, accs in results.items():
        print(f"  {name:17s} {np.mean(accs):.3f} ± {np.std(accs, ddof=1):.3f}   " + " ".join(f"{a:.3f}" for a in accs))


def mean_accuracy(net: MLPClassifier, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """Accuracy on the test set, averaged over the 10 classes."""
    pred = net.predict(x_test)
    return float(np.mean([np.mean(pred[y_test == c] == c) for c in range(10)]))


if __name__ == "__main__":
    main()
