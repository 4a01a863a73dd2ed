#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Domain-configuration benchmark: modvirt's virtqemud vs Debian's libvirtd.

Drives a daemon with python3-libvirt (the real 9.0 client library) and
measures:

  * RPC round trips/s on one connection (conn.getLibVersion() in a loop),
    and aggregated over 8 and 64 parallel clients (one process and one
    connection per client, so the GIL does not serialise them);
  * defineXML of N domains (default 5000), listAllDomains, lookupByName of
    all, XMLDesc of all, undefine of all -- each timed, rates printed;
  * the daemon's RSS (VmRSS from /proc/PID/status) idle after start, with N
    domains defined, after undefining them all, and its peak (VmHWM).

When Debian's libvirtd is installed, the same workload runs against it in
the same invocation and ratios ours/libvirtd are printed per metric.
libvirtd cannot be relocated, so the script re-executes itself under
`unshare -m --propagation private` and mounts private directories over
/run, /etc/libvirt, /var/lib/libvirt, /var/cache/libvirt and
/var/log/libvirt (via an overlay on /var): nothing of the host's libvirt
state is read or written.

This is a benchmark, not a test: nothing is asserted about timings.
Only the standard library and the libvirt module are used; run it with
Debian's /usr/bin/python3 (it re-executes itself with it otherwise).
See bench/README.md.
"""

import argparse
import ctypes
import json
import multiprocessing
import os
import platform
import pwd
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SYSTEM_PYTHON = "/usr/bin/python3"
ENV_REEXEC = "MODVIRT_BENCH_REEXEC"      # set once we re-ran under /usr/bin/python3
ENV_IN_NS = "MODVIRT_BENCH_IN_NS"        # set inside the private mount namespace
ENV_BASE = "MODVIRT_BENCH_BASE"          # scratch directory made by the outer process
ENV_OUTER_NS = "MODVIRT_BENCH_OUTER_NS"  # the outer process's mount namespace
SCRIPT = os.path.abspath(__file__)
REPO = os.path.dirname(os.path.dirname(SCRIPT))

libvirt = None  # imported in main(), after making sure we run the system python


# --------------------------------------------------------------------------
# small helpers

def log(msg=""):
    print(msg, flush=True)


def loud(msg):
    bar = "!" * 78
    print("\n%s\n!!! %s\n%s\n" % (bar, msg.replace("\n", "\n!!! "), bar),
          file=sys.stderr, flush=True)


def read_status_kb(pid, field):
    """VmRSS / VmHWM of a process in KiB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def tail(path, n=25):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return "(cannot read %s: %s)" % (path, e)


def set_pdeathsig():
    """preexec_fn: the daemon gets SIGKILL if this benchmark dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass
    os.setsid()


def quiet_libvirt_errors():
    # python3-libvirt prints every error to stderr by default
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


def err_text(e):
    s = str(e).strip().replace("\n", " ")
    return s[:300]


# --------------------------------------------------------------------------
# the workload (runs in a child process so a hung daemon cannot hang us)

DOMAIN_XML = """<domain type='{dtype}'>
  <name>{name}</name>
  <title>modvirt bench domain {index}</title>
  <description>defined by bench_domain_config.py</description>
  <memory unit='MiB'>1024</memory>
  <currentMemory unit='MiB'>1024</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
{cpu}  <clock offset='utc'>
    <timer name='rtc' tickpolicy='catchup'/>
    <timer name='pit' tickpolicy='delay'/>
    <timer name='hpet' present='no'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/{name}.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <input type='tablet' bus='usb'/>
    <graphics type='vnc' port='-1' autoport='yes'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <video>
      <model type='virtio' heads='1' primary='yes'/>
    </video>
    <memballoon model='virtio'/>
    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
    </rng>
  </devices>
