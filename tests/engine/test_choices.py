"""Choices made by timing are kept per machine: the first one made for a key is the one
every later (or concurrent) chooser on the machine reads back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.engine import native
from harness.engine.choices import Choices
from tests.conftest import ROOT


def test_the_first_choice_is_kept_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "choices.json"
    first = Choices(path)
    assert first.settle("k", lambda: "a") == "a" and first.timed == ["k"]
    assert first.settle("k", lambda: "b") == "a"  # this object remembers it
    second = Choices(path)
    assert second.settle("k", lambda: pytest.fail("timed again")) == "a"
    assert second.settle("other", lambda: "b") == "b" and second.timed == ["other"]
    assert json.loads(path.read_text()) == {"k": "a", "other": "b"}
    assert first.settle("other", lambda: "c") == "b"  # chosen elsewhere meanwhile: read back


def test_a_kept_choice_that_can_no_longer_run_is_made_again(tmp_path: Path) -> None:
    path = tmp_path / "choices.json"
    Choices(path).settle("k", lambda: "gone")
    again = Choices(path)
    assert again.settle("k", lambda: "here", valid=lambda name: name != "gone") == "here"
    assert json.loads(path.read_text()) == {"k": "here"}


@pytest.mark.parametrize("text", ["{cut sh", "[1, 2]", '{"k": 3}'])
def test_an_unreadable_file_is_chosen_again_and_rewritten(tmp_path: Path, text: str) -> None:
    path = tmp_path / "choices.json"
    path.write_text(text)
    assert Choices(path).settle("k", lambda: "a") == "a"
    assert json.loads(path.read_text()) == {"k": "a"}


def test_a_folder_it_cannot_write_keeps_choices_in_the_process(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")  # a file where the folder should be
    choices = Choices(blocked / "kernels" / "choices.json")
    assert choices.settle("k", lambda: "a") == "a" and choices.settle("k", lambda: "b") == "a"


def test_the_machine_file_is_in_the_kernels_folder_named_for_the_machine() -> None:
    path = Choices.for_machine().path
    assert path is not None and path.parent == native.kernels_dir()
    assert path.name == f"choices-{native.machine_key()}.json"


RACER = """
import sys, time
from pathlib import Path
from harness.engine.choices import Choices
path, me = Path(sys.argv[1]), sys.argv[2]
def choose():
    time.sleep(0.2)  # the others ask meanwhile
    return me
print(Choices(path).settle("k", choose))
"""


def test_processes_asking_at_once_all_run_one_choice(tmp_path: Path) -> None:
    path = tmp_path / "choices.json"
    procs = [subprocess.Popen([sys.executable, "-c", RACER, str(path), f"p{i}"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for i in range(4)]
    answers = [proc.communicate(timeout=120)[0].strip() for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    assert len(set(answers)) == 1 and answers[0] in {f"p{i}" for i in range(4)}
    assert json.loads(path.read_text()) == {"k": answers[0]}
