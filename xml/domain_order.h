/* Canonical element/attribute order tables for domain XML (internal). */
#pragma once
#include "xml/xmlutil.h"

extern const char *const mvDomainTopOrder[];
extern const char *const mvDomainQemuOrder[];
extern const mvXMLOrderRule mvDomainOrderRules[];
