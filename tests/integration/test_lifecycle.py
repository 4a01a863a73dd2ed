#!/usr/bin/python3
"""Guest lifecycle against a real QEMU (issue 3): start / start --paused /
create (transient) / shutdown (ACPI) / reboot / reset / destroy (--graceful)
/ suspend / resume, domstate reasons, dominfo CPU time, ids, guests that end
on their own (SIGKILL of QEMU, poweroff from inside), on_poweroff/on_reboot,
autostart, lifecycle events (virsh event --loop and python callbacks), the
QEMU log header, and a firmware-only KVM guest when /dev/kvm works.

Run:  /usr/bin/python3 tests/integration/test_lifecycle.py --daemon BUILD/daemons/qemu/virtqemud

The guest is the tiny kernel+busybox guest of tests/guest (built from Debian
packages into $MODVIRT_GUEST_DIR, default /var/tmp/modvirt-guest, and cached).
Guests are type='qemu' (TCG); the marker appears after ~10 s.

This module also holds the helpers shared by test_console.py,
test_restart.py, test_hostile_qmp.py and bench/bench_lifecycle.py
(GuestTestCase, Console, EventCollector, VirshEvents, status-file helpers).
"""

import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "guest"))

import harness  # noqa: E402
from harness import (Daemon, DaemonTestCase, log, main, wait_for,  # noqa: E402,F401
                     write_file, VIRSH)
import guest  # noqa: E402

GUEST_DIR = guest.DEFAULT_OUTDIR
MARKER = guest.MARKER
PROMPT = guest.PROMPT
#: boot to marker takes ~7-15 s under TCG on a busy 2-core host
MARKER_TIMEOUT = float(os.environ.get("MODVIRT_MARKER_TIMEOUT", "150"))
QEMU = "/usr/bin/qemu-system-x86_64"

# ---------------------------------------------------------------------------
# guest
# ---------------------------------------------------------------------------

_guest_state = {}


def build_guest():
    """Build (or reuse) the tiny guest; raise unittest.SkipTest (loudly) if
    it cannot be built here."""
    if "paths" in _guest_state:
        return _guest_state["paths"]
    if "error" in _guest_state:
        raise unittest.SkipTest(_guest_state["error"])
    t0 = time.time()
    try:
        paths = guest.build(GUEST_DIR)
    except guest.GuestBuildError as e:
        _guest_state["error"] = "cannot build the test guest: %s" % e
        log("*** SKIP: " + _guest_state["error"])
        raise unittest.SkipTest(_guest_state["error"])
    log("test guest ready in %s (%.1fs)" % (GUEST_DIR, time.time() - t0))
    _guest_state["paths"] = paths
    return paths


REF_GUEST_DIR = "/tmp/modvirt-guest-ref"


def _reference_guest_dir():
    """Reference mode mounts a tmpfs over /var: give libvirtd a copy of the
    kernel and initrd under /tmp."""
    import shutil
    os.makedirs(REF_GUEST_DIR, exist_ok=True)
    for f in ("vmlinuz", "initrd.img"):
        src, dst = os.path.join(GUEST_DIR, f), os.path.join(REF_GUEST_DIR, f)
        if not os.path.exists(dst) or os.path.getmtime(dst) < os.path.getmtime(src):
            shutil.copy2(src, dst)
    return REF_GUEST_DIR


def guest_xml(name, on_poweroff=None, on_reboot=None, on_crash=None,
              emulator=None, cmdline=None):
    xml = guest.domain_xml(name, GUEST_DIR)
    if harness.is_reference():
        xml = xml.replace(os.path.abspath(GUEST_DIR) + "/", _reference_guest_dir() + "/")
    for tag, val in (("on_poweroff", on_poweroff), ("on_reboot", on_reboot),
                     ("on_crash", on_crash)):
        if val is not None:
            xml, n = re.subn(r"<%s>[^<]*</%s>" % (tag, tag),
                             "<%s>%s</%s>" % (tag, val, tag), xml)
            assert n == 1, (tag, xml)
    if emulator is not None:
        xml, n = re.subn(r"<emulator>[^<]*</emulator>",
                         "<emulator>%s</emulator>" % emulator, xml)
        assert n == 1
    if cmdline is not None:
        xml, n = re.subn(r"<cmdline>[^<]*</cmdline>",
                         "<cmdline>%s</cmdline>" % cmdline, xml)
        assert n == 1
    return xml


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return False, str(e)
    os.close(fd)
    return True, ""


def firmware_xml(name, virt_type="kvm"):
    """No kernel, no disk: SeaBIOS runs and finds nothing to boot."""
    return """<domain type='%s'>
  <name>%s</name>
  <memory unit='KiB'>65536</memory>
  <vcpu placement='static'>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>%s</emulator>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
""" % (virt_type, name, QEMU)


# ---------------------------------------------------------------------------
# daemon-side files
# ---------------------------------------------------------------------------

def status_path(d, name):
    return os.path.join(d.root, "run", "libvirt", "qemu", name + ".xml")


