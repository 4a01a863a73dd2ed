/* Unit tests for the generated XDR codecs and procedure tables (protocol/). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virnet_protocol.h"
#include "keepalive_protocol.h"
#include "remote_protocol.h"
#include "remote_proctable.h"
#include "keepalive_proctable.h"
#include "qemu_proctable.h"
#include "admin_proctable.h"

/* A handler the daemons will never implement (QEMU_PROC_DOMAIN_ATTACH is a
 * long-dead API): defining it here shows the table's weak reference resolves
 * to a linked definition. */
int
mvQemuDispatchDomainAttach(struct mvRpcCall *call, void *args, void *ret)
{
    return 0;
}

/* ---- helpers ------------------------------------------------------- */

/* Encode @obj with @filter into @buf; returns the encoded length or -1. */
static int
encode(xdrproc_t filter, void *obj, char *buf, size_t len)
{
    XDR xdr;
    int ret = -1;

    xdrmem_create(&xdr, buf, len, XDR_ENCODE);
    if (filter(&xdr, obj, 0))
        ret = (int)xdr_getpos(&xdr);
    xdr_destroy(&xdr);
    return ret;
}

/* Decode @len bytes of @buf into the zeroed @obj; returns 1 on success and
 * the number of bytes consumed in @used. */
static int
decode(xdrproc_t filter, void *obj, const char *buf, size_t len, size_t *used)
{
    XDR xdr;
    int ok;

    xdrmem_create(&xdr, (char *)buf, len, XDR_DECODE);
    ok = filter(&xdr, obj, 0) ? 1 : 0;
    if (used)
        *used = xdr_getpos(&xdr);
    xdr_destroy(&xdr);
    return ok;
}

static void
put_u32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

