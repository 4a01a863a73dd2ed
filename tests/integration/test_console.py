#!/usr/bin/python3
"""Guest serial console over an RPC stream (issue 3, "Console and events"):
python-libvirt openConsole (bytes both ways, exclusive sessions,
VIR_DOMAIN_CONSOLE_FORCE, stream end on guest stop, abort/finish) and the
real `virsh console NAME` on a pty (output seen, typing, Ctrl-] exits).

Run:  /usr/bin/python3 tests/integration/test_console.py --daemon BUILD/daemons/qemu/virtqemud
Helpers (Console, GuestTestCase, ...) live in test_lifecycle.py.
"""

import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import log, main, wait_for  # noqa: E402
from test_lifecycle import (GuestTestCase, Console, MARKER, PROMPT,  # noqa: E402
                            virsh_console_pty)

BUSY = "Active console session exists for this domain"


class ConsoleStream(GuestTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # one shared booted guest; tests that stop it use their own
        cls.name = "con-shared"
        from test_lifecycle import guest_xml
        from harness import write_file
        path = write_file(os.path.join(cls.d.root, "con-shared.xml"),
                          guest_xml(cls.name))
        rc, out, err = cls.d.virsh("define", path)
        assert rc == 0, err
        rc, out, err = cls.d.virsh("start", "--paused", cls.name)
        assert rc == 0, err
        con = Console(cls.d, cls.name)
        cls.d.virsh("resume", cls.name)
        t0 = time.time()
        try:
            con.wait(MARKER)
            log("  shared guest: marker after %.1fs" % (time.time() - t0))
        finally:
            con.closing = True
            con.t.join(5)
            # finish (not abort): leave the session cleanly
            fin = threading.Thread(target=lambda: con.st.finish(), daemon=True)
            fin.start()
            fin.join(10)
            con._close_conn()

    def shell_roundtrip(self, con, tag="hel''lo", want="hello"):
        pos = con.mark()
        con.send("\n")
        con.wait(PROMPT, 30, since=pos)
        pos = con.mark()
        con.send("echo %s\n" % tag)
        con.wait(want + "\r\n", 30, since=pos)

    def test_01_bytes_both_ways(self):
        con = self.console(self.name)
        self.shell_roundtrip(con)
        # a command with a long output comes back whole
        pos = con.mark()
        con.send("i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done; echo EN''D\n")
        con.wait("END\r\n", 60, since=pos)
        text = con.buf[pos:].decode("utf-8", "replace")
        for i in (0, 150, 299):
            self.assertIn("line-%d\r\n" % i, text)
        self.assertIsNone(con.error)

    def test_02_second_session_refused(self):
        import libvirt
        c1 = self.console(self.name)
        self.shell_roundtrip(c1)
        with self.assertRaises(libvirt.libvirtError) as cm:
            c2 = Console(self.d, self.name)
            self._closers.append(c2.close)
        self.assertIn(BUSY, str(cm.exception))
        self.assertEqual(cm.exception.get_error_code(), libvirt.VIR_ERR_OPERATION_FAILED,
                         str(cm.exception))
        # the first session still works
        self.shell_roundtrip(c1, "se''cond", "second")

    def test_03_force_takes_over(self):
        import libvirt
        c1 = self.console(self.name)
        self.shell_roundtrip(c1)
        c2 = self.console(self.name, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
        ok = wait_for(lambda: c1.error is not None or c1.eof, 10)
        self.assertTrue(ok, "first console stream neither failed nor ended after "
                        "a forced open")
        log("  first stream after FORCE: error=%r eof=%r" % (
            str(c1.error) if c1.error else None, c1.eof))
        self.assertIsNotNone(c1.error, "libvirt aborts the old stream: the holder "
                             "gets an error, not a clean EOF")
        self.shell_roundtrip(c2, "for''ced", "forced")
        # virsh console on a taken console fails the same way
        rc, out, err = self.virsh("console", self.name)
        self.assertNotEqual(rc, 0)

    def test_04_stream_abort_answered(self):
        """virStreamAbort (what virsh console does on Ctrl-]) must get its
        reply; then a new session can be opened."""
        c1 = Console(self.d, self.name)
        self.shell_roundtrip(c1)
        c1.closing = True
        c1.t.join(5)
        t0 = time.time()
        done, err = c1.abort(10)
        took = time.time() - t0
        if done:
            c1._close_conn()
        self.assertTrue(done, "virStreamAbort on a live console stream got no "
                        "reply within 10s")
        log("  abort answered in %.3fs (%s)" % (took, err))
        c2 = self.console(self.name)
        self.shell_roundtrip(c2)

    def test_05_stream_finish(self):
        c1 = Console(self.d, self.name)
        self.shell_roundtrip(c1)
        c1.closing = True
        c1.t.join(5)
        res = {}
        th = threading.Thread(target=lambda: res.setdefault("rc", c1.st.finish()),
                              daemon=True)
        th.start()
        th.join(10)
        self.assertFalse(th.is_alive(), "virStreamFinish got no reply")
        c1._close_conn()
        c2 = self.console(self.name)
        self.shell_roundtrip(c2)

    def test_06_virsh_console_pty(self):
        """The real `virsh console` on a pseudo-terminal: banner, typing,
        output, Ctrl-] exits with status 0."""
        ok, status, out, took = virsh_console_pty(
            self.d, self.name, b"Escape character is ^]",
            send_before_exit=(b"\recho vir''sh-con\r", b"virsh-con\r\n"), timeout=30)
        text = out.decode("utf-8", "replace")
        self.assertIn("Connected to domain '%s'" % self.name, text)
        self.assertTrue(ok, "no echo reply through virsh console; output:\n" + text[-2000:])
        self.assertEqual(status, 0, "virsh console did not exit 0 within 15s of "
                         "Ctrl-] (status %r, output:\n%s)" % (status, text[-2000:]))
        log("  virsh console exited %.2fs after Ctrl-]" % took)
        # the session is released: python can open it now
        c = self.console(self.name)
        self.shell_roundtrip(c)

    def test_07_console_inactive_domain(self):
        import libvirt
        n = "con-inactive"
        self.define_guest(n)
        with self.assertRaises(libvirt.libvirtError) as cm:
            Console(self.d, n)
        self.assertIn("domain is not running", str(cm.exception))
        rc, out, err = self.virsh("console", n)
        self.assertNotEqual(rc, 0)
        self.assertIn("domain is not running", err)

    def test_08_stream_ends_when_guest_stops(self):
        n = "con-stop"
        self.define_guest(n)
        self.virsh_ok("start", "--paused", n)
        con = self.console(n)
        self.virsh_ok("resume", n)
        time.sleep(1)
        self.virsh_ok("destroy", n)
        ok = wait_for(lambda: con.error is not None or con.eof, 10)
        self.assertTrue(ok, "console stream still open after the guest was destroyed")
        log("  stream after destroy: eof=%s error=%s" % (con.eof, con.error))
        # a new start gives a new working console
        self.virsh_ok("start", n)
        con2 = self.console(n)
        con2.wait(MARKER)
        self.shell_roundtrip(con2)
        self.virsh_ok("destroy", n)


if __name__ == "__main__":
    sys.exit(main())
