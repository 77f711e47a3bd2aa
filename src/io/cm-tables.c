/* cm-tables.c — the search path for shipped tables.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "cm-tables.h"
#include "cm-scheme.h"

GStrv
cm_tables_search_path (void)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  const char *env = g_getenv ("CASEMIX_TABLES");

  if (env != NULL && *env != '\0')
    {
      g_auto (GStrv) parts = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (guint i = 0; parts[i]; i++)
        if (*parts[i])
          g_strv_builder_add (b, parts[i]);
    }
  g_strv_builder_add (b, CM_SOURCE_TABLES);
  g_strv_builder_add (b, CM_DATADIR);
  return g_strv_builder_end (b);
}

char *
cm_tables_find (const char *name, GError **error)
{
  g_auto (GStrv) path = NULL;
  g_autofree char *where = NULL;

  g_return_val_if_fail (name != NULL, NULL);
  if (g_file_test (name, G_FILE_TEST_IS_DIR))
    return g_strdup (name);
  path = cm_tables_search_path ();
  if (strchr (name, G_DIR_SEPARATOR) == NULL)
    for (guint i = 0; path[i]; i++)
      {
        g_autofree char *dir = g_build_filename (path[i], name, NULL);
        if (g_file_test (dir, G_FILE_TEST_IS_DIR))
          return g_steal_pointer (&dir);
      }
  where = g_strjoinv (", ", path);
  g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_NOT_FOUND,
               "%s: no such folder, and no shipped scheme of that name in %s",
               name, where);
  return NULL;
}
