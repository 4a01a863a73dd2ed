#!/usr/bin/python3
"""Hostile QMP monitor (issue 3: "Every QMP reply is hostile input"): a fake
`qemu-system-x86_64` speaks broken QMP to virtqemud -- garbage, truncated
JSON, a 100 MB reply, absurdly deep JSON, no greeting, no answers, hostile
events, an EOF mid-reply.  The daemon must fail the start with a clear error
or end the running guest shut off (failed/crashed), and keep serving: `virsh
list` answers meanwhile and a real TCG guest running alongside is unaffected.

How the fake gets past the capability probe: virtqemud probes an emulator
once (lib/util/qemucaps.c runs `EMULATOR -S -no-user-config -nodefaults
-display none -machine none,accel=X -qmp stdio` and speaks QMP on stdio).
The fake (written to ROOT/fakebin/qemu-system-x86_64, so the daemon derives
arch x86_64 from its name like for the real binary) execs the real
/usr/bin/qemu-system-x86_64 whenever it sees `-qmp` on its command line, so
the probe gets real answers and only real starts (which use `-chardev
socket,id=charmonitor,path=X` + `-mon`) reach the hostile code.  It listens
on X itself (no QEMU runs); the behaviour is read from ROOT/fakebin/mode-NAME
(NAME from `-name guest=NAME,...`).

Run:  /usr/bin/python3 tests/integration/test_hostile_qmp.py --daemon BUILD/daemons/qemu/virtqemud
"""

import os
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import log, main, wait_for, write_file  # noqa: E402
from test_lifecycle import (GuestTestCase, guest_xml, pid_alive,  # noqa: E402
                            status_path, status_pid, wait_pid_gone)

