"""Integration-test harness for modvirt daemons (stdlib only).

Runs with Debian's /usr/bin/python3 (which has python3-libvirt).  Provides:

* Daemon      -- context manager: private root, start, wait for the socket,
                 stop (SIGTERM then SIGKILL), log collection.
* virsh()     -- run the real /usr/bin/virsh against the current daemon.
* connect()   -- a python-libvirt connection to the current daemon.
* rpc helpers -- raw libvirt-RPC packets for hostile-input tests.
* main()      -- tiny unittest runner; last line "N passed, N failed, N skipped".

The daemon binary comes from `--daemon PATH`, or $MODVIRT_DAEMON_BIN, or the
default build directory.  `--reference-libvirtd` (or MODVIRT_REFERENCE=1)
runs the same tests against Debian's real /usr/sbin/libvirtd, started inside a
private mount + network namespace so it cannot touch the host; it is how the
expected outputs in these tests were checked against libvirt itself.
"""

import errno
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.dirname(os.path.dirname(HERE))
SYSTEM_PYTHON = "/usr/bin/python3"
VIRSH = "/usr/bin/virsh"
LIBVIRTD = "/usr/sbin/libvirtd"

# Filled in by main() (or by env vars when imported some other way).
CONFIG = {
    "daemon": os.environ.get("MODVIRT_DAEMON_BIN"),
    "reference": os.environ.get("MODVIRT_REFERENCE", "") not in ("", "0"),
    "verbose": False,
}

_DEFAULT_BINS = [
    os.path.join(SRC_ROOT, "build", "daemons", "qemu", "virtqemud"),
    "/work/build-it/daemons/qemu/virtqemud",
]


def daemon_binary():
    if CONFIG["daemon"]:
        return os.path.abspath(CONFIG["daemon"])
    for b in _DEFAULT_BINS:
        if os.access(b, os.X_OK):
            return b
    return _DEFAULT_BINS[0]


def is_reference():
    return CONFIG["reference"]


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------------
# Daemon
# ---------------------------------------------------------------------------

class DaemonError(Exception):
    pass


_CURRENT = []  # stack of running daemons; virsh()/connect() use the top one


def current_daemon():
    if not _CURRENT:
        raise DaemonError("no daemon running")
    return _CURRENT[-1]


