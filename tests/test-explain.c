/* test-explain.c — "why not group X?" (cm-explain.h) on hand-picked cases
 * of every MDC family, the QY, FAIL and check paths and every DIP stage;
 * the episode input of the explain front ends (cm-episode-input.h); and
 * `casemix explain`.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include "test-common.h"
#include "explain-cases.h"
#include "cm-episode-input.h"

/* Words that would turn a fact into coding advice (docs/explain.md §3):
 * no note of a why-not may contain them. */
static const char *const advice_words[] = {
  " add", "should", "consider", "recode", "re-code", "to reach", "higher",
  "increase", "instead of", "suggest", " try ", " you ", "better",
};

static void
assert_facts_only (const CmTrace *t, const char *desc)
{
  for (guint i = 0; i < cm_trace_get_n_steps (t); i++)
    {
      const CmTraceStep *st = cm_trace_get_step (t, i);
      g_autofree char *lower = g_ascii_strdown (st->note, -1);
      for (guint k = 0; k < G_N_ELEMENTS (advice_words); k++)
        cr_assert (strstr (lower, advice_words[k]) == NULL,
                   "%s: step %u reads like advice ('%s'): %s", desc, i,
                   advice_words[k], st->note);
    }
}

static CmTrace *
why_not (const char *scheme_name, const char *spec, CmGroupFlags flags,
         const char *target)
{
  g_autoptr (CmScheme) scheme = test_load_scheme (scheme_name);
  g_autoptr (CmGroupContext) ctx = cm_group_context_new (scheme);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) store = NULL;
  CmTrace *trace = cm_trace_new ();
  CmEpisode ep;

  test_episode (&ep, spec, &store);
  cr_assert (cm_explain_why_not (ctx, &ep, flags, target, trace, &error),
             "why not %s: %s", target, error ? error->message : "");
  cr_assert_str_eq (cm_trace_get_target (trace), target);
  cr_assert_not_null (cm_trace_get_result (trace));
  return trace;
}

static const CmTraceStep *
decisive (const CmTrace *t)
{
  int at = cm_trace_get_decisive_step (t);
  cr_assert_geq (at, 0, "a decisive step");
  return cm_trace_get_step (t, (guint) at);
}

/* A TERM step after the decisive step (before the next requirement)
 * whose note contains @text. */
