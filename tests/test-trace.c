/* test-trace.c — the grouping trace (cm-trace.h): the steps recorded for
 * hand-picked episodes of every MDC family, the QY, FAIL and check paths,
 * the complication rule, every DIP stage; the renderings; and that a
 * traced grouping gives exactly the untraced result on whole corpora.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include "test-common.h"
#include "explain-cases.h"

/* The index of the last step of @kind with @subject (NULL: any), or -1. */
static int
last_step (const CmTrace *t, CmTraceKind kind, const char *subject)
{
  int found = -1;
  for (guint i = 0; i < cm_trace_get_n_steps (t); i++)
    {
      const CmTraceStep *st = cm_trace_get_step (t, i);
      if (st->kind == kind && (subject == NULL || strcmp (st->subject, subject) == 0))
        found = (int) i;
    }
  return found;
}

/* The JSON rendering parses, and says what the trace says. */
static void
check_json (const CmTrace *t, const char *desc)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root, *result;
  const CmGroupResult *r = cm_trace_get_result (t);

  cm_trace_to_json (t, out);
  cr_assert (json_parser_load_from_data (parser, out->str, (gssize) out->len, &error),
             "%s: trace JSON does not parse: %s", desc, error ? error->message : "");
  root = json_node_get_object (json_parser_get_root (parser));
  cr_assert_eq (json_array_get_length (json_object_get_array_member (root, "steps")),
                cm_trace_get_n_steps (t), "%s: JSON steps", desc);
  cr_assert_str_eq (json_object_get_string_member (root, "scheme"),
                    cm_trace_get_scheme_id (t), "%s", desc);
  result = json_object_get_object_member (root, "result");
  cr_assert_str_eq (json_object_get_string_member (result, "status"), r->status,
                    "%s", desc);
}

static void
group_both (CmScheme *scheme, CmGroupFlags flags, const CmEpisode *ep,
            CmTrace *trace, CmGroupResult *plain, CmGroupResult *traced)
{
  g_autoptr (CmGroupContext) ctx = cm_group_context_new (scheme);
  cm_group (ctx, ep, flags, plain);
  cm_group_traced (ctx, ep, flags, trace, traced);
}

static void
assert_same_result (const CmGroupResult *a, const CmGroupResult *b,
                    const char *what)
{
  cr_assert_str_eq (a->status, b->status, "%s: status", what);
  cr_assert_str_eq (a->mdc, b->mdc, "%s: mdc", what);
  cr_assert_str_eq (a->adrg, b->adrg, "%s: adrg", what);
  cr_assert_str_eq (a->drg, b->drg, "%s: drg", what);
  cr_assert_str_eq (a->group_id, b->group_id, "%s: group_id", what);
  cr_assert_str_eq (a->rule_stage, b->rule_stage, "%s: rule_stage", what);
  cr_assert_eq (a->primary_care, b->primary_care, "%s: primary_care", what);
}

/* --- every MDC family ---------------------------------------------------- */

ParameterizedTestParameters (trace, mdc_family)
{
  return cr_make_param_array (DrgCase, drg_family_cases,
                              G_N_ELEMENTS (drg_family_cases));
}

/* FORMAT.md §5.3: the trace shows every MDC tried in mdc_order, the one
 * whose rule gave the code, that rule and its split (or fallback). */
