/* cm-xlsx-private.h — libxml2 types with GLib cleanup functions, so that
 * libxml2 memory always goes back through libxml2.
 * SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>

G_BEGIN_DECLS

typedef xmlChar CmXmlString;

static inline void
cm_xml_string_free (CmXmlString *s)
{
  if (s != NULL)
    xmlFree (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlTextReader, xmlFreeTextReader)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmXmlString, cm_xml_string_free)

G_END_DECLS