static uint32_t
get_u32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return ((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | ((uint32_t)u[2] << 8) | u[3];
}

static void
fill_domain(remote_nonnull_domain *dom, const char *name, int id, unsigned char seed)
{
    dom->name = strdup(name);
    for (int i = 0; i < REMOTE_UUID_BUFLEN; i++)
        dom->uuid[i] = (char)(seed + i);
    dom->id = id;
}

/* Deterministic pseudo-random numbers (xorshift32). */
static uint32_t rng_state = 0x12345678;

static uint32_t
rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* ---- header -------------------------------------------------------- */

START_TEST(test_header_roundtrip)
{
    virNetMessageHeader hdr = {
        .prog = REMOTE_PROGRAM,
        .vers = REMOTE_PROTOCOL_VERSION,
        .proc = REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS,
        .type = VIR_NET_REPLY,
        .serial = 0xdeadbeef,
        .status = VIR_NET_ERROR,
    };
    virNetMessageHeader out;
    char buf[64];
    size_t used;
    int len = encode((xdrproc_t)xdr_virNetMessageHeader, &hdr, buf, sizeof(buf));

    ck_assert_int_eq(len, VIR_NET_MESSAGE_HEADER_MAX);
    /* big endian, in the documented order */
    ck_assert_uint_eq(get_u32(buf + 0), 0x20008086);
    ck_assert_uint_eq(get_u32(buf + 4), 1);
    ck_assert_uint_eq(get_u32(buf + 8), 273);
    ck_assert_uint_eq(get_u32(buf + 12), 1);
    ck_assert_uint_eq(get_u32(buf + 16), 0xdeadbeef);
    ck_assert_uint_eq(get_u32(buf + 20), 1);

    memset(&out, 0, sizeof(out));
    ck_assert(decode((xdrproc_t)xdr_virNetMessageHeader, &out, buf, len, &used));
    ck_assert_uint_eq(used, 24);
    ck_assert_uint_eq(out.prog, hdr.prog);
    ck_assert_uint_eq(out.vers, hdr.vers);
    ck_assert_int_eq(out.proc, hdr.proc);
    ck_assert_int_eq(out.type, hdr.type);
    ck_assert_uint_eq(out.serial, hdr.serial);
    ck_assert_int_eq(out.status, hdr.status);

    /* A truncated header does not decode. */
    for (int i = 0; i < 24; i++) {
        memset(&out, 0, sizeof(out));
        ck_assert(!decode((xdrproc_t)xdr_virNetMessageHeader, &out, buf, i, NULL));
    }
}
END_TEST

START_TEST(test_constants)
{
    ck_assert_int_eq(VIR_NET_MESSAGE_MAX, 33554432);
    ck_assert_int_eq(VIR_NET_MESSAGE_INITIAL, 65536);
    ck_assert_int_eq(VIR_NET_MESSAGE_HEADER_MAX, 24);
    ck_assert_int_eq(VIR_NET_MESSAGE_LEN_MAX, 4);
    ck_assert_int_eq(VIR_NET_MESSAGE_NUM_FDS_MAX, 32);
    ck_assert_int_eq(VIR_NET_MESSAGE_PAYLOAD_MAX, VIR_NET_MESSAGE_MAX - VIR_NET_MESSAGE_HEADER_MAX);
    ck_assert_int_eq(VIR_NET_CALL, 0);
    ck_assert_int_eq(VIR_NET_STREAM_HOLE, 6);
    ck_assert_int_eq(VIR_NET_CONTINUE, 2);
    ck_assert_int_eq(KEEPALIVE_PROGRAM, 0x6b656570);
    ck_assert_int_eq(KEEPALIVE_PROC_PING, 1);
    ck_assert_int_eq(KEEPALIVE_PROC_PONG, 2);
    ck_assert_int_eq(REMOTE_PROGRAM, 0x20008086);
    ck_assert_int_eq(REMOTE_STRING_MAX, 4194304);
    ck_assert_int_eq(REMOTE_DOMAIN_LIST_MAX, 16384);
    ck_assert_int_eq(REMOTE_PROC_DOMAIN_FD_ASSOCIATE, 443);
    ck_assert_int_eq(REMOTE_AUTH_POLKIT, 2);
}
END_TEST

/* ---- error body ---------------------------------------------------- */

START_TEST(test_error_roundtrip)
{
    remote_error err, out;
    char buf[1024];
    size_t used;
    int len;

    memset(&err, 0, sizeof(err));
    err.code = 42;
    err.domain = 10;
    err.message = malloc(sizeof(char *));
    *err.message = strdup("Domain not found: no domain with matching name 'nosuch'");
    err.level = 2;
    err.str1 = malloc(sizeof(char *));
    *err.str1 = strdup("Domain not found: %s");
    err.str2 = malloc(sizeof(char *));
    *err.str2 = strdup("no domain with matching name 'nosuch'");
    err.int1 = -1;
    err.int2 = -1;

    len = encode((xdrproc_t)xdr_remote_error, &err, buf, sizeof(buf));
    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(len % 4, 0);
    /* code, domain, then message present (1) and its length */
    ck_assert_uint_eq(get_u32(buf), 42);
    ck_assert_uint_eq(get_u32(buf + 4), 10);
    ck_assert_uint_eq(get_u32(buf + 8), 1);
    ck_assert_uint_eq(get_u32(buf + 12), strlen(*err.message));

    /* The virnet twin decodes the same bytes. */
    {
        virNetMessageError nerr;
        memset(&nerr, 0, sizeof(nerr));
        ck_assert(decode((xdrproc_t)xdr_virNetMessageError, &nerr, buf, len, &used));
        ck_assert_uint_eq(used, (size_t)len);
        ck_assert_int_eq(nerr.code, 42);
        ck_assert_str_eq(*nerr.message, *err.message);
        ck_assert_ptr_null(nerr.str3);
        ck_assert_ptr_null(nerr.dom);
        ck_assert_ptr_null(nerr.net);
        xdr_free((xdrproc_t)xdr_virNetMessageError, (char *)&nerr);
    }

    memset(&out, 0, sizeof(out));
    ck_assert(decode((xdrproc_t)xdr_remote_error, &out, buf, len, &used));
    ck_assert_uint_eq(used, (size_t)len);
    ck_assert_int_eq(out.code, 42);
    ck_assert_int_eq(out.domain, 10);
    ck_assert_int_eq(out.level, 2);
    ck_assert_ptr_nonnull(out.message);
    ck_assert_str_eq(*out.message, *err.message);
    ck_assert_ptr_null(out.dom);
    ck_assert_str_eq(*out.str1, "Domain not found: %s");
    ck_assert_str_eq(*out.str2, *err.str2);
    ck_assert_ptr_null(out.str3);
    ck_assert_int_eq(out.int1, -1);
    ck_assert_int_eq(out.int2, -1);
    ck_assert_ptr_null(out.net);

    /* With the optional domain present. */
    err.dom = calloc(1, sizeof(*err.dom));
    fill_domain(err.dom, "vm1", 7, 0x40);
    xdr_free((xdrproc_t)xdr_remote_error, (char *)&out);
    len = encode((xdrproc_t)xdr_remote_error, &err, buf, sizeof(buf));
    ck_assert_int_gt(len, 0);
    memset(&out, 0, sizeof(out));
    ck_assert(decode((xdrproc_t)xdr_remote_error, &out, buf, len, NULL));
    ck_assert_ptr_nonnull(out.dom);
    ck_assert_str_eq(out.dom->name, "vm1");
    ck_assert_int_eq(out.dom->id, 7);
    ck_assert_mem_eq(out.dom->uuid, err.dom->uuid, REMOTE_UUID_BUFLEN);

    xdr_free((xdrproc_t)xdr_remote_error, (char *)&out);
    xdr_free((xdrproc_t)xdr_remote_error, (char *)&err);
}
END_TEST

/* ---- domain define ----------------------------------------------------- */

START_TEST(test_define_roundtrip)
{
    const char *xml = "<domain type='kvm'><name>vm</name><memory>1024</memory></domain>";
    remote_domain_define_xml_flags_args args = { .xml = (char *)xml, .flags = 3 };
    remote_domain_define_xml_flags_args out;
    remote_domain_define_xml_args a1 = { .xml = (char *)xml }, o1;
    char buf[512];
    size_t used;
    int len;

    len = encode((xdrproc_t)xdr_remote_domain_define_xml_flags_args, &args, buf, sizeof(buf));
    /* length word + bytes padded to 4 + flags */
    ck_assert_int_eq(len, 4 + (int)((strlen(xml) + 3) & ~3u) + 4);
    ck_assert_uint_eq(get_u32(buf), strlen(xml));
    memset(&out, 0, sizeof(out));
    ck_assert(decode((xdrproc_t)xdr_remote_domain_define_xml_flags_args, &out, buf, len, &used));
    ck_assert_uint_eq(used, (size_t)len);
    ck_assert_str_eq(out.xml, xml);
    ck_assert_uint_eq(out.flags, 3);
    xdr_free((xdrproc_t)xdr_remote_domain_define_xml_flags_args, (char *)&out);

    len = encode((xdrproc_t)xdr_remote_domain_define_xml_args, &a1, buf, sizeof(buf));
    ck_assert_int_gt(len, 0);
    memset(&o1, 0, sizeof(o1));
    ck_assert(decode((xdrproc_t)xdr_remote_domain_define_xml_args, &o1, buf, len, NULL));
    ck_assert_str_eq(o1.xml, xml);
    xdr_free((xdrproc_t)xdr_remote_domain_define_xml_args, (char *)&o1);
}
END_TEST

/* ---- list all domains ---------------------------------------------------- */

static int
encode_domain_list(char *buf, size_t len, unsigned int n)
{
    remote_connect_list_all_domains_ret ret;
    char name[32];
    int rc;

    memset(&ret, 0, sizeof(ret));
    ret.domains.domains_len = n;
    ret.domains.domains_val = calloc(n ? n : 1, sizeof(remote_nonnull_domain));
    for (unsigned int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "guest-%u", i);
        fill_domain(&ret.domains.domains_val[i], name, i % 2 ? (int)i : -1, (unsigned char)i);
    }
    ret.ret = n;
    rc = encode((xdrproc_t)xdr_remote_connect_list_all_domains_ret, &ret, buf, len);
    xdr_free((xdrproc_t)xdr_remote_connect_list_all_domains_ret, (char *)&ret);
    return rc;
}

