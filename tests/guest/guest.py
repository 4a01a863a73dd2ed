"""The tiny test guest (Linux kernel + busybox initramfs built from Debian
packages at test time), for the integration tests.

    import guest
    paths = guest.build("/var/tmp/modvirt-guest")   # runs build-guest.sh
    xml = guest.domain_xml("g1", "/var/tmp/modvirt-guest")
    ...  wait for guest.MARKER on the console, then `virsh shutdown g1`

Stdlib only.  `python3 guest.py check OUTDIR` builds the guest and boots it
with QEMU directly (TCG) to check the marker, the console shell, ACPI
power-off and reboot; see README.md.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from xml.sax.saxutils import escape as _xml_escape

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_SCRIPT = os.path.join(HERE, "build-guest.sh")

#: Line the guest prints on ttyS0 once acpid watches the power button.
MARKER = "MODVIRT-GUEST-READY"
#: Line printed by the ACPI power-button handler just before power-off.
POWERBUTTON_MARKER = "MODVIRT-GUEST-POWERBUTTON"
#: Shell prompt on the serial console.
PROMPT = "modvirt-guest# "

#: Default location when a test has no better idea (cached across runs).
DEFAULT_OUTDIR = os.environ.get("MODVIRT_GUEST_DIR", "/var/tmp/modvirt-guest")

_built = {}


class GuestBuildError(RuntimeError):
    pass


def _paths(outdir):
    return {
        "outdir": outdir,
        "kernel": os.path.join(outdir, "vmlinuz"),
        "initrd": os.path.join(outdir, "initrd.img"),
        "xml_template": os.path.join(outdir, "guest.xml.in"),
    }


def build(outdir=DEFAULT_OUTDIR, quiet=True):
    """Build (or reuse the cached) guest in OUTDIR; return a dict with
    'outdir', 'kernel', 'initrd', 'xml_template' (absolute paths).
    Raises GuestBuildError with the script's message on failure."""
    outdir = os.path.abspath(outdir)
    if outdir in _built:
        return dict(_built[outdir])
    proc = subprocess.run(["/bin/bash", BUILD_SCRIPT, outdir],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        raise GuestBuildError("build-guest.sh %s failed (rc=%d):\n%s"
                              % (outdir, proc.returncode, proc.stdout))
    if not quiet:
        sys.stderr.write(proc.stdout)
    paths = _paths(outdir)
    for key in ("kernel", "initrd", "xml_template"):
        if not os.path.isfile(paths[key]):
            raise GuestBuildError("build-guest.sh did not produce " + paths[key])
    _built[outdir] = paths
    return dict(paths)


def domain_xml(name, outdir=DEFAULT_OUTDIR):
    """Domain XML for a guest called NAME, from OUTDIR/guest.xml.in
    (build() must have run)."""
    path = os.path.join(os.path.abspath(outdir), "guest.xml.in")
    with open(path, encoding="utf-8") as f:
        template = f.read()
    return template.replace("@NAME@", _xml_escape(name))


# --------------------------------------------------------------------------
# Self-check: boot the guest with QEMU directly (no daemon involved).

class _Serial:
    """Serial port of a QEMU started with -serial unix:PATH,server=on."""

    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.buf = b""

    def wait_for(self, text, timeout):
        """Read until TEXT appears; return seconds waited."""
        t0 = time.monotonic()
        want = text.encode()
        while want not in self.buf:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                raise TimeoutError("%r not seen on serial after %.0fs; got:\n%s"
                                   % (text, timeout, self.buf.decode(errors="replace")))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            if not data:
                raise EOFError("serial closed before %r; got:\n%s"
                               % (text, self.buf.decode(errors="replace")))
            self.buf += data
        return time.monotonic() - t0

    def send(self, text):
        self.sock.sendall(text.encode())

    def close(self):
        self.sock.close()


def _qmp(path, *commands):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rwb")
    json.loads(f.readline())                       # greeting
    replies = []
    for cmd in ("qmp_capabilities",) + commands:
        f.write(json.dumps({"execute": cmd}).encode() + b"\n")
        f.flush()
        while True:
            msg = json.loads(f.readline())
            if "return" in msg or "error" in msg:
                replies.append(msg)
                break
    s.close()
    return replies[1:]


def boot_direct(outdir, how="powerdown", qemu="qemu-system-x86_64", timeout=120):
    """Boot the guest under TCG with QEMU directly and end it HOW:
    'powerdown' (QMP system_powerdown), 'reboot' (type `reboot` in the
    shell; -no-reboot makes QEMU exit).  Returns a dict of timings."""
    paths = _paths(os.path.abspath(outdir))
    tmp = tempfile.mkdtemp(prefix="modvirt-guest-")
    qmp_path, ser_path = os.path.join(tmp, "qmp"), os.path.join(tmp, "serial")
    argv = [qemu, "-accel", "tcg", "-machine", "pc", "-m", "128", "-smp", "1",
            "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
            "-kernel", paths["kernel"], "-initrd", paths["initrd"],
            "-append", "console=ttyS0 panic=-1 quiet",
            "-qmp", "unix:%s,server=on,wait=off" % qmp_path,
            "-serial", "unix:%s,server=on,wait=off" % ser_path,
            "-device", "virtio-balloon-pci"]
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ser = None
    try:
        ser = _Serial(ser_path)
        ser.wait_for(MARKER, timeout)
        res = {"marker_s": time.monotonic() - t0}
        ser.wait_for(PROMPT, 30)
        ser.send("echo hel''lo\n")                 # echo must not fake the match
        ser.wait_for("hello\r\n", 30)
        res["console"] = "ok"
        t1 = time.monotonic()
        if how == "powerdown":
            _qmp(qmp_path, "system_powerdown")
            ser.wait_for(POWERBUTTON_MARKER, 30)
        elif how == "reboot":
            ser.send("reboot\n")
        else:
            raise ValueError(how)
        rc = proc.wait(timeout=60)
        res["end_s"] = time.monotonic() - t1
        res["qemu_rc"] = rc
        return res
    finally:
        if ser:
            ser.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for p in (qmp_path, ser_path):
            if os.path.exists(p):
                os.unlink(p)
        os.rmdir(tmp)


def _main(argv):
    if len(argv) not in (2, 3) or argv[0] not in ("build", "check", "xml"):
        sys.stderr.write("usage: guest.py build|check OUTDIR | guest.py xml NAME OUTDIR\n")
        return 2
    if argv[0] == "xml":
        sys.stdout.write(domain_xml(argv[1], argv[2]))
        return 0
    paths = build(argv[1], quiet=False)
    if argv[0] == "build":
        print(json.dumps(paths, indent=2))
        return 0
    ok = True
    for how in ("powerdown", "reboot"):
        try:
            r = boot_direct(argv[1], how)
            print("%-9s marker after %.1fs, console %s, QEMU exited %.1fs after %s (rc=%d)"
                  % (how, r["marker_s"], r["console"], r["end_s"], how, r["qemu_rc"]))
            ok = ok and r["qemu_rc"] == 0
        except Exception as e:                     # noqa: BLE001 - report and go on
            print("%s: FAILED: %s" % (how, e))
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
