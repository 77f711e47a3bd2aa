/* cm-cli-group.c — `casemix group`: a file of episodes in, one result row
 * per accepted episode out, broken lines to the rejects file.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cm-cli.h"
#include "casemix.h"

typedef struct {
  CmScheme *scheme;
  CmGroupFlags flags;
} GroupJob;

static gpointer
group_worker_new (gpointer user_data)
{
  GroupJob *job = user_data;
  return cm_group_context_new (job->scheme);
}

static void
group_worker_free (gpointer worker)
{
  cm_group_context_free (worker);
}

static GroupJob *the_job;  /* read-only during a run */
static char outbuf[1 << 20];

/* --schemes / --region: the scheme of each episode chosen by its discharge
 * date from a schemes.tsv timeline (cm-timeline.h), with the shadow scheme
 * of that date grouped alongside. An episode whose date no primary range
 * covers gets status NO_SCHEME (a business outcome, not an error). */
typedef struct {
  CmTimeline *tl;
  CmGroupFlags flags;
  gboolean shadow;
} TimelineJob;

static gpointer
timeline_worker_new (gpointer user_data)
{
  return cm_timeline_context_new (((TimelineJob *) user_data)->tl);
}

static void
timeline_worker_free (gpointer worker)
{
  cm_timeline_context_free (worker);
}

static TimelineJob *the_timeline_job;  /* read-only during a run */

static void
timeline_append (GString *out, gboolean found, CmScheme *scheme, const CmGroupResult *res,
                 gboolean full)
{
  if (!found)
    {
      g_string_append (out, full ? ",NO_SCHEME,,," : ",NO_SCHEME,");
      return;
    }
  cm_csv_append_field (out, cm_scheme_get_id (scheme));
  g_string_append_c (out, ',');
  g_string_append (out, res->status);
  g_string_append_c (out, ',');
  if (full)
    {
      cm_csv_append_field (out, res->family == CM_SCHEME_FAMILY_DRG ? res->mdc : "");
      g_string_append_c (out, ',');
      cm_csv_append_field (out, res->family == CM_SCHEME_FAMILY_DRG ? res->adrg : "");
      g_string_append_c (out, ',');
    }
  cm_csv_append_field (out, res->family == CM_SCHEME_FAMILY_DRG ? res->drg : res->group_id);
}

static const char *
timeline_process (gpointer worker, const CmEpisode *ep, GString *out)
{
  CmGroupResult res, shadow;
  CmScheme *s = NULL, *ss = NULL;
  gboolean found = cm_timeline_group (worker, ep, CM_TIMELINE_PRIMARY,
                                      the_timeline_job->flags, &res, &s);

  cm_csv_append_field (out, ep->episode_id);
  g_string_append_c (out, ',');
  timeline_append (out, found, s, &res, TRUE);
  if (the_timeline_job->shadow)
    {
      if (cm_timeline_group (worker, ep, CM_TIMELINE_SHADOW, the_timeline_job->flags,
                             &shadow, &ss))
        {
          g_string_append_c (out, ',');
          timeline_append (out, TRUE, ss, &shadow, FALSE);
        }
      else
        g_string_append (out, ",,,");
    }
  g_string_append_c (out, '\n');
  return found ? res.status : "NO_SCHEME";
}

/* The timeline of --schemes FILE, or of --region R: policy/R/schemes.tsv
 * under the tables search path (cm-tables.h). */
static CmTimeline *
load_timeline (const char *path, const char *region, GError **error)
{
  g_auto (GStrv) dirs = NULL;
  g_autoptr (GString) where = g_string_new (NULL);

  if (path != NULL)
    return cm_timeline_load (path, error);
  if (*region == '\0' || strchr (region, '/') != NULL || strcmp (region, "..") == 0)
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_NOT_FOUND,
                   "--region: '%s' is not a region name", region);
      return NULL;
    }
  dirs = cm_tables_search_path ();
  for (guint i = 0; dirs[i]; i++)
    {
      g_autofree char *p = g_build_filename (dirs[i], "policy", region, "schemes.tsv", NULL);
      if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        return cm_timeline_load (p, error);
      g_string_append_printf (where, "%s%s", i ? ", " : "", p);
    }
  g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_NOT_FOUND,
               "--region %s: no schemes.tsv (looked for %s)", region, where->str);
  return NULL;
}

