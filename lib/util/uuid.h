#pragma once
#include <glib.h>

#define MV_UUID_BUFLEN 16
#define MV_UUID_STRING_BUFLEN 37

void mvUUIDGenerate(unsigned char uuid[MV_UUID_BUFLEN]);   /* random v4 */
/* Accepts libvirt's forms: 36-char dashed or 32 hex digits (dashes anywhere ignored). */
int mvUUIDParse(const char *str, unsigned char uuid[MV_UUID_BUFLEN]);  /* 0 / -1 (no error set) */
char *mvUUIDFormat(const unsigned char uuid[MV_UUID_BUFLEN], char buf[MV_UUID_STRING_BUFLEN]);
gboolean mvUUIDIsValidString(const char *str);
