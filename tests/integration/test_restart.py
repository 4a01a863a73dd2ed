#!/usr/bin/python3
"""Guests outlive the daemon (issue 3): SIGKILL virtqemud with three guests
running and start it again on the same root (same ids, same QEMU pids,
suspend/resume/destroy/console work); a guest killed while the daemon was
down is shut off afterwards; transient guests survive a restart; clean
SIGTERM restart; `--timeout` idle exit is inhibited while guests run; socket
activation (systemd-socket-activate) after an idle exit.

Run:  /usr/bin/python3 tests/integration/test_restart.py --daemon BUILD/daemons/qemu/virtqemud
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402
from harness import Daemon, log, main, wait_for, write_file  # noqa: E402
from test_lifecycle import (Console, EventCollector, GuestDaemon, PROMPT,  # noqa: E402
                            build_guest, ensure_event_loop, guest_xml,
                            kill_guests_under, pid_alive, status_path, status_pid,
                            wait_pid_gone)


def wait_prompt(con, timeout=150):
    """Press Enter until the shell prompt shows (the guest booted while
    nobody was attached)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        pos = con.mark()
        con.send("\n")
        try:
            con.wait(PROMPT, 3, since=pos)
            return True
        except AssertionError:
            if con.error is not None or con.eof:
                raise
    raise AssertionError("no shell prompt on the console within %ss:\n%s"
                         % (timeout, con.text()[-2000:]))