static const char *
group_process (gpointer worker, const CmEpisode *ep, GString *out)
{
  CmGroupResult res;
  char row[256];
  gsize n = 0;
  const char *cells[4];
  guint n_cells;
  char pc[2] = { 0, 0 };

  cm_group (worker, ep, the_job->flags, &res);
  /* The id may need CSV quoting (OpenDRG input); the other cells are
   * status names and codes from the scheme tables, which never do. The row
   * is assembled on the stack and appended once: this runs per episode. */
  cm_csv_append_field (out, ep->episode_id);
  if (res.family == CM_SCHEME_FAMILY_DRG)
    {
      cells[0] = res.mdc;
      cells[1] = res.adrg;
      cells[2] = res.drg;
      n_cells = 3;
    }
  else
    {
      pc[0] = res.primary_care ? '1' : '0';
      cells[0] = res.group_id;
      cells[1] = res.rule_stage;
      cells[2] = pc;
      n_cells = 3;
    }
  row[n++] = ',';
  for (const char *p = res.status; *p && n < sizeof row - 2; p++)
    row[n++] = *p;
  for (guint i = 0; i < n_cells; i++)
    {
      gsize len = strlen (cells[i]);
      if (n + len + 2 >= sizeof row)
        break;
      row[n++] = ',';
      memcpy (row + n, cells[i], len);
      n += len;
    }
  row[n++] = '\n';
  g_string_append_len (out, row, (gssize) n);
  return res.status;
}

static void
print_summary (const char *input, const CmPipelineStats *st)
{
  fprintf (stderr,
           "casemix group: %s: %" G_GUINT64_FORMAT " lines read, %"
           G_GUINT64_FORMAT " episodes grouped, %" G_GUINT64_FORMAT
           " rejected, %" G_GUINT64_FORMAT " empty\n",
           input, st->lines, st->accepted, st->rejected, st->empty);
  for (guint i = 0; i < st->n_statuses; i++)
    fprintf (stderr, "  %-16s %" G_GUINT64_FORMAT "\n", st->status[i],
             st->status_count[i]);
}