START_TEST(test_list_all_domains_roundtrip)
{
    remote_connect_list_all_domains_ret out;
    char buf[4096];
    size_t used;
    int len = encode_domain_list(buf, sizeof(buf), 5);

    ck_assert_int_gt(len, 0);
    ck_assert_uint_eq(get_u32(buf), 5);
    memset(&out, 0, sizeof(out));
    ck_assert(decode((xdrproc_t)xdr_remote_connect_list_all_domains_ret, &out, buf, len, &used));
    ck_assert_uint_eq(used, (size_t)len);
    ck_assert_uint_eq(out.domains.domains_len, 5);
    ck_assert_uint_eq(out.ret, 5);
    for (unsigned int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof(name), "guest-%u", i);
        ck_assert_str_eq(out.domains.domains_val[i].name, name);
        ck_assert_int_eq(out.domains.domains_val[i].id, i % 2 ? (int)i : -1);
        ck_assert_int_eq((unsigned char)out.domains.domains_val[i].uuid[3], (unsigned char)(i + 3));
    }
    xdr_free((xdrproc_t)xdr_remote_connect_list_all_domains_ret, (char *)&out);

    /* Every strict prefix is refused. */
    for (int cut = 0; cut < len; cut++) {
        memset(&out, 0, sizeof(out));
        ck_assert_msg(!decode((xdrproc_t)xdr_remote_connect_list_all_domains_ret, &out,
                              buf, cut, NULL), "prefix %d decoded", cut);
        xdr_free((xdrproc_t)xdr_remote_connect_list_all_domains_ret, (char *)&out);
    }

    /* An empty list. */
    len = encode_domain_list(buf, sizeof(buf), 0);
    ck_assert_int_eq(len, 8);
    memset(&out, 0, sizeof(out));
    ck_assert(decode((xdrproc_t)xdr_remote_connect_list_all_domains_ret, &out, buf, len, NULL));
    ck_assert_uint_eq(out.domains.domains_len, 0);
    xdr_free((xdrproc_t)xdr_remote_connect_list_all_domains_ret, (char *)&out);
}
END_TEST

