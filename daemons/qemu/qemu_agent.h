/* The QEMU guest agent, over the guest's org.qemu.guest_agent.0 channel:
 * one short connection per command (sync, command, reply). */
#pragma once
#include <glib.h>
#include <json-c/json.h>
#include "qemu_domainobj.h"

#define QEMU_AGENT_CHANNEL "org.qemu.guest_agent.0"

/* Run @cmd (obj locked, job held; the lock is dropped while waiting).
 * *reply gets the "return" value.  With @noReply the command counts as done
 * once sent (guest-shutdown never answers).  Errors like libvirt's:
 * "argument unsupported: QEMU guest agent is not configured",
 * "Guest agent is not responding: QEMU guest agent is not connected",
 * "internal error: unable to execute QEMU agent command '%s': %s". */
int qemuAgentCommand(qemuDomainObj *obj, const char *cmd, json_object *args,
                     json_object **reply, int timeoutMs, gboolean noReply);
int qemuAgentShutdown(qemuDomainObj *obj, gboolean reboot);
