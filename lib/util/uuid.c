/* UUIDs: random (version 4) generation, parsing of the forms libvirt accepts,
 * canonical formatting. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "util/uuid.h"

#define MV_FROM_THIS MV_FROM_NONE

static void
mvUUIDRandomBytes(unsigned char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = getrandom(buf + got, len - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        got += n;
    }
    if (got < len) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        while (fd >= 0 && got < len) {
            ssize_t n = read(fd, buf + got, len - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += n;
        }
        if (fd >= 0)
            close(fd);
    }
    /* last resort: GLib's PRNG (seeded from the kernel as well) */
    for (; got < len; got++)
        buf[got] = (unsigned char)g_random_int_range(0, 256);
}


void
mvUUIDGenerate(unsigned char uuid[MV_UUID_BUFLEN])
{
    mvUUIDRandomBytes(uuid, MV_UUID_BUFLEN);
    uuid[6] = (uuid[6] & 0x0F) | 0x40;   /* version 4 */
    uuid[8] = (uuid[8] & 0x3F) | 0x80;   /* RFC 4122 variant */
}


/* libvirt's rules: optional leading and trailing whitespace; 32 hex digits
 * taken in pairs; a '-' or ' ' may stand between two pairs (any number of
 * them), never inside a pair. */
int
mvUUIDParse(const char *str, unsigned char uuid[MV_UUID_BUFLEN])
{
    unsigned char out[MV_UUID_BUFLEN];
    const char *p = str;
    size_t i = 0;

    if (!str)
        return -1;
    while (g_ascii_isspace(*p))
        p++;
    while (i < MV_UUID_BUFLEN) {
        int hi, lo;

        if (*p == '-' || *p == ' ') {
            p++;
            continue;
        }
        if ((hi = g_ascii_xdigit_value(p[0])) < 0)
            return -1;
        if ((lo = g_ascii_xdigit_value(p[1])) < 0)
            return -1;
        out[i++] = (unsigned char)((hi << 4) | lo);
        p += 2;
    }
    while (*p) {
        if (!g_ascii_isspace(*p))
            return -1;
        p++;
    }
    memcpy(uuid, out, MV_UUID_BUFLEN);
    return 0;
}


char *
mvUUIDFormat(const unsigned char uuid[MV_UUID_BUFLEN], char buf[MV_UUID_STRING_BUFLEN])
{
    static const char hex[] = "0123456789abcdef";
    size_t i, j = 0;

    for (i = 0; i < MV_UUID_BUFLEN; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            buf[j++] = '-';
        buf[j++] = hex[uuid[i] >> 4];
        buf[j++] = hex[uuid[i] & 0xF];
    }
    buf[j] = '\0';
    return buf;
}


gboolean
mvUUIDIsValidString(const char *str)
{
    unsigned char tmp[MV_UUID_BUFLEN];
    return mvUUIDParse(str, tmp) == 0;
}
