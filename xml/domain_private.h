/* Internals shared by xml/domain_*.c (not for drivers). */
#pragma once
#include "xml/domain_conf.h"
#include "xml/domain_order.h"
#include "xml/xmlutil.h"

/* Parse one device element (already a private copy owned by the caller,
 * blanks stripped) into a typed device. Takes ownership of @node on success
 * and on failure. */
mvDomainDeviceDef *mvDomainDeviceParseNode(xmlNode *node, mvDomainDeviceKind kind,
                                           unsigned int parseFlags);
/* A private, synced, runtime-stripped (per @flags) copy of dev's element,
 * ready for mvXMLFormatNode.  Caller frees with xmlFreeNode. */
xmlNode *mvDomainDeviceFormatNode(const mvDomainDeviceDef *dev, xmlDoc *doc,
                                  unsigned int formatFlags);
/* Append dev's element at @level, as mvDomainDeviceFormatNode + mvXMLFormatNode
 * would, without copying it when nothing has to be written back. */
void mvDomainDeviceFormatBuf(GString *buf, const mvDomainDeviceDef *dev, int level,
                             unsigned int formatFlags);
/* Cross-device defaults: controller indexes and implicit controllers,
 * serial/console pairing, drive addresses, video primary. */
int mvDomainDefPostParseDevices(mvDomainDef *def, unsigned int parseFlags);
/* Cross-device checks (duplicate targets, boot orders ...). */
int mvDomainDefValidateDevices(const mvDomainDef *def);

/* Append @dev to the right list of @def (no checks). */
void mvDomainDefAppendDevice(mvDomainDef *def, mvDomainDeviceDef *dev);
/* Insert a disk at libvirt's position (by bus, then target index). */
void mvDomainDefInsertDisk(mvDomainDef *def, mvDomainDiskDef *disk);

/* The per-kind array of @def for @kind (typed or generic). */
mvDomainDeviceDef ***mvDomainDefDeviceList(mvDomainDef *def, mvDomainDeviceKind kind,
                                           size_t **count);

/* Strip whitespace/comments and fix a detached copy's namespaces. */
xmlNode *mvDomainCopyNode(const xmlNode *node, xmlDoc *doc);

/* TRUE when any device has a <boot order>. */
gboolean mvDomainDefHasDeviceBoot(const mvDomainDef *def);