class Daemon:
    """A private daemon instance.

    with Daemon() as d:
        d.virsh("list", "--all")

    root: reuse an existing private root (e.g. restart after kill -9).
    args: extra command-line arguments for the daemon.
    config: text written to the default config file before start.
    wait: wait for the rw socket to accept connections.
    """

    def __init__(self, root=None, args=(), config=None, env=None,
                 wait=True, timeout=15.0, binary=None,
                 base_args=("--timeout", "0", "-v")):
        self.reference = is_reference()
        self.binary = binary or (LIBVIRTD if self.reference else daemon_binary())
        self.own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix="modvirt-it-")
        self.args = list(args)
        self.base_args = list(base_args)
        self.config = config
        self.env = env
        self.wait = wait
        self.timeout = timeout
        self.proc = None
        self.logfile = os.path.join(self.root, "daemon-%d.log" % os.getpid())
        self.returncode = None
        name = "libvirt" if self.reference else "virtqemud"
        self.sockdir = os.path.join(self.root, "run", "libvirt")
        self.sock_rw = os.path.join(self.sockdir, name + "-sock")
        self.sock_ro = os.path.join(self.sockdir, name + "-sock-ro")
        self.sock_admin = os.path.join(self.sockdir, name + "-admin-sock")
        self.confdir = os.path.join(self.root, "etc", "libvirt")
        self.qemu_confdir = os.path.join(self.confdir, "qemu")
        self.autostart_dir = os.path.join(self.qemu_confdir, "autostart")
        self.config_path = os.path.join(
            self.confdir, "libvirtd.conf" if self.reference else "virtqemud.conf")

    # -- URIs ---------------------------------------------------------------
    @property
    def uri(self):
        return "qemu+unix:///system?socket=" + self.sock_rw

    @property
    def uri_ro(self):
        return "qemu+unix:///system?socket=" + self.sock_ro

    # -- lifecycle ----------------------------------------------------------
    def _prepare_reference(self):
        """Private files for Debian's libvirtd in its own namespaces."""
        r = self.root
        for d in ("run/libvirt", "etc/libvirt/qemu", "var/lib/libvirt",
                  "var/cache/libvirt", "var/log/libvirt", "nsetc"):
            os.makedirs(os.path.join(r, d), exist_ok=True)
        conf = os.path.join(self.confdir, "libvirtd.conf")
        if not os.path.exists(conf):
            with open(conf, "w") as f:
                f.write('auth_unix_ro = "none"\nauth_unix_rw = "none"\n')
                if self.config:
                    f.write(self.config)
        qconf = os.path.join(self.confdir, "qemu.conf")
        if not os.path.exists(qconf):
            with open(qconf, "w") as f:
                f.write('user = "root"\ngroup = "root"\nsecurity_driver = "none"\n')
        # the qemu driver insists on its compiled-in user existing
        passwd = os.path.join(r, "nsetc", "passwd")
        group = os.path.join(r, "nsetc", "group")
        shutil.copy("/etc/passwd", passwd)
        shutil.copy("/etc/group", group)
        with open(passwd, "a") as f:
            f.write("libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin\n")
        with open(group, "a") as f:
            f.write("libvirt-qemu:x:64055:\nkvm:x:64056:\n")
        if not os.path.isdir("/etc/libvirt"):
            raise DaemonError("reference mode needs /etc/libvirt to exist")
        script = (
            "set -e; "
            "mount --bind {r}/nsetc/passwd /etc/passwd; "
            "mount --bind {r}/nsetc/group /etc/group; "
            "mount -t tmpfs tmpfs /run; mkdir -p /run/libvirt; "
            "mount --bind {r}/run/libvirt /run/libvirt; "
            "mount --bind {r}/etc/libvirt /etc/libvirt; "
            "mount -t tmpfs tmpfs /var; "
            "for x in lib cache log; do mkdir -p /var/$x/libvirt; "
            "mount --bind {r}/var/$x/libvirt /var/$x/libvirt; done; "
            'exec "$@"').format(r=r)
        return ["unshare", "-m", "-n", "--propagation", "private",
                "sh", "-c", script, "sh", LIBVIRTD]

    def command(self):
        if self.reference:
            return self._prepare_reference() + self.args
        return [self.binary] + self.base_args + self.args

    def start(self):
        if not self.reference and not os.access(self.binary, os.X_OK):
            raise DaemonError("daemon binary %r does not exist or is not "
                              "executable (build it, or pass --daemon PATH)"
                              % self.binary)
        os.makedirs(self.root, exist_ok=True)
        if self.config is not None and not self.reference:
            os.makedirs(self.confdir, exist_ok=True)
            with open(self.config_path, "w") as f:
                f.write(self.config)
        env = dict(os.environ)
        env["MODVIRT_ROOT"] = self.root
        env["LC_ALL"] = "C"
        if self.env:
            env.update(self.env)
        cmd = self.command()
        self._logfh = open(self.logfile, "ab")
        self._logfh.write(("=== %s\n" % " ".join(cmd)).encode())
        self._logfh.flush()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self._logfh, stderr=self._logfh,
                                     env=env, cwd=self.root)
        _CURRENT.append(self)
        if self.wait:
            try:
                self.wait_socket(self.sock_rw, self.timeout)
                self.wait_ready(self.timeout)
            except Exception:
                self.stop()
                raise
        return self

    def wait_socket(self, path, timeout=15.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise DaemonError("daemon exited with status %s before its "
                                  "socket appeared\n%s"
                                  % (self.proc.returncode, self.log_tail()))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                s.close()
                return
            except OSError:
                time.sleep(0.05)
        raise DaemonError("socket %s did not appear within %ss\n%s"
                          % (path, timeout, self.log_tail()))

    def wait_ready(self, timeout=15.0):
        """The socket accepts; wait until a real client gets an answer
        (libvirtd initialises its drivers after binding)."""
        deadline = time.time() + timeout
        while True:
            rc, out, err = self.virsh("list", "--all", "--name", timeout=timeout)
            if rc == 0 or time.time() > deadline or not self.alive():
                return rc == 0
            time.sleep(0.1)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Stop the daemon by PID; returns its exit status (Popen style)."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log("daemon %d ignored signal %d for %ss; SIGKILL"
                    % (self.proc.pid, sig, timeout))
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.returncode = self.proc.returncode
        self.proc = None
        if self in _CURRENT:
            _CURRENT.remove(self)
        try:
            self._logfh.close()
        except Exception:
            pass
        return self.returncode

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def cleanup(self):
        if self.proc is not None:
            self.stop()
        if self.own_root and not os.environ.get("MODVIRT_KEEP_ROOT"):
            # guests outlive the daemon by design: end the ones it started
            # under this root (by PID) before the root goes away
            left = kill_processes_under(self.root)
            if left:
                log("killed %d leftover guest process(es) under %s: %r"
                    % (len(left), self.root, left))
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            log("daemon log (%s):\n%s" % (self.logfile, self.log_tail()))
        self.cleanup()
        return False

    def log_text(self):
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=60):
        return "\n".join(self.log_text().splitlines()[-n:])

    # -- clients ------------------------------------------------------------
    def virsh(self, *args, ro=False, readonly_flag=False, input=None,
              env=None, timeout=60):
        uri = self.uri_ro if ro else self.uri
        cmd = [VIRSH, "-c", uri]
        if readonly_flag:
            cmd.append("-r")
        cmd += [str(a) for a in args]
        e = dict(os.environ)
        e["LC_ALL"] = "C"
        e.pop("VIRSH_DEFAULT_CONNECT_URI", None)
        e.pop("LIBVIRT_DEFAULT_URI", None)
        if env:
            e.update(env)
        p = subprocess.run(cmd, input=input, capture_output=True, text=True,
                           env=e, timeout=timeout)
        if CONFIG["verbose"]:
            log("$ %s\nrc=%d\n--stdout--\n%s--stderr--\n%s" % (
                " ".join(cmd), p.returncode, p.stdout, p.stderr))
        return p.returncode, p.stdout, p.stderr

    def connect(self, ro=False, readonly_flag=False):
        import libvirt
        quiet_libvirt()
        if ro:
            return libvirt.openReadOnly(self.uri_ro)
        if readonly_flag:
            return libvirt.openReadOnly(self.uri)
        return libvirt.open(self.uri)

    # -- storage inspection --------------------------------------------------
    def domain_file(self, name):
        return os.path.join(self.qemu_confdir, name + ".xml")

    def stored_files(self):
        try:
            return sorted(f for f in os.listdir(self.qemu_confdir)
                          if os.path.isfile(os.path.join(self.qemu_confdir, f)))
        except FileNotFoundError:
            return []

    def autostart_link(self, name):
        return os.path.join(self.autostart_dir, name + ".xml")


