#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Guest lifecycle latency: start->running and destroy, virtqemud vs the
floor (the same QEMU command line launched directly) vs Debian's libvirtd.

For each target, N runs (default 20) of:
  * start   : virDomainCreate() of a defined diskless guest (the tiny test
              guest of tests/guest, TCG) until the call returns (QEMU
              launched, QMP negotiated, vCPUs running);
  * destroy : virDomainDestroy() until the call returns (QEMU gone).
Figures: p50, p99 (nearest rank), mean, min, max.

The floor: the command line virtqemud wrote at the top of the guest's log
(the lines after "starting up"), run directly with a fresh monitor path;
timed from spawn until QMP answered qmp_capabilities and `cont`; destroy =
SIGTERM and waitpid (what a destroy must at least do), SIGKILL variant
shown too.

libvirtd: Debian's /usr/sbin/libvirtd 9.0 is run in a private mount+network
namespace (tests/integration/harness.py's reference mode: private
/run/libvirt, /etc/libvirt, /var/{lib,cache,log}/libvirt and a private
/etc/passwd with the libvirt-qemu user), stopped by PID.  If it cannot run,
the script says so and reports the rest.

Nothing is asserted: this prints figures and ratios.
Run as root:  /usr/bin/python3 bench/bench_lifecycle.py [--runs N] [--quick]
              [--daemon PATH] [--no-libvirtd] [--json FILE]
