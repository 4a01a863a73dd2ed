/* Framing: length word, header, payload, error payload, hostile lengths. */
#include <check.h>
#include <string.h>
#include "rpc/message.h"
#include "remote_protocol.h"
#include "virnet_protocol.h"

static mvRpcMessage *
reparse(const mvRpcMessage *tx)
{
    mvRpcMessage *rx = mvRpcMessageNew();

    rx->buffer = g_malloc(MV_RPC_LEN_WORD);
    memcpy(rx->buffer, tx->buffer, MV_RPC_LEN_WORD);
    rx->bufferLength = MV_RPC_LEN_WORD;
    if (mvRpcMessageDecodeLength(rx) < 0) {
        mvRpcMessageFree(rx);
        return NULL;
    }
    ck_assert_uint_eq(rx->bufferLength, tx->bufferLength);
    memcpy(rx->buffer, tx->buffer, tx->bufferLength);
    if (mvRpcMessageDecodeHeader(rx) < 0) {
        mvRpcMessageFree(rx);
        return NULL;
    }
    return rx;
}

START_TEST(test_roundtrip)
{
    remote_domain_define_xml_args args = { .xml = (char *)"<domain/>" };
    remote_domain_define_xml_args out = { 0 };
    g_autoptr(mvRpcMessage) tx = mvRpcMessageNewPacket(REMOTE_PROGRAM, 1, 11, MV_RPC_CALL, 7,
                                                       MV_RPC_OK,
                                                       (xdrproc_t)xdr_remote_domain_define_xml_args,
                                                       &args);
    g_autoptr(mvRpcMessage) rx = NULL;

    ck_assert_ptr_nonnull(tx);
    /* 4 length + 24 header + 4 string length + 12 padded "<domain/>" */
    ck_assert_uint_eq(tx->bufferLength, 4 + 24 + 4 + 12);
    rx = reparse(tx);
    ck_assert_ptr_nonnull(rx);
    ck_assert_uint_eq(rx->header.prog, REMOTE_PROGRAM);
    ck_assert_int_eq(rx->header.proc, 11);
    ck_assert_int_eq(rx->header.type, MV_RPC_CALL);
    ck_assert_uint_eq(rx->header.serial, 7);
    ck_assert_int_eq(mvRpcMessageDecodePayload(rx, (xdrproc_t)xdr_remote_domain_define_xml_args, &out), 0);
    ck_assert_str_eq(out.xml, "<domain/>");
    xdr_free((xdrproc_t)xdr_remote_domain_define_xml_args, (char *)&out);
}
END_TEST

START_TEST(test_error_payload)
{
    mvError err = { .code = 42, .domain = 10, .message = (char *)"Domain not found: x",
                    .level = 2, .str1 = (char *)"Domain not found: %s", .str2 = (char *)"x",
                    .int1 = -1, .int2 = -1 };
    virNetMessageError out = { 0 };
    g_autoptr(mvRpcMessage) tx = mvRpcMessageNew();
    g_autoptr(mvRpcMessage) rx = NULL;

    tx->header = (mvRpcHeader){ REMOTE_PROGRAM, 1, 23, MV_RPC_REPLY, 3, MV_RPC_ERROR };
    ck_assert_int_eq(mvRpcMessageEncodeHeader(tx), 0);
    ck_assert_int_eq(mvRpcMessageEncodeError(tx, &err), 0);
    rx = reparse(tx);
    ck_assert_ptr_nonnull(rx);
    ck_assert_int_eq(rx->header.status, MV_RPC_ERROR);
    ck_assert_int_eq(mvRpcMessageDecodePayload(rx, (xdrproc_t)xdr_virNetMessageError, &out), 0);
    ck_assert_int_eq(out.code, 42);
    ck_assert_int_eq(out.domain, 10);
    ck_assert_str_eq(*out.message, "Domain not found: x");
    ck_assert_str_eq(*out.str2, "x");
    ck_assert_ptr_null(out.str3);
    ck_assert_ptr_null(out.dom);
    ck_assert_int_eq(out.int1, -1);
    xdr_free((xdrproc_t)xdr_virNetMessageError, (char *)&out);
}
END_TEST

static int
decodeLengthWord(unsigned int len)
{
    g_autoptr(mvRpcMessage) rx = mvRpcMessageNew();
    unsigned int be = GUINT32_TO_BE(len);

    rx->buffer = g_malloc(4);
    memcpy(rx->buffer, &be, 4);
    rx->bufferLength = 4;
    return mvRpcMessageDecodeLength(rx);
}

START_TEST(test_hostile_lengths)
{
    ck_assert_int_eq(decodeLengthWord(0), -1);
    ck_assert_int_eq(decodeLengthWord(27), -1);          /* smaller than length + header */
    ck_assert_int_eq(decodeLengthWord(28), 0);
    ck_assert_int_eq(decodeLengthWord(MV_RPC_MAX), 0);
    ck_assert_int_eq(decodeLengthWord(MV_RPC_MAX + 1), -1);
    ck_assert_int_eq(decodeLengthWord(0xffffffffu), -1);
}
END_TEST

START_TEST(test_too_many_fds)
{
    g_autoptr(mvRpcMessage) tx = mvRpcMessageNew();
    g_autoptr(mvRpcMessage) rx = NULL;
    unsigned int be = GUINT32_TO_BE(1000);

    tx->header = (mvRpcHeader){ REMOTE_PROGRAM, 1, 1, MV_RPC_CALL_WITH_FDS, 1, MV_RPC_OK };
    ck_assert_int_eq(mvRpcMessageEncodeHeader(tx), 0);
    ck_assert_int_eq(mvRpcMessageEncodePayloadRaw(tx, (const char *)&be, 4), 0);
    /* the fd count sits right after the header */
    rx = mvRpcMessageNew();
    rx->buffer = g_memdup2(tx->buffer, tx->bufferLength);
    rx->bufferLength = tx->bufferLength;
    ck_assert_int_eq(mvRpcMessageDecodeHeader(rx), -1);
}
END_TEST

START_TEST(test_truncated_payload)
{
    remote_domain_define_xml_args args = { .xml = (char *)"<domain><name>x</name></domain>" };
    remote_domain_define_xml_args out = { 0 };
    g_autoptr(mvRpcMessage) tx = mvRpcMessageNewPacket(REMOTE_PROGRAM, 1, 11, MV_RPC_CALL, 1,
                                                       MV_RPC_OK,
                                                       (xdrproc_t)xdr_remote_domain_define_xml_args,
                                                       &args);
    g_autoptr(mvRpcMessage) rx = reparse(tx);

    rx->bufferLength -= 8;   /* chop the end of the string */
    ck_assert_int_eq(mvRpcMessageDecodePayload(rx, (xdrproc_t)xdr_remote_domain_define_xml_args, &out), -1);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("rpc_message");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_error_payload);
    tcase_add_test(tc, test_hostile_lengths);
    tcase_add_test(tc, test_too_many_fds);
    tcase_add_test(tc, test_truncated_payload);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