FAKE = r'''#!/usr/bin/python3
# fake QEMU for test_hostile_qmp.py; see that file
import json, os, socket, sys, time
REAL = "/usr/bin/qemu-system-x86_64"
args = sys.argv[1:]
if "-qmp" in args:                         # capability probe: the real thing
    os.execv(REAL, [REAL] + args)
here = os.path.dirname(os.path.abspath(__file__))
name = mon = None
for i, a in enumerate(args):
    if a == "-name" and i + 1 < len(args):
        name = args[i + 1].split(",")[0].split("=", 1)[-1]
    if a == "-chardev" and i + 1 < len(args) and "id=charmonitor" in args[i + 1]:
        for kv in args[i + 1].split(","):
            if kv.startswith("path="):
                mon = kv[5:]
mode = open(os.path.join(here, "mode-" + name)).read().strip()
sys.stderr.write("fake qemu: guest %s mode %s monitor %s pid %d\n" % (name, mode, mon, os.getpid()))
sys.stderr.flush()
if mode == "exit-early":
    sys.stderr.write("fake qemu: some fatal start-up error\n")
    sys.exit(1)
try:
    os.unlink(mon)
except OSError:
    pass
ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ls.bind(mon)
ls.listen(4)
GREETING = b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "fake"}, "capabilities": []}}\r\n'

def sleep_forever():
    while True:
        time.sleep(3600)

def send(c, data):
    try:
        c.sendall(data)
    except OSError as e:
        sys.stderr.write("fake qemu: send failed: %s\n" % e)
        sleep_forever()

def huge(c, n=100 * 1024 * 1024):
    chunk = b"A" * (1024 * 1024)
    send(c, b'{"return": {}, "id": "x", "junk": "')
    for _ in range(n // len(chunk)):
        send(c, chunk)
    send(c, b'"}\r\n')

def reader(c):
    f = c.makefile("rb")
    while True:
        line = f.readline()
        if not line:
            sys.stderr.write("fake qemu: monitor client went away\n")
            sleep_forever()
        try:
            yield json.loads(line)
        except ValueError:
            continue

def reply(c, cmd, ret):
    msg = {"return": ret}
    if "id" in cmd:
        msg["id"] = cmd["id"]
    send(c, json.dumps(msg).encode() + b"\r\n")

def event(c, name, data=None):
    msg = {"event": name, "timestamp": {"seconds": int(time.time()), "microseconds": 0}}
    if data is not None:
        msg["data"] = data
    send(c, json.dumps(msg).encode() + b"\r\n")

c, _ = ls.accept()
if mode == "no-greeting":
    sleep_forever()
if mode == "garbage-greeting":
    send(c, b"\x00\xff\xfeThis is not QMP at all {{{ ]]] \r\n" * 10)
    sleep_forever()
if mode == "greeting-not-object":
    send(c, b'["QMP", 1, 2, 3]\r\n')
    sleep_forever()
send(c, GREETING)
cmds = reader(c)
cmd = next(cmds)                            # qmp_capabilities
if mode == "garbage-reply":
    send(c, b"}{ garbage \x00\xff not json at all\r\n")
    sleep_forever()
if mode == "truncated-eof":
    send(c, b'{"return": {"fo')
    c.shutdown(socket.SHUT_RDWR)
    c.close()
    sleep_forever()                         # process alive, monitor gone
if mode == "truncated-hang":
    send(c, b'{"return": {"fo')
    sleep_forever()
if mode == "huge-reply":
    huge(c)
    sleep_forever()
if mode == "deep-json":
    send(c, b"[" * 200000 + b"]" * 200000 + b"\r\n")
    sleep_forever()
if mode == "never-answers":
    for cmd in cmds:
        pass
if mode == "wrong-id":
    send(c, b'{"return": {}, "id": "not-yours-12345"}\r\n')
    send(c, b'{"return": {}, "id": ["weird"]}\r\n')
    sleep_forever()
# the 'run-*' modes: behave until the guest runs, then misbehave
reply(c, cmd, {})
for cmd in cmds:
    ex = cmd.get("execute")
    if ex == "query-chardev":
        reply(c, cmd, [])
    elif ex == "query-status":
        reply(c, cmd, {"status": "running", "singlestep": False, "running": True})
    elif ex == "stop":
        reply(c, cmd, {})
        event(c, "STOP")
    elif ex == "cont":
        reply(c, cmd, {})
        event(c, "RESUME")
        break
    else:
        reply(c, cmd, {})
time.sleep(1.0)
if mode == "run-garbage":
    send(c, b"\xff\xfe garbage after start {{{\r\n")
    sleep_forever()
if mode == "run-huge":
    huge(c)
    sleep_forever()
if mode == "run-truncated-exit":
    send(c, b'{"event": "SHUTDO')
    os._exit(0)
if mode == "run-hostile-events":
    for m in (b'{"event": null}', b'{"event": 5, "data": []}',
              b'{"event": "RESUME", "data": "str"}', b'{"event": "RESET", "data": [1]}',
              b'{"event": "DEVICE_DELETED", "data": {"device": 7, "path": null}}',
              b'{"event": "STOP", "timestamp": "now"}', b'{"return": 1, "id": "bogus"}',
              b'{"error": {"class": 5, "desc": null}, "id": 17}', b'{}', b'[]', b'123',
              b'{"event": "' + b"E" * 100000 + b'"}', b'"' + b"\\u0000" * 1000 + b'"'):
        send(c, m + b"\r\n")
        time.sleep(0.05)
    # then keep answering sensibly
    for cmd in cmds:
        ex = cmd.get("execute")
        if ex == "query-status":
            reply(c, cmd, {"status": "running", "singlestep": False, "running": True})
        elif ex == "stop":
            reply(c, cmd, {})
            event(c, "STOP")
        elif ex == "cont":
            reply(c, cmd, {})
            event(c, "RESUME")
        else:
            reply(c, cmd, {})
if mode == "run-hang":
    for cmd in cmds:
        pass
sleep_forever()
'''


def procs_matching(needle):
    out = []
    for ent in os.listdir("/proc"):
        if not ent.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % ent, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if needle.encode() in cmd and pid_alive(int(ent)):
            out.append(int(ent))
    return out


