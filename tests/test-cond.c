/* test-cond.c — the condition language (schemes/FORMAT.md §4): compiler
 * and evaluator, on the tiny scheme tests/data/schemes/mini-v2.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "test-common.h"
#include "cm-drg-private.h"

typedef struct {
  const char *desc;
  const char *cond;
  const char *episode;
  int expect;  /* 1 true, 0 false, -1 evaluation error */
} EvalCase;

static EvalCase eval_cases[] = {
  { "literal true", "true", "sex=1 dx=B1", 1 },
  { "literal false", "false", "sex=1 dx=B1", 0 },
  { "pdx_in principal only", "pdx_in(MDCB.pdx)", "dx=B1|T1", 1 },
  { "pdx_in ignores secondaries", "pdx_in(MDCB.pdx)", "dx=T1|B1", 0 },
  { "pdx_in on empty list is false", "pdx_in(MDCB.pdx)", "sex=1", 0 },
  { "sdx_any_in secondaries only", "sdx_any_in(MDCB.pdx)", "dx=B1|T1", 0 },
  { "sdx_any_in finds a later code", "sdx_any_in(MDCB.pdx)", "dx=T1|T2|B2", 1 },
  { "dx_any_in includes principal", "dx_any_in(MDCB.pdx)", "dx=B1", 1 },
  { "ppx_in principal procedure", "ppx_in(SS_VALID)", "dx=B1 px=P1|X", 1 },
  { "ppx_in not a later one", "ppx_in(SS_VALID)", "dx=B1 px=X|P1", 0 },
  { "px_any_in any position", "px_any_in(SS_VALID)", "dx=B1 px=X|P2", 1 },
  { "spx_any_in secondary only", "spx_any_in(SS_VALID)", "dx=B1 px=P1|X", 0 },
  { "spx_any_in secondary found", "spx_any_in(SS_VALID)", "dx=B1 px=X|P1", 1 },
  { "codes compare exactly (case)", "pdx_in(MDCB.pdx)", "dx=b1", 0 },
  { "codes compare exactly (no prefix)", "pdx_in(MDCB.pdx)", "dx=B1.1", 0 },
  { "empty list is never true", "dx_any_in(EMPTY)", "dx=B1|B2", 0 },
  { "sex_in present", "sex_in(CHECK.sex)", "sex=2 dx=B1", 1 },
  { "sex_in absent is false", "sex_in(CHECK.sex)", "dx=B1", 0 },
  { "sex_in 男 is not accepted by this list", "sex_in(CHECK.sex)", "sex=男 dx=B1", 0 },
  { "dept_in", "dept_in(DEPT)", "dept=ICU dx=B1", 1 },
  { "discharge_in", "discharge_in(DISCH)", "dis=5 dx=B1", 1 },
  { "discharge_in other", "discharge_in(DISCH)", "dis=1 dx=B1", 0 },
  { "text equality", "sex = \"1\"", "sex=1", 1 },
  { "text inequality", "sex != \"1\"", "sex=2", 1 },
  { "text != is false when absent", "sex != \"1\"", "dx=B1", 0 },
  { "integer <", "age_years < 18", "age=17", 1 },
  { "integer < boundary", "age_years < 18", "age=18", 0 },
  { "integer <=", "age_days <= 28", "age=0 days=28", 1 },
  { "integer >", "weight_g > 2500", "wt=2501", 1 },
  { "integer >=", "icu_hours >= 96", "icu=96", 1 },
  { "integer =", "age_years = 0", "age=0", 1 },
  { "integer !=", "weight_g != 0", "wt=5", 1 },
  { "negative constant", "los_days > -1", "los=0", 1 },
  { "absent field compares false", "age_years < 18", "dx=B1", 0 },
  { "absent field: != is false too", "age_years != 18", "dx=B1", 0 },
  { "non-integer value is an error", "age_years < 18", "age=abc", -1 },
  { "non-integer is known()", "known(age_years)", "age=abc", 1 },
  { "absent is not known()", "known(weight_g)", "dx=B1", 0 },
  { "known(dx_count) always", "known(dx_count)", "sex=1", 1 },
  { "dx_count counts empty items", "dx_count = 3", "dx=B1||B2", 1 },
  { "px_count", "px_count >= 2", "px=P1|P2", 1 },
  { "px_count of no procedure", "px_count = 0", "dx=B1", 1 },
  { "all true", "all(pdx_in(MDCB.pdx), px_any_in(SS_VALID))", "dx=B1 px=P1", 1 },
  { "all false", "all(pdx_in(MDCB.pdx), px_any_in(SS_VALID))", "dx=B1 px=X", 0 },
  { "all short-circuits before an error", "all(false, age_years < 1)", "age=x", 0 },
  { "all meets the error first", "all(age_years < 1, false)", "age=x", -1 },
  { "any short-circuits before an error", "any(true, age_years < 1)", "age=x", 1 },
  { "any meets the error", "any(false, age_years < 1)", "age=x", -1 },
  { "not", "not(pdx_in(MDCB.pdx))", "dx=T1", 1 },
  { "not keeps an error", "not(age_years < 1)", "age=x", -1 },
  { "at_least met", "at_least(2, dx_any_in(Z.site1), dx_any_in(Z.site2))", "dx=T1|T3", 1 },
  { "at_least not met", "at_least(2, dx_any_in(Z.site1), dx_any_in(Z.site2))", "dx=T2|T3", 0 },
  { "at_least counts the principal", "at_least(2, dx_any_in(Z.site1), dx_any_in(Z.site2))", "dx=T2|X|T1", 1 },
  { "at_least evaluates every argument", "at_least(1, true, age_years < 1)", "age=x", -1 },
  { "has_mcc: MCC counts", "has_mcc", "dx=B2|M1", 1 },
  { "has_mcc: same exclusion table excluded", "has_mcc", "dx=B1|M1", 0 },
  { "has_mcc: other table counts", "has_mcc", "dx=B1|M1|M2", 1 },
  { "has_mcc: principal without exclusion id", "has_mcc", "dx=T1|M1", 1 },
  { "has_mcc: principal itself never counts", "has_mcc", "dx=M1|T1", 0 },
  { "has_mcc: repeat of principal counts as secondary", "has_mcc", "dx=M1|M1", 1 },
  { "has_mcc: NONE is never excluded", "has_mcc", "dx=B1|N1", 1 },
  { "has_cc does not include MCC", "has_cc", "dx=B2|M1", 0 },
  { "has_cc: CC counts", "has_cc", "dx=B2|C1", 1 },
  { "has_cc: excluded CC", "has_cc", "dx=B1|C1", 0 },
  { "px_count_in distinct codes", "px_count_in(OPS) >= 2", "px=P1|P1|X", 0 },
  { "px_count_in two distinct", "px_count_in(OPS) >= 2", "px=P3|X|P1", 1 },
  { "px_count_in without procedures", "px_count_in(OPS) = 0", "dx=B1", 1 },
  { "whitespace is ignored", "  all ( pdx_in ( MDCB.pdx ) ,not( false ) ) ", "dx=B1", 1 },
};