ParameterizedTest (DrgCase *c, trace, mdc_family)
{
  g_autoptr (CmScheme) scheme = test_load_scheme (c->scheme);
  g_autoptr (CmTrace) trace = cm_trace_new ();
  g_auto (GStrv) store = NULL;
  CmEpisode ep;
  CmGroupResult plain, traced;
  int mdc_at, result_at, rule_at = -1;
  g_autofree char *adrg_prefix = g_strdup_printf ("ADRG %s", c->adrg);
  g_autoptr (GString) text = g_string_new (NULL);

  test_episode (&ep, c->spec, &store);
  group_both (scheme, 0, &ep, trace, &plain, &traced);
  assert_same_result (&plain, &traced, c->desc);
  cr_assert_str_eq (traced.status, c->status, "%s", c->desc);
  cr_assert_str_eq (traced.mdc, c->mdc, "%s", c->desc);
  cr_assert_str_eq (traced.adrg, c->adrg, "%s", c->desc);
  cr_assert_str_eq (traced.drg, c->drg, "%s", c->desc);

  /* the deciding MDC: its last step, with outcome yes */
  mdc_at = last_step (trace, CM_TRACE_MDC, c->mdc);
  cr_assert_geq (mdc_at, 0, "%s: no step for %s", c->desc, c->mdc);
  while (mdc_at >= 0 && cm_trace_get_step (trace, (guint) mdc_at)->outcome != CM_TRACE_YES)
    mdc_at--;
  cr_assert_eq (cm_trace_get_step (trace, (guint) mdc_at)->kind, CM_TRACE_MDC,
                "%s: the step of %s with outcome yes", c->desc, c->mdc);
  cr_assert_neq (*cm_trace_get_step (trace, (guint) mdc_at)->note, '\0',
                 "%s: the MDC step states its facts", c->desc);

  /* every MDC step before it did not give a code */
  for (int i = 0; i < mdc_at; i++)
    {
      const CmTraceStep *st = cm_trace_get_step (trace, (guint) i);
      if (st->kind == CM_TRACE_MDC && st->depth == 0 && st->outcome == CM_TRACE_YES)
        {
          /* an MDC entered without result (MDCA `true` in chs-drg-3.0)
           * is followed, after its rules, by the "no rule gives a code" step */
          int k = i + 1;
          while ((guint) k < cm_trace_get_n_steps (trace)
                 && cm_trace_get_step (trace, (guint) k)->depth > 0
                 && cm_trace_get_step (trace, (guint) k)->kind != CM_TRACE_MDC)
            k++;
          cr_assert_eq (cm_trace_get_step (trace, (guint) k)->kind, CM_TRACE_MDC,
                        "%s: MDC %s entered earlier without result", c->desc, st->subject);
          cr_assert_eq (cm_trace_get_step (trace, (guint) k)->outcome, CM_TRACE_INFO,
                        "%s", c->desc);
        }
    }

  /* the rule of the ADRG, after the MDC, with outcome yes */
  for (guint i = (guint) mdc_at; i < cm_trace_get_n_steps (trace); i++)
    {
      const CmTraceStep *st = cm_trace_get_step (trace, i);
      if (st->kind == CM_TRACE_RULE && st->outcome == CM_TRACE_YES
          && g_str_has_prefix (st->note, adrg_prefix))
        rule_at = (int) i;
    }
  cr_assert_geq (rule_at, 0, "%s: no rule step for %s", c->desc, c->adrg);
  cr_assert_str_eq (cm_trace_get_step (trace, (guint) rule_at)->table, "adrg_rules.tsv");

  /* the split or the fallback that gave the DRG */
  if (strlen (c->drg) > 3)
    {
      int sp = last_step (trace, CM_TRACE_SPLIT, c->drg);
      cr_assert_gt (sp, rule_at, "%s: split %s", c->desc, c->drg);
      cr_assert_eq (cm_trace_get_step (trace, (guint) sp)->outcome, CM_TRACE_YES);
    }
  else
    cr_assert_gt (last_step (trace, CM_TRACE_FALLBACK, c->drg), rule_at, "%s", c->desc);

  result_at = last_step (trace, CM_TRACE_RESULT, c->drg);
  cr_assert_eq (result_at, (int) cm_trace_get_n_steps (trace) - 1, "%s", c->desc);
  cr_assert_not_null (cm_trace_get_result (trace));
  cr_assert_str_eq (cm_trace_get_episode_id (trace), "T");
  cr_assert_null (cm_trace_get_target (trace));

  check_json (trace, c->desc);
  cm_trace_to_text (trace, text);
  cr_assert (strstr (text->str, "result: SUCCESS") != NULL, "%s: %s", c->desc, text->str);
}

/* --- QY, FAIL, checks, complications ------------------------------------- */

ParameterizedTestParameters (trace, other_paths)
{
  return cr_make_param_array (DrgCase, drg_path_cases, G_N_ELEMENTS (drg_path_cases));
}

