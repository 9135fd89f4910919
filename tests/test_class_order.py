"""The Curriculum Designer (pedagogy.class_order, after Singh et al., ICCV 2023)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pedagogy.class_order import (
    CurriculumDesigner,
    class_prototypes,
    distance_matrix,
    order_score,
    rank_orders,
)


def _toy() -> np.ndarray:
    """Class 0 is central (the lowest variance of its distances); class 3 is nearest to it, class 1 farthest."""
    return np.array(
        [
            [0.0, 0.7, 0.5, 0.3],
            [0.7, 0.0, 0.1, 0.9],
            [0.5, 0.1, 0.0, 0.5],
            [0.3, 0.9, 0.5, 0.0],
        ]
    )


def test_toy_geometry_gets_the_papers_order():
    # the paper's criterion: start central, then the class farthest from it, end with the one nearest to it
    best, score = rank_orders(_toy(), top=1)[0]
    assert best == [0, 1, 2, 3]
    assert score == pytest.approx(order_score(_toy(), best))
    worst, wscore = rank_orders(_toy(), top=1, worst=True)[0]
    assert wscore < score and worst[0] == 1  # the highest-variance class first


def test_blend_criterion_on_a_toy():
    """The 'blend' reading: low variance first, the class closest to the first one last."""
    d = np.full((5, 5), 0.6)
    d[0, :] = d[:, 0] = 0.5
    d[0, 3] = d[3, 0] = 0.3
    d[3, [1, 2, 4]] = d[[1, 2, 4], 3] = 0.9
    np.fill_diagonal(d, 0.0)
    best = rank_orders(d, top=1, criterion="blend")[0][0]
    assert best[0] == 0 and best[-1] == 3
    assert rank_orders(d, top=1, worst=True, criterion="blend")[0][0][0] == 3


def test_exhaustive_ranking_is_sorted_and_consistent_with_order_score():
    d = _toy()
    ranked = rank_orders(d, top=20)
    scores = [s for _, s in ranked]
    assert scores == sorted(scores, reverse=True)
    every = sorted((order_score(d, o) for o in itertools.permutations(range(4))), reverse=True)
    assert scores == pytest.approx(every[:20])


def test_ranking_is_invariant_to_relabelling():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)) + np.repeat(rng.normal(scale=3, size=(6, 6)), 50, axis=0)
    y = np.repeat(np.arange(6), 50)
    perm = rng.permutation(6)  # class c becomes perm[c]
    a = CurriculumDesigner(x, y)
    b = CurriculumDesigner(x, perm[y])
    for (_oa, sa), (_ob, sb) in zip(a.best(10), b.best(10)):
        assert sa == pytest.approx(sb)
    # the same orders, renamed (compare as sets of equally scored orders to allow ties)
    renamed = {tuple(int(perm[c]) for c in o) for o, _ in a.best(10)}
    assert renamed == {tuple(o) for o, _ in b.best(10)}
    for o in itertools.islice(itertools.permutations(range(6)), 0, 720, 37):
        assert a.score(list(o)) == pytest.approx(b.score([int(perm[c]) for c in o]))


def test_local_search_for_many_classes_finds_the_exhaustive_best():
    rng = np.random.default_rng(3)
    d = distance_matrix(rng.normal(size=(7, 5)), "euclidean")
    for criterion in ("paper", "blend"):
        for worst in (False, True):
            exact = rank_orders(d, top=1, worst=worst, criterion=criterion)
            approx = rank_orders(d, top=1, worst=worst, criterion=criterion, exhaustive_up_to=2)
            assert approx[0][1] == pytest.approx(exact[0][1])


def test_prototypes_distances_and_errors():
    classes, protos = class_prototypes([[1, 0], [3, 0], [0, 2]], ["b", "b", "a"])
    assert classes == ["a", "b"] and protos.tolist() == [[0, 2], [2, 0]]
    d = distance_matrix(protos)
    assert d[0, 1] == pytest.approx(1.0) and d[0, 0] == 0.0
    with pytest.raises(ValueError, match="metric"):
        distance_matrix(protos, "manhattan")
    with pytest.raises(ValueError, match="permutation"):
        order_score(d, [0, 0])
    with pytest.raises(ValueError, match="square"):
        order_score(np.ones((2, 3)), [0, 1])
    with pytest.raises(ValueError, match="criterion"):
        order_score(d, [0, 1], criterion="best")
    with pytest.raises(ValueError, match="unknown class"):
        CurriculumDesigner([[1, 0], [0, 1]], ["a", "b"]).score(["a", "z"])