</domain>
"""


def domain_xml(template, dtype, index):
    name = "bench-%05d" % index
    cpu = "  <cpu mode='host-passthrough' check='none' migratable='on'/>\n" \
        if dtype == "kvm" else ""
    return name, template.format(dtype=dtype, name=name, index=index, cpu=cpu)


def _rtt_client(uri, seconds, barrier, results):
    """One parallel client: own process, own connection."""
    try:
        _rtt_client_run(uri, seconds, barrier, results)
    except KeyboardInterrupt:
        pass


def _rtt_client_run(uri, seconds, barrier, results):
    import libvirt as lv
    lv.registerErrorHandler(lambda _c, _e: None, None)
    calls, elapsed, error = 0, 0.0, None
    conn = None
    try:
        conn = lv.open(uri)
    except Exception as e:  # noqa: BLE001 - report whatever went wrong
        error = "connect: " + err_text(e)
    try:
        barrier.wait(timeout=120)
    except Exception:
        error = error or "barrier broken"
    if conn is not None and error is None:
        t0 = time.monotonic()
        end = t0 + seconds
        try:
            while True:
                conn.getLibVersion()
                calls += 1
                if time.monotonic() >= end:
                    break
        except Exception as e:  # noqa: BLE001
            error = "getLibVersion: " + err_text(e)
        elapsed = time.monotonic() - t0
    if conn is not None:
        try:
            conn.close()
        except Exception:
            pass
    results.put((calls, elapsed, error))


def _parallel_rtt(ctx, uri, nclients, seconds):
    barrier = ctx.Barrier(nclients + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_rtt_client, args=(uri, seconds, barrier, results),
                         daemon=True) for _ in range(nclients)]
    for p in procs:
        p.start()
    barrier.wait(timeout=180)       # every client is connected
    out = []
    for _ in procs:
        out.append(results.get(timeout=seconds + 120))
    for p in procs:
        p.join(timeout=30)
    errors = [e for _, _, e in out if e]
    rate = sum(c / el for c, el, e in out if el > 0)
    return rate, sum(c for c, _, _ in out), errors


def workload(uri, pid, t_spawn, cfg, out):
    """Runs every phase against one daemon, reporting as it goes.

    Messages on `out`: ("phase", name), ("metric", key, value),
    ("error", phase, text), ("done",).
    """
    try:
        _workload(uri, pid, t_spawn, cfg, out)
    except KeyboardInterrupt:
        pass


def _workload(uri, pid, t_spawn, cfg, out):
    import libvirt as lv
    global libvirt
    libvirt = lv
    quiet_libvirt_errors()
    # parallel clients fork from a clean fork server with libvirt preloaded:
    # much cheaper than spawning 64 fresh interpreters, and no connection or
    # libvirt thread of this process is inherited
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["libvirt"])

    def metric(k, v):
        out.put(("metric", k, v))

    def phase(name):
        out.put(("phase", name))

    def error(ph, text):
        out.put(("error", ph, text))

    # -- start-up: first successful round trip
    phase("startup")
    conn, last = None, None
    deadline = time.monotonic() + cfg["startup_timeout"]
    while time.monotonic() < deadline:
        try:
            conn = lv.open(cfg["uri"])
            # ready = the hypervisor driver answers (libvirtd probes QEMU's
            # capabilities before it can answer getVersion)
            conn.getVersion()
            break
        except lv.libvirtError as e:
            last = err_text(e)
            if conn is not None:
                try:
                    conn.close()
                except Exception:
                    pass
            conn = None
            time.sleep(0.05)
    if conn is None:
        error("startup", "no successful connection within %ds: %s"
              % (cfg["startup_timeout"], last))
        out.put(("done",))
        return
    metric("ready_s", time.monotonic() - t_spawn)
    try:
        metric("lib_version", conn.getLibVersion())
        metric("hv_version", conn.getVersion())
    except lv.libvirtError as e:
        error("startup", "getVersion: " + err_text(e))
    # warm-up: one define + undefine, untimed, so that the QEMU capability
    # probe (done lazily by either daemon) is not charged to a later phase
    try:
        t0 = time.monotonic()
        name, xml = domain_xml(cfg["template"], cfg["dtype"], 99999)
        xml = xml.replace(name, "bench-warmup")
        conn.defineXML(xml).undefine()
        metric("first_define_s", time.monotonic() - t0)
        metric("startup_s", time.monotonic() - t_spawn)
    except lv.libvirtError as e:
        error("startup", "warm-up define: " + err_text(e))

    time.sleep(1.0)
    metric("rss_idle_kb", read_status_kb(pid, "VmRSS"))

    # -- round trips, one connection
    phase("rtt_1")
    lat = []
    try:
        t0 = time.monotonic()
        end = t0 + cfg["rtt_seconds"]
        now = t0
        while now < end:
            conn.getLibVersion()
            t = time.monotonic()
            lat.append(t - now)
            now = t
        el = now - t0
        metric("rtt1_calls_per_s", len(lat) / el)
        lat.sort()
        metric("rtt1_p50_us", lat[len(lat) // 2] * 1e6)
        metric("rtt1_p99_us", lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e6)
    except lv.libvirtError as e:
        error("rtt_1", err_text(e))

    # -- round trips, parallel clients
    for n in cfg["parallel"]:
        phase("rtt_%d" % n)
        try:
            rate, calls, errors = _parallel_rtt(ctx, cfg["uri"], n, cfg["rtt_seconds"])
            metric("rtt%d_calls_per_s" % n, rate)
            if errors:
                error("rtt_%d" % n, "%d of %d clients failed, e.g. %s"
                      % (len(errors), n, errors[0]))
        except Exception as e:  # noqa: BLE001
            error("rtt_%d" % n, "%s: %s" % (type(e).__name__, err_text(e)))

    # -- define N domains
    N = cfg["domains"]
    phase("define")
    names = []
    xmls = [domain_xml(cfg["template"], cfg["dtype"], i) for i in range(N)]
    t0 = time.monotonic()
    fails = 0
    first_fail = None
    for name, xml in xmls:
        try:
            conn.defineXML(xml)
            names.append(name)
        except lv.libvirtError as e:
            fails += 1
            if first_fail is None:
                first_fail = "%s: %s" % (name, err_text(e))
            if fails >= 20 and not names:
                break
    el = time.monotonic() - t0
    if names:
        metric("define_s", el)
        metric("define_per_s", len(names) / el)
    metric("defined", len(names))
    if fails:
        error("define", "%d of %d defines failed, first: %s" % (fails, N, first_fail))

    time.sleep(0.5)
    metric("rss_loaded_kb", read_status_kb(pid, "VmRSS"))

    # -- listAllDomains
    phase("list")
    doms = []
    try:
        times = []
        for _ in range(3):
            t0 = time.monotonic()
            doms = conn.listAllDomains(0)
            times.append(time.monotonic() - t0)
        metric("list_ms", min(times) * 1e3)
        metric("listed", len(doms))
        if len(doms) != len(names):
            error("list", "listAllDomains returned %d domains, %d were defined"
                  % (len(doms), len(names)))
    except lv.libvirtError as e:
        error("list", err_text(e))

    # -- lookupByName of every defined domain
    phase("lookup")
    if names:
        try:
            t0 = time.monotonic()
            for name in names:
                conn.lookupByName(name)
            el = time.monotonic() - t0
            metric("lookup_per_s", len(names) / el)
        except lv.libvirtError as e:
            error("lookup", err_text(e))

    # -- XMLDesc of all
    phase("xmldesc")
    if doms:
        try:
            nbytes = 0
            t0 = time.monotonic()
            for d in doms:
                nbytes += len(d.XMLDesc(0))
            el = time.monotonic() - t0
            metric("xmldesc_s", el)
            metric("xmldesc_per_s", len(doms) / el)
            metric("xmldesc_avg_bytes", nbytes / len(doms))
        except lv.libvirtError as e:
            error("xmldesc", err_text(e))

    # -- undefine all
    phase("undefine")
    if doms:
        t0 = time.monotonic()
        done = 0
        fails = 0
        first_fail = None
        for d in doms:
            try:
                d.undefine()
                done += 1
            except lv.libvirtError as e:
                fails += 1
                first_fail = first_fail or err_text(e)
        el = time.monotonic() - t0
        metric("undefine_s", el)
        metric("undefine_per_s", done / el if el > 0 else None)
        if fails:
            error("undefine", "%d undefines failed, first: %s" % (fails, first_fail))
        try:
            left = len(conn.listAllDomains(0))
            if left:
                error("undefine", "%d domains still listed after undefine" % left)
        except lv.libvirtError as e:
            error("undefine", "listAllDomains: " + err_text(e))

    time.sleep(0.5)
    metric("rss_after_undefine_kb", read_status_kb(pid, "VmRSS"))
    try:
        conn.close()
    except Exception:
        pass
    out.put(("done",))


# --------------------------------------------------------------------------
# daemons

class Daemon:
    """A daemon process we started ourselves; stopped by PID."""

    def __init__(self, label, argv, env, logpath, uri):
        self.label = label
        self.argv = argv
        self.env = env
        self.logpath = logpath
        self.uri = uri
        self.proc = None
        self.t_spawn = None

    def start(self):
        logf = open(self.logpath, "ab")
        self.t_spawn = time.monotonic()
        self.proc = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=logf, preexec_fn=set_pdeathsig)
        logf.close()
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def exit_text(self):
        rc = self.proc.returncode
        if rc is None:
            return "running"
        if rc < 0:
            return "killed by signal %s" % signal.Signals(-rc).name
        return "exit status %d" % rc

    def stop(self):
        """SIGTERM by PID, SIGKILL after 20 s. Returns a description."""
        if self.proc is None:
            return "not started"
        if self.proc.poll() is not None:
            return "had already ended: " + self.exit_text()
        try:
            os.kill(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=20)
            return "stopped by SIGTERM (%s)" % self.exit_text()
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            return "did not stop within 20 s of SIGTERM; SIGKILLed"


def make_ours(args, base):
    root = os.path.join(base, "ours-root")
    os.makedirs(root, exist_ok=True)
    env = dict(os.environ)
    env["MODVIRT_ROOT"] = root
    sock = os.path.join(root, "run/libvirt/virtqemud-sock")
    uri = "qemu+unix:///system?socket=" + sock
    return Daemon("ours", [args.daemon, "--timeout", "0"], env,
                  os.path.join(base, "virtqemud.log"), uri)


def mount_ns_id():
    try:
        return os.readlink("/proc/self/ns/mnt")
    except OSError:
        return None


def in_private_mount_ns():
    """True when we run in a mount namespace other than the one that
    started us (the outer process records its own in ENV_OUTER_NS)."""
    outer, mine = os.environ.get(ENV_OUTER_NS), mount_ns_id()
    return bool(outer) and bool(mine) and outer != mine


def run(argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv), r.stdout.strip()))


def prepare_libvirtd_namespace(base):
    """Inside our private mount namespace: give libvirtd private state dirs.

    /run           -> tmpfs (pid file /run/libvirtd.pid, /run/libvirt/...)
    /var           -> overlay (host /var read-only below, writes go to base)
    /etc/libvirt, /var/{lib,cache,log}/libvirt -> bind mounts of base dirs
    /etc/passwd, /etc/group -> copies with a 'libvirt-qemu' entry if the host
                   has none (Debian's qemu driver resolves that user at
                   start-up even when qemu.conf says user = "root")
    """
    if not in_private_mount_ns():
        raise RuntimeError("refusing to mount: not in a private mount namespace")
    lv = os.path.join(base, "libvirtd")
    d = {k: os.path.join(lv, k) for k in
         ("etc", "run", "lib", "cache", "log", "var-upper", "var-work")}
    for p in d.values():
        os.makedirs(p, exist_ok=True)

    # config: the packaged client confs, plus our own daemon confs
    if os.path.isdir("/etc/libvirt"):
        for f in os.listdir("/etc/libvirt"):
            src = os.path.join("/etc/libvirt", f)
            if f.endswith(".conf") and os.path.isfile(src):
                shutil.copy(src, d["etc"])
    with open(os.path.join(d["etc"], "libvirtd.conf"), "w") as f:
        f.write('# written by modvirt bench_domain_config.py\n'
                'unix_sock_dir = "/run/libvirt"\n'
                'unix_sock_rw_perms = "0700"\n'
                'auth_unix_rw = "none"\n'
                'auth_unix_ro = "none"\n'
                'log_outputs = "3:stderr"\n')
    with open(os.path.join(d["etc"], "qemu.conf"), "w") as f:
        f.write('# written by modvirt bench_domain_config.py\n'
                'user = "root"\n'
                'group = "root"\n')

    run(["mount", "--make-rprivate", "/"])
    run(["mount", "-t", "tmpfs", "-o", "mode=0755", "modvirt-bench-run", "/run"])
    run(["mount", "-t", "overlay", "modvirt-bench-var", "-o",
         "lowerdir=/var,upperdir=%s,workdir=%s" % (d["var-upper"], d["var-work"]), "/var"])
    if not os.path.isdir("/etc/libvirt"):
        os.makedirs(os.path.join(lv, "etc-upper"), exist_ok=True)
        os.makedirs(os.path.join(lv, "etc-work"), exist_ok=True)
        run(["mount", "-t", "overlay", "modvirt-bench-etc", "-o",
             "lowerdir=/etc,upperdir=%s/etc-upper,workdir=%s/etc-work" % (lv, lv), "/etc"])
    for src, dst in (("etc", "/etc/libvirt"), ("run", "/run/libvirt"),
                     ("lib", "/var/lib/libvirt"), ("cache", "/var/cache/libvirt"),
                     ("log", "/var/log/libvirt")):
        os.makedirs(dst, exist_ok=True)   # inside the tmpfs / overlay: private
        run(["mount", "--bind", d[src], dst])

    try:
        pwd.getpwnam("libvirt-qemu")
    except KeyError:
        for fname, line in (("passwd", "libvirt-qemu:x:64055:64055:Libvirt Qemu:"
                                       "/var/lib/libvirt:/usr/sbin/nologin\n"),
                            ("group", "libvirt-qemu:x:64055:\n")):
            copy = os.path.join(lv, fname)
            shutil.copy("/etc/" + fname, copy)
            with open(copy, "a") as f:
                f.write(line)
            run(["mount", "--bind", copy, "/etc/" + fname])


def make_libvirtd(args, base):
    prepare_libvirtd_namespace(base)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LIBVIRT_", "MODVIRT_", "XDG_"))}
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
    uri = "qemu+unix:///system?socket=/run/libvirt/libvirt-sock"
    return Daemon("libvirtd", [args.libvirtd, "--timeout", "0",
                               "-f", "/etc/libvirt/libvirtd.conf"], env,
                  os.path.join(base, "libvirtd.log"), uri)


def bench_daemon(daemon, args, cfg):
    """Start `daemon`, run the workload in a child, stop it. Returns results."""
    res = {"label": daemon.label, "argv": daemon.argv, "uri": daemon.uri,
           "metrics": {}, "errors": [], "notes": [], "log": daemon.logpath}
    log("== %s: %s" % (daemon.label, " ".join(daemon.argv)))
    try:
        pid = daemon.start()
    except OSError as e:
        res["errors"].append(("start", str(e)))
        loud("%s could not be started: %s" % (daemon.label, e))
        return res
    res["pid"] = pid
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    wcfg = dict(cfg, uri=daemon.uri)
    worker = ctx.Process(target=workload, args=(daemon.uri, pid, daemon.t_spawn, wcfg, out))
    worker.start()
    deadline = time.monotonic() + args.budget
    current = "startup"
    phase_t0 = daemon.t_spawn
    finished = False
    try:
        while True:
            try:
                msg = out.get(timeout=0.5)
            except queue.Empty:
                msg = None
            if msg is not None:
                if msg[0] == "phase" and msg[1] == current:
                    log("   %s ..." % current)
                elif msg[0] == "phase":
                    if args.verbose:
                        log("   %-10s done in %.1f s" % (current, time.monotonic() - phase_t0))
                    current, phase_t0 = msg[1], time.monotonic()
                    log("   %s ..." % current)
                elif msg[0] == "metric":
                    res["metrics"][msg[1]] = msg[2]
                elif msg[0] == "error":
                    res["errors"].append((msg[1], msg[2]))
                    log("   ERROR in %s: %s" % (msg[1], msg[2]))
                elif msg[0] == "done":
                    finished = True
                    break
                continue
            if not daemon.alive():
                # give the worker a moment to report the broken connection
                time.sleep(1.0)
                txt = "daemon died during phase '%s' (%s)" % (current, daemon.exit_text())
                res["errors"].append((current, txt))
                loud("%s: %s\nlast lines of %s:\n%s"
                     % (daemon.label, txt, daemon.logpath, tail(daemon.logpath)))
                break
            if not worker.is_alive():
                res["errors"].append((current, "benchmark worker exited (%s)" % worker.exitcode))
                break
            if time.monotonic() > deadline:
                txt = "time budget of %d s exceeded during phase '%s'" % (args.budget, current)
                res["errors"].append((current, txt))
                loud("%s: %s; remaining phases skipped" % (daemon.label, txt))
                break
    except KeyboardInterrupt:
        res["errors"].append((current, "interrupted"))
        res["interrupted"] = True
        log("   interrupted during phase '%s'" % current)
    finally:
        if worker.is_alive() and not finished:
            worker.terminate()
        worker.join(timeout=10)
        if worker.is_alive():
            worker.kill()
            worker.join()
        hwm = read_status_kb(pid, "VmHWM")
        if hwm is not None:
            res["metrics"]["rss_peak_kb"] = hwm
        stopped = daemon.stop()
        res["stop"] = stopped
        log("   %s %s" % (daemon.label, stopped))
        if "SIGKILL" in stopped or "signal" in stopped and "SIGTERM" not in stopped:
            res["errors"].append(("stop", stopped))
    if res["metrics"].get("ready_s") is None:
        loud("%s never answered; last lines of %s:\n%s"
             % (daemon.label, daemon.logpath, tail(daemon.logpath)))
    return res


# --------------------------------------------------------------------------
# report

# key, label, unit, scale, better ('higher'/'lower'), format
ROWS = [
    ("ready_s", "start-up until getVersion", "s", 1, "lower", "%.2f"),
    ("first_define_s", "  first define (info)", "s", 1, None, "%.2f"),
    ("startup_s", "start-up until defined 1", "s", 1, "lower", "%.2f"),
    ("rss_idle_kb", "RSS idle", "MiB", 1 / 1024, "lower", "%.1f"),
    ("rtt1_calls_per_s", "round trips, 1 connection", "calls/s", 1, "higher", "%.0f"),
    ("rtt1_p50_us", "  latency p50", "us", 1, "lower", "%.0f"),
    ("rtt1_p99_us", "  latency p99", "us", 1, "lower", "%.0f"),
    ("rtt8_calls_per_s", "round trips, 8 clients", "calls/s", 1, "higher", "%.0f"),
    ("rtt64_calls_per_s", "round trips, 64 clients", "calls/s", 1, "higher", "%.0f"),
    ("define_s", "define {N} domains", "s", 1, "lower", "%.2f"),
    ("define_per_s", "  define rate", "ops/s", 1, "higher", "%.0f"),
    ("rss_loaded_kb", "RSS with {N} domains", "MiB", 1 / 1024, "lower", "%.1f"),
    ("list_ms", "listAllDomains ({N})", "ms", 1, "lower", "%.1f"),
    ("lookup_per_s", "lookupByName, each", "ops/s", 1, "higher", "%.0f"),
    ("xmldesc_s", "XMLDesc of all", "s", 1, "lower", "%.2f"),
    ("xmldesc_per_s", "  XMLDesc rate", "ops/s", 1, "higher", "%.0f"),
    ("xmldesc_avg_bytes", "  XMLDesc size (info)", "bytes", 1, None, "%.0f"),
    ("undefine_s", "undefine all", "s", 1, "lower", "%.2f"),
    ("undefine_per_s", "  undefine rate", "ops/s", 1, "higher", "%.0f"),
    ("rss_after_undefine_kb", "RSS after undefine all", "MiB", 1 / 1024, "lower", "%.1f"),
    ("rss_peak_kb", "RSS peak (VmHWM)", "MiB", 1 / 1024, "lower", "%.1f"),
]


def ratios(ours, theirs):
    out = {}
    for key, *_ in ROWS:
        a, b = ours.get(key), theirs.get(key)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
            out[key] = a / b
    return out


def fmt(v, scale, f):
    if not isinstance(v, (int, float)):
        return "-"
    return f % (v * scale)


def print_table(results, n):
    labels = [r["label"] for r in results]
    both = len(results) == 2
    rat = ratios(results[0]["metrics"], results[1]["metrics"]) if both else {}
    head = "%-30s %-8s" % ("metric", "unit") + "".join("%14s" % l for l in labels)
    if both:
        head += "%16s  %s" % ("ours/libvirtd", "(better if)")
    log()
    log(head)
    log("-" * len(head))
    for key, label, unit, scale, better, f in ROWS:
        line = "%-30s %-8s" % (label.format(N=n), unit)
        line += "".join("%14s" % fmt(r["metrics"].get(key), scale, f) for r in results)
        if both:
            r = rat.get(key)
            line += "%16s" % ("%.3f" % r if r is not None and better else "-")
            if better and r is not None:
                good = (r > 1) if better == "higher" else (r < 1)
                line += "  %s (%s)" % ("<" if better == "lower" else ">", "ours better" if good else "libvirtd better")
        log(line)
    log()
    for r in results:
        m = r["metrics"]
        if "lib_version" in m:
            log("%s: library version %s, hypervisor version %s, %s"
                % (r["label"], m.get("lib_version"), m.get("hv_version"), r.get("stop", "")))
        for ph, e in r["errors"]:
            log("%s: ERROR [%s] %s" % (r["label"], ph, e))
    return rat


# --------------------------------------------------------------------------
# main

def parse_args():
    p = argparse.ArgumentParser(
        description="modvirt virtqemud vs libvirtd: domain configuration benchmark")
    p.add_argument("--daemon", default=os.path.join(REPO, "build/daemons/qemu/virtqemud"),
                   help="our virtqemud binary (default: %(default)s)")
    p.add_argument("--libvirtd", default="/usr/sbin/libvirtd",
                   help="Debian's libvirtd (default: %(default)s)")
    p.add_argument("--no-libvirtd", action="store_true", help="benchmark our daemon only")
    p.add_argument("--no-ours", action="store_true", help="benchmark libvirtd only")
    p.add_argument("--domains", type=int, default=None, help="N domains (default 5000, --quick 500)")
    p.add_argument("--rtt-seconds", type=float, default=None,
                   help="duration of each round-trip phase (default 5, --quick 1.5)")
    p.add_argument("--parallel", default="8,64",
                   help="parallel client counts (default %(default)s)")
    p.add_argument("--quick", action="store_true", help="~1 minute run: 500 domains, short phases")
    p.add_argument("--budget", type=int, default=None,
                   help="seconds allowed per daemon before remaining phases are skipped "
                        "(default 270, --quick 60)")
    p.add_argument("--startup-timeout", type=int, default=120,
                   help="seconds to wait for a daemon's first reply (default %(default)s)")
    p.add_argument("--domain-type", choices=("kvm", "qemu"), default=None,
                   help="<domain type=...> (default kvm if /dev/kvm is usable, else qemu)")
    p.add_argument("--xml-template", help="domain XML template file; placeholders "
                   "{name} {index} {dtype} {cpu} (literal braces doubled)")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    p.add_argument("--keep-tmp", action="store_true", help="keep the scratch directory")
    p.add_argument("--verbose", "-v", action="store_true")
    a = p.parse_args()
    if a.domains is None:
        a.domains = 500 if a.quick else 5000
    if a.rtt_seconds is None:
        a.rtt_seconds = 1.5 if a.quick else 5.0
    if a.budget is None:
        a.budget = 60 if a.quick else 270
    a.parallel = [int(x) for x in a.parallel.split(",") if x.strip()]
    if a.json:
        a.json = os.path.abspath(a.json)
    return a


def ensure_system_python():
    """Re-exec with Debian's python3, which has python3-libvirt."""
    if os.environ.get(ENV_REEXEC) or not os.path.exists(SYSTEM_PYTHON):
        return
    if os.path.realpath(sys.executable) == os.path.realpath(SYSTEM_PYTHON):
        return
    os.environ[ENV_REEXEC] = "1"
    os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, SCRIPT] + sys.argv[1:])