ParameterizedTest (DrgCase *c, trace, other_paths)
{
  g_autoptr (CmScheme) scheme = test_load_scheme (c->scheme);
  g_autoptr (CmTrace) trace = cm_trace_new ();
  g_auto (GStrv) store = NULL;
  CmEpisode ep;
  CmGroupResult plain, traced;

  test_episode (&ep, c->spec, &store);
  group_both (scheme, 0, &ep, trace, &plain, &traced);
  assert_same_result (&plain, &traced, c->desc);
  cr_assert_str_eq (traced.status, c->status, "%s", c->desc);
  cr_assert_str_eq (traced.drg, c->drg, "%s", c->desc);
  check_json (trace, c->desc);

  if (strcmp (c->status, "QY") == 0)
    {
      /* the ambiguity rule holds, with its fallback */
      int at = last_step (trace, CM_TRACE_QY, c->drg);
      cr_assert_geq (at, 0, "%s: QY step", c->desc);
      cr_assert_eq (cm_trace_get_step (trace, (guint) at)->outcome, CM_TRACE_YES);
      cr_assert_gt (last_step (trace, CM_TRACE_FALLBACK, c->drg), at);
    }
  else if (strcmp (c->status, "FAIL") == 0 && strcmp (c->mdc, "0000") != 0)
    {
      int at = last_step (trace, CM_TRACE_FAIL, c->adrg);
      cr_assert_geq (at, 0, "%s: fail-rule step", c->desc);
      cr_assert_eq (cm_trace_get_step (trace, (guint) at)->outcome, CM_TRACE_YES);
      cr_assert (strstr (cm_trace_get_step (trace, (guint) at)->note, "fail rule") != NULL);
    }
  else if (strcmp (c->status, "FAIL") == 0)
    {
      int at = last_step (trace, CM_TRACE_FAIL, "0000");
      cr_assert_geq (at, 0, "%s: the 'no MDC' step", c->desc);
      cr_assert (strstr (cm_trace_get_step (trace, (guint) at)->note, "ungroupable") != NULL);
      for (guint i = 0; i < cm_trace_get_n_steps (trace); i++)
        cr_assert (cm_trace_get_step (trace, i)->kind != CM_TRACE_RULE
                   || cm_trace_get_step (trace, i)->outcome == CM_TRACE_NO,
                   "%s: no rule holds", c->desc);
    }
  else if (strcmp (c->status, "CHECK_FAILED") == 0)
    {
      /* the check that held is the last check, and nothing is searched */
      int at = last_step (trace, CM_TRACE_CHECK, NULL);
      const CmTraceStep *st = cm_trace_get_step (trace, (guint) at);
      cr_assert_eq (st->outcome, CM_TRACE_YES, "%s", c->desc);
      cr_assert (strstr (st->note, "CHECK_FAILED") != NULL, "%s: %s", c->desc, st->note);
      cr_assert (strstr (st->note, "weight_g is absent") != NULL, "%s: %s", c->desc, st->note);
      cr_assert_eq (last_step (trace, CM_TRACE_MDC, NULL), -1);
    }
  else if (strcmp (c->drg, "SR13") == 0)
    {
      /* FORMAT.md §4.2: the CC counts, with its exclusion id */
      int at = last_step (trace, CM_TRACE_CC, "I48.301");
      cr_assert_geq (at, 0, "%s", c->desc);
      cr_assert_str_eq (cm_trace_get_step (trace, (guint) at)->table, "EX_45");
      cr_assert_eq (cm_trace_get_step (trace, (guint) at)->n_codes, 1);
      cr_assert_eq (cm_trace_get_step (trace, (guint) last_step (trace, CM_TRACE_SPLIT, "SR11"))->outcome,
                    CM_TRACE_NO);
      cr_assert_eq (cm_trace_get_step (trace, (guint) last_step (trace, CM_TRACE_SPLIT, "SR13"))->outcome,
                    CM_TRACE_YES);
    }
  else
    {
      /* both complications share the principal's exclusion id EX_4 */
      int mcc = last_step (trace, CM_TRACE_CC_EXCLUDED, "A32.700");
      int cc = last_step (trace, CM_TRACE_CC_EXCLUDED, "A30.000x001");
      cr_assert_geq (mcc, 0, "%s", c->desc);
      cr_assert_geq (cc, 0, "%s", c->desc);
      cr_assert_str_eq (cm_trace_get_step (trace, (guint) mcc)->table, "EX_4");
      cr_assert (strstr (cm_trace_get_step (trace, (guint) mcc)->note, "an MCC") != NULL);
      cr_assert (strstr (cm_trace_get_step (trace, (guint) cc)->note, "a CC") != NULL);
      cr_assert_eq (last_step (trace, CM_TRACE_CC, NULL), -1, "%s: nothing counts", c->desc);
      cr_assert (strstr (cm_trace_get_step (trace, (guint) last_step (trace, CM_TRACE_SPLIT, "SR11"))->note,
                         "excluded") != NULL, "%s: the split says why", c->desc);
    }
}

