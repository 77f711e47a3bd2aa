/* cm-cli-explain.c — `casemix explain`: group one episode and show the
 * path the grouper took, or answer "why not group X?".
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include "cm-cli.h"
#include "casemix.h"
#include "cm-episode-input.h"

/* The episode text: "-" is standard input, an existing file is read, any
 * other argument is the episode itself (a JSON object or a CSV line). */
static char *
read_episode (const char *arg, GError **error)
{
  char *text = NULL;

  if (strcmp (arg, "-") == 0)
    {
      GString *s = g_string_new (NULL);
      char buf[4096];
      size_t n;

      while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
        {
          g_string_append_len (s, buf, (gssize) n);
          if (s->len > 1024 * 1024)
            {
              g_string_free (s, TRUE);
              g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                           "standard input: more than 1 MiB for one episode");
              return NULL;
            }
        }
      return g_string_free (s, FALSE);
    }
  if (arg[0] != '{' && g_file_test (arg, G_FILE_TEST_IS_REGULAR))
    {
      if (!g_file_get_contents (arg, &text, NULL, error))
        return NULL;
      return text;
    }
  return g_strdup (arg);
}

int
cm_cli_explain (int argc, char **argv)
{
  g_autofree char *scheme_arg = NULL;
  g_autofree char *why_not = NULL;
  gboolean json = FALSE, translate = FALSE, no_comprehensive = FALSE;
  g_auto (GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { "scheme", 0, 0, G_OPTION_ARG_STRING, &scheme_arg,
      "Scheme folder, or the name of a shipped scheme", "SCHEME" },
    { "why-not", 0, 0, G_OPTION_ARG_STRING, &why_not,
      "Explain why the episode does not group to CODE (DRG, ADRG, MDC or DIP "
      "group)", "CODE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Write one JSON object (docs/api.md) instead of text", NULL },
    { "translate", 0, 0, G_OPTION_ARG_NONE, &translate,
      "Translate codes through the scheme's dx_map/px_map (DRG)", NULL },
    { "no-comprehensive", 0, 0, G_OPTION_ARG_NONE, &no_comprehensive,
      "Do not form comprehensive groups (DIP)", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL,
      "EPISODE" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("EPISODE");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmScheme) scheme = NULL;
  g_autoptr (CmGroupContext) ctx = NULL;
  g_autoptr (CmEpisodeInput) input = NULL;
  g_autoptr (CmTrace) trace = NULL;
  g_autoptr (GString) out = NULL;
  g_autofree char *scheme_dir = NULL;
  g_autofree char *text = NULL;
  CmGroupFlags flags;
  CmGroupResult res;

  g_option_context_set_summary (oc,
    "Group one episode and show every step the grouper took, or why it does "
    "not group to CODE.\n\n"
    "EPISODE is a JSON object or one line of the 24-column episode CSV\n"
    "(header line optional), given as the argument itself, as a file, or\n"
    "as - for standard input. docs/explain.md describes the output.");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("explain: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (scheme_arg == NULL)
    {
      cm_cli_error ("explain: --scheme is required");
      return CM_EXIT_USAGE;
    }
  if (rest == NULL || rest[0] == NULL || rest[1] != NULL)
    {
      cm_cli_error ("explain: exactly one EPISODE is needed (see casemix explain --help)");
      return CM_EXIT_USAGE;
    }

  scheme_dir = cm_tables_find (scheme_arg, &error);
  if (scheme_dir != NULL)
    scheme = cm_scheme_load (scheme_dir, &error);
  if (scheme == NULL)
    {
      cm_cli_error ("%s", error->message);
      return CM_EXIT_SCHEME;
    }
  flags = (translate ? CM_GROUP_TRANSLATE : 0)
          | (no_comprehensive ? CM_GROUP_NO_COMPREHENSIVE : 0);
  if (!cm_scheme_check_flags (scheme, flags, &error))
    {
      cm_cli_error ("explain: %s", error->message);
      return CM_EXIT_USAGE;
    }

  text = read_episode (rest[0], &error);
  if (text == NULL)
    {
      cm_cli_error ("%s", error->message);
      return CM_EXIT_FAILURE;
    }
  input = cm_episode_input_new ();
  if (!cm_episode_input_parse_text (input, text, -1, &error))
    {
      cm_cli_error ("explain: episode refused: %s", error->message);
      return CM_EXIT_FAILURE;
    }

  ctx = cm_group_context_new (scheme);
  trace = cm_trace_new ();
  if (why_not != NULL)
    {
      if (!cm_explain_why_not (ctx, cm_episode_input_get_episode (input), flags,
                               why_not, trace, &error))
        {
          cm_cli_error ("explain: --why-not: %s", error->message);
          return CM_EXIT_USAGE;
        }
    }
  else
    cm_group_traced (ctx, cm_episode_input_get_episode (input), flags, trace, &res);

  out = g_string_sized_new (8192);
  if (json)
    {
      cm_trace_to_json (trace, out);
      g_string_append_c (out, '\n');
    }
  else
    cm_trace_to_text (trace, out);
  if (fwrite (out->str, 1, out->len, stdout) != out->len || fflush (stdout) != 0)
    {
      cm_cli_error ("stdout: write error");
      return CM_EXIT_FAILURE;
    }
  return CM_EXIT_OK;
}
