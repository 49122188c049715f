"""The seed of a batch (checker/cases.py): a secret one from $TORCHREF_SEED is never printed, written or encoded in a
case id, its cases replay with the same variable, and a table built from any number a report shows cannot pass."""

import json
import re

import numpy as np
from classroom import EXAMPLES

from torchref import cli
from torchref.checker import check
from torchref.checker.cases import SEED_ENV, SecretSeed, draw_cases, fresh_seed, recorded_seed
from torchref.registry import DTYPES, REGISTRY

SECRET = 918273645  # nine digits: long enough to be masked where a file prints it
SHALLOW = (EXAMPLES / "shallow_derivation.py").read_text()
WRONG = SHALLOW.replace("dZ1 = dA1 * (1 - A1**2)", "dZ1 = dA1 * (1 - A1)", 1)


def _numbers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\d+", text)}


def test_a_seed_from_the_environment_is_secret_and_its_case_ids_number_the_cases(monkeypatch):
    monkeypatch.setenv(SEED_ENV, str(SECRET))
    seed = fresh_seed()
    assert isinstance(seed, SecretSeed) and str(SECRET) not in repr(seed)
    pair = REGISTRY["shallow"]
    drawn, again = draw_cases(pair, DTYPES, 6, seed), draw_cases(pair, DTYPES, 6, fresh_seed())
    ids = [s.id for s in drawn]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"m\d+-n\d+-h\d+-float(32|64)-case\d+", i) for i in ids)
    assert [s.id for s in again] == ids  # the same variable replays the same cases
    assert all(
        np.array_equal(a.X, b.X) and np.array_equal(a.params["W1"], b.params["W1"]) for a, b in zip(drawn, again)
    )
    # neither the secret nor any number an id shows draws them: a table built from either answers other cases
    for guess in {SECRET} | {n for i in ids for n in _numbers(i)}:
        guessed = draw_cases(pair, DTYPES, 6, guess)
        assert not any(np.array_equal(a.X, b.X) for a, b in zip(drawn, guessed) if a.X.shape == b.X.shape), guess


def test_a_given_seed_is_named_and_a_secret_one_is_recorded_by_a_fingerprint(monkeypatch):
    pair = REGISTRY["shallow"]
    assert all(s.id.endswith(f"-seed{s.seed}") for s in draw_cases(pair, DTYPES, 4, 7))
    assert recorded_seed(7) == 7
    said = recorded_seed(SecretSeed(SECRET))
    assert re.fullmatch(r"secret [0-9a-f]{16}", said) and said == recorded_seed(SecretSeed(SECRET))
    assert said != recorded_seed(SecretSeed(SECRET + 1))


def test_no_report_of_a_secret_seed_holds_it(tmp_path, monkeypatch, capsys):
    """A wrong file judged with $TORCHREF_SEED: the table, the JSON and the class report say the seed is secret,
    name no number that is it, and the verdict and the first wrong link stay."""
    (tmp_path / "amy").mkdir()
    (tmp_path / "amy" / "hw3.py").write_text(WRONG)
    monkeypatch.setenv(SEED_ENV, str(SECRET))
    out = tmp_path / "out"
    common = ["--model", "shallow", "--cases", "4", "--quiet"]
    assert cli.main(["check", str(tmp_path / "amy" / "hw3.py"), *common, "--json", str(out) + ".json"]) == 1
    table = capsys.readouterr().out
    assert "seed: secret, from $TORCHREF_SEED: rerun with the same variable to replay" in table
    assert "first wrong link: dZ1" in table
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["seed"] is None and document["seed_secret"] is True and document["first_wrong"] == "dZ1"
    folder = ["check", str(tmp_path), "--recursive", *common, "--html", str(out), "--gradescope", str(out) + ".gs"]
    assert cli.main(folder) == 1
    summary = capsys.readouterr().out
    assert "(seed secret," in summary
    pages = "\n".join(p.read_text() for p in out.rglob("*.html")) + (tmp_path / "out.gs").read_text()
    assert "seed: secret" in pages
    for text in (table, json.dumps(document), summary, pages):
        assert SECRET not in _numbers(text) and "seed" + str(SECRET) not in text


def test_a_seed_on_the_command_line_is_not_secret_and_stays_named(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(SEED_ENV, str(SECRET))  # --seed wins over the variable, and is printed: a replay needs it
    (tmp_path / "hw3.py").write_text(WRONG)
    assert cli.main(["check", str(tmp_path / "hw3.py"), "--model", "shallow", "--cases", "4", "--seed", "7"]) == 1
    table = capsys.readouterr().out
    assert "seed 7 (--seed 7 replays these cases)" in table and "-seed7" in table


def test_a_secret_the_file_prints_is_masked(tmp_path, monkeypatch):
    """However a file came to know the secret (a process of the judge's uid that holds it, under basic), the digits
    it prints are masked in the report; a number of its own stays."""
    monkeypatch.setenv(SEED_ENV, str(SECRET))
    digits = list(str(SECRET))  # the source does not hold the number as one literal
    source = f"print('found', ''.join({digits!r}), 'and', 12345)\n" + SHALLOW
    (tmp_path / "hw3.py").write_text(source)
    report = check(tmp_path / "hw3.py", "shallow", cases=4)
    assert report.verdict == "pass" and report.seed is None and report.seed_secret
    assert report.stdout == "found [secret] and 12345"