/* ---- typed parameters ------------------------------------------------- */

START_TEST(test_typed_params_roundtrip)
{
    remote_typed_param params[3];
    remote_domain_get_memory_parameters_ret ret, out;
    char buf[512];
    int len;

    memset(params, 0, sizeof(params));
    params[0].field = "hard_limit";
    params[0].value.type = REMOTE_TYPED_PARAM_ULLONG;
    params[0].value.remote_typed_param_value_u.ul = 0x1122334455667788ULL;
    params[1].field = "name";
    params[1].value.type = REMOTE_TYPED_PARAM_STRING;
    params[1].value.remote_typed_param_value_u.s = "value";
    params[2].field = "weight";
    params[2].value.type = REMOTE_TYPED_PARAM_DOUBLE;
    params[2].value.remote_typed_param_value_u.d = 0.5;
    ret.params.params_len = 3;
    ret.params.params_val = params;
    ret.nparams = 3;

    len = encode((xdrproc_t)xdr_remote_domain_get_memory_parameters_ret, &ret, buf, sizeof(buf));
    ck_assert_int_gt(len, 0);
    memset(&out, 0, sizeof(out));
    ck_assert(decode((xdrproc_t)xdr_remote_domain_get_memory_parameters_ret, &out, buf, len, NULL));
    ck_assert_uint_eq(out.params.params_len, 3);
    ck_assert_str_eq(out.params.params_val[0].field, "hard_limit");
    ck_assert(out.params.params_val[0].value.remote_typed_param_value_u.ul == 0x1122334455667788ULL);
    ck_assert_str_eq(out.params.params_val[1].value.remote_typed_param_value_u.s, "value");
    ck_assert(out.params.params_val[2].value.remote_typed_param_value_u.d == 0.5);
    xdr_free((xdrproc_t)xdr_remote_domain_get_memory_parameters_ret, (char *)&out);

    /* An unknown union tag is refused. */
    put_u32(buf + 4 + 4 + 12, 99);   /* count, field len, "hard_limit" padded, tag */
    memset(&out, 0, sizeof(out));
    ck_assert(!decode((xdrproc_t)xdr_remote_domain_get_memory_parameters_ret, &out, buf, len, NULL));
    xdr_free((xdrproc_t)xdr_remote_domain_get_memory_parameters_ret, (char *)&out);
}
END_TEST

