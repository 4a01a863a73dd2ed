#!/usr/bin/python3
"""The domain-configuration API through python3-libvirt 9.0 (/usr/bin/python3).

Run: /usr/bin/python3 tests/integration/test_python_api.py --daemon BUILD/daemons/qemu/virtqemud
"""

import os
import sys
import threading
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import DaemonTestCase, domain_xml  # noqa: E402

try:
    import libvirt
except ImportError:  # harness.main() re-executes with /usr/bin/python3
    libvirt = None

VIR_FROM_QEMU = 10
VIR_FROM_DOM = 20
VIR_FROM_RPC = 7


class PythonAPI(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        harness.quiet_libvirt()
        cls.conn = cls.d.connect()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.conn.close()
        except Exception:
            pass
        super().tearDownClass()

    def assertLibvirtError(self, fn, code, domain=None, message=None):
        with self.assertRaises(libvirt.libvirtError) as cm:
            fn()
        e = cm.exception
        self.assertEqual(e.get_error_code(), code, e.get_error_message())
        if domain is not None:
            self.assertEqual(e.get_error_domain(), domain, e.get_error_message())
        if message is not None:
            self.assertEqual(e.get_error_message(), message)
        return e

    # -- connection ---------------------------------------------------------
    def test_connection_info(self):
        c = self.conn
        self.assertEqual(c.getType(), "QEMU")
        self.assertEqual(c.getLibVersion(), 9000000)
        self.assertGreaterEqual(c.getVersion(), 1000000)  # QEMU version
        self.assertEqual(c.getHostname(), os.uname().nodename)
        self.assertEqual(c.getURI(), self.d.uri)
        self.assertEqual(c.isSecure(), 1)
        self.assertEqual(c.isAlive(), 1)
        info = c.getInfo()
        self.assertEqual(info[0], os.uname().machine)
        self.assertEqual(info[2], os.cpu_count())
        caps = ET.fromstring(c.getCapabilities())
        self.assertEqual(caps.findtext("host/cpu/arch"), os.uname().machine)

    def test_open_read_only(self):
        r = self.d.connect(ro=True)
        try:
            self.assertEqual(r.getType(), "QEMU")
            self.assertIsInstance(r.listAllDomains(0), list)
        finally:
            r.close()

    # -- define / lookup ----------------------------------------------------
    def test_define_lookup(self):
        u = "55555555-2222-3333-4444-000000000001"
        dom = self.conn.defineXML(domain_xml("py-a", uuid=u))
        self.assertEqual(dom.name(), "py-a")
        self.assertEqual(dom.UUIDString(), u)
        self.assertEqual(dom.ID(), -1)
        self.assertEqual(dom.isActive(), 0)
        self.assertEqual(dom.isPersistent(), 1)
        self.assertEqual(dom.OSType(), "hvm")
        self.assertEqual(dom.maxMemory(), 131072)
        self.assertEqual(self.conn.lookupByName("py-a").UUIDString(), u)
        self.assertEqual(self.conn.lookupByUUIDString(u).name(), "py-a")
        self.assertEqual(self.conn.lookupByUUID(bytes.fromhex(u.replace("-", ""))).name(), "py-a")
        self.assertTrue(os.path.isfile(self.d.domain_file("py-a")))
        self.assertEqual(dom.info(), [5, 131072, 131072, 1, 0])
        self.assertEqual(dom.state(), [libvirt.VIR_DOMAIN_SHUTOFF,
                                       libvirt.VIR_DOMAIN_SHUTOFF_UNKNOWN])
        self.assertEqual(dom.autostart(), 0)

    def test_lookup_errors(self):
        self.assertLibvirtError(lambda: self.conn.lookupByName("nosuch"),
                                libvirt.VIR_ERR_NO_DOMAIN, VIR_FROM_QEMU,
                                "Domain not found: no domain with matching name 'nosuch'")
        self.assertLibvirtError(
            lambda: self.conn.lookupByUUIDString("11111111-2222-3333-4444-555555555556"),
            libvirt.VIR_ERR_NO_DOMAIN, VIR_FROM_QEMU,
            "Domain not found: no domain with matching uuid "
            "'11111111-2222-3333-4444-555555555556'")
        self.assertLibvirtError(lambda: self.conn.lookupByID(42),
                                libvirt.VIR_ERR_NO_DOMAIN, VIR_FROM_QEMU,
                                "Domain not found: no domain with matching id 42")

    def test_define_errors(self):
        e = self.assertLibvirtError(lambda: self.conn.defineXML("<domain"),
                                    libvirt.VIR_ERR_XML_DETAIL, VIR_FROM_DOM)
        self.assertEqual(e.get_error_level(), libvirt.VIR_ERR_ERROR)
        self.assertLibvirtError(
            lambda: self.conn.defineXML(domain_xml("a/b")),
            libvirt.VIR_ERR_XML_ERROR, VIR_FROM_DOM,
            "XML error: name a/b cannot contain '/'")
        u = "55555555-2222-3333-4444-000000000002"
        self.conn.defineXML(domain_xml("py-dup", uuid=u))
        self.assertLibvirtError(
            lambda: self.conn.defineXML(domain_xml(
                "py-dup", uuid="55555555-2222-3333-4444-000000000003")),
            libvirt.VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
            "operation failed: domain 'py-dup' already exists with uuid %s" % u)

    def test_list_all_domains_flags(self):
        with harness.Daemon() as d:
            c = d.connect()
            try:
                c.defineXML(domain_xml("la-1"))
                c.defineXML(domain_xml("la-2")).setAutostart(1)
                names = lambda fl: sorted(x.name() for x in c.listAllDomains(fl))
                self.assertEqual(names(0), ["la-1", "la-2"])
                self.assertEqual(names(libvirt.VIR_CONNECT_LIST_DOMAINS_INACTIVE), ["la-1", "la-2"])
                self.assertEqual(names(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE), [])
                self.assertEqual(names(libvirt.VIR_CONNECT_LIST_DOMAINS_PERSISTENT), ["la-1", "la-2"])
                self.assertEqual(names(libvirt.VIR_CONNECT_LIST_DOMAINS_TRANSIENT), [])
                self.assertEqual(names(libvirt.VIR_CONNECT_LIST_DOMAINS_AUTOSTART), ["la-2"])
                self.assertEqual(names(libvirt.VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART), ["la-1"])
                self.assertEqual(names(libvirt.VIR_CONNECT_LIST_DOMAINS_SHUTOFF), ["la-1", "la-2"])
                self.assertEqual(names(libvirt.VIR_CONNECT_LIST_DOMAINS_RUNNING), [])
                self.assertEqual(names(libvirt.VIR_CONNECT_LIST_DOMAINS_INACTIVE |
                                       libvirt.VIR_CONNECT_LIST_DOMAINS_AUTOSTART), ["la-2"])
                self.assertEqual(sorted(c.listDefinedDomains()), ["la-1", "la-2"])
                self.assertEqual(c.numOfDefinedDomains(), 2)
                self.assertEqual(c.numOfDomains(), 0)
                self.assertEqual(c.listDomainsID(), [])
            finally:
                c.close()

    def test_xmldesc_flags(self):
        dom = self.conn.defineXML(domain_xml("py-xml", title="T"))
        x0 = dom.XMLDesc(0)
        root = ET.fromstring(x0)
        self.assertEqual(root.findtext("name"), "py-xml")
        self.assertEqual(root.findtext("title"), "T")
        self.assertEqual(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE), x0)
        self.assertEqual(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE), x0)
        # redefining the output is a fixed point
        self.conn.defineXML(x0)
        self.assertEqual(self.conn.lookupByName("py-xml").XMLDesc(0), x0)
        r = self.d.connect(ro=True)
        try:
            rd = r.lookupByName("py-xml")
            self.assertEqual(rd.XMLDesc(0), x0)
            self.assertLibvirtError(lambda: rd.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE),
                                    libvirt.VIR_ERR_OPERATION_DENIED, None,
                                    "operation forbidden: virDomainGetXMLDesc with secure flag")
        finally:
            r.close()

    def test_metadata(self):
        dom = self.conn.defineXML(domain_xml("py-meta"))
        uri = "http://example.org/py"
        dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, "<x a='1'>v</x>",
                        "p", uri, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        self.assertEqual(dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, uri,
                                      libvirt.VIR_DOMAIN_AFFECT_CONFIG),
                         '<x a="1">v</x>')
        dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_DESCRIPTION, "the desc", None, None, 0)
        dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_TITLE, "the title", None, None, 0)
        self.assertEqual(dom.metadata(libvirt.VIR_DOMAIN_METADATA_DESCRIPTION, None, 0), "the desc")
        self.assertEqual(dom.metadata(libvirt.VIR_DOMAIN_METADATA_TITLE, None, 0), "the title")
        root = ET.parse(self.d.domain_file("py-meta")).getroot()
        self.assertEqual(root.findtext("description"), "the desc")
        self.assertIsNotNone(root.find("metadata/{%s}x" % uri))
        dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, None, None, uri, 0)
        self.assertLibvirtError(
            lambda: dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, uri, 0),
            libvirt.VIR_ERR_NO_DOMAIN_METADATA, VIR_FROM_DOM,
            "metadata not found: Requested metadata element is not present")
        dom2 = self.conn.defineXML(domain_xml("py-meta2"))
        self.assertLibvirtError(
            lambda: dom2.metadata(libvirt.VIR_DOMAIN_METADATA_DESCRIPTION, None, 0),
            libvirt.VIR_ERR_NO_DOMAIN_METADATA, VIR_FROM_DOM)

    def test_set_memory_flags(self):
        dom = self.conn.defineXML(domain_xml("py-mem"))
        cfg = libvirt.VIR_DOMAIN_AFFECT_CONFIG
        dom.setMemoryFlags(524288, cfg | libvirt.VIR_DOMAIN_MEM_MAXIMUM)
        dom.setMemoryFlags(262144, cfg)
        self.assertEqual(dom.info()[1:3], [524288, 262144])
        self.assertEqual(dom.maxMemory(), 524288)
        self.assertLibvirtError(lambda: dom.setMemoryFlags(1048576, cfg),
                                libvirt.VIR_ERR_INVALID_ARG)
        self.assertLibvirtError(lambda: dom.setMemoryFlags(65536, libvirt.VIR_DOMAIN_AFFECT_LIVE),
                                libvirt.VIR_ERR_OPERATION_INVALID)
        root = ET.parse(self.d.domain_file("py-mem")).getroot()
        self.assertEqual((root.findtext("memory"), root.findtext("currentMemory")),
                         ("524288", "262144"))

    def test_vcpus_flags(self):
        dom = self.conn.defineXML(domain_xml("py-cpu"))
        cfg = libvirt.VIR_DOMAIN_AFFECT_CONFIG
        mx = libvirt.VIR_DOMAIN_VCPU_MAXIMUM
        self.assertEqual(dom.vcpusFlags(cfg), 1)
        self.assertEqual(dom.vcpusFlags(cfg | mx), 1)
        dom.setVcpusFlags(4, cfg | mx)
        dom.setVcpusFlags(3, cfg)
        self.assertEqual(dom.vcpusFlags(cfg | mx), 4)
        self.assertEqual(dom.vcpusFlags(cfg), 3)
        self.assertEqual(dom.info()[3], 3)
        e = self.assertLibvirtError(lambda: dom.setVcpusFlags(5, cfg),
                                    libvirt.VIR_ERR_INVALID_ARG)
        self.assertEqual(e.get_error_message(),
                         "invalid argument: requested vcpus is greater than max "
                         "allowable vcpus for the persistent domain: 5 > 4")
        self.assertLibvirtError(lambda: dom.setVcpusFlags(0, cfg),
                                libvirt.VIR_ERR_INVALID_ARG)
        self.assertLibvirtError(lambda: dom.vcpusFlags(libvirt.VIR_DOMAIN_AFFECT_LIVE),
                                libvirt.VIR_ERR_OPERATION_INVALID)

    def test_autostart(self):
        dom = self.conn.defineXML(domain_xml("py-as"))
        dom.setAutostart(1)
        self.assertEqual(dom.autostart(), 1)
        self.assertTrue(os.path.lexists(self.d.autostart_link("py-as")))
        dom.setAutostart(0)
        self.assertEqual(dom.autostart(), 0)
        self.assertFalse(os.path.lexists(self.d.autostart_link("py-as")))

    def test_undefine_flags(self):
        dom = self.conn.defineXML(domain_xml("py-und"))
        dom.setAutostart(1)
        dom.undefineFlags(0)
        self.assertFalse(os.path.exists(self.d.domain_file("py-und")))
        self.assertFalse(os.path.lexists(self.d.autostart_link("py-und")))
        self.assertLibvirtError(lambda: self.conn.lookupByName("py-und"),
                                libvirt.VIR_ERR_NO_DOMAIN)
        # the stale handle now points at nothing
        self.assertLibvirtError(lambda: dom.undefineFlags(0), libvirt.VIR_ERR_NO_DOMAIN)
        self.assertLibvirtError(lambda: dom.info(), libvirt.VIR_ERR_NO_DOMAIN)
        dom = self.conn.defineXML(domain_xml("py-und2"))
        dom.undefine()
        self.assertFalse(os.path.exists(self.d.domain_file("py-und2")))

    def test_rename(self):
        dom = self.conn.defineXML(domain_xml("py-ren"))
        u = dom.UUIDString()
        dom.rename("py-ren2", 0)
        self.assertEqual(self.conn.lookupByUUIDString(u).name(), "py-ren2")
        self.assertFalse(os.path.exists(self.d.domain_file("py-ren")))
        self.assertTrue(os.path.exists(self.d.domain_file("py-ren2")))
        self.assertLibvirtError(lambda: self.conn.lookupByName("py-ren"),
                                libvirt.VIR_ERR_NO_DOMAIN)
        self.conn.defineXML(domain_xml("py-ren3"))
        self.assertLibvirtError(lambda: self.conn.lookupByName("py-ren2").rename("py-ren3", 0),
                                libvirt.VIR_ERR_OPERATION_INVALID)

    def test_read_only_refuses(self):
        self.conn.defineXML(domain_xml("py-ro"))
        for how in ("ro-socket", "ro-flag"):
            r = self.d.connect(ro=(how == "ro-socket"), readonly_flag=(how == "ro-flag"))
            try:
                d = r.lookupByName("py-ro")
                cfg = libvirt.VIR_DOMAIN_AFFECT_CONFIG
                cases = [
                    (lambda: r.defineXML(domain_xml("py-ro-new")), "virDomainDefineXML"),
                    (lambda: d.undefine(), "virDomainUndefine"),
                    (lambda: d.undefineFlags(0), "virDomainUndefineFlags"),
                    (lambda: d.setAutostart(1), "virDomainSetAutostart"),
                    (lambda: d.setMemoryFlags(65536, cfg), "virDomainSetMemoryFlags"),
                    (lambda: d.setMaxMemory(262144), "virDomainSetMaxMemory"),
                    (lambda: d.setVcpusFlags(1, cfg), "virDomainSetVcpusFlags"),
                    (lambda: d.setMetadata(libvirt.VIR_DOMAIN_METADATA_DESCRIPTION,
                                           "x", None, None, 0), "virDomainSetMetadata"),
                    (lambda: d.rename("py-ro2", 0), "virDomainRename"),
                ]
                for fn, api in cases:
                    with self.subTest(how=how, api=api):
                        self.assertLibvirtError(
                            fn, libvirt.VIR_ERR_OPERATION_DENIED, VIR_FROM_DOM,
                            "operation forbidden: read only access prevents %s" % api)
                self.assertEqual(d.info()[0], 5)
            finally:
                r.close()
        self.assertFalse(os.path.exists(self.d.domain_file("py-ro-new")))
        self.assertEqual(self.conn.lookupByName("py-ro").autostart(), 0)

    def test_events(self):
        got = []
        cond = threading.Condition()

        def cb(conn, dom, event, detail, opaque):
            with cond:
                got.append((dom.name(), event, detail))
                cond.notify_all()

        ec = self.d.connect()
        cid = ec.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, cb, None)
        try:
            self.conn.defineXML(domain_xml("py-ev"))
            dom = self.conn.lookupByName("py-ev")
            self.conn.defineXML(dom.XMLDesc(0))
            dom.undefine()
            with cond:
                cond.wait_for(lambda: len([g for g in got if g[0] == "py-ev"]) >= 3, 10)
            self.assertEqual([g for g in got if g[0] == "py-ev"], [
                ("py-ev", libvirt.VIR_DOMAIN_EVENT_DEFINED, libvirt.VIR_DOMAIN_EVENT_DEFINED_ADDED),
                ("py-ev", libvirt.VIR_DOMAIN_EVENT_DEFINED, libvirt.VIR_DOMAIN_EVENT_DEFINED_UPDATED),
                ("py-ev", libvirt.VIR_DOMAIN_EVENT_UNDEFINED, libvirt.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED),
            ])
            # filtered registration only sees its domain
            only = []
            self.conn.defineXML(domain_xml("py-ev-f"))
            target = ec.lookupByName("py-ev-f")
            cid2 = ec.domainEventRegisterAny(
                target, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                lambda c, d, e, de, o: only.append(d.name()), None)
            self.conn.defineXML(domain_xml("py-ev-other"))
            target.setAutostart(0)
            target.undefine()
            ok = harness.wait_for(lambda: "py-ev-f" in only, 10)
            self.assertTrue(ok, only)
            time.sleep(0.3)
            self.assertEqual(only, ["py-ev-f"])
            ec.domainEventDeregisterAny(cid2)
        finally:
            ec.domainEventDeregisterAny(cid)
            ec.close()
        # after deregistration, no more callbacks
        n = len(got)
        self.conn.defineXML(domain_xml("py-ev-after"))
        time.sleep(0.5)
        self.assertEqual(len(got), n)


_loop_started = []


def start_event_loop():
    if _loop_started:
        return
    libvirt.virEventRegisterDefaultImpl()

    def run():
        while True:
            libvirt.virEventRunDefaultImpl()

    t = threading.Thread(target=run, daemon=True, name="libvirt-event-loop")
    t.start()
    _loop_started.append(t)


if __name__ == "__main__":
    if libvirt is not None:
        start_event_loop()
    sys.exit(harness.main())
