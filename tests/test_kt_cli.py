"""``pedagogy kt fit / eval / bench`` through ``pedagogy.cli.main``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pedagogy import kt
from pedagogy.cli import main
from pedagogy.kt.bench import find_data_dir

FIXTURES = Path(__file__).parent / "fixtures" / "kt"
TRAIN = str(FIXTURES / "assist2009_train_50.csv")
TEST = str(FIXTURES / "assist2009_test_30.csv")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A shared/data/kt-like folder with one tiny dataset."""
    root = tmp_path / "shared" / "data" / "kt"
    (root / "tiny").mkdir(parents=True)
    shutil.copy(TRAIN, root / "tiny" / "tiny_train.csv")
    shutil.copy(TEST, root / "tiny" / "tiny_test.csv")
    return root


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_fit_then_eval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "model.json"
    assert main(["kt", "fit", "--model", "pfa", TRAIN, "-o", str(out), "--param", "C=0.5"]) == 0
    assert "fitted pfa" in capsys.readouterr().out
    model = kt.load(out)
    assert model.C == 0.5
    assert main(["kt", "eval", "--model", str(out), TEST]) == 0
    text = capsys.readouterr().out
    for word in ("AUC", "RMSE", "accuracy", "log-loss", "n ", "skill-level"):
        assert word in text
    expected = model.evaluate(kt.read(TEST))
    assert f"{expected['auc']:.4f}" in text


def test_eval_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "elo.json"
    assert main(["kt", "fit", "--model", "elo", TRAIN, "-o", str(out), "--param", "update_items=true"]) == 0
    capsys.readouterr()
    assert main(["kt", "eval", "--model", str(out), TEST, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["model"] == "elo" and doc["n"] == kt.read(TEST).n_answers and 0.5 < doc["auc"] < 1


def test_fit_dkt_npz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dkt.npz"
    args = ["--param", "hidden_size=8", "--param", "epochs=1", "--param", "validation=0", "--param", "threads=1"]
    assert main(["kt", "fit", "--model", "dkt", TRAIN, "-o", str(out), *args]) == 0
    assert main(["kt", "eval", "--model", str(out), TEST]) == 0
    assert "AUC" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["kt", "fit", "--model", "nope", TRAIN, "-o", "{tmp}/m.json"], "unknown KT model 'nope'"),
        (["kt", "fit", "--model", "pfa", "{tmp}/missing.csv", "-o", "{tmp}/m.json"], "missing.csv: no such file"),
        (["kt", "fit", "--model", "pfa", "{tmp}/bad.csv", "-o", "{tmp}/m.json"], "bad.csv, line 3"),
        (["kt", "fit", "--model", "bkt", "{tmp}/empty.csv", "-o", "{tmp}/m.json"], "empty.csv: the file is empty"),
        (
            ["kt", "fit", "--model", "pfa", TRAIN, "-o", "{tmp}/m.json", "--param", "C=-1"],
            "pfa: parameter 'C' must be a number > 0, got -1",
        ),
        (["kt", "fit", "--model", "pfa", TRAIN, "-o", "{tmp}/m.json", "--param", "nope=1"], "unknown parameter(s) ['nope']"),
        (["kt", "eval", "--model", "{tmp}/bad.csv", TEST], "not a saved pedagogy.kt model"),
        (["kt", "eval", "--model", "{tmp}/missing.json", TEST], "missing.json: no such file"),
        (["kt", "bench", "--data-dir", "{tmp}/nowhere"], "does not exist"),
        (["kt", "bench", "--data-dir", "{tmp}/shared/data/kt", "--datasets", "nope"], "unknown dataset(s) ['nope']"),
        (["kt", "bench", "--data-dir", "{tmp}/shared/data/kt", "--models", "nope"], "unknown KT model 'nope'"),
        (["kt", "bench", "--data-dir", "{tmp}/shared/data/kt", "--param", "epochs=1"], "MODEL.KEY=VALUE"),
    ],
)
def test_errors_exit_2_with_one_line(
    argv: list[str], message: str, tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.csv").write_text("3\n1,2,3\n1,0,7\n")
    (tmp_path / "empty.csv").write_text("")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert line.startswith("pedagogy kt: error:") and message in line, line


def test_bench_on_tiny_data(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    argv = [
        "kt",
        "bench",
        "--data-dir",
        str(data_dir),
        "--models",
        "pfa,elo,irt1pl,dkt",
        "--json",
        str(out),
        "--param",
        "dkt.hidden_size=8",
        "--param",
        "dkt.epochs=1",
        "--param",
        "dkt.validation=0",
        "--param",
        "dkt.threads=1",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    for word in ("tiny*", "pfa", "elo", "irt1pl", "dkt", "AUC", "RMSE", "fit s", "skill-level", "total wall time"):
        assert word in text
    rows = json.loads(out.read_text())["rows"]
    assert [r["model"] for r in rows] == ["pfa", "elo", "irt1pl", "dkt"]
    assert all(r["dataset"] == "tiny" and 0 < r["auc"] < 1 and r["fit_s"] >= 0 for r in rows)


def test_bench_finds_data_from_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PEDAGOGY_DATA", str(data_dir.parent))  # .../shared/data: its kt/ is used
    assert find_data_dir() == data_dir
    assert main(["kt", "bench", "--models", "elo", "-q"]) == 0
    assert "tiny" in capsys.readouterr().out


def test_data_dir_found_from_a_sibling_repo(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PEDAGOGY_DATA", raising=False)
    repo = tmp_path / "repo" / "src"
    repo.mkdir(parents=True)
    assert find_data_dir(start=repo) == data_dir.resolve()
    with pytest.raises(FileNotFoundError, match="PEDAGOGY_DATA"):
        find_data_dir(start="/")  # no shared/data/kt at the root of the file system


@pytest.mark.parametrize("sub", [[], ["fit"], ["eval"], ["bench"]])
def test_help(sub: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["kt", *sub, "--help"])
    assert exc.value.code == 0
    assert "usage: pedagogy kt" in capsys.readouterr().out


@pytest.mark.parametrize("sub", ["fit", "bench"])
def test_help_lists_every_models_declared_parameters(sub: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["kt", sub, "--help"])
    text = capsys.readouterr().out
    for name in kt.models():
        assert f"\n  {name}:\n" in text, name
        for key, rule in kt.get_model(name)._parameter_constraints.items():
            assert f"    {key}=" in text and f"({rule.describe()})" in text, (name, key)
    assert "    tol=1e-06  (a number >= 0)\n" in text  # bkt's default and rule
    assert "    combine=mean  (one of 'mean', 'product')\n" in text


def test_kt_without_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kt"]) == 0
    assert "fit" in capsys.readouterr().out