class RestartBase(unittest.TestCase):
    """Each test owns its root and daemons (restarts are the point)."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        build_guest()
        ensure_event_loop()

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="modvirt-rs-")
        self.daemons = []
        self.closers = []
        self.procs = []

    def tearDown(self):
        for c in reversed(self.closers):
            try:
                c()
            except Exception:  # noqa: BLE001
                pass
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for d in self.daemons:
            if d.proc is not None:
                d.stop()
        left = kill_guests_under(self.root)
        if left:
            log("killed leftover guests %r" % left)
        if not os.environ.get("MODVIRT_KEEP_ROOT"):
            shutil.rmtree(self.root, ignore_errors=True)

    def daemon(self, **kw):
        d = GuestDaemon(root=self.root, timeout=60 if harness.is_reference() else 15, **kw)
        self.daemons.append(d)
        d.start()
        return d

    def ok(self, d, *args):
        rc, out, err = d.virsh(*args)
        self.assertEqual(rc, 0, "virsh %s: rc=%d %r %r\n%s" % (
            " ".join(args), rc, out, err, d.log_tail(30)))
        return out

    def state(self, d, name):
        rc, out, err = d.virsh("domstate", "--reason", name)
        return out.strip() if rc == 0 else "ERROR: " + err.strip()

    def domid(self, d, name):
        out = self.ok(d, "domid", name).strip()
        return int(out) if out.isdigit() else None

    def define(self, d, name):
        path = write_file(os.path.join(self.root, name + ".xml"), guest_xml(name))
        self.ok(d, "define", path)
        return path

    def list_running(self, d):
        """{name: id} from `virsh list`."""
        out = self.ok(d, "list")
        res = {}
        for line in out.splitlines()[2:]:
            m = re.match(r"^\s*(\d+)\s+(\S+)\s+(.*?)\s*$", line)
            if m:
                res[m.group(2)] = (int(m.group(1)), m.group(3))
        return res


class KillRestart(RestartBase):

    def test_01_sigkill_three_guests(self):
        d1 = self.daemon()
        names = ["rs-a", "rs-b", "rs-c"]
        for n in names:
            self.define(d1, n)
            self.ok(d1, "start", n)
        self.ok(d1, "suspend", "rs-b")
        before = self.list_running(d1)
        pids = {n: status_pid(d1, n) for n in names}
        log("  before: %r pids %r" % (before, pids))
        self.assertEqual(before["rs-a"][1], "running")
        self.assertEqual(before["rs-b"][1], "paused")
        d1.kill9()
        for n in names:
            self.assertTrue(pid_alive(pids[n]), "QEMU of %s died with the daemon" % n)
            self.assertTrue(os.path.exists(status_path(d1, n)))
        t0 = time.time()
        d2 = self.daemon()
        log("  restarted daemon answers after %.2fs" % (time.time() - t0))
        after = self.list_running(d2)
        self.assertEqual(after, before, "virsh list changed across a daemon SIGKILL\n"
                         + d2.log_tail(30))
        for n in names:
            self.assertEqual(status_pid(d2, n), pids[n])
        self.assertEqual(self.state(d2, "rs-a").split(" (")[0], "running")
        self.assertEqual(self.state(d2, "rs-b"), "paused (user)")
        out = self.ok(d2, "dominfo", "rs-a")
        self.assertRegex(out, r"Persistent:\s+yes")
        # the live XML carries the id and the pty
        xml = self.ok(d2, "dumpxml", "rs-a")
        self.assertRegex(xml, r"<domain type='qemu' id='%d'>" % before["rs-a"][0])
        self.assertRegex(xml, r"<source path='/dev/pts/\d+'/>")
        # the monitor works again: suspend / resume / destroy
        self.assertEqual(self.ok(d2, "suspend", "rs-a"), "Domain 'rs-a' suspended\n\n")
        self.assertEqual(self.state(d2, "rs-a"), "paused (user)")
        self.ok(d2, "resume", "rs-a")
        self.assertEqual(self.state(d2, "rs-a"), "running (unpaused)")
        self.ok(d2, "resume", "rs-b")
        self.assertEqual(self.state(d2, "rs-b"), "running (unpaused)")
        # CPU time moves for a reattached guest
        c1 = float(re.search(r"CPU time:\s+([\d.]+)s", self.ok(d2, "dominfo", "rs-c")).group(1))
        time.sleep(1.5)
        c2 = float(re.search(r"CPU time:\s+([\d.]+)s", self.ok(d2, "dominfo", "rs-c")).group(1))
        self.assertGreater(c2, c1)
        # the console of a reattached guest carries bytes both ways
        con = Console(d2, "rs-c")
        self.closers.append(con.close)
        wait_prompt(con)
        pos = con.mark()
        con.send("echo re''attached\n")
        con.wait("reattached\r\n", 30, since=pos)
        # events of reattached guests reach clients
        ev = EventCollector(d2)
        self.closers.append(ev.close)
        self.ok(d2, "destroy", "rs-b")
        self.assertEqual(self.state(d2, "rs-b"), "shut off (destroyed)")
        self.assertTrue(wait_pid_gone(pids["rs-b"]))
        os.kill(pids["rs-c"], signal.SIGKILL)
        ok = wait_for(lambda: self.state(d2, "rs-c") == "shut off (crashed)", 15)
        self.assertTrue(ok, "QEMU of reattached guest SIGKILLed: state %r"
                        % self.state(d2, "rs-c"))
        ev.wait("rs-c", lambda e: "Stopped Failed" in e, 10)
        self.assertEqual(ev.of("rs-b"), ["Stopped Destroyed"])
        self.assertEqual(ev.of("rs-c"), ["Stopped Failed"])
        # a new start gets a fresh id above the reattached ones
        self.ok(d2, "start", "--paused", "rs-b")
        newid = self.domid(d2, "rs-b")
        self.assertGreater(newid, max(i for i, _ in before.values()))
        for n in ("rs-a", "rs-b"):
            self.ok(d2, "destroy", n)
        self.assertIn(d2.stop(), (0, -signal.SIGTERM))

    def test_02_guest_killed_while_daemon_down(self):
        d1 = self.daemon()
        self.define(d1, "rs-dead")
        self.define(d1, "rs-alive")
        self.ok(d1, "start", "rs-dead")
        self.ok(d1, "start", "rs-alive")
        pid = status_pid(d1, "rs-dead")
        alive_id = self.domid(d1, "rs-alive")
        d1.kill9()
        os.kill(pid, signal.SIGKILL)
        self.assertTrue(wait_pid_gone(pid))
        d2 = self.daemon()
        st = self.state(d2, "rs-dead")
        self.assertTrue(st.startswith("shut off"), "guest killed while the daemon "
                        "was down: %r after restart" % st)
        self.assertFalse(os.path.exists(status_path(d2, "rs-dead")),
                         "stale status file kept")
        self.assertEqual(self.list_running(d2), {"rs-alive": (alive_id, "running")})
        self.ok(d2, "start", "--paused", "rs-dead")   # can start again
        self.ok(d2, "destroy", "rs-dead")
        self.ok(d2, "destroy", "rs-alive")
        # libvirt 9.0 (qemuProcessReconnect) calls a QEMU that vanished
        # while it was down (-no-shutdown, set-action capable) 'crashed'
        self.assertEqual(st, "shut off (crashed)", "reason differs from libvirt")

    def test_03_transient_survives_restart(self):
        d1 = self.daemon()
        path = write_file(os.path.join(self.root, "t.xml"), guest_xml("rs-trans"))
        self.ok(d1, "create", path)
        tid = self.domid(d1, "rs-trans")
        d1.kill9()
        d2 = self.daemon()
        self.assertEqual(self.list_running(d2).get("rs-trans"), (tid, "running"))
        self.assertRegex(self.ok(d2, "dominfo", "rs-trans"), r"Persistent:\s+no")
        self.ok(d2, "destroy", "rs-trans")
        rc, out, err = d2.virsh("domstate", "rs-trans")
        self.assertNotEqual(rc, 0, "transient domain kept after destroy")
        self.assertNotIn("rs-trans", self.ok(d2, "list", "--all", "--name"))

    def test_04_sigterm_restart(self):
        d1 = self.daemon()
        self.define(d1, "rs-term")
        self.ok(d1, "start", "rs-term")
        gid, pid = self.domid(d1, "rs-term"), status_pid(d1, "rs-term")
        rc = d1.stop()
        self.assertIn(rc, (0, -signal.SIGTERM))
        self.assertTrue(pid_alive(pid), "SIGTERM of the daemon took the guest down")
        d2 = self.daemon()
        self.assertEqual(self.list_running(d2), {"rs-term": (gid, "running")})
        self.ok(d2, "suspend", "rs-term")
        self.ok(d2, "resume", "rs-term")
        self.ok(d2, "destroy", "rs-term")


class IdleAndActivation(RestartBase):

    def test_05_idle_timeout_inhibited_by_guests(self):
        d = self.daemon(base_args=("--timeout", "3", "-v"))
        self.define(d, "rs-idle")
        self.ok(d, "start", "--paused", "rs-idle")
        time.sleep(8)
        self.assertTrue(d.alive(), "daemon exited on --timeout 3 while a guest "
                        "runs (libvirt inhibits the idle exit)\n" + d.log_tail(20))
        self.ok(d, "destroy", "rs-idle")
        t0 = time.time()
        gone = wait_for(lambda: not d.alive(), 20, 0.1)
        self.assertTrue(gone, "daemon did not idle-exit 20s after its last guest "
                        "stopped (--timeout 3)")
        log("  idle exit %.1fs after the last guest stopped" % (time.time() - t0))
        self.assertEqual(d.proc.returncode, 0, d.log_tail(20))

    def test_06_idle_exit_without_guests(self):
        d = self.daemon(base_args=("--timeout", "2", "-v"))
        gone = wait_for(lambda: not d.alive(), 15, 0.1)
        self.assertTrue(gone, "daemon with --timeout 2 and no guests did not exit")
        self.assertEqual(d.proc.returncode, 0)

    def activate(self, timeout_arg="3"):
        """systemd-socket-activate holding the three sockets; the daemon
        starts on the first connection.  Returns the Popen."""
        sa = shutil.which("systemd-socket-activate")
        if not sa:
            log("\n*** SKIP: systemd-socket-activate not installed ***")
            self.skipTest("systemd-socket-activate not installed")
        run = os.path.join(self.root, "run", "libvirt")
        os.makedirs(run, exist_ok=True)
        socks = [os.path.join(run, "virtqemud-sock"),
                 os.path.join(run, "virtqemud-sock-ro"),
                 os.path.join(run, "virtqemud-admin-sock")]
        for s in socks:
            if os.path.exists(s):
                os.unlink(s)
        cmd = [sa]
        for s in socks:
            cmd += ["-l", s]
        cmd += ["--fdname=virtqemud.socket:virtqemud-ro.socket:virtqemud-admin.socket",
                "-E", "MODVIRT_ROOT=" + self.root, "-E", "LC_ALL=C",
                harness.daemon_binary(), "--timeout", timeout_arg, "-v"]
        logf = open(os.path.join(self.root, "activated.log"), "ab")
        p = subprocess.Popen(cmd, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                             cwd=self.root)
        logf.close()
        self.procs.append(p)
        ok = wait_for(lambda: all(os.path.exists(s) for s in socks) or p.poll() is not None, 10)
        self.assertTrue(ok and p.poll() is None, "systemd-socket-activate failed: "
                        + self.activation_log())
        return p

    def activation_log(self):
        try:
            with open(os.path.join(self.root, "activated.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def test_07_socket_activation_after_idle_exit(self):
        d1 = self.daemon()
        for n in ("rs-sa1", "rs-sa2"):
            self.define(d1, n)
            self.ok(d1, "start", n)
        before = self.list_running(d1)
        d1.stop()
        # 1st activation: the guests are found again, no idle exit while they run
        p = self.activate("3")
        t0 = time.time()
        first = self.list_running(d1)   # same URI/socket paths
        log("  socket-activated daemon answered after %.2fs: %r"
            % (time.time() - t0, first))
        full = wait_for(lambda: self.list_running(d1) == before, 15, 0.1)
        self.assertTrue(full, "running guests not found again after socket "
                        "activation: %r\n%s" % (self.list_running(d1),
                                                 self.activation_log()))
        time.sleep(7)
        self.assertIsNone(p.poll(), "socket-activated daemon idle-exited with guests "
                          "running\n" + self.activation_log())
        self.ok(d1, "suspend", "rs-sa1")
        self.ok(d1, "destroy", "rs-sa1")
        self.ok(d1, "destroy", "rs-sa2")
        rc = None
        try:
            rc = p.wait(20)
        except subprocess.TimeoutExpired:
            pass
        self.assertIsNotNone(rc, "activated daemon did not idle-exit after the "
                             "guests stopped (--timeout 3)\n" + self.activation_log())
        self.assertEqual(rc, 0, self.activation_log())
        # 2nd activation after the idle exit (as systemd would do it)
        p2 = self.activate("3")
        out = self.ok(d1, "list", "--all")
        self.assertRegex(out, r"-\s+rs-sa1\s+shut off")
        self.ok(d1, "start", "rs-sa1")
        self.assertEqual(self.state(d1, "rs-sa1"), "running (booted)")
        self.ok(d1, "destroy", "rs-sa1")
        try:
            p2.wait(20)
        except subprocess.TimeoutExpired:
            self.fail("2nd activated daemon did not idle-exit")
        self.assertIn("using activated socket", self.activation_log())
        # libvirt loads every status file before it serves the first
        # client: the very first `virsh list` must already show all guests
        self.assertEqual(first, before, "first `virsh list` answered by the "
                         "socket-activated daemon missed reattached guests")


if __name__ == "__main__":
    sys.exit(main())
