"""Start-up: `harness --version` imports no command module (and no torch), and Ctrl-C while
the commands import is one line with exit status 130, not a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.conftest import ROOT

ENTRY = "from harness.cli.entry import main; main()"


def test_version_imports_nothing_heavy() -> None:
    code = ("import sys; sys.argv = ['harness', '--version']\n"
            "from harness.cli import entry\n"
            "try:\n    entry.main()\nexcept SystemExit as done:\n    assert done.code == 0\n"
            "print(sorted(m for m in ('torch', 'transformers', 'numpy', 'pydantic', "
            "'harness.cli.main') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.splitlines() == [out.stdout.splitlines()[0], "[]"]
    assert out.stdout.startswith("fact-harness ")


def test_ctrl_c_while_the_commands_import_is_one_line() -> None:
    process = subprocess.Popen([sys.executable, "-c", ENTRY, "tasks", "list"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    time.sleep(0.15)  # Python is up (its SIGINT handler installed), the imports are not done
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("error: interrupt")