/* Translation (FORMAT.md §5.1) is recorded, and a refused translation
 * says which codes have no mapping. */
Test (trace, translation_steps)
{
  g_autoptr (CmScheme) scheme = test_load_scheme ("chs-drg-1.1");
  g_autoptr (CmTrace) trace = cm_trace_new ();
  g_auto (GStrv) store = NULL;
  CmEpisode ep;
  CmGroupResult plain, traced;
  int at;

  test_episode (&ep, "sex=1 age=45 dx=NOT.A.CODE", &store);
  group_both (scheme, CM_GROUP_TRANSLATE, &ep, trace, &plain, &traced);
  assert_same_result (&plain, &traced, "unmapped diagnosis");
  cr_assert_str_eq (traced.status, "ZD_NOT_MAPPING");
  at = last_step (trace, CM_TRACE_TRANSLATE, "ZD_NOT_MAPPING");
  cr_assert_geq (at, 0);
  cr_assert (strstr (cm_trace_get_step (trace, (guint) at)->note, "NOT.A.CODE") != NULL);
}

/* --- DIP stages ---------------------------------------------------------- */

ParameterizedTestParameters (trace, dip_stage)
{
  return cr_make_param_array (DipCase, dip_stage_cases, G_N_ELEMENTS (dip_stage_cases));
}

