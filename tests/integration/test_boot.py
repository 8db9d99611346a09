"""sexton as the init of a machine, for real: Debian's kernel booted in QEMU
(software emulation: no KVM here) from an initramfs whose /sbin/sexton is
the binary under test, started by the kernel as PID 1 of the machine's own
PID namespace (rdinit=). Where test_system.py sees reboot(2) end a PID
namespace, here it ends the machine: the kernel's "reboot: Power down",
"Restarting system" or "System halted" on the serial console is the
verdict, with sexton's own lines before it. About 2 s per boot.

busybox (busybox-static) gives the guest its shell and its reboot,
poweroff and halt, which signal PID 1 (TERM, USR2, USR1) as for busybox
init. The kernel comes from build/vm/vmlinuz (scripts/fetch-kernel)."""
import os
import pathlib
import re
import shutil
import socket
import stat
import subprocess
import time

import pytest

from conftest import ROOT, SEXTON, wait_for

SEXTONCTL = os.environ.get("SEXTONCTL_BIN", str(pathlib.Path(SEXTON).parent / "sextonctl"))
KERNEL = ROOT / "build" / "vm" / "vmlinuz"
QEMU = "qemu-system-x86_64"
BUSYBOX = "/bin/busybox"
POWER_DOWN = "reboot: Power down"
RESTART = "reboot: Restarting system"
HALTED = "reboot: System halted"

CONF = """[sexton]
stop_timeout = 2
kill_timeout = 1

[system]
hostname = sexton-vm
mounts = proc:/proc:proc sysfs:/sys:sysfs devtmpfs:/dev:devtmpfs tmpfs:/run:tmpfs
ctrl_alt_del = {cad}

[service:hello]
type = oneshot
command = /bin/sh -c "echo hello from $(hostname) as $$; grep -c ' /run tmpfs ' /proc/mounts"

[service:getty]
command = /bin/sh -c "trap 'echo getty stopped; exit 0' TERM; while :; do sleep 1; done"
restart = always

{last}
"""


def libraries(binary):
    """The shared objects BINARY loads (none for a static one), from ldd."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    return re.findall(r"(/\S+) \(0x", out)


def initramfs(tmp_path, conf):
    """An initramfs: the binaries under test with what they load, busybox,
    /dev/console (the kernel opens it for PID 1 before any devtmpfs is
    there), the configuration."""
    root = tmp_path / "root"
    for d in ("sbin", "bin", "etc/sexton", "dev", "proc", "sys", "run", "tmp"):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy(SEXTON, root / "sbin/sexton")
    shutil.copy(SEXTONCTL, root / "sbin/sextonctl")
    shutil.copy(BUSYBOX, root / "bin/busybox")
    for applet in ("sh", "sleep", "hostname", "grep", "reboot", "poweroff", "halt", "getty",
                   "syslogd", "ps"):
        (root / "bin" / applet).symlink_to("busybox")
    for lib in set(libraries(SEXTON) + libraries(SEXTONCTL)):
        dest = root / lib.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(lib, dest)
    os.mknod(root / "dev/console", 0o600 | stat.S_IFCHR, os.makedev(5, 1))
    (root / "etc/sexton/sexton.conf").write_text(conf)
    image = tmp_path / "initrd.gz"
    subprocess.run("find . | cpio -o -H newc --quiet | gzip -1 > " + str(image),
                   shell=True, check=True, cwd=root)
    return image


class Machine:
    """One QEMU guest booting the initramfs; its serial console in a file."""

    def __init__(self, tmp_path, conf):
        if shutil.which(QEMU) is None or not KERNEL.exists():
            pytest.fail(f"{QEMU} or {KERNEL} missing: `make check` installs and fetches them")
        image = initramfs(tmp_path, conf)
        self.console_path = tmp_path / "console"
        self.monitor = tmp_path / "monitor.sock"
        # ASan reserves terabytes of shadow; its runtime needs more memory.
        argv = [QEMU, "-m", "512", "-smp", "1", "-nographic", "-no-reboot",
                "-kernel", str(KERNEL), "-initrd", str(image),
                "-append", "console=ttyS0 rdinit=/sbin/sexton panic=-1 quiet",
                "-monitor", f"unix:{self.monitor},server,nowait"]
        self.started = time.monotonic()
        with open(self.console_path, "wb") as out:  # stdin: the serial line's input
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out,
                                         stderr=subprocess.STDOUT)

    def type(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def console(self):
        """The serial console's text, without the firmware's terminal escapes."""
        text = self.console_path.read_bytes().decode(errors="replace").replace("\r", "")
        return re.sub(r"\x1b(\[[0-9;?]*[A-Za-z]|c)", "", text)

    def wait_console(self, text, timeout=60):
        return wait_for(lambda: text in self.console(), timeout,
                        what=lambda: f"console {text!r}\n--- console:\n{self.console()}")

    def sendkey(self, keys):
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(self.monitor))
        s.sendall(f"sendkey {keys}\n".encode())
        time.sleep(0.2)
        s.close()

    def wait(self, timeout=60):
        """QEMU's exit (after a poweroff, or a reboot: -no-reboot)."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("the guest did not end\n--- console:\n" + self.console())
        self.elapsed = time.monotonic() - self.started
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def sexton_lines(self):
        text = self.console()
        assert "Sanitizer" not in text and "runtime error:" not in text, text
        assert "Kernel panic" not in text, text  # PID 1 exited
        # The first may share its line with the firmware's last words.
        return [l[l.index("sexton: "):] for l in text.splitlines() if "sexton: " in l]