static CmDrgScheme *
load_mini (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = test_data_path ("schemes/mini-v2");
  CmDrgScheme *s = cm_drg_scheme_load (dir, &error);
  cr_assert_not_null (s, "mini-v2: %s", error ? error->message : "?");
  return s;
}

ParameterizedTestParameters (cond, evaluates)
{
  return cr_make_param_array (EvalCase, eval_cases, G_N_ELEMENTS (eval_cases));
}

ParameterizedTest (EvalCase *c, cond, evaluates)
{
  g_autoptr (CmDrgScheme) s = load_mini ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) store = NULL;
  CmEpisode ep;
  guint32 root, dx[CM_MAX_CODES], px[CM_MAX_CODES];
  CmEval ev = { 0 };
  int r;

  cr_assert (cm_cond_compile (s, c->cond, "test:1", 1, &root, &error),
             "%s: does not compile: %s", c->desc, error ? error->message : "");
  test_episode (&ep, c->episode, &store);
  for (guint i = 0; i < ep.n_dx; i++)
    {
      guint32 id = cm_strtab_lookup (&s->codes, ep.dx[i], strlen (ep.dx[i]));
      dx[i] = id == CM_STRTAB_NONE ? CM_NO_ID : id;
    }
  for (guint i = 0; i < ep.n_px; i++)
    {
      guint32 id = cm_strtab_lookup (&s->codes, ep.px[i], strlen (ep.px[i]));
      px[i] = id == CM_STRTAB_NONE ? CM_NO_ID : id;
    }
  ev.scheme = s;
  ev.ep = &ep;
  ev.dx = dx;
  ev.n_dx = ep.n_dx;
  ev.px = px;
  ev.n_px = ep.n_px;
  ev.has_mcc = ev.has_cc = -1;
  {
    static guint64 bits[CM_N_BITS][64];
    for (int b = 0; b < CM_N_BITS; b++)
      ev.bits[b] = bits[b];
    cr_assert_leq (cm_bits_words (s), 64);
  }
  cm_eval_fill_bits (&ev, TRUE);
  cm_eval_fill_bits (&ev, FALSE);
  r = cm_cond_eval (&ev, root);
  cr_assert_eq (r, c->expect, "%s: %s on {%s} gave %d, expected %d", c->desc,
                c->cond, c->episode, r, c->expect);
}