/* ---- hostile input -------------------------------------------------- */

START_TEST(test_string_too_long)
{
    remote_domain_define_xml_args out;
    char buf[64];

    memset(buf, 'a', sizeof(buf));
    put_u32(buf, REMOTE_STRING_MAX + 1);
    memset(&out, 0, sizeof(out));
    ck_assert(!decode((xdrproc_t)xdr_remote_domain_define_xml_args, &out, buf, sizeof(buf), NULL));
    xdr_free((xdrproc_t)xdr_remote_domain_define_xml_args, (char *)&out);

    put_u32(buf, 0xffffffff);
    memset(&out, 0, sizeof(out));
    ck_assert(!decode((xdrproc_t)xdr_remote_domain_define_xml_args, &out, buf, sizeof(buf), NULL));
    xdr_free((xdrproc_t)xdr_remote_domain_define_xml_args, (char *)&out);

    /* A length that is allowed but larger than the buffer. */
    put_u32(buf, 1000);
    memset(&out, 0, sizeof(out));
    ck_assert(!decode((xdrproc_t)xdr_remote_domain_define_xml_args, &out, buf, sizeof(buf), NULL));
    xdr_free((xdrproc_t)xdr_remote_domain_define_xml_args, (char *)&out);
}
END_TEST

START_TEST(test_array_too_long)
{
    remote_connect_list_all_domains_ret out;
    remote_auth_list_ret auth;
    char buf[256];

    memset(buf, 0, sizeof(buf));
    put_u32(buf, REMOTE_DOMAIN_LIST_MAX + 1);
    memset(&out, 0, sizeof(out));
    ck_assert(!decode((xdrproc_t)xdr_remote_connect_list_all_domains_ret, &out, buf, sizeof(buf), NULL));
    xdr_free((xdrproc_t)xdr_remote_connect_list_all_domains_ret, (char *)&out);

    put_u32(buf, 0x7fffffff);
    memset(&out, 0, sizeof(out));
    ck_assert(!decode((xdrproc_t)xdr_remote_connect_list_all_domains_ret, &out, buf, sizeof(buf), NULL));
    xdr_free((xdrproc_t)xdr_remote_connect_list_all_domains_ret, (char *)&out);

    memset(buf, 0, sizeof(buf));
    put_u32(buf, REMOTE_AUTH_TYPE_LIST_MAX + 1);
    memset(&auth, 0, sizeof(auth));
    ck_assert(!decode((xdrproc_t)xdr_remote_auth_list_ret, &auth, buf, sizeof(buf), NULL));
    xdr_free((xdrproc_t)xdr_remote_auth_list_ret, (char *)&auth);

    /* at the limit it is accepted when the data is there */
    put_u32(buf, REMOTE_AUTH_TYPE_LIST_MAX);
    memset(&auth, 0, sizeof(auth));
    ck_assert(decode((xdrproc_t)xdr_remote_auth_list_ret, &auth, buf, 4 + 4 * REMOTE_AUTH_TYPE_LIST_MAX, NULL));
    ck_assert_uint_eq(auth.types.types_len, REMOTE_AUTH_TYPE_LIST_MAX);
    xdr_free((xdrproc_t)xdr_remote_auth_list_ret, (char *)&auth);
}
END_TEST