@pytest.fixture
def machine(tmp_path):
    machines = []

    def boot(cad="reboot", last="", conf=None):
        m = Machine(tmp_path, conf or CONF.format(cad=cad, last=last))
        machines.append(m)
        return m

    yield boot
    for m in machines:
        m.kill()


def boots_and_stops(m, why, action):
    """What every boot must show, from the first line to the last."""
    log = "\n".join(m.sexton_lines())
    console = m.console()
    assert "sexton: system mode: 4 file system(s) mounted, 0 already, 0 failed; " \
           "hostname sexton-vm" in log, console
    assert "hello from sexton-vm as " in console
    assert re.search(r"^1$", console, re.M)  # /run is a tmpfs: the control socket's place
    assert f"sexton: {why}: stopping everything, then {action}" in log, console
    assert "getty stopped" in console  # the services stopped before the end
    # the machine's end: every mount unmounted, / made read-only
    assert f"sexton: system: 4 file system(s) unmounted, 1 made read-only: {action}" in log, \
        console
    assert console.index("getty stopped") < console.index("sexton: system: 4 file")


@pytest.mark.parametrize("applet,why,action,verdict", [
    ("poweroff", "SIGUSR2", "poweroff", POWER_DOWN),
    ("reboot", "SIGTERM", "reboot", RESTART),
], ids=["poweroff", "reboot"])
def test_busybox_poweroff_and_reboot_end_the_machine(machine, applet, why, action, verdict):
    m = machine(last=f"[service:{applet}]\ndepends = hello\ntype = oneshot\n"
                     f"command = /bin/sh -c 'sleep 0.5; {applet}'\n")
    assert m.wait() == 0
    boots_and_stops(m, why, action)
    assert verdict in m.console()


def test_busybox_halt_halts(machine):
    m = machine(last="[service:halt]\ndepends = hello\ntype = oneshot\n"
                     "command = /bin/sh -c 'sleep 0.5; halt'\n")
    m.wait_console(HALTED)  # a halted guest stays, stopped
    boots_and_stops(m, "SIGUSR1", "halt")


def test_sextonctl_poweroff_over_the_socket_on_run(machine):
    m = machine(last="[service:ctl]\ndepends = hello\ntype = oneshot\n"
                     "command = /bin/sh -c 'sleep 0.5; exec /sbin/sextonctl poweroff'\n")
    assert m.wait() == 0
    boots_and_stops(m, "sextonctl poweroff", "poweroff")
    assert POWER_DOWN in m.console()


def test_ctrl_alt_del_reaches_sexton_not_the_kernel(machine):
    """Without reboot(RB_DISABLE_CAD) the kernel would restart at once, with
    no service stopped; with it, the keys are a SIGINT for sexton, which
    does ctrl_alt_del (here: poweroff, not the kernel's restart)."""
    m = machine(cad="poweroff")
    m.wait_console("sexton: service hello: done")
    m.sendkey("ctrl-alt-delete")
    assert m.wait() == 0
    boots_and_stops(m, "SIGINT", "poweroff")
    assert POWER_DOWN in m.console() and RESTART not in m.console()


def test_the_demo_machine_gives_a_shell_on_its_console(machine):
    """conf/machine.conf, what `make run-machine` boots: a boot task, a
    daemon and a getty whose shell answers on the serial line; sextonctl
    from that shell, then busybox's poweroff typed there."""
    m = machine(conf=(ROOT / "conf" / "machine.conf").read_text())
    m.wait_console("Welcome to sexton-vm, PID 1 is sexton.")
    m.wait_console("/ # ")
    m.type("sextonctl status")
    m.wait_console("getty    running")
    assert re.search(r"^syslogd +running +\d+ ", m.console(), re.M), m.console()
    assert re.search(r"^motd +done ", m.console(), re.M), m.console()
    m.type("poweroff")
    assert m.wait() == 0
    log = "\n".join(m.sexton_lines())
    assert "sexton: SIGUSR2: stopping everything, then poweroff" in log
    assert "SIGKILL" not in log  # the shell left on the getty's SIGHUP, as on a hangup
    assert "sexton: system: 5 file system(s) unmounted, 1 made read-only: poweroff" in log
    assert POWER_DOWN in m.console()
