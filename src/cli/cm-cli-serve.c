/* cm-cli-serve.c — `casemix serve`: the HTTP grouping service.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib-unix.h>
#include "cm-cli.h"
#include "casemix.h"
#include "cm-server.h"

static gboolean
on_signal (gpointer data)
{
  GMainLoop *loop = data;
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* The token: the file's first line, white space trimmed. */
static char *
read_token (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  char *nl;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  nl = strchr (text, '\n');
  if (nl != NULL)
    *nl = '\0';
  g_strstrip (text);
  if (*text == '\0')
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s: the token file is empty", path);
      return NULL;
    }
  return g_steal_pointer (&text);
}

int
cm_cli_serve (int argc, char **argv)
{
  g_auto (GStrv) scheme_args = NULL;
  g_autofree char *policy_arg = NULL;
  g_autofree char *bind = NULL;
  g_autofree char *token_file = NULL;
  g_autofree char *access_log = NULL;
  gint port = 8080, threads = 0, max_batch = 0, time_limit = 0;
  gint64 max_body = 0, max_batch_bytes = 0;
  GOptionEntry entries[] = {
    { "scheme", 0, 0, G_OPTION_ARG_STRING_ARRAY, &scheme_args,
      "Scheme folder or shipped scheme; repeat for several (the first is the "
      "default)", "SCHEME" },
    { "policy", 0, 0, G_OPTION_ARG_STRING, &policy_arg,
      "Payment policy pack (shipped region, folder or policy.xml): price every "
      "grouped episode", "REGION" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "TCP port (default 8080; 0 = any "
      "free port)", "N" },
    { "bind", 0, 0, G_OPTION_ARG_STRING, &bind,
      "Address to listen on (default 127.0.0.1)", "ADDRESS" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file,
      "Require `Authorization: Bearer <token>`, the token being this file's "
      "first line", "FILE" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
      "Worker threads (default: one per core, at most 16)", "N" },
    { "max-body", 0, 0, G_OPTION_ARG_INT64, &max_body,
      "Largest /v1/group body in bytes (default 1048576)", "BYTES" },
    { "max-batch-bytes", 0, 0, G_OPTION_ARG_INT64, &max_batch_bytes,
      "Largest /v1/group:batch body in bytes (default 67108864)", "BYTES" },
    { "max-batch", 0, 0, G_OPTION_ARG_INT, &max_batch,
      "Most episodes in one batch (default 100000)", "N" },
    { "time-limit", 0, 0, G_OPTION_ARG_INT, &time_limit,
      "Longest a request may run, in seconds (default 60); also the longest "
      "a graceful stop waits", "SECONDS" },
    { "access-log", 0, 0, G_OPTION_ARG_FILENAME, &access_log,
      "Access log: a file, - for standard error (default), or none", "FILE" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree char *token = NULL;
  CmServerOptions opt = { 0 };
  FILE *log = stderr;

  g_option_context_set_summary (oc,
    "Serve grouping over HTTP (docs/api.md): POST /v1/group, POST "
    "/v1/group:batch,\nGET /v1/schemes, GET /v1/health. Stops gracefully on "
    "SIGINT or SIGTERM.");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("serve: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (argc > 1)
    {
      cm_cli_error ("serve: unexpected argument '%s'", argv[1]);
      return CM_EXIT_USAGE;
    }
  if (scheme_args == NULL || scheme_args[0] == NULL)
    {
      cm_cli_error ("serve: --scheme is required");
      return CM_EXIT_USAGE;
    }
  if (port < 0 || port > 65535 || threads < 0 || max_batch < 0 || time_limit < 0
      || max_body < 0 || max_batch_bytes < 0)
    {
      cm_cli_error ("serve: --port must be 0-65535 and the limits positive");
      return CM_EXIT_USAGE;
    }
  if (token_file != NULL && (token = read_token (token_file, &error)) == NULL)
    {
      cm_cli_error ("serve: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if (access_log != NULL && strcmp (access_log, "none") == 0)
    log = NULL;
  else if (access_log != NULL && strcmp (access_log, "-") != 0)
    {
      log = fopen (access_log, "a");
      if (log == NULL)
        {
          cm_cli_error ("%s: %s", access_log, g_strerror (errno));
          return CM_EXIT_FAILURE;
        }
    }

  opt.bind_address = bind;
  opt.port = (guint) port;
  opt.n_threads = (guint) threads;
  opt.token = token;
  opt.max_body_bytes = (gsize) max_body;
  opt.max_batch_bytes = (gsize) max_batch_bytes;
  opt.max_batch_episodes = (guint) max_batch;
  opt.time_limit_ms = (guint) time_limit * 1000;
  opt.access_log = log;
  server = cm_server_new (&opt);

  for (guint i = 0; scheme_args[i] != NULL; i++)
    {
      g_autofree char *dir = cm_tables_find (scheme_args[i], &error);
      g_autoptr (CmScheme) scheme = dir ? cm_scheme_load (dir, &error) : NULL;
      if (scheme == NULL)
        {
          cm_cli_error ("%s", error->message);
          return CM_EXIT_SCHEME;
        }
      cm_server_add_scheme (server, scheme);
    }
  if (policy_arg != NULL)
    {
      g_autoptr (CmPolicy) policy = cm_policy_load (policy_arg, &error);
      if (policy == NULL || !cm_server_set_policy (server, policy, &error))
        {
          cm_cli_error ("%s", error->message);
          return CM_EXIT_SCHEME;
        }
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  if (!cm_server_start (server, &error))
    {
      cm_cli_error ("serve: %s", error->message);
      return CM_EXIT_FAILURE;
    }
  fprintf (stdout, "casemix serve: listening on http://%s:%u/ (%u scheme%s%s)\n",
           bind ? bind : "127.0.0.1", cm_server_get_port (server),
           g_strv_length (scheme_args), scheme_args[1] ? "s" : "",
           policy_arg ? ", payment on" : "");
  fflush (stdout);

  g_main_loop_run (loop);
  fprintf (stdout, "casemix serve: stopping (finishing requests in progress)\n");
  fflush (stdout);
  cm_server_stop (server);
  cm_server_wait (server);
  g_clear_pointer (&server, cm_server_free);
  if (log != NULL && log != stderr)
    fclose (log);
  fprintf (stdout, "casemix serve: stopped\n");
  fflush (stdout);
  return CM_EXIT_OK;
}