class HostileQMP(GuestTestCase):

    REAL = "hq-real"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fakedir = os.path.join(cls.d.root, "fakebin")
        os.makedirs(cls.fakedir, exist_ok=True)
        cls.fake = os.path.join(cls.fakedir, "qemu-system-x86_64")
        write_file(cls.fake, FAKE)
        os.chmod(cls.fake, 0o755)
        # a real guest running alongside all the hostile ones
        path = write_file(os.path.join(cls.d.root, "real.xml"), guest_xml(cls.REAL))
        rc, out, err = cls.d.virsh("create", path)
        assert rc == 0, err
        cls.real_id = int(cls.d.virsh("domid", cls.REAL)[1].strip())
        cls.real_pid = status_pid(cls.d, cls.REAL)

    def setUp(self):
        super().setUp()
        self.check_real()

    def tearDown(self):
        try:
            if self.d.alive():
                self.check_real()
        finally:
            super().tearDown()

    def check_real(self):
        """The real guest is untouched and manageable."""
        rc, out, err = self.virsh("domstate", "--reason", self.REAL, timeout=20)
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.strip().startswith("running"), out)
        self.assertEqual(int(self.virsh("domid", self.REAL)[1].strip()), self.real_id)
        self.assertEqual(status_pid(self.d, self.REAL), self.real_pid)
        self.assertTrue(pid_alive(self.real_pid))

    def fake_guest(self, name, mode):
        write_file(os.path.join(self.fakedir, "mode-" + name), mode + "\n")
        self.define_guest(name, emulator=self.fake)

    def fake_procs(self, name):
        return [p for p in procs_matching("guest=%s," % name)]

    def assert_clean_after_failure(self, name):
        st = self.state(name)
        self.assertTrue(st.startswith("shut off"), st)
        self.assertFalse(os.path.exists(status_path(self.d, name)), "status file kept")
        ok = wait_for(lambda: not self.fake_procs(name), 15)
        self.assertTrue(ok, "fake QEMU %r still running after the failure"
                        % self.fake_procs(name))
        # the daemon still serves
        rc, out, err = self.virsh("list", "--all", timeout=20)
        self.assertEqual(rc, 0, err)
        self.assertIn(name, out)

    def start_fails(self, name, mode, max_s=90, expect=("monitor", "qemu")):
        self.fake_guest(name, mode)
        t0 = time.time()
        result = {}

        def run():
            result["r"] = self.virsh("start", name, timeout=max_s + 30)

        th = threading.Thread(target=run, daemon=True)
        th.start()
        # while the start struggles, other clients are served promptly
        time.sleep(0.5)
        t1 = time.time()
        rc, out, err = self.virsh("list", "--all", timeout=20)
        self.assertEqual(rc, 0, err)
        self.assertLess(time.time() - t1, 5, "virsh list took %.1fs while a start "
                        "struggled with a hostile monitor" % (time.time() - t1))
        th.join(max_s + 40)
        took = time.time() - t0
        self.assertFalse(th.is_alive(), "virsh start did not return in %ss" % (max_s + 40))
        rc, out, err = result["r"]
        log("  %s: start rc=%d after %.1fs: %s" % (mode, rc, took, err.strip()))
        self.assertNotEqual(rc, 0, "start with a hostile monitor (%s) succeeded: %s"
                            % (mode, self.state(name)))
        self.assertLess(took, max_s, "failing start took %.1fs" % took)
        msg = err.lower()
        self.assertTrue(any(e in msg for e in expect),
                        "error message not clear about the monitor/QEMU: %r" % err)
        self.assert_clean_after_failure(name)
        return err

    # -- start-time hostility ------------------------------------------------

    def test_01_exit_early(self):
        err = self.start_fails("hq-exit", "exit-early")
        self.assertIn("some fatal start-up error", err,
                      "QEMU's own stderr (from the log) belongs in the error")

    def test_02_garbage_greeting(self):
        self.start_fails("hq-garbage-greet", "garbage-greeting")

    def test_03_greeting_not_object(self):
        self.start_fails("hq-greet-array", "greeting-not-object")

    def test_04_garbage_reply(self):
        self.start_fails("hq-garbage", "garbage-reply")

    def test_05_truncated_then_eof(self):
        self.start_fails("hq-trunc-eof", "truncated-eof")

    def test_06_huge_reply(self):
        err = self.start_fails("hq-huge", "huge-reply")
        rss = _rss_kb(self.d.pid)
        log("  daemon RSS after the 100 MB reply: %d kB" % rss)
        if not _rss_meaningful(self.d):
            log("  SKIPPED RSS bound: AddressSanitizer build keeps freed memory in quarantine")
        else:
            self.assertLess(rss, 200 * 1024, "daemon kept %d kB after a 100 MB reply" % rss)
        del err

    def test_07_deep_json(self):
        self.start_fails("hq-deep", "deep-json")

    def test_08_wrong_id(self):
        self.start_fails("hq-wrong-id", "wrong-id",
                         expect=("monitor", "qemu", "timed out", "timeout"))

    def test_09_no_greeting(self):
        self.start_fails("hq-silent", "no-greeting",
                         expect=("monitor", "qemu", "timed out", "timeout"))

    def test_10_truncated_hang(self):
        self.start_fails("hq-trunc-hang", "truncated-hang",
                         expect=("monitor", "qemu", "timed out", "timeout"))

    def test_11_never_answers(self):
        self.start_fails("hq-mute", "never-answers",
                         expect=("monitor", "qemu", "timed out", "timeout"))

    def test_12_error_names_the_cause(self):
        """The fake is alive and talking: the error must say what was wrong
        with the monitor, not claim that the process exited (libvirt: e.g.
        "cannot parse json ...", "QEMU monitor reply exceeds buffer size")."""
        bad = []
        for mode, words in (("garbage-reply", ("json", "parse", "garbage", "malformed",
                                               "invalid")),
                            ("huge-reply", ("exceed", "limit", "too large", "too long",
                                            "size"))):
            n = "hq-cause-" + mode
            err = self.start_fails(n, mode)
            if "process exited" in err or not any(w in err.lower() for w in words):
                bad.append("%s: %s" % (mode, err.strip().replace("\n", " | ")))
        self.assertEqual(bad, [], "misleading start errors (QEMU was still running)")

    # -- hostility after the guest runs -------------------------------------

    def running_fake(self, name, mode):
        self.fake_guest(name, mode)
        ev = self.events()
        self.virsh_ok("start", name)
        self.assertEqual(self.state(name), "running (booted)")
        return ev

    def wait_stopped(self, name, timeout=20):
        ok = wait_for(lambda: self.state(name).startswith("shut off"), timeout, 0.1)
        st = self.state(name)
        self.assertTrue(ok, "guest whose monitor went hostile is still %r" % st)
        return st

    def test_20_garbage_after_start(self):
        n = "hq-run-garbage"
        ev = self.running_fake(n, "run-garbage")
        st = self.wait_stopped(n)
        log("  %s -> %s, events %r" % (n, st, ev.of(n)))
        self.assertIn(st, ("shut off (failed)", "shut off (crashed)"))
        ev.wait(n, lambda e: e and e[-1].startswith("Stopped"), 10)
        self.assertEqual(ev.of(n)[-1], "Stopped Failed")
        self.assert_clean_after_failure(n)
        self.assertIn("monitor", self.d.log_text().lower())

    def test_21_huge_after_start(self):
        n = "hq-run-huge"
        ev = self.running_fake(n, "run-huge")
        st = self.wait_stopped(n, 60)
        log("  %s -> %s, events %r" % (n, st, ev.of(n)))
        self.assertIn(st, ("shut off (failed)", "shut off (crashed)"))
        self.assert_clean_after_failure(n)
        rss = _rss_kb(self.d.pid)
        log("  daemon RSS after the 100 MB event: %d kB" % rss)
        if not _rss_meaningful(self.d):
            log("  SKIPPED RSS bound: AddressSanitizer build keeps freed memory in quarantine")
        else:
            self.assertLess(rss, 200 * 1024)

    def test_22_truncated_then_exit(self):
        n = "hq-run-trunc-exit"
        ev = self.running_fake(n, "run-truncated-exit")
        st = self.wait_stopped(n)
        log("  %s -> %s, events %r" % (n, st, ev.of(n)))
        # QEMU gone without a SHUTDOWN event: libvirt says crashed / Stopped Failed
        self.assertEqual(st, "shut off (crashed)")
        ev.wait(n, lambda e: e and e[-1].startswith("Stopped"), 10)
        self.assertEqual(ev.of(n)[-1], "Stopped Failed")

    def test_23_hostile_events(self):
        n = "hq-run-events"
        self.running_fake(n, "run-hostile-events")
        time.sleep(3)
        self.assertTrue(self.d.alive())
        st = self.state(n)
        log("  %s after hostile events: %s" % (n, st))
        rc, out, err = self.virsh("list", "--all", timeout=20)
        self.assertEqual(rc, 0, err)
        if st.startswith("running") or st.startswith("paused"):
            self.virsh_ok("destroy", n)
        self.assertTrue(self.state(n).startswith("shut off"))
        self.assert_clean_after_failure(n)

    def test_24_hang_after_start(self):
        """A monitor that stops answering: the job times out with an error,
        queries and other guests are not blocked, destroy still works."""
        n = "hq-run-hang"
        self.running_fake(n, "run-hang")
        pid = status_pid(self.d, n)
        res = {}

        def run():
            t0 = time.time()
            res["r"] = self.virsh("suspend", n, timeout=200)
            res["t"] = time.time() - t0

        th = threading.Thread(target=run, daemon=True)
        th.start()
        time.sleep(1)
        t1 = time.time()
        self.assertEqual(self.state(n).split(" (")[0], "running")
        self.virsh_ok("list")
        # another guest's jobs are independent
        self.virsh_ok("suspend", self.REAL)
        self.virsh_ok("resume", self.REAL)
        self.assertLess(time.time() - t1, 10, "queries/other guests blocked by a "
                        "hung monitor")
        th.join(150)
        self.assertFalse(th.is_alive(), "suspend against a mute monitor never returned")
        rc, out, err = res["r"]
        log("  suspend vs mute monitor: rc=%d after %.1fs: %s" % (rc, res["t"], err.strip()))
        self.assertNotEqual(rc, 0)
        self.assertTrue(re.search(r"time(d)? ?out", err, re.I), err)
        # destroy works (and does not wait for the monitor)
        t2 = time.time()
        self.virsh_ok("destroy", n)
        self.assertLess(time.time() - t2, 15)
        self.assertEqual(self.state(n), "shut off (destroyed)")
        self.assertTrue(wait_pid_gone(pid))

    def test_25_destroy_during_hung_job(self):
        """destroy while another API waits on a mute monitor: libvirt kills
        QEMU first, so destroy returns promptly and the waiter fails."""
        n = "hq-run-hang2"
        self.running_fake(n, "run-hang")
        res = {}
        th = threading.Thread(target=lambda: res.setdefault(
            "r", self.virsh("suspend", n, timeout=200)), daemon=True)
        th.start()
        time.sleep(2)
        t0 = time.time()
        rc, out, err = self.virsh("destroy", n, timeout=120)
        took = time.time() - t0
        log("  destroy during a hung job: rc=%d after %.1fs %s" % (rc, took, err.strip()))
        self.assertEqual(rc, 0, err)
        self.assertLess(took, 20, "destroy waited %.1fs behind a hung monitor job" % took)
        th.join(120)
        self.assertNotEqual(res["r"][0], 0)
        self.assertEqual(self.state(n), "shut off (destroyed)")


def _rss_meaningful(d):
    """RSS bounds mean nothing under ASan (quarantine, shadow memory)."""
    try:
        with open(d.binary, "rb") as f:
            return b"__asan_init" not in f.read()
    except OSError:
        return True


def _rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
