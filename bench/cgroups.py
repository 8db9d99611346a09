"""A cpu cgroup of one's own, for bench/run.py's container-like signal rows
and for the integration test of the yield after forwarding
(tests/integration/test_signals.py). Standard library only."""
import os
import time


def cpu_cgroup(prefix="sexton-bench"):
    """A cpu cgroup for an init and its child, as Docker and Kubernetes
    make one for every container (cgroup v1's cpu hierarchy, or v2 with the
    cpu controller). The kernel's autogroup scheduling, which makes every
    new session a scheduling group of its own, applies only to tasks in the
    root cgroup: inside this one a session costs nothing. The directory, or
    None when there is no cpu controller to use."""
    name = f"{prefix}-{os.getpid()}"
    v1 = "/sys/fs/cgroup/cpu"
    if os.path.isfile(os.path.join(v1, "cpu.shares")):
        path = os.path.join(v1, name)
    else:
        root = "/sys/fs/cgroup"
        try:
            with open(os.path.join(root, "cgroup.controllers")) as f:
                if "cpu" not in f.read().split():
                    return None
            with open(os.path.join(root, "cgroup.subtree_control"), "w") as f:
                f.write("+cpu")
        except OSError:
            return None
        path = os.path.join(root, name)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    return path


def remove_cgroup(path, timeout=5.0):
    """rmdir once the last task has left (a killed namespace takes a
    moment). False if it was still busy after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(path)
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