ParameterizedTest (DipCase *c, trace, dip_stage)
{
  g_autoptr (CmScheme) scheme = test_load_scheme ("dip-cn-national-3.0");
  g_autoptr (CmTrace) trace = cm_trace_new ();
  g_auto (GStrv) store = NULL;
  CmEpisode ep;
  CmGroupResult plain, traced;

  test_episode (&ep, c->spec, &store);
  group_both (scheme, 0, &ep, trace, &plain, &traced);
  assert_same_result (&plain, &traced, c->desc);
  cr_assert_str_eq (traced.status, c->status, "%s", c->desc);
  cr_assert_str_eq (traced.group_id, c->group_id, "%s", c->desc);
  cr_assert_eq (traced.primary_care, c->primary_care, "%s", c->desc);
  check_json (trace, c->desc);

  if (strcmp (c->status, "GROUPED") == 0)
    {
      int stage = last_step (trace, CM_TRACE_STAGE, c->rule_stage);
      int cand = last_step (trace, CM_TRACE_CANDIDATE, c->group_id);
      int pc = last_step (trace, CM_TRACE_PRIMARY_CARE, NULL);
      const CmTraceStep *st;

      cr_assert_geq (stage, 0, "%s: stage step", c->desc);
      cr_assert_eq (cm_trace_get_step (trace, (guint) stage)->outcome, CM_TRACE_YES);
      /* the stages before it yielded nothing */
      for (int i = 0; i < stage; i++)
        if (cm_trace_get_step (trace, (guint) i)->kind == CM_TRACE_STAGE)
          cr_assert_eq (cm_trace_get_step (trace, (guint) i)->outcome, CM_TRACE_NO,
                        "%s: earlier stage %s", c->desc,
                        cm_trace_get_step (trace, (guint) i)->subject);
      cr_assert_gt (cand, stage, "%s: the winner is a candidate", c->desc);
      st = cm_trace_get_step (trace, (guint) cand);
      cr_assert_geq (st->seq, 1, "%s: the candidate carries its key", c->desc);
      cr_assert (st->tier == 'A' || st->tier == 'B' || st->tier == 'C');
      cr_assert (strstr (st->condition, "dx ") == st->condition, "%s: %s", c->desc,
                 st->condition);
      if (strcmp (c->rule_stage, "pre") != 0)
        {
          int rk = last_step (trace, CM_TRACE_RANKING, c->group_id);
          cr_assert_gt (rk, cand, "%s: the ranking step", c->desc);
          cr_assert (strstr (cm_trace_get_step (trace, (guint) rk)->note, "§6.6") != NULL);
        }
      cr_assert_geq (pc, 0, "%s", c->desc);
      cr_assert_eq (cm_trace_get_step (trace, (guint) pc)->outcome,
                    c->primary_care ? CM_TRACE_YES : CM_TRACE_NO, "%s", c->desc);
    }
  else if (strcmp (c->status, "COMPREHENSIVE") == 0)
    {
      int at = last_step (trace, CM_TRACE_COMPREHENSIVE, c->group_id);
      cr_assert_geq (at, 0, "%s", c->desc);
      cr_assert (strstr (cm_trace_get_step (trace, (guint) at)->note, "§7.2") != NULL);
    }
  else if (strcmp (c->status, "UNGROUPED") == 0)
    cr_assert_geq (last_step (trace, CM_TRACE_UNGROUPED, NULL), 0, "%s", c->desc);
  else if (strcmp (c->status, "EXCLUDED_DX") == 0)
    {
      int at = last_step (trace, CM_TRACE_EXCLUDED_DX, "A00.000");
      cr_assert_geq (at, 0, "%s", c->desc);
      cr_assert_eq (cm_trace_get_step (trace, (guint) at)->outcome, CM_TRACE_YES);
      cr_assert_eq (last_step (trace, CM_TRACE_STAGE, NULL), -1);
    }
  else
    cr_assert_geq (last_step (trace, CM_TRACE_CHECK, NULL), 0, "%s", c->desc);
}

/* §5.2: the procedure step states each class, PP and O. */
Test (trace, dip_procedure_classes)
{
  g_autoptr (CmScheme) scheme = test_load_scheme ("dip-cn-national-3.0");
  g_autoptr (CmTrace) trace = cm_trace_new ();
  g_auto (GStrv) store = NULL;
  CmEpisode ep;
  CmGroupResult plain, traced;
  const CmTraceStep *st;

  /* worked example #27: not-principal P[0] skipped */
  test_episode (&ep, "dx=K35.300 px=17.4200|47.0100|87.4100", &store);
  group_both (scheme, 0, &ep, trace, &plain, &traced);
  st = cm_trace_get_step (trace, (guint) last_step (trace, CM_TRACE_PROCEDURES, NULL));
  cr_assert_str_eq (st->subject, "47.0100");
  cr_assert (strstr (st->note, "17.4200 not principal") != NULL, "%s", st->note);
  cr_assert (strstr (st->note, "87.4100 ignored") != NULL, "%s", st->note);
  cr_assert (strstr (st->note, "principal procedure PP = 47.0100") != NULL, "%s", st->note);
  cr_assert (strstr (st->note, "O = 17.4200") != NULL, "%s", st->note);
}

/* --- renderings and reuse ------------------------------------------------ */