int
cm_cli_group (int argc, char **argv)
{
  g_autofree char *scheme_arg = NULL;
  g_autofree char *schemes_path = NULL, *region = NULL;
  g_autoptr (CmTimeline) timeline = NULL;
  TimelineJob tjob = { 0 };
  g_autofree char *input_format = NULL;
  g_autofree char *out_path = NULL;
  g_autofree char *rejects_path = NULL;
  gboolean translate = FALSE, no_comprehensive = FALSE, quiet = FALSE;
  gint threads = 0;
  g_auto (GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { "scheme", 0, 0, G_OPTION_ARG_STRING, &scheme_arg,
      "Scheme folder, or the name of a shipped scheme", "SCHEME" },
    { "schemes", 0, 0, G_OPTION_ARG_FILENAME, &schemes_path,
      "Choose the scheme per episode by discharge date from a schemes.tsv timeline "
      "(a shadow scheme adds shadow_scheme,shadow_status,shadow_code)", "FILE" },
    { "region", 0, 0, G_OPTION_ARG_STRING, &region,
      "Use the shipped timeline tables/policy/REGION/schemes.tsv", "REGION" },
    { "translate", 0, 0, G_OPTION_ARG_NONE, &translate,
      "Translate codes through the scheme's dx_map/px_map (DRG)", NULL },
    { "no-comprehensive", 0, 0, G_OPTION_ARG_NONE, &no_comprehensive,
      "Do not form comprehensive groups (DIP)", NULL },
    { "input-format", 0, 0, G_OPTION_ARG_STRING, &input_format,
      "episodes (default) or opendrg", "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_path,
      "Write results here (default: standard output)", "OUT.csv" },
    { "rejects", 0, 0, G_OPTION_ARG_FILENAME, &rejects_path,
      "Write rejected lines (line,reason) here", "REJECTS.csv" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
      "Worker threads (default: number of cores)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      "No summary on standard error", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL,
      "[INPUT.csv | -]" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("[INPUT.csv | -]");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmScheme) scheme = NULL;
  g_autofree char *scheme_dir = NULL;
  CmPipelineOptions popt = { 0 };
  CmPipelineOps ops = { .worker_new = group_worker_new, .worker_free = group_worker_free, .process = group_process };
  CmPipelineStats stats;
  CmCliBatchIo io;
  GroupJob job = { 0 };
  const char *input = "-";
  int fd = 0;
  FILE *out = stdout, *rej = NULL;
  gboolean ok;

  g_option_context_set_summary (oc, "Group episodes with a DRG or DIP scheme.");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      cm_cli_error ("group: %s", error->message);
      return CM_EXIT_USAGE;
    }
  if ((scheme_arg != NULL) + (schemes_path != NULL) + (region != NULL) != 1)
    {
      cm_cli_error ("group: give one of --scheme, --schemes or --region");
      return CM_EXIT_USAGE;
    }
  if (rest != NULL && g_strv_length (rest) > 1)
    {
      cm_cli_error ("group: one input file at most");
      return CM_EXIT_USAGE;
    }
  if (rest != NULL && rest[0] != NULL)
    input = rest[0];
  if (input_format == NULL || strcmp (input_format, "episodes") == 0)
    popt.format = CM_INPUT_EPISODES;
  else if (strcmp (input_format, "opendrg") == 0)
    popt.format = CM_INPUT_OPENDRG;
  else
    {
      cm_cli_error ("group: --input-format must be episodes or opendrg, not '%s'",
                    input_format);
      return CM_EXIT_USAGE;
    }
  if (threads < 0)
    {
      cm_cli_error ("group: --threads must be 0 or more");
      return CM_EXIT_USAGE;
    }

  job.flags = (translate ? CM_GROUP_TRANSLATE : 0)
              | (no_comprehensive ? CM_GROUP_NO_COMPREHENSIVE : 0);
  if (scheme_arg == NULL)
    {
      timeline = load_timeline (schemes_path, region, &error);
      if (timeline == NULL)
        {
          cm_cli_error ("%s", error->message);
          return CM_EXIT_SCHEME;
        }
      for (guint i = 0; i < cm_timeline_get_n_schemes (timeline); i++)
        if (!cm_scheme_check_flags (cm_timeline_get_scheme (timeline, i), job.flags, &error))
          {
            cm_cli_error ("group: %s", error->message);
            return CM_EXIT_USAGE;
          }
      tjob.tl = timeline;
      tjob.flags = job.flags;
      tjob.shadow = cm_timeline_has_shadow (timeline);
      ops.worker_new = timeline_worker_new;
      ops.worker_free = timeline_worker_free;
      ops.process = timeline_process;
    }
  else
    {
      scheme_dir = cm_tables_find (scheme_arg, &error);
      if (scheme_dir != NULL)
        scheme = cm_scheme_load (scheme_dir, &error);
      if (scheme == NULL)
        {
          cm_cli_error ("%s", error->message);
          return CM_EXIT_SCHEME;
        }
      job.scheme = scheme;
      if (!cm_scheme_check_flags (scheme, job.flags, &error))
        {
          cm_cli_error ("group: %s", error->message);
          return CM_EXIT_USAGE;
        }
    }

  if (cm_cli_batch_open (&io, input, out_path, rejects_path, outbuf,
                         sizeof outbuf) != CM_EXIT_OK)
    return CM_EXIT_FAILURE;
  out = io.out;
  rej = io.rejects;
  fd = io.fd;

  if (timeline != NULL)
    fputs (tjob.shadow ? "episode_id,scheme,status,mdc,adrg,code,"
                         "shadow_scheme,shadow_status,shadow_code\n"
                       : "episode_id,scheme,status,mdc,adrg,code\n", out);
  else if (cm_scheme_get_family (scheme) == CM_SCHEME_FAMILY_DRG)
    fputs ("episode_id,status,mdc,adrg,drg\n", out);
  else
    fputs ("episode_id,status,group_id,rule_stage,primary_care\n", out);

  popt.n_threads = (guint) threads;
  popt.input_name = input;
  the_job = &job;
  the_timeline_job = &tjob;
  ok = cm_pipeline_run (fd, &popt, &ops, timeline ? (gpointer) &tjob : (gpointer) &job, out,
                        rej, &stats, &error);
  the_job = NULL;
  the_timeline_job = NULL;
  if (!cm_cli_batch_close (&io))
    ok = FALSE;
  if (!ok)
    {
      if (error)
        cm_cli_error ("%s", error->message);
      return CM_EXIT_FAILURE;
    }
  if (!quiet)
    print_summary (input, &stats);
  return CM_EXIT_OK;
}
