/* fuzz-group.h — episodes in a compact text form, and grouping a few fixed
 * ones with a freshly loaded scheme: plain, traced, explained.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the targets that load a scheme from fuzzed tables; whatever a
 * table says, grouping must stay in bounds, a traced grouping must give
 * the plain result, and traces must render as valid JSON. */
#pragma once

#include <json-glib/json-glib.h>

#include "fuzz-common.h"
#include "cm-explain.h"
#include "cm-scheme.h"
#include "cm-trace.h"

/* Splits @val at '|' keeping empty items (as the readers do). */
static inline guint
fuzz_split_codes (char *val, const char **out)
{
  guint n = 0;

  for (char *p = val;;)
    {
      char *bar = strchr (p, '|');

      if (bar != NULL)
        *bar = '\0';
      if (n < CM_MAX_CODES)
        out[n++] = p;
      if (bar == NULL)
        break;
      p = bar + 1;
    }
  return n;
}

/* Fills @ep from the words of @spec (rewritten in place; @ep points into
 * it), the words of tests/test-common.h's test_episode() separated by
 * spaces or LFs: "sex=1 age=30 days=2 wt=3000 dept=ICU los=5 dis=1 icu=0
 * amt=9 dx=B1|M1 px=P1". Unknown words are ignored. */
static inline void
fuzz_episode_parse (char *spec, CmEpisode *ep)
{
  char *save = NULL;

  cm_episode_clear (ep);
  ep->episode_id = "F";
  ep->px_text_empty = TRUE;
  for (char *w = strtok_r (spec, " \n", &save); w != NULL;
       w = strtok_r (NULL, " \n", &save))
    {
      char *eq = strchr (w, '=');
      char *val;

      if (eq == NULL)
        continue;
      *eq = '\0';
      val = eq + 1;
      if (strcmp (w, "sex") == 0) cm_field_set_text (&ep->sex, val);
      else if (strcmp (w, "age") == 0) cm_field_set_text (&ep->age_years, val);
      else if (strcmp (w, "days") == 0) cm_field_set_text (&ep->age_days, val);
      else if (strcmp (w, "wt") == 0) cm_field_set_text (&ep->weight_g, val);
      else if (strcmp (w, "dept") == 0) cm_field_set_text (&ep->dept, val);
      else if (strcmp (w, "los") == 0) cm_field_set_text (&ep->los_days, val);
      else if (strcmp (w, "dis") == 0) cm_field_set_text (&ep->discharge, val);
      else if (strcmp (w, "icu") == 0) cm_field_set_text (&ep->icu_hours, val);
      else if (strcmp (w, "amt") == 0) cm_field_set_text (&ep->amount, val);
      else if (strcmp (w, "dx") == 0) ep->n_dx = fuzz_split_codes (val, ep->dx);
      else if (strcmp (w, "px") == 0 && *val != '\0')
        {
          ep->n_px = fuzz_split_codes (val, ep->px);
          ep->px_text_empty = FALSE;
        }
    }
}

static inline void
fuzz_check_json (const GString *json, const char *what)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  FUZZ_CHECK (json_parser_load_from_data (parser, json->str, (gssize) json->len,
                                          &error),
              "%s is not valid JSON (%s): %s", what, error->message, json->str);
}

static inline void
fuzz_check_same_result (const CmGroupResult *a, const CmGroupResult *b,
                        const char *what)
{
  FUZZ_CHECK (a->family == b->family && strcmp (a->status, b->status) == 0,
              "%s: status %s, plain %s", what, b->status, a->status);
  if (a->family == CM_SCHEME_FAMILY_DRG)
    FUZZ_CHECK (strcmp (a->mdc, b->mdc) == 0 && strcmp (a->adrg, b->adrg) == 0
                && strcmp (a->drg, b->drg) == 0,
                "%s: %s/%s/%s, plain %s/%s/%s", what, b->mdc, b->adrg, b->drg,
                a->mdc, a->adrg, a->drg);
  else
    FUZZ_CHECK (strcmp (a->group_id, b->group_id) == 0
                && strcmp (a->rule_stage, b->rule_stage) == 0
                && !a->primary_care == !b->primary_care,
                "%s: %s %s %d, plain %s %s %d", what, b->group_id,
                b->rule_stage, b->primary_care, a->group_id, a->rule_stage,
                a->primary_care);
}

#define FUZZ_N_EXPLAINED 4

/* Groups every episode of @specs with @scheme under both flag sets of its
 * family, plain and traced, and asks why not each of @targets for the
 * first FUZZ_N_EXPLAINED episodes. */
