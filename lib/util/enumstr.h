/* Enum <-> string tables, for XML attribute values and the like.
 *
 *   typedef enum { MV_DISK_BUS_IDE, MV_DISK_BUS_VIRTIO, MV_DISK_BUS_LAST } mvDiskBus;
 *   MV_ENUM_DECL(mvDiskBus);                       (in the .h)
 *   MV_ENUM_IMPL(mvDiskBus, MV_DISK_BUS_LAST,      (in the .c)
 *                "ide", "virtio");
 *
 * gives   const char *mvDiskBusTypeToString(int value);   NULL if out of range
 *         int mvDiskBusTypeFromString(const char *str);   -1 if unknown/NULL
 *
 * The number of strings must equal the _LAST sentinel: checked at compile
 * time.  Matching is exact (case-sensitive), like libvirt's. */
#pragma once
#include <glib.h>
#include <string.h>

static inline const char *
mvEnumToString(const char *const *list, size_t n, int value)
{
    if (value < 0 || (size_t)value >= n)
        return NULL;
    return list[value];
}

static inline int
mvEnumFromString(const char *const *list, size_t n, const char *str)
{
    size_t i;

    if (!str)
        return -1;
    for (i = 0; i < n; i++) {
        if (list[i] && strcmp(list[i], str) == 0)
            return (int)i;
    }
    return -1;
}

#define MV_ENUM_DECL(name) \
    const char *name##TypeToString(int value); \
    int name##TypeFromString(const char *str)

#define MV_ENUM_IMPL(name, lastval, ...) \
    static const char *const name##TypeList[] = { __VA_ARGS__ }; \
    G_STATIC_ASSERT(G_N_ELEMENTS(name##TypeList) == (lastval)); \
    const char *name##TypeToString(int value) \
    { \
        return mvEnumToString(name##TypeList, G_N_ELEMENTS(name##TypeList), value); \
    } \
    int name##TypeFromString(const char *str) \
    { \
        return mvEnumFromString(name##TypeList, G_N_ELEMENTS(name##TypeList), str); \
    } \
    G_STATIC_ASSERT(1)   /* swallow the caller's semicolon */