typedef struct {
  const char *desc;
  const char *cond;
  const char *message;  /* expected substring, with the column */
} CompileErrorCase;

static CompileErrorCase compile_error_cases[] = {
  { "undeclared list", "pdx_in(NOPE)", "test:1:8: condition: list 'NOPE' is not declared" },
  { "unknown predicate", "foo_in(SS_VALID)", "test:1:1: condition: unknown name 'foo_in'" },
  { "unknown field in known()", "known(height)", "test:1:7: condition: unknown field 'height'" },
  { "missing parenthesis", "all(true, false", "test:1:16: condition: expected ')', found the end" },
  { "trailing text", "true false", "test:1:6: condition: unexpected text" },
  { "empty condition", "", "test:1:1: condition: expected an expression, found the end" },
  { "text field compared with a number", "sex = 1", "is text" },
  { "integer field compared with a string", "age_years = \"1\"", "is an integer, not text" },
  { "ordering on text", "sex < \"1\"", "text compares only with = or !=" },
  { "unterminated string", "sex = \"1", "unterminated string" },
  { "bad operator", "age_years ! 1", "expected '!='" },
  { "not with two arguments", "not(true, false)", "not() takes exactly one argument" },
  { "at_least without integer", "at_least(x, true)", "expected an integer" },
  { "too deep", "not(not(not(not(not(not(not(not(not(not(not(not(not(not(not(not("
                "not(not(not(not(not(not(not(not(not(not(not(not(not(not(not(not("
                "not(not(not(not(not(not(not(not(not(not(not(not(not(not(not(not("
                "not(not(not(not(not(not(not(not(not(not(not(not(not(not(not(not("
                "not(true)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
    "nested deeper than" },
};

ParameterizedTestParameters (cond, reports_compile_errors)
{
  return cr_make_param_array (CompileErrorCase, compile_error_cases,
                              G_N_ELEMENTS (compile_error_cases));
}

ParameterizedTest (CompileErrorCase *c, cond, reports_compile_errors)
{
  g_autoptr (CmDrgScheme) s = load_mini ();
  g_autoptr (GError) error = NULL;
  guint32 root;

  cr_assert_not (cm_cond_compile (s, c->cond, "test:1", 1, &root, &error),
                 "%s: compiled", c->desc);
  cr_assert (g_error_matches (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_CONDITION),
             "%s: wrong error domain/code", c->desc);
  cr_assert (strstr (error->message, c->message) != NULL,
             "%s: message '%s' lacks '%s'", c->desc, error->message, c->message);
}