Test (trace, clear_and_reuse)
{
  g_autoptr (CmScheme) scheme = test_load_scheme ("chs-drg-3.0");
  g_autoptr (CmGroupContext) ctx = cm_group_context_new (scheme);
  g_autoptr (CmTrace) trace = cm_trace_new ();
  g_auto (GStrv) s1 = NULL, s2 = NULL;
  CmEpisode ep;
  CmGroupResult r;
  guint n1;

  test_episode (&ep, "id=A sex=2 age=45 dx=A40.000|I48.301", &s1);
  cm_group_traced (ctx, &ep, 0, trace, &r);
  n1 = cm_trace_get_n_steps (trace);
  test_episode (&ep, "id=B sex=2 age=45 dx=A40.000|I48.301", &s2);
  cm_group_traced (ctx, &ep, 0, trace, &r);
  cr_assert_eq (cm_trace_get_n_steps (trace), n1, "a trace is cleared, not appended to");
  cr_assert_str_eq (cm_trace_get_episode_id (trace), "B");
  cm_trace_clear (trace);
  cr_assert_eq (cm_trace_get_n_steps (trace), 0);
  cr_assert_null (cm_trace_get_result (trace));
  cr_assert_eq (cm_trace_find (trace, CM_TRACE_RESULT, NULL), -1);
}

Test (trace, json_escapes_and_names)
{
  g_autoptr (GString) o = g_string_new (NULL);

  cm_json_append_string (o, "a\"b\\c\n\t\x01 脓毒症");
  cr_assert_str_eq (o->str, "\"a\\\"b\\\\c\\n\\t\\u0001 脓毒症\"");
  g_string_truncate (o, 0);
  cm_json_append_string (o, "bad \xff byte");
  cr_assert (g_utf8_validate (o->str, -1, NULL), "invalid UTF-8 is replaced");
  for (int k = 0; k < CM_TRACE_N_KINDS; k++)
    cr_assert_str_neq (cm_trace_kind_name ((CmTraceKind) k), "unknown", "kind %d has a name", k);
  cr_assert_str_eq (cm_trace_outcome_name (CM_TRACE_NO), "no");
  cr_assert_str_eq (cm_why_not_verdict_name (CM_WHY_NOT_PREEMPTED), "preempted");
}

/* --- traced = untraced on whole corpora ---------------------------------- */

typedef struct {
  const char *scheme;
  CmGroupFlags flags;
} CorpusCase;

static CorpusCase corpus_cases[] = {
  { "chs-drg-1.1", 0 },
  { "chs-drg-1.1", CM_GROUP_TRANSLATE },
  { "chs-drg-3.0", 0 },
  { "changsha-2023", 0 },
  { "dip-cn-national-3.0", 0 },
  { "dip-cn-national-3.0", CM_GROUP_NO_COMPREHENSIVE },
};

ParameterizedTestParameters (trace, traced_equals_untraced)
{
  return cr_make_param_array (CorpusCase, corpus_cases, G_N_ELEMENTS (corpus_cases));
}

/* The trace hooks change nothing: every episode of the 20k corpus groups
 * the same with and without a trace. */
ParameterizedTest (CorpusCase *c, trace, traced_equals_untraced, .timeout = 240)
{
  g_autofree char *path = test_shared_path ("episodes/sample-20k.csv");
  g_autoptr (CmScheme) scheme = NULL;
  g_autoptr (CmGroupContext) ctx = NULL;
  g_autoptr (CmTrace) trace = cm_trace_new ();
  g_autoptr (CmEpisodeReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  CmEpisode ep;
  CmReject reject;
  guint n = 0;
  FILE *f;

  if (path == NULL)
    cr_skip_test ("shared corpus absent (CM_SHARED_DIR)");
  scheme = test_load_scheme (c->scheme);
  ctx = cm_group_context_new (scheme);
  f = fopen (path, "r");
  cr_assert_not_null (f);
  reader = cm_episode_reader_new (f, CM_INPUT_EPISODES);
  for (;;)
    {
      CmReadResult rr = cm_episode_reader_next (reader, &ep, &reject, &error);
      CmGroupResult a, b;
      if (rr == CM_READ_EOF)
        break;
      cr_assert_neq (rr, CM_READ_ERROR, "%s", error ? error->message : "");
      if (rr != CM_READ_EPISODE)
        continue;
      cm_group (ctx, &ep, c->flags, &a);
      cm_group_traced (ctx, &ep, c->flags, trace, &b);
      assert_same_result (&a, &b, ep.episode_id);
      cr_assert_geq (cm_trace_get_n_steps (trace), 2);
      n++;
    }
  fclose (f);
  cr_assert_gt (n, 19000, "%u episodes compared", n);
}