def status_pid(d, name):
    """QEMU pid from the live status file (None if absent)."""
    try:
        with open(status_path(d, name)) as f:
            text = f.read()
    except OSError:
        return None
    m = re.search(r"<domstatus[^>]*\bpid='(\d+)'", text)
    return int(m.group(1)) if m else None


def qemu_log_path(d, name):
    return os.path.join(d.root, "var", "log", "libvirt", "qemu", name + ".log")


def qemu_log(d, name):
    try:
        with open(qemu_log_path(d, name), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def pid_alive(pid):
    if not pid:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        return st != "Z"
    except OSError:
        return False


def wait_pid_gone(pid, timeout=15):
    return wait_for(lambda: not pid_alive(pid), timeout)


# ---------------------------------------------------------------------------
# events
# ---------------------------------------------------------------------------

# the strings virsh 9.0 prints (virsh-domain-event.c), so python-callback
# sequences compare equal to `virsh event --loop` output
EVENT_NAMES = ["Defined", "Undefined", "Started", "Suspended", "Resumed",
               "Stopped", "Shutdown", "PMSuspended", "Crashed"]
EVENT_DETAILS = {
    0: ["Added", "Updated", "Renamed", "Snapshot"],
    1: ["Removed", "Renamed"],
    2: ["Booted", "Migrated", "Restored", "Snapshot", "Event wakeup"],
    3: ["Paused", "Migrated", "I/O Error", "Watchdog", "Restored", "Snapshot",
        "API error", "Post-copy", "Post-copy Error"],
    4: ["Unpaused", "Migrated", "Snapshot", "Post-copy", "Post-copy Error"],
    5: ["Shutdown", "Destroyed", "Crashed", "Migrated", "Saved", "Failed",
        "Snapshot"],
    6: ["Finished", "Finished after guest request",
        "Finished after host request"],
    7: ["Memory", "Disk"],
    8: ["Panicked", "Crashloaded"],
}


def event_string(event, detail):
    name = EVENT_NAMES[event] if 0 <= event < len(EVENT_NAMES) else "unknown"
    dets = EVENT_DETAILS.get(event, [])
    det = dets[detail] if 0 <= detail < len(dets) else "unknown"
    return "%s %s" % (name, det)


_evloop = {}


def ensure_event_loop():
    """virEventRegisterDefaultImpl + a daemon thread running
    virEventRunDefaultImpl.  Must happen before the connections that want
    events (or non-blocking streams) are opened."""
    import libvirt
    harness.quiet_libvirt()
    if _evloop:
        return
    libvirt.virEventRegisterDefaultImpl()

    def run():
        while True:
            libvirt.virEventRunDefaultImpl()

    t = threading.Thread(target=run, name="libvirt-event-loop", daemon=True)
    t.start()
    _evloop["thread"] = t


class EventCollector:
    """Python-libvirt lifecycle + reboot callbacks on a dedicated connection.
    events: list of (domain name, "Started Booted" / "Reboot")."""

    def __init__(self, d):
        import libvirt
        ensure_event_loop()
        self.lock = threading.Lock()
        self.events = []
        self.conn = d.connect()
        self.ids = [
            self.conn.domainEventRegisterAny(
                None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self._lifecycle, None),
            self.conn.domainEventRegisterAny(
                None, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, self._reboot, None),
        ]

    def _lifecycle(self, conn, dom, event, detail, opaque):
        with self.lock:
            self.events.append((dom.name(), event_string(event, detail)))

    def _reboot(self, conn, dom, opaque):
        with self.lock:
            self.events.append((dom.name(), "Reboot"))

    def of(self, name):
        with self.lock:
            return [e for n, e in self.events if n == name]

    def wait(self, name, pred, timeout=30):
        """Wait until pred(list of event strings for NAME) is true."""
        return wait_for(lambda: pred(self.of(name)), timeout)

    def wait_event(self, name, ev, timeout=30):
        return self.wait(name, lambda evs: ev in evs, timeout)

    def close(self):
        try:
            for i in self.ids:
                self.conn.domainEventDeregisterAny(i)
            self.conn.close()
        except Exception:  # noqa: BLE001 - daemon may be gone
            pass


class VirshEvents:
    """`virsh event --all --loop` in the background; lines parsed to
    (domain, "Started Booted") / (domain, "Reboot")."""

    RE_LIFE = re.compile(r"^event 'lifecycle' for domain '([^']*)': (.*)$")
    RE_OTHER = re.compile(r"^event '([a-z-]+)' for domain '([^']*)'")

    def __init__(self, d, extra=()):
        env = dict(os.environ, LC_ALL="C")
        self.proc = subprocess.Popen(
            [VIRSH, "-c", d.uri, "event", "--all", "--loop"] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
            text=True, bufsize=1)
        self.lines = []
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        time.sleep(0.5)   # let virsh connect and register

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def of(self, name):
        out = []
        with self.lock:
            lines = list(self.lines)
        for ln in lines:
            m = self.RE_LIFE.match(ln)
            if m and m.group(1) == name:
                out.append(m.group(2))
                continue
            m = self.RE_OTHER.match(ln)
            if m and m.group(2) == name and m.group(1) == "reboot":
                out.append("Reboot")
        return out

    def wait(self, name, pred, timeout=30):
        return wait_for(lambda: pred(self.of(name)), timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.t.join(5)


# ---------------------------------------------------------------------------
# console
# ---------------------------------------------------------------------------

class Console:
    """python-libvirt console stream (openConsole) on its own connection,
    read by a thread into .buf.  .error is set if the stream fails;
    .eof when it ends."""

    def __init__(self, d, name, flags=0, conn=None):
        import libvirt
        ensure_event_loop()
        self.libvirt = libvirt
        self.own_conn = conn is None
        self.conn = conn or d.connect()
        self.dom = self.conn.lookupByName(name)
        self.st = self.conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
        self.buf = b""
        self.lock = threading.Lock()
        self.error = None
        self.eof = False
        self.closing = False
        try:
            self.dom.openConsole(None, self.st, flags)
        except Exception:
            self._close_conn()
            raise
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        while not self.closing:
            try:
                data = self.st.recv(65536)
            except self.libvirt.libvirtError as e:
                self.error = e
                return
            except Exception as e:  # noqa: BLE001
                self.error = e
                return
            if data == -2:
                time.sleep(0.02)
                continue
            if data is None or data == -1:
                self.error = RuntimeError("stream recv returned %r" % (data,))
                return
            if not data:
                self.eof = True
                return
            with self.lock:
                self.buf += data

    def text(self):
        with self.lock:
            return self.buf.decode("utf-8", "replace")

    def mark(self):
        """Position for wait(..., since=pos)."""
        with self.lock:
            return len(self.buf)

    def wait(self, text, timeout=MARKER_TIMEOUT, since=0):
        """Wait until TEXT appears in the output after byte offset SINCE;
        raise AssertionError with the output seen otherwise."""
        want = text.encode()
        deadline = time.time() + timeout
        while True:
            with self.lock:
                if want in self.buf[since:]:
                    return True
            if self.error is not None or self.eof or time.time() > deadline:
                raise AssertionError(
                    "%r not seen on the console within %.0fs (error=%s eof=%s); "
                    "output:\n%s" % (text, timeout, self.error, self.eof,
                                     self.buf[since:][-3000:].decode("utf-8", "replace")))
            time.sleep(0.05)

    def send(self, text):
        data = text.encode() if isinstance(text, str) else text
        while data:
            n = self.st.send(data)
            if n == -2:
                time.sleep(0.02)
                continue
            if n < 0:
                raise RuntimeError("stream send failed: %r" % n)
            data = data[n:]

    def _close_conn(self):
        if self.own_conn:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001
                pass

    def abort(self, timeout=10):
        """virStreamAbort in a helper thread; returns (finished, error).
        A daemon that never answers the abort must not hang the tests."""
        res = {}

        def run():
            try:
                self.st.abort()
                res["ok"] = True
            except Exception as e:  # noqa: BLE001
                res["error"] = e

        t = threading.Thread(target=run, daemon=True)
        t.start()
        t.join(timeout)
        return not t.is_alive(), res.get("error")

    def close(self):
        self.closing = True
        self.t.join(5)
        if self.error is None and not self.eof:
            done, _ = self.abort()
            if not done:
                log("*** virStreamAbort on the console stream got no answer "
                    "within 10s (daemon bug); leaving the connection")
                return
        self._close_conn()


def virsh_console_pty(d, name, expect, send_before_exit=None, timeout=60,
                      extra=()):
    """`virsh console NAME` on a pty (pty.fork): wait for EXPECT (bytes) in
    its output, optionally type SEND_BEFORE_EXIT and wait for its reply,
    then send Ctrl-] and return (exit status, output bytes, seconds to exit)."""
    env = dict(os.environ, LC_ALL="C", TERM="dumb")
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(VIRSH, [VIRSH, "-c", d.uri, "console"] + list(extra) + [name], env)
        finally:
            os._exit(127)
    out = b""

    def read_until(pred, tmo):
        nonlocal out
        deadline = time.time() + tmo
        while not pred(out):
            left = deadline - time.time()
            if left <= 0:
                return False
            r, _, _ = select.select([fd], [], [], min(left, 0.5))
            if r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    return pred(out)
                if not chunk:
                    return pred(out)
                out += chunk
        return True

    try:
        ok = read_until(lambda o: expect in o, timeout)
        if ok and send_before_exit is not None:
            text, reply = send_before_exit
            os.write(fd, text)
            ok = read_until(lambda o: reply in o, 15)
            if not ok:
                # busybox's prompt asks the terminal for the cursor position
                # (ESC[6n) and may swallow keys typed meanwhile: type again once
                log("  no reply yet through virsh console; typing the line again")
                os.write(fd, text)
                ok = read_until(lambda o: reply in o, 30)
        t0 = time.time()
        os.write(fd, b"\x1d")
        status = None
        deadline = time.time() + 15
        while time.time() < deadline:
            read_until(lambda o: False, 0.2)
            p, st = os.waitpid(pid, os.WNOHANG)
            if p:
                status = os.waitstatus_to_exitcode(st)
                break
        took = time.time() - t0
        return ok, status, out, took
    finally:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(fd)


# ---------------------------------------------------------------------------
# test base
# ---------------------------------------------------------------------------

def kill_guests_under(root):
    """SIGKILL every process whose command line mentions ROOT (the QEMUs
    the daemon under test started there; they outlive the daemon by design).
    Returns their pids."""
    killed = []
    if not root:
        return killed
    for ent in os.listdir("/proc"):
        if not ent.isdigit() or int(ent) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % ent, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if root.encode() in cmd and b"virtqemud" not in cmd.split(b"\0")[0] \
                and b"libvirtd" not in cmd.split(b"\0")[0]:
            try:
                os.kill(int(ent), signal.SIGKILL)
                killed.append(int(ent))
            except OSError:
                pass
    return killed


def prep_reference(d):
    """Reference mode (--reference-libvirtd): libvirtd needs virtlogd for
    QEMU's stdio unless qemu.conf says stdio_handler="file" (the harness
    writes qemu.conf only when it does not exist yet)."""
    if not d.reference:
        return d
    os.makedirs(d.confdir, exist_ok=True)
    q = os.path.join(d.confdir, "qemu.conf")
    if not os.path.exists(q):
        write_file(q, 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\n'
                   'stdio_handler = "file"\n')
    return d


class GuestDaemon(Daemon):
    """harness.Daemon, plus what libvirtd needs for real guests in reference
    mode: /var/lock (console lock files) inside its namespace and
    stdio_handler="file" (no virtlogd)."""

    def _prepare_reference(self):
        prep_reference(self)
        cmd = super()._prepare_reference()
        i = cmd.index("-c") + 1
        cmd[i] = cmd[i].replace('exec "$@"', 'mkdir -p /var/lock /var/run; exec "$@"')
        return cmd


class GuestTestCase(DaemonTestCase):
    """A private daemon per class, the test guest built, helpers."""

    @classmethod
    def setUpClass(cls):
        build_guest()
        ensure_event_loop()
        cls.d = prep_reference(GuestDaemon(args=cls.daemon_args, config=cls.daemon_config,
                                      timeout=60 if harness.is_reference() else 15))
        try:
            cls.d.start()
        except Exception:
            cls.d.cleanup()
            cls.d = None
            raise

    @classmethod
    def tearDownClass(cls):
        root = cls.d.root if cls.d is not None else None
        try:
            super().tearDownClass()
        finally:
            left = kill_guests_under(root)
            if left:
                log("killed %d leftover guest process(es) under %s: %r"
                    % (len(left), root, left))

    def setUp(self):
        super().setUp()
        self._cleanup_names = []
        self._closers = []

    def tearDown(self):
        for c in reversed(self._closers):
            try:
                c()
            except Exception:  # noqa: BLE001
                pass
        if self.d is not None and self.d.alive():
            for n in self._cleanup_names:
                self.d.virsh("destroy", n)
                self.d.virsh("undefine", n)
        super().tearDown()

    def closer(self, obj):
        self._closers.append(obj.close)
        return obj

    def define_guest(self, name, **kw):
        path = self.tmpfile(name + ".xml", guest_xml(name, **kw))
        self.virsh_ok("define", path)
        self._cleanup_names.append(name)
        return path

    def state(self, name):
        rc, out, err = self.virsh("domstate", "--reason", name)
        return out.strip() if rc == 0 else "ERROR: " + err.strip()

    def wait_state(self, name, want, timeout=30):
        got = wait_for(lambda: self.state(name) == want and want, timeout, 0.1)
        self.assertEqual(self.state(name), want,
                         "domain %s did not reach %r within %ss" % (name, want, timeout))
        return got

    def dom_id(self, name):
        out = self.virsh_ok("domid", name).strip()
        return int(out) if out.isdigit() else None

    def console(self, name, flags=0):
        return self.closer(Console(self.d, name, flags))

    def events(self):
        return self.closer(EventCollector(self.d))

    def virsh_events(self):
        return self.closer(VirshEvents(self.d))

    def boot_with_console(self, name):
        """start --paused, attach the console, resume, wait for the marker.
        Returns the Console."""
        self.virsh_ok("start", "--paused", name)
        con = self.console(name)
        self.virsh_ok("resume", name)
        t0 = time.time()
        con.wait(MARKER)
        log("  %s: marker after %.1fs" % (name, time.time() - t0))
        return con

    def cpu_time(self, name):
        out = self.virsh_ok("dominfo", name)
        m = re.search(r"^CPU time:\s+([\d.]+)s", out, re.M)
        self.assertIsNotNone(m, out)
        return float(m.group(1))


def assert_in_order(tc, seq, want, msg=""):
    """WANT is a subsequence of SEQ (in order)."""
    i = 0
    for e in seq:
        if i < len(want) and e == want[i]:
            i += 1
    tc.assertEqual(i, len(want), "%sevents %r do not contain %r in order"
                   % (msg, seq, want))


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------

class Lifecycle(GuestTestCase):

    def test_01_start_state_info_destroy(self):
        n = "lc-basic"
        self.define_guest(n)
        ev = self.events()
        t0 = time.time()
        out = self.virsh_ok("start", n)
        log("  start took %.2fs" % (time.time() - t0))
        self.assertEqual(out, "Domain '%s' started\n\n" % n)
        self.assertEqual(self.state(n), "running (booted)")
        out = self.virsh_ok("list")
        self.assertRegex(out, r"\n\s*\d+\s+%s\s+running\n" % n)
        out = self.virsh_ok("dominfo", n)
        self.assertRegex(out, r"State:\s+running")
        self.assertRegex(out, r"Max memory:\s+131072 KiB")
        self.assertRegex(out, r"Persistent:\s+yes")
        self.assertRegex(out, r"(?m)^Id:\s+\d+$")
        pid = status_pid(self.d, n)
        self.assertTrue(pid_alive(pid), "no live QEMU pid in the status file")
        # start again fails like libvirt
        _, err = self.virsh_err("start", n)
        self.assertIn("Domain is already active", err)   # virsh checks first
        out = self.virsh_ok("destroy", n)
        self.assertEqual(out, "Domain '%s' destroyed\n\n" % n)
        self.assertEqual(self.state(n), "shut off (destroyed)")
        self.assertTrue(wait_pid_gone(pid), "QEMU pid %d survived destroy" % pid)
        self.assertFalse(os.path.exists(status_path(self.d, n)),
                         "status file left behind after destroy")
        out = self.virsh_ok("domid", n)
        self.assertEqual(out.strip(), "-")
        ev.wait(n, lambda e: "Stopped Destroyed" in e, 10)
        self.assertEqual(ev.of(n), ["Started Booted", "Stopped Destroyed"])
        # destroy of an inactive domain
        _, err = self.virsh_err("destroy", n)
        self.assertIn("domain is not running", err)

    def test_02_destroy_graceful(self):
        n = "lc-graceful"
        self.define_guest(n)
        self.virsh_ok("start", n)
        pid = status_pid(self.d, n)
        out = self.virsh_ok("destroy", "--graceful", n)
        self.assertEqual(out, "Domain '%s' destroyed\n\n" % n)
        self.assertEqual(self.state(n), "shut off (destroyed)")
        self.assertTrue(wait_pid_gone(pid))

    def test_03_paused_suspend_resume_reasons(self):
        n = "lc-paused"
        self.define_guest(n)
        ev = self.events()
        vev = self.virsh_events()
        self.virsh_ok("start", "--paused", n)
        self.assertEqual(self.state(n), "paused (user)")
        c0 = self.cpu_time(n)
        time.sleep(1.0)
        self.assertLess(self.cpu_time(n) - c0, 0.3, "vCPUs run while paused")
        self.assertEqual(self.virsh_ok("resume", n), "Domain '%s' resumed\n\n" % n)
        self.assertEqual(self.state(n), "running (unpaused)")
        self.assertEqual(self.virsh_ok("suspend", n), "Domain '%s' suspended\n\n" % n)
        self.assertEqual(self.state(n), "paused (user)")
        self.virsh_ok("resume", n)
        self.assertEqual(self.state(n), "running (unpaused)")
        # libvirt 9.0: resume of a running domain is a silent no-op
        self.virsh_ok("resume", n)
        self.assertEqual(self.state(n), "running (unpaused)")
        self.virsh_ok("suspend", n)
        self.virsh_ok("destroy", n)   # destroy a paused guest
        self.assertEqual(self.state(n), "shut off (destroyed)")
        want = ["Started Booted", "Suspended Paused", "Resumed Unpaused",
                "Suspended Paused", "Resumed Unpaused", "Suspended Paused",
                "Stopped Destroyed"]
        ev.wait(n, lambda e: len(e) >= len(want), 10)
        vev.wait(n, lambda e: len(e) >= len(want), 10)
        self.assertEqual(ev.of(n), want, "python callbacks")
        self.assertEqual(vev.of(n), want, "virsh event --all --loop")

    def test_04_create_transient(self):
        n = "lc-transient"
        path = self.tmpfile(n + ".xml", guest_xml(n))
        self._cleanup_names.append(n)
        out = self.virsh_ok("create", path)
        self.assertEqual(out, "Domain '%s' created from %s\n\n" % (n, path))
        self.assertEqual(self.state(n), "running (booted)")
        out = self.virsh_ok("dominfo", n)
        self.assertRegex(out, r"Persistent:\s+no")
        self.assertNothingStored(n)
        self.virsh_ok("destroy", n)
        rc, out, err = self.virsh("domstate", n)
        self.assertNotEqual(rc, 0, "transient domain still known after destroy")
        self.assertIn("failed to get domain '%s'" % n, err)
        self.assertNotIn(n, self.virsh_ok("list", "--all", "--name"))
        # --paused
        self.virsh_ok("create", "--paused", path)
        self.assertEqual(self.state(n), "paused (user)")
        self.virsh_ok("destroy", n)
        self.assertNotIn(n, self.virsh_ok("list", "--all", "--name"))

    def test_05_transient_shutdown_vanishes(self):
        n = "lc-transient-sd"
        path = self.tmpfile(n + ".xml", guest_xml(n))
        self._cleanup_names.append(n)
        ev = self.events()
        self.virsh_ok("create", "--paused", path)
        con = self.console(n)
        self.virsh_ok("resume", n)
        con.wait(MARKER)
        self.virsh_ok("shutdown", n)
        ok = wait_for(lambda: n not in self.virsh_ok("list", "--all", "--name"), 30)
        self.assertTrue(ok, "transient domain still listed after guest shutdown: %s"
                        % self.state(n))
        ev.wait(n, lambda e: "Stopped Shutdown" in e, 10)
        self.assertIn("Stopped Shutdown", ev.of(n))

    def test_06_acpi_shutdown(self):
        n = "lc-shutdown"
        self.define_guest(n)
        ev = self.events()
        vev = self.virsh_events()
        con = self.boot_with_console(n)
        pid = status_pid(self.d, n)
        t0 = time.time()
        out = self.virsh_ok("shutdown", n)
        self.assertEqual(out, "Domain '%s' is being shutdown\n\n" % n)
        self.wait_state(n, "shut off (shutdown)", 60)
        log("  shutdown -> shut off in %.2fs" % (time.time() - t0))
        self.assertIn(guest.POWERBUTTON_MARKER, con.text())
        self.assertTrue(wait_pid_gone(pid))
        for name, src in (("python", ev), ("virsh event", vev)):
            src.wait(n, lambda e: "Stopped Shutdown" in e, 10)
            evs = src.of(n)
            sd = [e for e in evs if e.startswith("Shutdown ")]
            self.assertTrue(sd, "%s: no Shutdown event: %r" % (name, evs))
            # libvirt 9.0: QEMU says guest=true for an ACPI power-off
            self.assertEqual(sd[0], "Shutdown Finished after guest request",
                             "%s: %r" % (name, evs))
            assert_in_order(self, evs, ["Started Booted", "Suspended Paused",
                                        "Resumed Unpaused", sd[0], "Stopped Shutdown"],
                            name + ": ")
        # shutdown of an inactive domain
        _, err = self.virsh_err("shutdown", n)
        self.assertIn("domain is not running", err)

    def test_07_reboot(self):
        n = "lc-reboot"
        self.define_guest(n)
        ev = self.events()
        con = self.boot_with_console(n)
        domid = self.dom_id(n)
        pid = status_pid(self.d, n)
        pos = con.mark()
        out = self.virsh_ok("reboot", n)
        self.assertEqual(out, "Domain '%s' is being rebooted\n\n" % n)
        self.assertTrue(ev.wait_event(n, "Reboot", 60),
                        "no REBOOT event after virsh reboot: %r" % ev.of(n))
        con.wait(MARKER, since=pos)
        self.assertEqual(self.state(n).split(" (")[0], "running")
        self.assertEqual(self.dom_id(n), domid, "id changed across reboot")
        self.assertEqual(status_pid(self.d, n), pid, "QEMU process replaced by reboot")
        self.assertNotIn("Stopped", " ".join(ev.of(n)))
        self.virsh_ok("destroy", n)

    def test_08_reset(self):
        n = "lc-reset"
        self.define_guest(n)
        ev = self.events()
        con = self.boot_with_console(n)
        domid = self.dom_id(n)
        pos = con.mark()
        out = self.virsh_ok("reset", n)
        self.assertEqual(out, "Domain '%s' was reset\n\n" % n)
        self.assertEqual(self.state(n).split(" (")[0], "running")
        self.assertTrue(ev.wait_event(n, "Reboot", 10),
                        "no REBOOT event after reset: %r" % ev.of(n))
        con.wait(MARKER, since=pos)          # the guest booted again
        self.assertEqual(self.dom_id(n), domid)
        self.virsh_ok("destroy", n)

    def test_09_cpu_time_grows(self):
        n = "lc-cputime"
        self.define_guest(n)
        self.virsh_ok("start", n)
        c1 = self.cpu_time(n)
        time.sleep(2)
        c2 = self.cpu_time(n)
        self.assertGreater(c2, c1, "CPU time did not grow (%.2f -> %.2f)" % (c1, c2))
        self.assertGreater(c2 - c1, 0.2, "CPU time grew implausibly little")
        self.virsh_ok("destroy", n)
        out = self.virsh_ok("dominfo", n)
        self.assertRegex(out, r"State:\s+shut off")

    def test_10_ids_increase(self):
        a, b = "lc-id-a", "lc-id-b"
        self.define_guest(a)
        self.define_guest(b)
        ids = []
        for name in (a, b, a, b):
            self.virsh_ok("start", "--paused", name)
            ids.append(self.dom_id(name))
            if name == b:
                self.virsh_ok("destroy", a)
                self.virsh_ok("destroy", b)
        self.assertEqual(ids, sorted(ids), ids)
        self.assertEqual(len(set(ids)), 4, "ids reused: %r" % ids)
        self.assertEqual(ids[1:], [ids[0] + 1, ids[0] + 2, ids[0] + 3], ids)

    def test_11_qemu_sigkill_crashed(self):
        n = "lc-sigkill"
        self.define_guest(n)
        ev = self.events()
        self.virsh_ok("start", n)
        pid = status_pid(self.d, n)
        self.assertTrue(pid_alive(pid))
        t0 = time.time()
        os.kill(pid, signal.SIGKILL)
        self.wait_state(n, "shut off (crashed)", 15)
        log("  SIGKILL noticed in %.2fs" % (time.time() - t0))
        ev.wait(n, lambda e: e and e[-1].startswith("Stopped"), 10)
        self.assertEqual(ev.of(n), ["Started Booted", "Stopped Failed"])
        self.assertFalse(os.path.exists(status_path(self.d, n)))
        self.assertIn("shutting down, reason=crashed", qemu_log(self.d, n))
        # it can start again
        self.virsh_ok("start", "--paused", n)
        self.virsh_ok("destroy", n)

    def test_12_poweroff_from_inside(self):
        n = "lc-poweroff"
        self.define_guest(n)
        ev = self.events()
        con = self.boot_with_console(n)
        con.wait(PROMPT, 30)
        con.send("poweroff -f\n")
        self.wait_state(n, "shut off (shutdown)", 30)
        ev.wait(n, lambda e: "Stopped Shutdown" in e, 10)
        evs = ev.of(n)
        self.assertIn("Shutdown Finished after guest request", evs)
        self.assertEqual(evs[-1], "Stopped Shutdown")

    def test_13_on_reboot_destroy(self):
        n = "lc-onreboot-destroy"
        self.define_guest(n, on_reboot="destroy")
        ev = self.events()
        con = self.boot_with_console(n)
        con.wait(PROMPT, 30)
        con.send("reboot\n")
        ok = wait_for(lambda: self.state(n).startswith("shut off"), 30, 0.1)
        self.assertTrue(ok, "guest reboot with on_reboot=destroy: state %r" % self.state(n))
        self.assertEqual(self.state(n), "shut off (shutdown)")
        ev.wait(n, lambda e: e and e[-1].startswith("Stopped"), 10)
        self.assertEqual(ev.of(n)[-1], "Stopped Shutdown")
        self.assertNotIn("Reboot", ev.of(n))

    def test_14_on_reboot_restart_inside(self):
        """on_reboot=restart (default): `reboot` typed inside reboots the
        guest in the same QEMU process (same id), REBOOT event."""
        n = "lc-onreboot-restart"
        self.define_guest(n)
        ev = self.events()
        con = self.boot_with_console(n)
        domid = self.dom_id(n)
        con.wait(PROMPT, 30)
        pos = con.mark()
        con.send("reboot\n")
        self.assertTrue(ev.wait_event(n, "Reboot", 30), ev.of(n))
        con.wait(MARKER, since=pos)
        self.assertEqual(self.state(n).split(" (")[0], "running")
        self.assertEqual(self.dom_id(n), domid)
        self.virsh_ok("destroy", n)

    def test_15_on_poweroff_restart(self):
        """on_poweroff=restart: libvirt fake-reboots the same QEMU process
        (same id, same pid) and the guest boots again."""
        n = "lc-onpoweroff-restart"
        self.define_guest(n, on_poweroff="restart")
        ev = self.events()
        con = self.boot_with_console(n)
        domid = self.dom_id(n)
        pid = status_pid(self.d, n)
        pos = con.mark()
        self.virsh_ok("shutdown", n)
        ok = wait_for(lambda: MARKER.encode() in con.buf[pos:]
                      or con.eof or con.error, MARKER_TIMEOUT)
        if not (ok and MARKER.encode() in con.buf[pos:]):
            # console stream closed: the process was replaced; reattach
            log("  on_poweroff=restart: console stream ended (eof=%s error=%s); "
                "events %r" % (con.eof, con.error, ev.of(n)))
            wait_for(lambda: self.state(n).startswith("running"), 30, 0.1)
            con2 = self.console(n)
            con2.wait(MARKER)
        st = self.state(n)
        self.assertEqual(st.split(" (")[0], "running", "after shutdown with "
                         "on_poweroff=restart: %r events=%r" % (st, ev.of(n)))
        self.assertEqual(self.dom_id(n), domid,
                         "on_poweroff=restart changed the id (libvirt keeps the "
                         "process: fake reboot); events=%r" % ev.of(n))
        self.assertEqual(status_pid(self.d, n), pid)
        self.virsh_ok("destroy", n)

    def test_16_on_poweroff_preserve_rejected(self):
        """libvirt 9.0's qemu driver refuses 'preserve' for on_poweroff and
        on_reboot at define time (checked against Debian's libvirtd)."""
        for tag in ("on_poweroff", "on_reboot"):
            n = "lc-preserve-" + tag.replace("_", "")
            path = self.tmpfile(n + ".xml", guest_xml(n, **{tag: "preserve"}))
            rc, out, err = self.virsh("define", path)
            if rc == 0:
                self._cleanup_names.append(n)
            self.assertNotEqual(rc, 0, "define with <%s>preserve accepted" % tag)
            self.assertIn("unsupported configuration: qemu driver doesn't support "
                          "the 'preserve' action for 'on_reboot'/'on_poweroff'", err)

    def test_17_qemu_log_header(self):
        n = "lc-log"
        self.define_guest(n)
        self.virsh_ok("start", "--paused", n)
        pid = status_pid(self.d, n)
        self.virsh_ok("destroy", n)
        text = qemu_log(self.d, n)
        lines = text.splitlines()
        self.assertTrue(lines, "empty QEMU log " + qemu_log_path(self.d, n))
        self.assertRegex(lines[0], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: "
                         r"starting up libvirt version: ")
        # the command line follows: env assignments, then the binary, one
        # option per line (libvirt's format)
        i = 1
        while i < len(lines) and re.match(r"^[A-Z_]+=\S* \\$", lines[i]):
            i += 1
        self.assertEqual(lines[i], QEMU + " \\", lines[:i + 2])
        cmd = "\n".join(lines[i:i + 80])
        self.assertIn("-name guest=%s" % n, cmd)
        self.assertIn("-S \\", cmd)
        self.assertIn("-uuid ", cmd)
        self.assertIn("-kernel %s/vmlinuz" % GUEST_DIR, cmd)
        self.assertRegex(text, r"\n\d{4}-[^\n]*: shutting down, reason=destroyed\n")
        self.assertFalse(pid_alive(pid))

    def test_18_kvm_firmware_only(self):
        ok, why = kvm_usable()
        if not ok:
            log("\n*** SKIP KVM: /dev/kvm unusable here (%s) ***" % why)
            self.skipTest("KVM unusable: /dev/kvm: %s" % why)
        n = "lc-kvm-fw"
        path = self.tmpfile(n + ".xml", firmware_xml(n))
        self.virsh_ok("define", path)
        self._cleanup_names.append(n)
        self.virsh_ok("start", n)
        self.assertEqual(self.state(n), "running (booted)")
        self.assertIn("accel kvm", qemu_log(self.d, n).replace("-accel kvm", "accel kvm"))
        c1 = self.cpu_time(n)
        time.sleep(1)
        self.assertEqual(self.state(n), "running (booted)")
        c2 = self.cpu_time(n)
        log("  kvm firmware guest cpu time %.2f -> %.2f" % (c1, c2))
        self.virsh_ok("suspend", n)
        self.assertEqual(self.state(n), "paused (user)")
        self.virsh_ok("resume", n)
        self.virsh_ok("destroy", n)
        self.assertEqual(self.state(n), "shut off (destroyed)")


class Autostart(GuestTestCase):
    """Autostart domains start when the daemon starts."""

    def test_autostart_on_daemon_start(self):
        a, b = "lc-auto-on", "lc-auto-off"
        self.define_guest(a)
        self.define_guest(b)
        self.virsh_ok("autostart", a)
        self.assertTrue(os.path.lexists(self.d.autostart_link(a)))
        self.assertEqual(self.state(a), "shut off (unknown)")
        root = self.d.root
        self.assertIn(self.d.stop(), (0, -signal.SIGTERM))
        d2 = GuestDaemon(root=root)
        try:
            d2.start()
            ok = wait_for(lambda: d2.virsh("domstate", "--reason", a)[1].strip()
                          == "running (booted)", 30, 0.2)
            st = d2.virsh("domstate", "--reason", a)[1].strip()
            self.assertTrue(ok, "autostart domain not started: %r\n%s" % (st, d2.log_tail()))
            self.assertEqual(d2.virsh("domstate", "--reason", b)[1].strip(),
                             "shut off (unknown)")
            out = d2.virsh("dominfo", a)[1]
            self.assertRegex(out, r"Autostart:\s+enable")
            d2.virsh("destroy", a)
            # a second daemon start with the guest running must not start it twice
        finally:
            d2.virsh("destroy", a)
            d2.stop()
        # restore a daemon for tearDownClass
        type(self).d = GuestDaemon(root=root)
        self.d.start()
        self.d.own_root = True


if __name__ == "__main__":
    sys.exit(main())