union any_body {
    virNetMessageHeader hdr;
    virNetMessageError nerr;
    remote_error err;
    remote_connect_list_all_domains_ret list;
    remote_domain_define_xml_args define;
    remote_connect_open_args open;
    remote_domain_get_memory_parameters_ret params;
    remote_connect_get_all_domain_stats_ret stats;
    remote_domain_event_callback_lifecycle_msg lifecycle;
    remote_domain_event_graphics_msg graphics;
    remote_node_get_info_ret nodeinfo;
    remote_domain_get_info_ret dominfo;
    remote_domain_get_vcpus_ret vcpus;
    remote_domain_interface_addresses_ret ifaddrs;
    remote_domain_get_fsinfo_ret fsinfo;
    remote_network_get_dhcp_leases_ret leases;
};

START_TEST(test_random_bytes)
{
    static const xdrproc_t filters[] = {
        (xdrproc_t)xdr_virNetMessageHeader,
        (xdrproc_t)xdr_virNetMessageError,
        (xdrproc_t)xdr_remote_error,
        (xdrproc_t)xdr_remote_connect_list_all_domains_ret,
        (xdrproc_t)xdr_remote_domain_define_xml_args,
        (xdrproc_t)xdr_remote_connect_open_args,
        (xdrproc_t)xdr_remote_domain_get_memory_parameters_ret,
        (xdrproc_t)xdr_remote_connect_get_all_domain_stats_ret,
        (xdrproc_t)xdr_remote_domain_event_callback_lifecycle_msg,
        (xdrproc_t)xdr_remote_domain_event_graphics_msg,
        (xdrproc_t)xdr_remote_node_get_info_ret,
        (xdrproc_t)xdr_remote_domain_get_info_ret,
        (xdrproc_t)xdr_remote_domain_get_vcpus_ret,
        (xdrproc_t)xdr_remote_domain_interface_addresses_ret,
        (xdrproc_t)xdr_remote_domain_get_fsinfo_ret,
        (xdrproc_t)xdr_remote_network_get_dhcp_leases_ret,
    };
    const size_t nfilters = sizeof(filters) / sizeof(filters[0]);
    char buf[512];
    int decoded = 0;

    for (int iter = 0; iter < 1000; iter++) {
        size_t len = rng() % sizeof(buf);
        /* Mostly small numbers so that counts and lengths are often plausible
         * and the decoders go deep. */
        for (size_t i = 0; i + 4 <= sizeof(buf); i += 4) {
            uint32_t r = rng();
            put_u32(buf + i, (r & 3) ? (r >> 8) % 6 : rng());
        }
        for (size_t f = 0; f < nfilters; f++) {
            union any_body body;
            memset(&body, 0, sizeof(body));
            if (decode(filters[f], &body, buf, len, NULL))
                decoded++;
            xdr_free(filters[f], (char *)&body);
        }
    }
    /* Some buffers decode (a header always does when long enough). */
    ck_assert_int_gt(decoded, 0);
}
END_TEST

/* ---- procedure tables ------------------------------------------------- */