static inline void
fuzz_group_fixed (CmScheme *scheme, const char *const *specs, guint n_specs,
                  const char *const *targets, guint n_targets)
{
  g_autoptr (CmGroupContext) ctx = cm_group_context_new (scheme);
  g_autoptr (CmTrace) trace = cm_trace_new ();
  g_autofree CmEpisode *ep = g_new0 (CmEpisode, 1);
  gboolean drg = cm_scheme_get_family (scheme) == CM_SCHEME_FAMILY_DRG;
  CmGroupFlags all_flags[2] = {
    CM_GROUP_DEFAULT, drg ? CM_GROUP_TRANSLATE : CM_GROUP_NO_COMPREHENSIVE,
  };

  for (guint i = 0; i < n_specs; i++)
    for (guint f = 0; f < G_N_ELEMENTS (all_flags); f++)
      {
        g_autofree char *spec = g_strdup (specs[i]);
        g_autoptr (GError) error = NULL;
        g_autoptr (GString) text = g_string_new (NULL);
        g_autoptr (GString) json = g_string_new (NULL);
        CmGroupResult plain, traced;

        fuzz_episode_parse (spec, ep);
        if (!cm_scheme_check_flags (scheme, all_flags[f], &error))
          {
            FUZZ_CHECK (error->domain == CM_SCHEME_ERROR, "check_flags: %s",
                        error->message);
            continue;
          }
        cm_group (ctx, ep, all_flags[f], &plain);
        FUZZ_CHECK (plain.status != NULL && *plain.status != '\0', "no status");
        cm_group_traced (ctx, ep, all_flags[f], trace, &traced);
        fuzz_check_same_result (&plain, &traced, "traced");
        cm_trace_to_text (trace, text);
        cm_trace_to_json (trace, json);
        fuzz_check_json (json, "trace");
        if (f > 0 || i >= FUZZ_N_EXPLAINED)
          continue;  /* explanations are slow: the first episodes only */
        for (guint t = 0; t < n_targets; t++)
          {
            g_autoptr (GError) why_error = NULL;
            g_autoptr (GString) why = g_string_new (NULL);

            if (!cm_explain_why_not (ctx, ep, all_flags[f], targets[t], trace,
                                     &why_error))
              {
                FUZZ_CHECK (g_error_matches (why_error, CM_EXPLAIN_ERROR,
                                             CM_EXPLAIN_ERROR_TARGET),
                            "why not %s: %s", targets[t],
                            why_error ? why_error->message : "no error");
                continue;
              }
            FUZZ_CHECK (why_error == NULL, "why not %s: an error too", targets[t]);
            fuzz_check_same_result (&plain, cm_trace_get_result (trace),
                                    "why-not");
            cm_trace_to_text (trace, why);
            g_string_truncate (why, 0);
            cm_trace_to_json (trace, why);
            fuzz_check_json (why, "why-not trace");
          }
      }
}

/* A scheme folder in scratch space, filled from @fixture (a folder of
 * tests/data) or from @files; one table is replaced per run and put back
 * afterwards. */
typedef struct {
  char *dir;
  guint n;
  char **names;
  GBytes **contents;
} FuzzTables;

static inline void
fuzz_tables_init (FuzzTables *t, const char *const *names,
                  const char *const *texts, guint n)
{
  t->dir = fuzz_make_tmp_dir ("cm-fuzz-XXXXXX");
  t->n = n;
  t->names = g_new0 (char *, n + 1);
  t->contents = g_new0 (GBytes *, n);
  for (guint i = 0; i < n; i++)
    {
      t->names[i] = g_strdup (names[i]);
      t->contents[i] = g_bytes_new (texts[i], strlen (texts[i]));
      fuzz_write_file (t->dir, names[i], texts[i], strlen (texts[i]));
    }
}

static inline int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Reads every .tsv file of @fixture, sorted by name. */
static inline void
fuzz_tables_init_from (FuzzTables *t, const char *fixture)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = g_dir_open (fixture, 0, &error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    {
      fprintf (stderr, "fuzz: %s\n", error->message);
      abort ();
    }
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".tsv"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (fixture, names->pdata[i], NULL);
      char *text = NULL;

      if (!g_file_get_contents (path, &text, NULL, &error))
        {
          fprintf (stderr, "fuzz: %s\n", error->message);
          abort ();
        }
      g_ptr_array_add (texts, text);
    }
  fuzz_tables_init (t, (const char *const *) names->pdata,
                    (const char *const *) texts->pdata, names->len);
}

/* Replaces table @data[0] % n with the rest of @data; returns its index. */
static inline guint
fuzz_tables_replace (FuzzTables *t, const uint8_t *data, size_t size)
{
  guint i = data[0] % t->n;

  fuzz_write_file (t->dir, t->names[i], data + 1, size - 1);
  return i;
}

static inline void
fuzz_tables_restore (FuzzTables *t, guint i)
{
  gsize len;
  const void *p = g_bytes_get_data (t->contents[i], &len);

  fuzz_write_file (t->dir, t->names[i], p, len);
}
