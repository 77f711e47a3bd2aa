/* cm-tables.h — finding the scheme and policy packs casemix ships.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A scheme argument is a folder path when it names an existing folder;
 * otherwise it is the name of a shipped scheme, looked up in order in
 * $CASEMIX_TABLES, the source tree's tables/ (for an uninstalled build)
 * and the installed data directory (<datadir>/casemix). */
#pragma once

#include <glib.h>
#include "cm-version.h"

G_BEGIN_DECLS

/* Returns: (transfer full) (nullable): the folder of @name_or_path (a
 * scheme under tables/ or a path), or NULL with a CM_SCHEME_ERROR_NOT_FOUND
 * listing where it looked. */
CM_API char *cm_tables_find (const char *name_or_path, GError **error);

/* Returns: (transfer full): the search path, in order. */
CM_API GStrv cm_tables_search_path (void);

G_END_DECLS