def virsh(*args, ro=False, input=None, env=None, **kw):
    """virsh against the most recently started daemon -> (rc, out, err)."""
    return current_daemon().virsh(*args, ro=ro, input=input, env=env, **kw)


def connect(ro=False, **kw):
    return current_daemon().connect(ro=ro, **kw)


_quiet = []


def quiet_libvirt():
    """Stop libvirt printing every error on stderr (tests check them)."""
    if _quiet:
        return
    import libvirt
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    _quiet.append(1)


# ---------------------------------------------------------------------------
# Domain XML helpers
# ---------------------------------------------------------------------------

def domain_xml(name, uuid=None, memory=131072, vcpu=1, extra_os="",
               devices="", extra="", title=None, description=None,
               max_vcpu=None, current_vcpu=None):
    parts = ["<domain type='qemu'>", "  <name>%s</name>" % name]
    if uuid:
        parts.append("  <uuid>%s</uuid>" % uuid)
    if title is not None:
        parts.append("  <title>%s</title>" % title)
    if description is not None:
        parts.append("  <description>%s</description>" % description)
    parts.append("  <memory unit='KiB'>%d</memory>" % memory)
    parts.append("  <currentMemory unit='KiB'>%d</currentMemory>" % memory)
    if current_vcpu is not None:
        parts.append("  <vcpu placement='static' current='%d'>%d</vcpu>"
                     % (current_vcpu, max_vcpu or vcpu))
    else:
        parts.append("  <vcpu placement='static'>%d</vcpu>" % vcpu)
    parts.append("  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>%s\n  </os>"
                 % extra_os)
    if extra:
        parts.append(extra)
    parts.append("  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>%s\n  </devices>"
                 % devices)
    parts.append("</domain>\n")
    return "\n".join(parts)


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def wait_for(pred, timeout=10.0, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


# ---------------------------------------------------------------------------
# Raw libvirt RPC (for hostile-input tests)
# ---------------------------------------------------------------------------

REMOTE_PROGRAM = 0x20008086
REMOTE_VERSION = 1
KEEPALIVE_PROGRAM = 0x6b656570
CALL, REPLY, MESSAGE, STREAM = 0, 1, 2, 3
OK, ERROR, CONTINUE = 0, 1, 2
PROC_CONNECT_OPEN = 1
PROC_CONNECT_CLOSE = 2
PROC_AUTH_LIST = 66
PROC_CONNECT_GET_HOSTNAME = 59


def xdr_string(s):
    b = s.encode()
    pad = (4 - len(b) % 4) % 4
    return struct.pack(">I", len(b)) + b + b"\0" * pad


def pack_packet(prog, vers, proc, mtype, serial, status, body=b""):
    hdr = struct.pack(">IIiiIi", prog, vers, proc, mtype, serial, status)
    return struct.pack(">I", 4 + len(hdr) + len(body)) + hdr + body


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def recv_packet(sock):
    """-> (header tuple, body bytes); skips keepalive traffic."""
    while True:
        (length,) = struct.unpack(">I", recv_exact(sock, 4))
        data = recv_exact(sock, length - 4)
        hdr = struct.unpack(">IIiiIi", data[:24])
        if hdr[0] == KEEPALIVE_PROGRAM:
            continue
        return hdr, data[24:]


class XdrReader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def u32(self):
        (v,) = struct.unpack(">I", self.data[self.pos:self.pos + 4])
        self.pos += 4
        return v

    def i32(self):
        (v,) = struct.unpack(">i", self.data[self.pos:self.pos + 4])
        self.pos += 4
        return v

    def string(self):
        n = self.u32()
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n + (4 - n % 4) % 4
        return s

    def opt_string(self):
        return self.string() if self.u32() else None


def parse_remote_error(body):
    r = XdrReader(body)
    code, domain = r.i32(), r.i32()
    message = r.opt_string()
    level = r.i32()
    return {"code": code, "domain": domain, "message": message, "level": level}


def raw_connect(path, timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def raw_call(sock, proc, body=b"", serial=1, prog=REMOTE_PROGRAM, vers=REMOTE_VERSION):
    sock.sendall(pack_packet(prog, vers, proc, CALL, serial, OK, body))
    return recv_packet(sock)


def raw_open(sock, name="qemu:///system", flags=0):
    """AUTH_LIST + CONNECT_OPEN; returns next free serial."""
    hdr, _ = raw_call(sock, PROC_AUTH_LIST, serial=0)
    assert hdr[5] == OK, hdr
    body = struct.pack(">I", 1) + xdr_string(name) + struct.pack(">I", flags)
    hdr, b = raw_call(sock, PROC_CONNECT_OPEN, body, serial=1)
    assert hdr[5] == OK, (hdr, b)
    return 2


# ---------------------------------------------------------------------------
# Test base class and runner
# ---------------------------------------------------------------------------

def kill_processes_under(root):
    """SIGKILL every process whose command line mentions ROOT/ (QEMUs the
    daemon under test started there), except daemons.  Returns their pids."""
    killed = []
    if not root:
        return killed
    needle = (root.rstrip("/") + "/").encode()
    for ent in os.listdir("/proc"):
        if not ent.isdigit() or int(ent) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % ent, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        exe = cmd.split(b"\0")[0]
        if needle in cmd and b"virtqemud" not in exe and b"libvirtd" not in exe:
            try:
                os.kill(int(ent), signal.SIGKILL)
                killed.append(int(ent))
            except OSError:
                pass
    return killed


class DaemonTestCase(unittest.TestCase):
    """One private daemon per test class (fast); tests use unique names."""

    daemon_args = ()
    daemon_config = None
    d = None
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(args=cls.daemon_args, config=cls.daemon_config)
        try:
            cls.d.start()
        except Exception:
            cls.d.cleanup()
            cls.d = None
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.d is None:
            return
        d = cls.d
        crashed = not d.alive()
        rc = d.stop()
        tail = d.log_tail()
        d.cleanup()
        if crashed:
            raise AssertionError("daemon died during the tests (status %s)\n%s"
                                 % (rc, tail))
        if rc not in (0, -signal.SIGTERM) and not d.reference:
            raise AssertionError("daemon exited with status %s on SIGTERM "
                                 "(expected 0)\n%s" % (rc, tail))

    def setUp(self):
        if self.d is not None and not self.d.alive():
            self.fail("daemon is not running (crashed earlier?)\n"
                      + self.d.log_tail())

    def tearDown(self):
        if self.d is not None and not self.d.alive():
            self.fail("daemon died during this test (status %s)\n%s"
                      % (self.d.proc.poll(), self.d.log_tail()))

    # helpers
    def virsh(self, *a, **kw):
        return self.d.virsh(*a, **kw)

    def virsh_ok(self, *a, **kw):
        rc, out, err = self.d.virsh(*a, **kw)
        self.assertEqual(rc, 0, "virsh %s failed: rc=%d\nstdout=%r\nstderr=%r"
                         % (" ".join(map(str, a)), rc, out, err))
        return out

    def virsh_err(self, *a, **kw):
        rc, out, err = self.d.virsh(*a, **kw)
        self.assertNotEqual(rc, 0, "virsh %s unexpectedly succeeded:\n%s"
                            % (" ".join(map(str, a)), out))
        return out, err

    def tmpfile(self, name, text):
        p = os.path.join(self.d.root, "input-" + name)
        return write_file(p, text)

    def define(self, name, **kw):
        xml = domain_xml(name, **kw)
        path = self.tmpfile(name + ".xml", xml)
        out = self.virsh_ok("define", path)
        self.assertEqual(out, "Domain '%s' defined from %s\n\n" % (name, path))
        return path

    def assertNothingStored(self, name):
        self.assertFalse(os.path.exists(self.d.domain_file(name)),
                         "%s was stored" % self.d.domain_file(name))


class _Result(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.passed = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed.append(test)

    def _daemon_log(self, test):
        d = getattr(test, "d", None)
        if isinstance(d, Daemon):
            return "\n--- daemon log tail (%s) ---\n%s\n" % (d.logfile, d.log_tail(40))
        return ""

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.stream.write(self._daemon_log(test))

    def addError(self, test, err):
        super().addError(test, err)
        self.stream.write(self._daemon_log(test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.stream.write("\n*** SKIPPED %s: %s ***\n" % (test.id(), reason))


def _reexec_with_system_python():
    try:
        import libvirt  # noqa: F401
        return
    except ImportError:
        pass
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) \
            and os.path.exists(SYSTEM_PYTHON):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)


def main(module_name="__main__"):
    args = sys.argv[1:]
    rest = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--daemon":
            CONFIG["daemon"] = args[i + 1]
            i += 2
            continue
        if a.startswith("--daemon="):
            CONFIG["daemon"] = a.split("=", 1)[1]
        elif a == "--reference-libvirtd":
            CONFIG["reference"] = True
        elif a in ("-v", "--verbose"):
            CONFIG["verbose"] = True
        else:
            rest.append(a)
        i += 1
    if CONFIG["daemon"]:
        os.environ["MODVIRT_DAEMON_BIN"] = os.path.abspath(CONFIG["daemon"])
    if CONFIG["reference"]:
        os.environ["MODVIRT_REFERENCE"] = "1"
    _reexec_with_system_python()
    if os.geteuid() != 0:
        print("These tests start daemons as root (system mode); run as root.")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    who = LIBVIRTD + " (reference mode)" if CONFIG["reference"] else daemon_binary()
    print("daemon under test: %s" % who)
    sys.stdout.flush()
    loader = unittest.TestLoader()
    module = sys.modules[module_name]
    if rest:
        suite = loader.loadTestsFromNames(rest, module)
    else:
        suite = loader.loadTestsFromModule(module)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2,
                                     resultclass=_Result)
    start = time.time()
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    skipped = len(res.skipped)
    if skipped:
        print("\n*** %d test(s) SKIPPED:" % skipped)
        for t, reason in res.skipped:
            print("***   %s: %s" % (t.id(), reason))
    print("(%.1fs)" % (time.time() - start))
    print("%d passed, %d failed, %d skipped" % (len(res.passed), failed, skipped))
    return 1 if failed else 0