static gboolean
has_term (const CmTrace *t, const char *text)
{
  for (guint i = (guint) cm_trace_get_decisive_step (t) + 1; i < cm_trace_get_n_steps (t); i++)
    {
      const CmTraceStep *st = cm_trace_get_step (t, i);
      if (st->kind != CM_TRACE_TERM)
        break;
      if (strstr (st->note, text) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* --- every MDC family ---------------------------------------------------- */

ParameterizedTestParameters (explain, why_not_other_family)
{
  return cr_make_param_array (DrgCase, drg_family_cases,
                              G_N_ELEMENTS (drg_family_cases));
}

/* For each family case: why not the ADRG of the next family of the same
 * scheme (blocked by a condition, or preempted), and why not its own DRG,
 * ADRG and MDC (is_result). */
ParameterizedTest (DrgCase *c, explain, why_not_other_family)
{
  const DrgCase *other = NULL;
  g_autoptr (CmTrace) t = NULL;
  CmWhyNotVerdict v;
  const char *own[3] = { c->drg, c->adrg, c->mdc };

  for (guint i = 0; i < G_N_ELEMENTS (drg_family_cases); i++)
    if (strcmp (drg_family_cases[i].desc, c->desc) == 0
        && strcmp (drg_family_cases[i].scheme, c->scheme) == 0)
      {
        for (guint k = 1; k < G_N_ELEMENTS (drg_family_cases); k++)
          {
            const DrgCase *o = &drg_family_cases[(i + k) % G_N_ELEMENTS (drg_family_cases)];
            if (strcmp (o->scheme, c->scheme) == 0)
              {
                other = o;
                break;
              }
          }
        break;
      }
  cr_assert_not_null (other);

  t = why_not (c->scheme, c->spec, 0, other->adrg);
  v = cm_trace_get_verdict (t);
  cr_assert (v == CM_WHY_NOT_BLOCKED || v == CM_WHY_NOT_PREEMPTED,
             "%s: why not %s: %s", c->desc, other->adrg, cm_why_not_verdict_name (v));
  cr_assert_str_eq (cm_trace_get_target_kind (t), "adrg");
  if (v == CM_WHY_NOT_BLOCKED)
    {
      const CmTraceStep *d = decisive (t);
      cr_assert_eq (d->kind, CM_TRACE_REQUIREMENT, "%s", c->desc);
      cr_assert_eq (d->outcome, CM_TRACE_NO, "%s", c->desc);
      cr_assert (has_term (t, "must"), "%s: a term says what is required", c->desc);
      cr_assert (has_term (t, "the episode"), "%s: a term says what the episode has",
                 c->desc);
    }
  else
    cr_assert_eq (decisive (t)->kind, CM_TRACE_PREEMPTED, "%s", c->desc);
  assert_facts_only (t, c->desc);

  for (guint k = 0; k < 3; k++)
    {
      g_autoptr (CmTrace) self = why_not (c->scheme, c->spec, 0, own[k]);
      cr_assert_eq (cm_trace_get_verdict (self), CM_WHY_NOT_IS_RESULT,
                    "%s: why not %s", c->desc, own[k]);
    }
}

/* --- the DRG answers, one by one ----------------------------------------- */

typedef struct {
  const char *desc;
  const char *scheme;
  const char *spec;
  const char *target;
  CmWhyNotVerdict verdict;
  CmTraceKind decisive_kind;
  const char *decisive_subject;  /* NULL: not checked */
  const char *term;              /* a TERM note (blocked), or a text of the
                                  * decisive note; NULL: not checked */
} WhyCase;

static WhyCase drg_why_cases[] = {
  { "issue 8's example: the principal procedure is not in OP_BB2",
    "chs-drg-3.0", ADULT "dx=I60.000 px=01.2400", "BB2", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "BB2",
    "principal procedure must be in list OP_BB2; the episode's is 01.2400" },
  { "split with MCC: no secondary diagnosis counts as MCC",
    "chs-drg-3.0", ADULT "dx=A40.000|I48.301", "SR11", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "SR11", "a secondary diagnosis must count as MCC" },
  { "the MCC of the principal's own exclusion id does not count",
    "chs-drg-3.0", ADULT "dx=A40.000|A32.700", "SR11", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "SR11", "excluded by the principal diagnosis's exclusion id EX_4" },
  { "a fallback-like split is preempted by the CC split before it",
    "chs-drg-3.0", ADULT "dx=A40.000|I48.301", "SR15", CM_WHY_NOT_PREEMPTED,
    CM_TRACE_PREEMPTED, "SR13", "comes before SR15" },
  { "QY: the ambiguity rule comes before the medical ADRG",
    "chs-drg-3.0", ADULT "dx=G91.000x002 px=00.0102", "BR1", CM_WHY_NOT_PREEMPTED,
    CM_TRACE_PREEMPTED, "BQY", "rule BQY comes before BR1" },
  { "QY target: no procedure, so the ambiguity rule does not hold",
    "chs-drg-3.0", ADULT "dx=G91.000x002", "BQY", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "BQY", "the episode has no procedure" },
  { "FAIL through the fail rule: the medical ADRG's list does not hold the code",
    "chs-drg-3.0", NEWBORN "dx=Q89.002", "PR1", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "PR1", "the episode's is Q89.002" },
  { "FAIL 0000: no MDC entry list holds the principal diagnosis",
    "chs-drg-1.1", ADULT "dx=Z99.999x999", "MDCB", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "MDCB", "principal diagnosis must be in list MDCB.mdc_zd" },
  { "male MDC for a female episode: the sex term fails",
    "chs-drg-1.1", ADULT "dx=A06.800x004+N51.2*", "MS1", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "MDCM", "sex must be 1; the episode's is 2" },
  { "newborn MDC for an adult: the age term fails",
    "chs-drg-3.0", ADULT "dx=A04.000x001", "PU3", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "MDCP", "age_years must be 0; the episode's is 45" },
  { "multiple trauma needs two body regions",
    "chs-drg-1.1", ADULT "dx=S01.800x011", "ZZ1", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "MDCZ", "at least 2 of these" },
  { "an input check stops the episode before any group",
    "chs-drg-1.1", "sex=2 age=0 days=10 dx=P22.000", "PR1", CM_WHY_NOT_NOT_GROUPED,
    CM_TRACE_CHECK, "5", "weight_g is absent" },
};

ParameterizedTestParameters (explain, drg_answers)
{
  return cr_make_param_array (WhyCase, drg_why_cases, G_N_ELEMENTS (drg_why_cases));
}

ParameterizedTest (WhyCase *c, explain, drg_answers)
{
  g_autoptr (CmTrace) t = why_not (c->scheme, c->spec, 0, c->target);
  const CmTraceStep *d;
  g_autoptr (GString) text = g_string_new (NULL);

  cr_assert_eq (cm_trace_get_verdict (t), c->verdict, "%s: verdict %s", c->desc,
                cm_why_not_verdict_name (cm_trace_get_verdict (t)));
  d = decisive (t);
  cr_assert_eq (d->kind, c->decisive_kind, "%s: decisive kind %s", c->desc,
                cm_trace_kind_name (d->kind));
  if (c->decisive_subject)
    cr_assert_str_eq (d->subject, c->decisive_subject, "%s", c->desc);
  if (c->term && c->verdict == CM_WHY_NOT_BLOCKED && d->kind == CM_TRACE_REQUIREMENT)
    cr_assert (has_term (t, c->term), "%s: no term says '%s'", c->desc, c->term);
  else if (c->term)
    cr_assert (strstr (d->note, c->term) != NULL, "%s: '%s' not in: %s", c->desc,
               c->term, d->note);
  assert_facts_only (t, c->desc);

  cm_trace_to_text (t, text);
  cr_assert (strstr (text->str, "=>") != NULL, "%s: the text marks the decisive step",
             c->desc);
}

/* --- DIP: every stage ---------------------------------------------------- */

static WhyCase dip_why_cases[] = {
  { "pre, strict: the transplant code is not the principal procedure",
    NULL, "dx=I21.000x001 px=36.0601|37.5100", "XQ-2", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "XQ-2",
    "principal procedure must be one of 37.5100|37.5100x001; the episode's is 36.0601" },
  { "pre: age_days band",
    NULL, "dx=P22.000|P07.100 days=29 wt=2499", "XQ-19", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "XQ-19", "age_days must be less than 29; the episode's is 29" },
  { "base, preempted by an earlier stage (pre)",
    NULL, "dx=P22.000|P07.100 days=3 wt=999", "JC-4485", CM_WHY_NOT_PREEMPTED,
    CM_TRACE_PREEMPTED, "XQ-16", "stage pre comes before base" },
  { "merge: blocked (principal procedure) and preempted by pre",
    NULL, "dx=I21.000x001 px=37.5100|36.0601", "BX-623", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "BX-623", "the episode's is 37.5100" },
  { "merge: ranked after a partial related match (§6.6)",
    NULL, "dx=C02.000 px=25.2x00|25.5905", "BX-52", CM_WHY_NOT_PREEMPTED,
    CM_TRACE_PREEMPTED, "BX-51", "ranks before BX-52" },
  { "merge: no related procedure present",
    NULL, "dx=C02.000 px=25.2x00", "BX-51", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "BX-51", "no code of this related slot" },
  { "aux_burn: the area band is in secondary_dx",
    NULL, "dx=T21.200|T31.000", "FZ-1749", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "FZ-1749", "some secondary diagnosis must match secondary_dx" },
  { "aux_tumor: no secondary tumour diagnosis",
    NULL, "dx=Z51.101|D48.000 px=99.2503", "FZ-1774", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "FZ-1774", "the episode's (D48.000) does not" },
  { "aux_tb: not drug resistant",
    NULL, "dx=A15.001", "FZ-1836", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "FZ-1836", "drug-resistance flag must be Y; the episode's is N" },
  { "base: a conservative row needs no principal procedure",
    NULL, "dx=K35.300 px=47.0100", "JC-3629", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "JC-3629", "the episode's is 47.0100" },
  { "base: is the result",
    NULL, "dx=K35.300 px=47.0100", "JC-3625", CM_WHY_NOT_IS_RESULT,
    CM_TRACE_RESULT, "JC-3625", NULL },
  { "comprehensive: class S needs an OR procedure",
    NULL, "dx=A00.000x001", "ZH-A00-S", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "ZH-A00-S", "the episode has no effective procedure" },
  { "comprehensive: preempted by a core row",
    NULL, "dx=K35.300 px=47.0100", "ZH-K35-S", CM_WHY_NOT_PREEMPTED,
    CM_TRACE_PREEMPTED, "JC-3625", "no comprehensive group is formed" },
  { "ungrouped: r10 is not the category R10",
    NULL, "dx=r10.4", "ZH-R10-M", CM_WHY_NOT_BLOCKED,
    CM_TRACE_REQUIREMENT, "ZH-R10-M", "must be in category R10; the episode's is r10.4" },
  { "excluded principal diagnosis",
    NULL, "dx=A00.000", "ZH-A00-M", CM_WHY_NOT_NOT_GROUPED,
    CM_TRACE_EXCLUDED_DX, "A00.000", "excluded_dx.tsv" },
  { "no principal diagnosis",
    NULL, "dx=", "BX-51", CM_WHY_NOT_NOT_GROUPED,
    CM_TRACE_CHECK, NULL, "no principal diagnosis" },
};

ParameterizedTestParameters (explain, dip_answers)
{
  return cr_make_param_array (WhyCase, dip_why_cases, G_N_ELEMENTS (dip_why_cases));
}

ParameterizedTest (WhyCase *c, explain, dip_answers)
{
  g_autoptr (CmTrace) t = why_not ("dip-cn-national-3.0", c->spec, 0, c->target);
  const CmTraceStep *d;

  cr_assert_eq (cm_trace_get_verdict (t), c->verdict, "%s: verdict %s", c->desc,
                cm_why_not_verdict_name (cm_trace_get_verdict (t)));
  d = decisive (t);
  cr_assert_eq (d->kind, c->decisive_kind, "%s: decisive kind %s", c->desc,
                cm_trace_kind_name (d->kind));
  if (c->decisive_subject)
    cr_assert_str_eq (d->subject, c->decisive_subject, "%s", c->desc);
  if (c->term)
    {
      gboolean found = strstr (d->note, c->term) != NULL || has_term (t, c->term);
      cr_assert (found, "%s: '%s' said nowhere near the decisive step: %s", c->desc,
                 c->term, d->note);
    }
  assert_facts_only (t, c->desc);
}

/* --- errors -------------------------------------------------------------- */

Test (explain, unknown_target_is_an_error)
{
  static const char *const schemes[] = { "chs-drg-3.0", "dip-cn-national-3.0" };

  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    {
      g_autoptr (CmScheme) scheme = test_load_scheme (schemes[i]);
      g_autoptr (CmGroupContext) ctx = cm_group_context_new (scheme);
      g_autoptr (CmTrace) trace = cm_trace_new ();
      g_autoptr (GError) error = NULL;
      g_auto (GStrv) store = NULL;
      CmEpisode ep;

      test_episode (&ep, ADULT "dx=K35.300", &store);
      cr_assert_not (cm_explain_why_not (ctx, &ep, 0, "NOPE9", trace, &error));
      cr_assert (g_error_matches (error, CM_EXPLAIN_ERROR, CM_EXPLAIN_ERROR_TARGET));
      cr_assert (strstr (error->message, "NOPE9") != NULL, "%s", error->message);
      cr_assert (strstr (error->message, schemes[i]) != NULL, "%s", error->message);
    }
}

/* --- the episode input of the front ends --------------------------------- */

#define JSON_EP(extra) \
  "{\"episode_id\":\"J1\",\"patient_id\":\"P1\",\"hospital_id\":\"H1\"," \
  "\"hospital_level\":3,\"county_id\":\"430102\",\"insurance_type\":\"employee\"," \
  "\"insured_region\":\"local\",\"sex\":1,\"age_years\":50," \
  "\"admit_date\":\"2024-03-01\",\"discharge_date\":\"2024-03-05\",\"los_days\":4," \
  "\"dept\":\"0300\",\"discharge_status\":1,\"icu_hours\":0," \
  "\"diagnoses\":[\"A40.900\",\"I48.301\"],\"procedures\":[]," \
  "\"total_cost\":\"12000.00\",\"out_of_catalogue_cost\":\"0.00\"," \
  "\"patient_copay\":\"1000.00\",\"fund_paid_ffs\":\"9000.00\"" extra "}"

#define CSV_HEADER "episode_id,patient_id,hospital_id,hospital_level,county_id," \
  "insurance_type,insured_region,sex,age_years,age_days,birth_weight_g,admit_date," \
  "discharge_date,los_days,dept,discharge_status,icu_hours,diagnoses,procedures," \
  "total_cost,out_of_catalogue_cost,patient_copay,fund_paid_ffs,per_diem_category"
#define CSV_LINE "C1,P1,H1,3,430102,employee,local,1,50,,,2024-03-01,2024-03-05,4," \
  "0300,1,0,A40.900|I48.301,,12000.00,0.00,1000.00,9000.00,"

typedef struct {
  const char *desc;
  const char *text;
  int code;             /* -1 accepted, else CmEpisodeInputError */
  const char *field;    /* the field named by the error */
} InputCase;

static InputCase input_cases[] = {
  { "JSON object", JSON_EP (""), -1, "" },
  { "JSON with an optional field as null", JSON_EP (",\"per_diem_category\":null"),
    -1, "" },
  { "CSV line with its header", CSV_HEADER "\r\n" CSV_LINE "\r\n", -1, "" },
  { "CSV line alone, BOM first", "\xEF\xBB\xBF" CSV_LINE, -1, "" },
  { "malformed JSON", "{\"episode_id\": ", CM_EPISODE_INPUT_ERROR_SYNTAX, "" },
  { "two CSV lines", CSV_LINE "\n" CSV_LINE "\n", CM_EPISODE_INPUT_ERROR_SYNTAX, "" },
  { "nothing", "  \n", CM_EPISODE_INPUT_ERROR_SYNTAX, "" },
  { "unknown member", JSON_EP (",\"diagnosis\":\"A40.900\""),
    CM_EPISODE_INPUT_ERROR_FIELD, "diagnosis" },
  { "JSON with an optional field empty", JSON_EP (",\"per_diem_category\":\"\""),
    -1, "" },
  { "a value the validator refuses", CSV_LINE "x", CM_EPISODE_INPUT_ERROR_FIELD,
    "per_diem_category" },
  { "a column the validator refuses (age 500)",
    "C1,P1,H1,3,430102,employee,local,1,500,,,2024-03-01,2024-03-05,4,0300,1,0,"
    "A40.900,,12000.00,0.00,1000.00,9000.00,", CM_EPISODE_INPUT_ERROR_FIELD, "age_years" },
};

ParameterizedTestParameters (explain, episode_input)
{
  return cr_make_param_array (InputCase, input_cases, G_N_ELEMENTS (input_cases));
}

ParameterizedTest (InputCase *c, explain, episode_input)
{
  g_autoptr (CmEpisodeInput) in = cm_episode_input_new ();
  g_autoptr (GError) error = NULL;
  gboolean ok = cm_episode_input_parse_text (in, c->text, -1, &error);

  if (c->code < 0)
    {
      const CmEpisode *ep;
      cr_assert (ok, "%s: %s", c->desc, error ? error->message : "");
      ep = cm_episode_input_get_episode (in);
      cr_assert_eq (ep->n_dx, 2, "%s", c->desc);
      cr_assert_str_eq (ep->dx[1], "I48.301", "%s", c->desc);
      cr_assert_eq (ep->total_cost_fen, 1200000, "%s", c->desc);
      cr_assert_eq (ep->age_years.value, 50, "%s", c->desc);
    }
  else
    {
      cr_assert_not (ok, "%s: accepted", c->desc);
      cr_assert (g_error_matches (error, CM_EPISODE_INPUT_ERROR, c->code),
                 "%s: %s", c->desc, error->message);
      cr_assert_str_eq (cm_episode_input_get_error_field (in), c->field, "%s: %s",
                        c->desc, error->message);
      if (*c->field)
        cr_assert (g_str_has_prefix (error->message, c->field), "%s: %s", c->desc,
                   error->message);
    }
}

/* JSON type rules, one member at a time (docs/api.md §2). */
typedef struct {
  const char *member;
  const char *value;
  const char *field;  /* NULL: accepted */
} TypeCase;

static TypeCase type_cases[] = {
  { "age_years", "\"50\"", NULL },
  { "age_years", "50.5", "age_years" },
  { "age_years", "true", "age_years" },
  { "total_cost", "12000.5", "total_cost" },
  { "total_cost", "12000", "total_cost" },
  { "dept", "300", "dept" },
  { "diagnoses", "\"A40.900|I48.301\"", NULL },
  { "diagnoses", "[\"A40.900\", 7]", "diagnoses" },
  { "diagnoses", "{}", "diagnoses" },
  { "procedures", "null", NULL },
  { "sex", "null", "sex" },
  { "county_id", "\"43010\"", "county_id" },
  { "dept", "\"a\\tb\"", "dept" },
};

ParameterizedTestParameters (explain, json_types)
{
  return cr_make_param_array (TypeCase, type_cases, G_N_ELEMENTS (type_cases));
}

ParameterizedTest (TypeCase *c, explain, json_types)
{
  g_autoptr (CmEpisodeInput) in = cm_episode_input_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *obj;
  g_autofree char *member = g_strdup_printf ("{\"v\":%s}", c->value);

  cr_assert (json_parser_load_from_data (parser, JSON_EP (""), -1, NULL));
  obj = json_node_get_object (json_parser_get_root (parser));
  {
    g_autoptr (JsonParser) vp = json_parser_new ();
    cr_assert (json_parser_load_from_data (vp, member, -1, NULL), "%s", member);
    json_object_set_member (obj, c->member,
                            json_node_copy (json_object_get_member (
                              json_node_get_object (json_parser_get_root (vp)), "v")));
  }
  if (c->field == NULL)
    cr_assert (cm_episode_input_parse_json (in, obj, NULL, &error), "%s=%s: %s",
               c->member, c->value, error ? error->message : "");
  else
    {
      cr_assert_not (cm_episode_input_parse_json (in, obj, NULL, &error),
                     "%s=%s accepted", c->member, c->value);
      cr_assert_str_eq (cm_episode_input_get_error_field (in), c->field, "%s=%s: %s",
                        c->member, c->value, error->message);
    }
}

/* --- casemix explain ------------------------------------------------------ */

static int
run_cli (const char *const *args, char **out, char **err)
{
  const char *bin = g_getenv ("CM_CASEMIX_BIN");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int status;

  if (bin == NULL)
    cr_skip_test ("CM_CASEMIX_BIN not set");
  g_ptr_array_add (argv, (gpointer) bin);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  cr_assert (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL,
                           NULL, out, err, &status, &error), "%s",
             error ? error->message : "");
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

Test (explain, cli_text_json_and_errors)
{
  char *out = NULL, *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *root;
  const char *text_args[] = { "explain", "--scheme", "chs-drg-3.0", JSON_EP (""), NULL };
  const char *json_args[] = { "explain", "--scheme", "chs-drg-3.0", "--json",
                              "--why-not", "SR11", CSV_HEADER "\n" CSV_LINE, NULL };
  const char *bad_target[] = { "explain", "--scheme", "chs-drg-3.0", "--why-not",
                               "NOPE", CSV_LINE, NULL };
  const char *bad_episode[] = { "explain", "--scheme", "chs-drg-3.0",
                                "{\"episode_id\":\"x\"}", NULL };
  const char *no_episode[] = { "explain", "--scheme", "chs-drg-3.0", NULL };

  cr_assert_eq (run_cli (text_args, &out, &err), 0, "%s", err);
  cr_assert (strstr (out, "result: SUCCESS  mdc MDCS  adrg SR1  drg SR13") != NULL, "%s", out);
  cr_assert (strstr (out, "+ split SR13: has_cc") != NULL, "%s", out);
  g_free (out);
  g_free (err);

  cr_assert_eq (run_cli (json_args, &out, &err), 0, "%s", err);
  cr_assert (json_parser_load_from_data (parser, out, -1, NULL), "%s", out);
  root = json_node_get_object (json_parser_get_root (parser));
  cr_assert_str_eq (json_object_get_string_member (root, "target"), "SR11");
  cr_assert_str_eq (json_object_get_string_member (root, "verdict"), "blocked");
  cr_assert_str_eq (json_object_get_string_member (root, "episode_id"), "C1");
  g_free (out);
  g_free (err);

  cr_assert_eq (run_cli (bad_target, &out, &err), 2, "unknown target: usage error");
  cr_assert (strstr (err, "'NOPE' is not a DRG, ADRG or MDC of scheme chs-drg-3.0") != NULL,
             "%s", err);
  g_free (out);
  g_free (err);

  cr_assert_eq (run_cli (bad_episode, &out, &err), 1, "refused episode");
  cr_assert (strstr (err, "patient_id: missing") != NULL, "%s", err);
  g_free (out);
  g_free (err);

  cr_assert_eq (run_cli (no_episode, &out, &err), 2);
  g_free (out);
  g_free (err);
}