def libvirtd_problem(args):
    """Why libvirtd cannot be benchmarked here, or None."""
    if not os.path.exists(args.libvirtd):
        return "%s is not installed (apt install libvirt-daemon " \
               "libvirt-daemon-driver-qemu to compare)" % args.libvirtd
    drv = [d for d in ("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver",
                       "/usr/lib64/libvirt/connection-driver",
                       "/usr/lib/libvirt/connection-driver") if os.path.isdir(d)]
    if drv and not any(os.path.exists(os.path.join(d, "libvirt_driver_qemu.so")) for d in drv):
        return "libvirtd's QEMU driver is not installed (libvirt-daemon-driver-qemu)"
    if os.geteuid() != 0:
        return "libvirtd must run as root in a private mount namespace; not root"
    if not shutil.which("unshare"):
        return "unshare(1) not found (util-linux)"
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        return "cannot create a private mount namespace: " + r.stdout.strip()
    return None


def main():
    args = parse_args()
    ensure_system_python()
    global libvirt
    try:
        import libvirt as lv
    except ImportError:
        sys.exit("the libvirt module is missing: run with /usr/bin/python3 "
                 "(apt install python3-libvirt)")
    libvirt = lv

    want_ours = not args.no_ours
    want_lv = not args.no_libvirtd
    if want_ours and not os.access(args.daemon, os.X_OK):
        sys.exit("our daemon %s is not built (build it, or pass --daemon PATH)" % args.daemon)

    in_ns = os.environ.get(ENV_IN_NS) == "1"
    if want_lv and not in_ns:
        problem = libvirtd_problem(args)
        if problem is None:
            base = tempfile.mkdtemp(prefix="modvirt-bench-", dir="/tmp")
            env = dict(os.environ, **{ENV_IN_NS: "1", ENV_BASE: base, ENV_REEXEC: "1",
                                      ENV_OUTER_NS: mount_ns_id() or ""})
            cmd = ["unshare", "-m", "--propagation", "private",
                   sys.executable, SCRIPT] + sys.argv[1:]
            child = subprocess.Popen(cmd, env=env)
            try:
                while True:
                    try:
                        return child.wait()
                    except KeyboardInterrupt:
                        continue     # the child got the SIGINT too and cleans up
            finally:
                if args.keep_tmp:
                    log("scratch directory kept: " + base)
                else:
                    shutil.rmtree(base, ignore_errors=True)
        loud("libvirtd will NOT be benchmarked: %s\nContinuing with our daemon only."
             % problem)
        want_lv = False
        if not want_ours:
            return 1

    base = os.environ.get(ENV_BASE) if in_ns else None
    own_base = base is None
    if own_base:
        base = tempfile.mkdtemp(prefix="modvirt-bench-", dir="/tmp")

    if args.xml_template:
        with open(args.xml_template) as f:
            template = f.read()
    else:
        template = DOMAIN_XML
    dtype = args.domain_type or ("kvm" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "qemu")
    cfg = {"domains": args.domains, "rtt_seconds": args.rtt_seconds,
           "parallel": args.parallel, "startup_timeout": args.startup_timeout,
           "template": template, "dtype": dtype}

    def on_term(signum, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    log("modvirt domain-config benchmark: N=%d domains, %.1f s per round-trip phase, "
        "parallel %s, domain type %s, %d CPUs, python %s, libvirt client %d"
        % (args.domains, args.rtt_seconds, args.parallel, dtype, os.cpu_count(),
           platform.python_version(), libvirt.getVersion()))
    results = []
    try:
        if want_ours:
            results.append(bench_daemon(make_ours(args, base), args, cfg))
        if want_lv and not any(r.get("interrupted") for r in results):
            try:
                d = make_libvirtd(args, base)
            except Exception as e:  # noqa: BLE001
                loud("libvirtd will NOT be benchmarked: preparing its private "
                     "directories failed: %s" % e)
                d = None
            if d is not None:
                r = bench_daemon(d, args, cfg)
                if r["metrics"].get("ready_s") is None:
                    loud("libvirtd could not be benchmarked (see above); "
                         "reporting our daemon only")
                results.append(r)
    except KeyboardInterrupt:
        log("interrupted")
    finally:
        if own_base and not args.keep_tmp:
            shutil.rmtree(base, ignore_errors=True)

    if not results:
        return 1
    rat = print_table(results, args.domains)
    if args.json:
        doc = {
            "benchmark": "modvirt bench_domain_config",
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "host": {"cpus": os.cpu_count(), "kernel": platform.release(),
                     "python": platform.python_version(),
                     "libvirt_client": libvirt.getVersion()},
            "config": {"domains": args.domains, "rtt_seconds": args.rtt_seconds,
                       "parallel": args.parallel, "domain_type": dtype,
                       "quick": args.quick, "budget_s": args.budget},
            "daemons": {r["label"]: {k: r.get(k) for k in
                                     ("argv", "uri", "metrics", "errors", "stop")}
                        for r in results},
            "ratios_ours_over_libvirtd": rat,
            "better_if": {k: b for k, _, _, _, b, _ in ROWS if b},
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2, sort_keys=True)
            f.write("\n")
        log("figures written to " + args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