START_TEST(test_proctable)
{
    const mvProcInfo *p;

    ck_assert_uint_eq(mvRemoteProgram.program, REMOTE_PROGRAM);
    ck_assert_uint_eq(mvRemoteProgram.version, 1);
    ck_assert_int_eq(mvRemoteProgram.nprocs, MV_REMOTE_NPROCS);
    ck_assert_int_eq(mvRemoteProgram.nprocs, REMOTE_PROC_DOMAIN_FD_ASSOCIATE + 1);

    p = mvProgramLookupProc(&mvRemoteProgram, REMOTE_PROC_CONNECT_OPEN);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->proc, 1);
    ck_assert_str_eq(p->name, "CONNECT_OPEN");
    ck_assert_str_eq(p->api, "virConnectOpen");
    ck_assert(p->flags & MV_PROC_NO_AUTH);
    ck_assert(!(p->flags & MV_PROC_AUTH_STEP));
    ck_assert(!(p->flags & MV_PROC_WRITE));
    ck_assert(p->args_filter == (xdrproc_t)xdr_remote_connect_open_args);
    ck_assert_uint_eq(p->args_size, sizeof(remote_connect_open_args));
    ck_assert(p->ret_filter == MV_XDR_VOID);
    ck_assert_uint_eq(p->ret_size, 0);

    p = mvProgramLookupProc(&mvRemoteProgram, REMOTE_PROC_DOMAIN_DEFINE_XML);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->proc, 11);
    ck_assert(p->flags & MV_PROC_WRITE);
    ck_assert_str_eq(p->api, "virDomainDefineXML");
    ck_assert(p->args_filter == (xdrproc_t)xdr_remote_domain_define_xml_args);
    ck_assert(p->ret_filter == (xdrproc_t)xdr_remote_domain_define_xml_ret);
    ck_assert_uint_eq(p->ret_size, sizeof(remote_domain_define_xml_ret));

    p = mvProgramLookupProc(&mvRemoteProgram, 23);
    ck_assert_str_eq(p->name, "DOMAIN_LOOKUP_BY_NAME");
    ck_assert_str_eq(p->api, "virDomainLookupByName");
    ck_assert(!(p->flags & MV_PROC_WRITE));
    ck_assert(p->flags & MV_PROC_PRIORITY);

    p = mvProgramLookupProc(&mvRemoteProgram, 24);
    ck_assert_str_eq(p->api, "virDomainLookupByUUID");
    p = mvProgramLookupProc(&mvRemoteProgram, 14);
    ck_assert_str_eq(p->api, "virDomainGetXMLDesc");
    ck_assert(!(p->flags & MV_PROC_WRITE));
    p = mvProgramLookupProc(&mvRemoteProgram, 22);
    ck_assert_str_eq(p->api, "virDomainLookupByID");

    p = mvProgramLookupProc(&mvRemoteProgram, 273);
    ck_assert_str_eq(p->name, "CONNECT_LIST_ALL_DOMAINS");
    ck_assert_str_eq(p->api, "virConnectListAllDomains");
    ck_assert(!(p->flags & MV_PROC_WRITE));

    p = mvProgramLookupProc(&mvRemoteProgram, 318);
    ck_assert_str_eq(p->name, "DOMAIN_EVENT_CALLBACK_LIFECYCLE");
    ck_assert(p->flags & MV_PROC_EVENT);
    ck_assert_ptr_null(p->api);
    ck_assert_ptr_null(p->dispatch);
    ck_assert(p->args_filter == (xdrproc_t)xdr_remote_domain_event_callback_lifecycle_msg);

    p = mvProgramLookupProc(&mvRemoteProgram, REMOTE_PROC_DOMAIN_OPEN_CONSOLE);
    ck_assert(p->flags & MV_PROC_STREAM);
    ck_assert(p->flags & MV_PROC_WRITE);
    p = mvProgramLookupProc(&mvRemoteProgram, REMOTE_PROC_STORAGE_VOL_UPLOAD);
    ck_assert(p->flags & MV_PROC_STREAM);

    p = mvProgramLookupProc(&mvRemoteProgram, REMOTE_PROC_AUTH_LIST);
    ck_assert(p->flags & MV_PROC_NO_AUTH);
    ck_assert(p->flags & MV_PROC_AUTH_STEP);
    ck_assert_ptr_null(p->api);
    p = mvProgramLookupProc(&mvRemoteProgram, REMOTE_PROC_CONNECT_SUPPORTS_FEATURE);
    ck_assert(p->flags & MV_PROC_NO_AUTH);
    p = mvProgramLookupProc(&mvRemoteProgram, REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY);
    ck_assert_str_eq(p->api, "virConnectDomainEventRegisterAny");
    p = mvProgramLookupProc(&mvRemoteProgram, REMOTE_PROC_DOMAIN_UNDEFINE_FLAGS);
    ck_assert(p->flags & MV_PROC_WRITE);
    p = mvProgramLookupProc(&mvRemoteProgram, REMOTE_PROC_DOMAIN_GET_INFO);
    ck_assert(!(p->flags & MV_PROC_WRITE));

    /* holes and out of range */
    ck_assert_ptr_null(mvProgramLookupProc(&mvRemoteProgram, 0));
    ck_assert_ptr_null(mvProgramLookupProc(&mvRemoteProgram, -1));
    ck_assert_ptr_null(mvProgramLookupProc(&mvRemoteProgram, MV_REMOTE_NPROCS));
    ck_assert_ptr_null(mvProgramLookupProc(&mvRemoteProgram, 100000));
    ck_assert_ptr_null(mvProgramLookupProc(NULL, 1));
    ck_assert_ptr_null(mvProgramLookupProc(&mvKeepaliveProgram, 3));

    ck_assert_str_eq(mvRemoteProcToString(REMOTE_PROC_DOMAIN_GET_XML_DESC), "DOMAIN_GET_XML_DESC");
    ck_assert_ptr_null(mvRemoteProcToString(0));
    ck_assert_ptr_null(mvRemoteProcToString(MV_REMOTE_NPROCS));

    /* every entry is consistent */
    for (int i = 1; i < mvRemoteProgram.nprocs; i++) {
        p = mvProgramLookupProc(&mvRemoteProgram, i);
        ck_assert_ptr_nonnull(p);   /* libvirt 9.0 has no holes in 1..443 */
        ck_assert_int_eq(p->proc, i);
        ck_assert_ptr_nonnull(p->name);
        ck_assert(p->api == NULL || strncmp(p->api, "vir", 3) == 0);
        ck_assert(p->args_filter != NULL && p->ret_filter != NULL);
        ck_assert((p->args_filter == MV_XDR_VOID) == (p->args_size == 0));
        ck_assert((p->ret_filter == MV_XDR_VOID) == (p->ret_size == 0));
        if (p->flags & MV_PROC_EVENT)
            ck_assert(!(p->flags & (MV_PROC_WRITE | MV_PROC_STREAM)));
    }

    p = mvProgramLookupProc(&mvKeepaliveProgram, KEEPALIVE_PROC_PING);
    ck_assert_uint_eq(mvKeepaliveProgram.program, KEEPALIVE_PROGRAM);
    ck_assert_str_eq(p->name, "PING");
    ck_assert_str_eq(mvKeepaliveProcToString(2), "PONG");

    ck_assert_uint_eq(mvAdminProgram.program, 0x06900690);
    ck_assert_int_eq(mvAdminProgram.nprocs, ADMIN_PROC_CONNECT_SET_DAEMON_TIMEOUT + 1);
    p = mvProgramLookupProc(&mvAdminProgram, ADMIN_PROC_CONNECT_LIST_SERVERS);
    ck_assert_str_eq(p->api, "virAdmConnectListServers");

    /* weak handler references: defined above -> set */
    p = mvProgramLookupProc(&mvQemuProgram, QEMU_PROC_DOMAIN_ATTACH);
    ck_assert(p->dispatch == mvQemuDispatchDomainAttach);

    ck_assert_uint_eq(mvQemuProgram.program, 0x20008087);
    p = mvProgramLookupProc(&mvQemuProgram, 1);
    ck_assert_str_eq(p->api, "virDomainQemuMonitorCommand");
    ck_assert(p->flags & MV_PROC_WRITE);
}
END_TEST

static Suite *
xdr_suite(void)
{
    Suite *s = suite_create("xdr");
    TCase *tc = tcase_create("codec");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_header_roundtrip);
    tcase_add_test(tc, test_constants);
    tcase_add_test(tc, test_error_roundtrip);
    tcase_add_test(tc, test_define_roundtrip);
    tcase_add_test(tc, test_list_all_domains_roundtrip);
    tcase_add_test(tc, test_typed_params_roundtrip);
    tcase_add_test(tc, test_string_too_long);
    tcase_add_test(tc, test_array_too_long);
    tcase_add_test(tc, test_random_bytes);
    tcase_add_test(tc, test_proctable);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(xdr_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
