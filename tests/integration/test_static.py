"""`make static`: the binary runs in an empty root file system (FROM scratch):
no dynamic loader, no libc files, no NSS. And `make`'s build/sexton needs
nothing but the C library: it can be copied into any glibc image."""
import os
import pathlib
import shutil
import subprocess

import pytest

from conftest import ROOT

STATIC = pathlib.Path(os.environ.get("SEXTON_STATIC", ROOT / "build" / "sexton-static"))
STATIC_CTL = ROOT / "build" / "sextonctl-static"


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


def test_static_sextonctl_talks_to_static_sexton_in_empty_root(tmp_path):
    """What a FROM scratch image holds: the two static binaries and a /run.
    sexton, PID 1, runs sextonctl as its main command against its own
    control socket and passes its exit status through."""
    assert STATIC_CTL.exists(), "make check builds build/sextonctl-static"
    root = tmp_path / "root"
    (root / "run").mkdir(parents=True)
    shutil.copy(STATIC, root / "sexton")
    shutil.copy(STATIC_CTL, root / "sextonctl")
    p = subprocess.run(["unshare", "--pid", "--fork", "--kill-child", "--root", str(root),
                        "/sexton", "--", "/sextonctl", "--json", "status"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == '{"services":[]}', p.stdout
    assert p.stderr == "", p.stderr


def test_static_binary_has_no_nss():
    """glibc's NSS (getpwnam, glob's ~user) in a static binary needs the
    shared NSS modules at run time and ~300 kB of loader code: sexton reads
    /etc/passwd itself and must never link it."""
    for binary in (STATIC, STATIC_CTL):
        data = binary.read_bytes()
        assert b"nsswitch.conf" not in data, binary
        assert b"libnss_" not in data, binary


def test_static_binary_size_guard():
    """The issue's target is 800 kB; the musl build is ~220 kB (README). A
    jump past 400 kB means it was linked with glibc again (its static floor
    alone is 683 kB) or a heavy piece of the C library came in."""
    assert STATIC.stat().st_size <= 400 * 1024


def test_dynamic_build_needs_only_the_c_library(tmp_path):
    """build/sexton links libev and libinih from their archives (README,
    "Dependencies"): in a root holding only glibc's loader and libc.so.6 it
    runs, as PID 1, and passes its main command's status through."""
    binary = ROOT / "build" / "sexton"
    libs = ["/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"]
    if not all(os.path.exists(p) for p in libs):
        pytest.skip("not an x86-64 glibc machine")
    root = tmp_path / "root"
    for lib in libs:
        (root / lib[1:]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(lib, root / lib[1:])
    shutil.copy(binary, root / "sexton")
    p = subprocess.run(["unshare", "--pid", "--fork", "--kill-child", "--root", str(root),
                        "/sexton", "--", "/sexton", "--version"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("sexton "), p.stdout
