"""Where llama.cpp's converter comes from: `convert_hf_to_gguf.py`, its `conversion/` package
and `gguf-py`, as shipped in llama-cpp-python's source distribution.

Resolution order: `$HARNESS_LLAMACPP_SRC` (a llama.cpp checkout, or any folder holding
`convert_hf_to_gguf.py`, `conversion/` and `gguf-py/`); else the copy unpacked in the user
cache (`<cache root>/llama.cpp-<version>/`); else, once, `pip download` of the sdist of the
installed llama-cpp-python version (or `DEFAULT_VERSION`), of which only those parts are
unpacked into the cache. Nothing in them is edited (see `driver.py` for the one runtime hook).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

from harness.errors import HarnessError
from harness.paths import cache_root

DEFAULT_VERSION = "0.3.36"
SCRIPT = "convert_hf_to_gguf.py"
PARTS = (SCRIPT, "conversion/", "gguf-py/")
ENV = "HARNESS_LLAMACPP_SRC"


def llama_cpp_version() -> str:
    """The installed llama-cpp-python's version (the converter then matches the runtime)."""
    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        return DEFAULT_VERSION


def is_source(folder: Path) -> bool:
    return ((folder / SCRIPT).is_file() and (folder / "conversion").is_dir()
            and (folder / "gguf-py").is_dir())


def cached_source(version: str | None = None) -> Path:
    return cache_root() / f"llama.cpp-{version or llama_cpp_version()}"


def converter_source(version: str | None = None, log: bool = True) -> Path:
    """The folder holding llama.cpp's converter, fetched into the cache on first use."""
    if os.environ.get(ENV):
        folder = Path(os.environ[ENV]).expanduser()
        if not is_source(folder):
            raise HarnessError(f"${ENV}={folder}: not a llama.cpp source folder (expected "
                               f"{SCRIPT}, conversion/ and gguf-py/ in it)")
        return folder
    version = version or llama_cpp_version()
    folder = cached_source(version)
    if is_source(folder):
        return folder
    if log:
        print(f"fetching llama.cpp's converter (llama-cpp-python {version} sdist) into "
              f"{folder} (once)", file=sys.stderr)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        archive = _download(version, Path(tmp))
        staged = Path(tmp) / "src"
        _unpack(archive, staged)
        if not is_source(staged):
            raise HarnessError(f"llama-cpp-python {version} sdist holds no {SCRIPT}; set "
                               f"${ENV} to a llama.cpp checkout")
        if not is_source(folder):  # another process may have finished first
            shutil.rmtree(folder, ignore_errors=True)
            staged.rename(folder)
    return folder


def _download(version: str, into: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               "--no-binary", ":all:", "--dest", str(into),
               f"llama-cpp-python=={version}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    archives = sorted(into.glob("llama_cpp_python-*.tar.gz"))
    if done.returncode != 0 or not archives:
        reason = (done.stderr.strip().splitlines() or ["no archive"])[-1][:200]
        raise HarnessError(f"cannot download llama-cpp-python {version}'s source with pip "
                           f"({reason}); set ${ENV} to a llama.cpp checkout instead")
    return archives[0]


def _unpack(archive: Path, into: Path) -> None:
    """Only the converter's parts of `…/vendor/llama.cpp/`, nothing outside `into`."""
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            _, _, rest = member.name.partition("/vendor/llama.cpp/")
            if not rest or not rest.startswith(PARTS) or not (member.isfile() or member.isdir()):
                continue
            member.name = rest
            tar.extract(member, into, filter="data")
