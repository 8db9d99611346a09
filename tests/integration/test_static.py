"""`make static`: the binary runs in an empty root file system (FROM scratch):
no dynamic loader, no libc files, no NSS."""
import os
import pathlib
import shutil
import subprocess

from conftest import ROOT

STATIC = pathlib.Path(os.environ.get("SEXTON_STATIC", ROOT / "build" / "sexton-static"))


def test_static_binary_runs_in_empty_root(tmp_path):
    assert STATIC.exists(), "make check builds build/sexton-static"
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(STATIC, root / "sexton")
    # sexton as PID 1 in the empty root runs itself as the main child.
    p = subprocess.run(["unshare", "--pid", "--fork", "--kill-child", "--root", str(root),
                        "/sexton", "--", "/sexton", "--version"], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("sexton ")
    p = subprocess.run(["unshare", "--pid", "--fork", "--kill-child", "--root", str(root),
                        "/sexton", "--", "/bin/sh"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 127
    assert "cannot run '/bin/sh': No such file or directory" in p.stderr


def test_static_binary_is_small():
    assert STATIC.stat().st_size <= 800 * 1024
