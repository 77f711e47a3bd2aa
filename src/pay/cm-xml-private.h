/* cm-xml-private.h — autocleanup for the libxml2 types the policy loader
 * uses, so that libxml2 memory always goes back through libxml2.
 * SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

G_BEGIN_DECLS

/* libxml2 2.12 made the structured-error argument const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *CmXmlErrorPtr;
#else
typedef xmlError *CmXmlErrorPtr;
#endif

typedef xmlChar CmXmlString;

static inline void
cm_xml_string_free (CmXmlString *s)
{
  xmlFree (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmXmlString, cm_xml_string_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlParserCtxt, xmlFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlRelaxNGParserCtxt, xmlRelaxNGFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlRelaxNG, xmlRelaxNGFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlRelaxNGValidCtxt, xmlRelaxNGFreeValidCtxt)

G_END_DECLS