"""

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = os.path.abspath(__file__)
REPO = os.path.dirname(os.path.dirname(SCRIPT))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests", "guest"))


def reexec_system_python():
    try:
        import libvirt  # noqa: F401
    except ImportError:
        if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON):
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
        raise


def log(msg=""):
    print(msg, flush=True)


def pct(vals, p):
    s = sorted(vals)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def summary(vals):
    return {"n": len(vals), "p50": pct(vals, 50), "p99": pct(vals, 99),
            "mean": sum(vals) / len(vals) if vals else float("nan"),
            "min": min(vals) if vals else float("nan"),
            "max": max(vals) if vals else float("nan")}


def wait_gone(pid, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.002)
    return False


# --------------------------------------------------------------------------
# daemons (ours and libvirtd) through python3-libvirt

def bench_daemon(harness, label, daemon, name, xml, runs, warmup=1):
    import libvirt
    conn = daemon.connect()
    dom = conn.defineXML(xml)
    starts, destroys = [], []
    try:
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            dom.create()
            t1 = time.perf_counter()
            state = dom.state()[0]
            if state != libvirt.VIR_DOMAIN_RUNNING:
                raise RuntimeError("%s: state %r after create" % (label, state))
            time.sleep(0.3)
            t2 = time.perf_counter()
            dom.destroy()
            t3 = time.perf_counter()
            if i >= warmup:
                starts.append(t1 - t0)
                destroys.append(t3 - t2)
            time.sleep(0.2)
        log_path = os.path.join(daemon.root, "var", "log", "libvirt", "qemu", name + ".log")
        with open(log_path, errors="replace") as f:
            qlog = f.read()
    finally:
        try:
            dom.destroy()
        except libvirt.libvirtError:
            pass
        try:
            dom.undefine()
        except libvirt.libvirtError:
            pass
        conn.close()
    return starts, destroys, qlog


# --------------------------------------------------------------------------
# the floor: the same QEMU command line, run directly

def command_from_log(qlog):
    """(env, argv) of the last 'starting up' block of a libvirt-style log."""
    lines = qlog.splitlines()
    idx = max(i for i, ln in enumerate(lines) if ": starting up " in ln)
    block = []
    for ln in lines[idx + 1:]:
        if ln.endswith(" \\"):
            block.append(ln[:-2])
        else:
            block.append(ln)
            break
    words = shlex.split(" ".join(block))
    env = {}
    while words and "=" in words[0] and not words[0].startswith("/"):
        k, v = words.pop(0).split("=", 1)
        env[k] = v
    return env, words


def qmp_until_running(path, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            break
        except OSError:
            s.close()
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("QEMU exited or no monitor (rc=%r)" % proc.poll())
            time.sleep(0.001)
    f = s.makefile("rwb")
    json.loads(f.readline())
    for cmd in ("qmp_capabilities", "cont"):
        f.write(json.dumps({"execute": cmd, "id": cmd}).encode() + b"\n")
        f.flush()
        while True:
            msg = json.loads(f.readline())
            if msg.get("id") == cmd:
                if "return" not in msg:
                    raise RuntimeError("QMP %s: %r" % (cmd, msg))
                break
    return s, f


def bench_floor(env, argv, runs, warmup=1, sig=signal.SIGTERM):
    tmp = tempfile.mkdtemp(prefix="modvirt-floor-")
    mon = os.path.join(tmp, "monitor.sock")
    argv = list(argv)
    for i, a in enumerate(argv):
        if a.startswith("socket,id=charmonitor,"):
            parts = [("path=" + mon) if p.startswith("path=") else p for p in a.split(",")]
            argv[i] = ",".join(parts)
    env = dict(env)
    for k in ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        if k in env:
            env[k] = tmp
    starts, destroys = [], []
    devnull = open(os.devnull, "wb")
    try:
        for i in range(warmup + runs):
            if os.path.exists(mon):
                os.unlink(mon)
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                 stdout=devnull, stderr=devnull)
            s, f = qmp_until_running(mon, p)
            t1 = time.perf_counter()
            time.sleep(0.3)
            t2 = time.perf_counter()
            p.send_signal(sig)
            p.wait()
            t3 = time.perf_counter()
            s.close()
            if i >= warmup:
                starts.append(t1 - t0)
                destroys.append(t3 - t2)
            time.sleep(0.2)
    finally:
        devnull.close()
        try:
            if os.path.exists(mon):
                os.unlink(mon)
            os.rmdir(tmp)
        except OSError:
            pass
    return starts, destroys


# --------------------------------------------------------------------------

def main():
    reexec_system_python()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="5 runs")
    ap.add_argument("--daemon", default=None, help="virtqemud binary")
    ap.add_argument("--no-libvirtd", action="store_true")
    ap.add_argument("--json", default=None, help="write figures here")
    a = ap.parse_args()
    runs = 5 if a.quick else a.runs
    if os.geteuid() != 0:
        log("bench_lifecycle: run as root (daemons in system mode)")
        return 1

    import harness
    import guest
    harness.quiet_libvirt()
    if a.daemon:
        harness.CONFIG["daemon"] = a.daemon
    bin_ = harness.daemon_binary()
    log("bench_lifecycle: %d runs (+1 warm-up) per target; host %s, %d CPUs, load %s"
        % (runs, os.uname().nodename, os.cpu_count(),
           " ".join("%.2f" % x for x in os.getloadavg())))
    paths = guest.build(guest.DEFAULT_OUTDIR)
    name = "bench-lc"
    xml = guest.domain_xml(name, paths["outdir"])
    results = {}

    log("\n[virtqemud] %s" % bin_)
    d = harness.Daemon()
    d.start()
    try:
        s, de, qlog = bench_daemon(harness, "virtqemud", d, name, xml, runs)
        results["virtqemud"] = {"start": summary(s), "destroy": summary(de)}
    finally:
        d.stop()
        d.cleanup()
    env, argv = command_from_log(qlog)
    log("floor command: %s ... (%d args)" % (" ".join(argv[:3]), len(argv)))

    log("[floor] the same QEMU command line, directly")
    s, de = bench_floor(env, argv, runs)
    results["floor"] = {"start": summary(s), "destroy": summary(de)}
    s2, de2 = bench_floor(env, argv, max(3, runs // 4), sig=signal.SIGKILL)
    results["floor-sigkill"] = {"start": summary(s2), "destroy": summary(de2)}

    if a.no_libvirtd:
        log("\n*** libvirtd skipped (--no-libvirtd) ***")
    elif not os.access(harness.LIBVIRTD, os.X_OK):
        log("\n*** libvirtd NOT measured: %s not installed ***" % harness.LIBVIRTD)
    else:
        log("[libvirtd] %s in a private namespace" % harness.LIBVIRTD)
        harness.CONFIG["reference"] = True
        rd = None
        try:
            import test_lifecycle    # GuestDaemon: stdio_handler=file, /var/lock
            rd = test_lifecycle.GuestDaemon(timeout=60)
            rd.start()
            # its tmpfs /var hides the guest's kernel: a copy under /tmp
            s, de, _ = bench_daemon(harness, "libvirtd", rd, name,
                                    test_lifecycle.guest_xml(name), runs)
            results["libvirtd"] = {"start": summary(s), "destroy": summary(de)}
        except Exception as e:  # noqa: BLE001
            log("\n*** libvirtd NOT measured: %s ***" % str(e).splitlines()[0])
            if rd is not None:
                log(rd.log_tail(20))
        finally:
            harness.CONFIG["reference"] = False
            if rd is not None:
                rd.stop()
                rd.cleanup()

    log("\n%-16s %-8s %9s %9s %9s %9s %9s" % ("target", "op", "p50 ms", "p99 ms",
                                             "mean ms", "min ms", "max ms"))
    for tgt in ("virtqemud", "floor", "floor-sigkill", "libvirtd"):
        if tgt not in results:
            continue
        for op in ("start", "destroy"):
            r = results[tgt][op]
            log("%-16s %-8s %9.1f %9.1f %9.1f %9.1f %9.1f" % (
                tgt, op, r["p50"] * 1e3, r["p99"] * 1e3, r["mean"] * 1e3,
                r["min"] * 1e3, r["max"] * 1e3))
    log("\nratios (p50 / p99; lower is better for virtqemud):")
    for other in ("floor", "libvirtd"):
        if other not in results:
            continue
        for op in ("start", "destroy"):
            o, b = results["virtqemud"][op], results[other][op]
            log("  virtqemud/%-9s %-8s %6.2fx / %6.2fx" % (
                other, op, o["p50"] / b["p50"], o["p99"] / b["p99"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"runs": runs, "results": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
