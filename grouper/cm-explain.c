/* cm-explain.c — DRG explanations: what the traced DRG engine records, and
 * "why not group X?" for DRG schemes.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Design note. Nothing here runs unless a trace or a why-not was asked
 * for, so it favours clarity over speed. A condition is explained by
 * evaluating it again, term by term, with the same evaluator the engine
 * uses (cm_cond_eval on the node of each term): the explanation cannot
 * disagree with the grouping.
 *
 * Two renderings of a term:
 *
 *   - a *fact* states what the episode has, whatever the outcome
 *     ("principal diagnosis I61.000 is in list DI_B00"); a trace step's
 *     note joins the facts of the terms that decided its condition (all
 *     kids of a true all(), the first false kid of a false all(), …);
 *   - a *requirement* states what the condition needs and what the episode
 *     has ("principal procedure must be in list OP_BB2; the episode's is
 *     01.2400"); why-not emits one TERM step per requirement, with the
 *     polarity carried down through not().
 *
 * Neither names the members of a list nor says what the episode should
 * contain: facts, not coding advice (docs/explain.md).
 *
 * Why-not (FORMAT.md §5): a target is reached through a path MDC → rule →
 * split (or the rule's fallback). Along each path the explanation checks,
 * in search order: the input checks; the MDCs before the path's MDC (the
 * first one that gives a code wins instead: preempted); the MDC's entry
 * condition; the rules before the path's rule in that MDC; the rule's
 * condition; the splits before the path's split (or every split, for a
 * fallback). The decisive step is the first requirement that fails on
 * the best path (the one that gets furthest), else the first preemption.
 * The retry of §5.4 is not explored: why-not answers for the episode's
 * procedures as given. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include "cm-explain.h"
#include "cm-drg-private.h"
#include "cm-trace-private.h"

G_DEFINE_QUARK (cm-explain-error-quark, cm_explain_error)

/* Most terms one requirement expands into (then "… more terms"). */
#define MAX_TERMS 40
/* Most codes quoted in one fact before "and N more". */
#define MAX_QUOTED 6
/* Most facts in one note. */
#define MAX_FACTS 6

/* --- facts about the episode --------------------------------------------- */

static const CmCondNode *
node_at (const CmDrgScheme *s, guint32 idx)
{
  return &g_array_index (s->nodes, CmCondNode, idx);
}

static const char *
list_name (const CmDrgScheme *s, guint32 list)
{
  return cm_strtab_get (&s->lists, list);
}

static const char *
excl_name (const CmDrgScheme *s, guint32 excl)
{
  return excl == CM_NO_ID ? "" : cm_strtab_get (&s->excl, excl);
}

static const CmField *
field_ptr (const CmEpisode *ep, guint8 field)
{
  switch (field)
    {
    case CM_FIELD_SEX: return &ep->sex;
    case CM_FIELD_AGE_YEARS: return &ep->age_years;
    case CM_FIELD_AGE_DAYS: return &ep->age_days;
    case CM_FIELD_WEIGHT_G: return &ep->weight_g;
    case CM_FIELD_DEPT: return &ep->dept;
    case CM_FIELD_LOS_DAYS: return &ep->los_days;
    case CM_FIELD_DISCHARGE: return &ep->discharge;
    case CM_FIELD_ICU_HOURS: return &ep->icu_hours;
    case CM_FIELD_AMOUNT: return &ep->amount;
    default: return NULL;
    }
}

static const char *
show_code (const char *code)
{
  return code == NULL || *code == '\0' ? "(empty)" : code;
}

static const char *
dx_text (const CmEval *ev, guint i)
{
  return show_code (ev->dx_text[i]);
}

static const char *
px_text (const CmEval *ev, guint i)
{
  return show_code (ev->px_text[i]);
}

/* The first position >= @from whose code is in @list, or -1. */
static int
first_in (const CmEval *ev, gboolean dx, guint from, guint32 list)
{
  guint n = dx ? ev->n_dx : ev->n_px;
  const guint32 *ids = dx ? ev->dx : ev->px;

  for (guint i = from; i < n; i++)
    if (cm_code_in_list (ev->scheme, ids[i], list))
      return (int) i;
  return -1;
}

/* "a, b, c and 2 more" for positions @from.. of D or P. */
static void
append_codes (GString *o, const CmEval *ev, gboolean dx, guint from)
{
  guint n = dx ? ev->n_dx : ev->n_px;

  for (guint i = from; i < n && i < from + MAX_QUOTED; i++)
    g_string_append_printf (o, "%s%s", i > from ? ", " : "",
                            dx ? dx_text (ev, i) : px_text (ev, i));
  if (n > from + MAX_QUOTED)
    g_string_append_printf (o, " and %u more", n - from - MAX_QUOTED);
}

/* "age_years is 45" / "is absent" / "is \"4.5\", not an integer". */
static void
append_field_value (GString *o, const CmEval *ev, guint8 field)
{
  const CmField *f;

  if (field == CM_FIELD_DX_COUNT)
    {
      g_string_append_printf (o, "%u", ev->n_dx);
      return;
    }
  if (field == CM_FIELD_PX_COUNT)
    {
      g_string_append_printf (o, "%u", ev->n_px);
      return;
    }
  f = field_ptr (ev->ep, field);
  if (f == NULL || f->text == NULL)
    g_string_append (o, "absent");
  else if (field == CM_FIELD_SEX || field == CM_FIELD_DEPT
           || field == CM_FIELD_DISCHARGE || f->is_int)
    g_string_append (o, f->text);
  else
    g_string_append_printf (o, "\"%s\", not an integer", f->text);
}

/* The complication facts of level @mcc: the first code that counts, or
 * the codes that are excluded. */
static void
append_complication (GString *o, const CmEval *ev, gboolean mcc, gboolean holds)
{
  const CmDrgScheme *s = ev->scheme;
  const char *level = mcc ? "MCC" : "CC";
  guint n_excluded = 0;
  guint32 pdx_excl = ev->n_dx > 0 && ev->dx[0] != CM_NO_ID
                     ? s->info[ev->dx[0]].pdx_excl : CM_NO_ID;

  for (guint i = 1; i < ev->n_dx; i++)
    {
      guint32 e;
      int c = cm_cond_complication (ev, i, mcc, &e);
      if (c == 1 && holds)
        {
          g_string_append_printf (o, "secondary diagnosis %s counts as %s "
                                  "(exclusion id %s", dx_text (ev, i), level,
                                  excl_name (s, e));
          if (pdx_excl != CM_NO_ID)
            g_string_append_printf (o, "; the principal diagnosis has %s",
                                    excl_name (s, pdx_excl));
          g_string_append_c (o, ')');
          return;
        }
      if (c == 2)
        n_excluded++;
    }
  if (ev->n_dx <= 1)
    {
      g_string_append (o, "there is no secondary diagnosis");
      return;
    }
  g_string_append_printf (o, "no secondary diagnosis counts as %s", level);
  if (n_excluded > 0)
    {
      guint k = 0;
      g_string_append (o, " (");
      for (guint i = 1; i < ev->n_dx; i++)
        {
          guint32 e;
          if (cm_cond_complication (ev, i, mcc, &e) == 2)
            g_string_append_printf (o, "%s%s", k++ ? ", " : "", dx_text (ev, i));
        }
      g_string_append_printf (o, " %s %s excluded by the principal "
                              "diagnosis's exclusion id %s)",
                              n_excluded > 1 ? "are each" : "is",
                              mcc ? "an MCC" : "a CC",
                              excl_name (s, pdx_excl));
    }
}

/* One term's fact, whatever its outcome @r. */
static void
leaf_fact (GString *o, const CmEval *ev, const CmCondNode *n, int r)
{
  const CmDrgScheme *s = ev->scheme;
  const char *l = list_name (s, n->arg);
  int at;

  switch ((CmCondOp) n->op)
    {
    case CM_COND_TRUE:
      g_string_append (o, "always holds");
      break;
    case CM_COND_FALSE:
      g_string_append (o, "never holds");
      break;
    case CM_COND_HAS_MCC:
    case CM_COND_HAS_CC:
      append_complication (o, ev, n->op == CM_COND_HAS_MCC, r == 1);
      break;
    case CM_COND_KNOWN:
      g_string_append_printf (o, "%s is ", cm_cond_field_name (n->field));
      append_field_value (o, ev, n->field);
      break;
    case CM_COND_PDX_IN:
      if (ev->n_dx == 0)
        g_string_append (o, "there is no diagnosis");
      else
        g_string_append_printf (o, "principal diagnosis %s is %sin list %s",
                                dx_text (ev, 0), r == 1 ? "" : "not ", l);
      break;
    case CM_COND_SDX_ANY_IN:
    case CM_COND_DX_ANY_IN:
      {
        gboolean sec = n->op == CM_COND_SDX_ANY_IN;
        at = first_in (ev, TRUE, sec ? 1 : 0, n->arg);
        if (at >= 0)
          g_string_append_printf (o, "%sdiagnosis %s is in list %s",
                                  sec || at > 0 ? "secondary " : "principal ",
                                  dx_text (ev, (guint) at), l);
        else if (ev->n_dx <= (sec ? 1u : 0u))
          g_string_append_printf (o, "there is no %sdiagnosis", sec ? "secondary " : "");
        else
          {
            g_string_append_printf (o, "no %sdiagnosis is in list %s (",
                                    sec ? "secondary " : "", l);
            append_codes (o, ev, TRUE, sec ? 1 : 0);
            g_string_append_c (o, ')');
          }
      }
      break;
    case CM_COND_PPX_IN:
      if (ev->n_px == 0)
        g_string_append (o, "there is no procedure");
      else
        g_string_append_printf (o, "principal procedure %s is %sin list %s",
                                px_text (ev, 0), r == 1 ? "" : "not ", l);
      break;
    case CM_COND_PX_ANY_IN:
    case CM_COND_SPX_ANY_IN:
      {
        gboolean sec = n->op == CM_COND_SPX_ANY_IN;
        at = first_in (ev, FALSE, sec ? 1 : 0, n->arg);
        if (at >= 0)
          g_string_append_printf (o, "%sprocedure %s is in list %s",
                                  sec || at > 0 ? "secondary " : "principal ",
                                  px_text (ev, (guint) at), l);
        else if (ev->n_px <= (sec ? 1u : 0u))
          g_string_append_printf (o, "there is no %sprocedure", sec ? "secondary " : "");
        else
          {
            g_string_append_printf (o, "no %sprocedure is in list %s (",
                                    sec ? "secondary " : "", l);
            append_codes (o, ev, FALSE, sec ? 1 : 0);
            g_string_append_c (o, ')');
          }
      }
      break;
    case CM_COND_SEX_IN:
    case CM_COND_DEPT_IN:
    case CM_COND_DISCHARGE_IN:
      {
        guint8 field = n->op == CM_COND_SEX_IN ? CM_FIELD_SEX
                       : n->op == CM_COND_DEPT_IN ? CM_FIELD_DEPT : CM_FIELD_DISCHARGE;
        const CmField *f = field_ptr (ev->ep, field);
        if (f->text == NULL)
          g_string_append_printf (o, "%s is absent", cm_cond_field_name (field));
        else
          g_string_append_printf (o, "%s %s is %sin list %s",
                                  cm_cond_field_name (field), f->text,
                                  r == 1 ? "" : "not ", l);
      }
      break;
    case CM_COND_CMP_INT:
    case CM_COND_CMP_STR:
      if (n->field == CM_FIELD_DX_COUNT)
        g_string_append_printf (o, "there %s %u diagnos%s", ev->n_dx == 1 ? "is" : "are",
                                ev->n_dx, ev->n_dx == 1 ? "is" : "es");
      else if (n->field == CM_FIELD_PX_COUNT)
        g_string_append_printf (o, "there %s %u procedure%s", ev->n_px == 1 ? "is" : "are",
                                ev->n_px, ev->n_px == 1 ? "" : "s");
      else
        {
          g_string_append_printf (o, "%s is ", cm_cond_field_name (n->field));
          append_field_value (o, ev, n->field);
        }
      break;
    case CM_COND_PX_COUNT_IN:
      {
        guint k = 0;
        g_string_append (o, "distinct procedures in list ");
        g_string_append (o, l);
        g_string_append (o, ": ");
        for (guint i = 0; i < ev->n_px; i++)
          {
            guint j;
            if (!cm_code_in_list (s, ev->px[i], n->arg))
              continue;
            for (j = 0; j < i; j++)
              if (ev->px[j] == ev->px[i])
                break;
            if (j == i)
              g_string_append_printf (o, "%s%s", k++ ? ", " : "", px_text (ev, i));
          }
        if (k == 0)
          g_string_append (o, "none");
      }
      break;
    default:
      g_string_append (o, "?");
      break;
    }
}

typedef struct {
  CmEval *ev;
  GString *out;
  guint n;
  gsize start;  /* where the facts begin in out */
} Facts;

static void
facts_sep (Facts *f)
{
  if (f->n == 0)
    f->start = f->out->len;
  if (f->n++ > 0)
    g_string_append (f->out, "; ");
}

/* Drops the fact just appended from @at when the note already says it. */
static void
facts_dedup (Facts *f, gsize at)
{
  const char *fact = f->out->str + at + (f->n > 1 ? 2 : 0);
  gsize flen = f->out->len - (gsize) (fact - f->out->str);
  const char *p = f->out->str + f->start;

  while ((p = strstr (p, fact)) != NULL && p < fact)
    {
      if ((p == f->out->str + f->start || p[-1] == ' ')
          && (p[flen] == ';' || p[flen] == '\0'))
        {
          g_string_truncate (f->out, at);
          f->n--;
          return;
        }
      p++;
    }
}

/* The facts of the terms that decided @idx (whose value is @r). */
static void
deciding_facts (Facts *f, guint32 idx, int r)
{
  const CmDrgScheme *s = f->ev->scheme;
  const CmCondNode *n = node_at (s, idx);
  const guint32 *kids = n->n_kids ? &g_array_index (s->kids, guint32, n->arg) : NULL;

  if (f->n > MAX_FACTS)
    return;
  if (f->n == MAX_FACTS)
    {
      facts_sep (f);
      g_string_append (f->out, "…");
      return;
    }
  switch ((CmCondOp) n->op)
    {
    case CM_COND_ALL:
    case CM_COND_ANY:
      {
        /* all() true / any() false: every kid; else the kid that decided */
        gboolean every = (n->op == CM_COND_ALL) == (r == 1);
        for (guint i = 0; i < n->n_kids; i++)
          {
            int kr = cm_cond_eval (f->ev, kids[i]);
            if (every || kr == r || kr == CM_EVAL_ERROR)
              {
                deciding_facts (f, kids[i], kr);
                if (!every || kr == CM_EVAL_ERROR)
                  return;
              }
          }
      }
      break;
    case CM_COND_NOT:
      deciding_facts (f, kids[0], r == CM_EVAL_ERROR ? r : !r);
      break;
    case CM_COND_AT_LEAST:
      {
        guint held = 0;
        for (guint i = 0; i < n->n_kids; i++)
          if (cm_cond_eval (f->ev, kids[i]) == 1)
            held++;
        facts_sep (f);
        g_string_append_printf (f->out, "%u of %u terms hold, at least %"
                                G_GINT64_FORMAT " needed", held, n->n_kids, n->num);
        for (guint i = 0; i < n->n_kids; i++)
          if (cm_cond_eval (f->ev, kids[i]) == 1)
            deciding_facts (f, kids[i], 1);
      }
      break;
    default:
      {
        gsize at = f->out->len;
        facts_sep (f);
        leaf_fact (f->out, f->ev, n, r);
        if (r == CM_EVAL_ERROR)
          g_string_append (f->out, " (evaluation error)");
        facts_dedup (f, at);
      }
      break;
    }
}

/* --- requirements (why-not) ---------------------------------------------- */

static const char *
cmp_words (guint8 cmp, gboolean want)
{
  /* the requirement "F op N" (want) or "not (F op N)" */
  switch (cmp)
    {
    case CM_CMP_LT: return want ? "less than " : "at least ";
    case CM_CMP_LE: return want ? "at most " : "more than ";
    case CM_CMP_GT: return want ? "more than " : "at most ";
    case CM_CMP_GE: return want ? "at least " : "less than ";
    case CM_CMP_EQ: return want ? "" : "other than ";
    default: return want ? "other than " : "";
    }
}

/* The requirement of a term that must be true (@want) or false, and what
 * the episode has. */
static void
leaf_requirement (GString *o, const CmEval *ev, const CmCondNode *n,
                  gboolean want, int r)
{
  const CmDrgScheme *s = ev->scheme;
  const char *l = list_name (s, n->arg);
  const char *must = want ? "must be" : "must not be";
  int at;

  switch ((CmCondOp) n->op)
    {
    case CM_COND_TRUE:
    case CM_COND_FALSE:
      g_string_append (o, (n->op == CM_COND_TRUE) == want
                          ? "always met" : "never met: the scheme switches this path off");
      break;
    case CM_COND_HAS_MCC:
    case CM_COND_HAS_CC:
      {
        const char *level = n->op == CM_COND_HAS_MCC ? "MCC" : "CC";
        if (want)
          g_string_append_printf (o, "a secondary diagnosis must count as %s "
                                  "(cc.tsv, not excluded by the principal "
                                  "diagnosis's exclusion id); ", level);
        else
          g_string_append_printf (o, "no secondary diagnosis may count as %s; ",
                                  level);
        append_complication (o, ev, n->op == CM_COND_HAS_MCC, r == 1);
      }
      break;
    case CM_COND_KNOWN:
      g_string_append_printf (o, "%s must be %s; the episode's is ",
                              cm_cond_field_name (n->field), want ? "present" : "absent");
      append_field_value (o, ev, n->field);
      break;
    case CM_COND_PDX_IN:
      g_string_append_printf (o, "principal diagnosis %s in list %s; ", must, l);
      if (ev->n_dx == 0)
        g_string_append (o, "the episode has none");
      else
        g_string_append_printf (o, "the episode's is %s", dx_text (ev, 0));
      break;
    case CM_COND_PPX_IN:
      g_string_append_printf (o, "principal procedure %s in list %s; ", must, l);
      if (ev->n_px == 0)
        g_string_append (o, "the episode has no procedure");
      else
        g_string_append_printf (o, "the episode's is %s", px_text (ev, 0));
      break;
    case CM_COND_SDX_ANY_IN:
    case CM_COND_DX_ANY_IN:
    case CM_COND_PX_ANY_IN:
    case CM_COND_SPX_ANY_IN:
      {
        gboolean dx = n->op == CM_COND_SDX_ANY_IN || n->op == CM_COND_DX_ANY_IN;
        gboolean sec = n->op == CM_COND_SDX_ANY_IN || n->op == CM_COND_SPX_ANY_IN;
        const char *what = dx ? (sec ? "secondary diagnosis" : "diagnosis")
                              : (sec ? "secondary procedure" : "procedure");
        guint from = sec ? 1 : 0;
        guint n_codes = dx ? ev->n_dx : ev->n_px;

        if (want)
          g_string_append_printf (o, "some %s must be in list %s; ", what, l);
        else
          g_string_append_printf (o, "no %s may be in list %s; ", what, l);
        at = first_in (ev, dx, from, n->arg);
        if (at >= 0)
          g_string_append_printf (o, "the episode's %s is",
                                  dx ? dx_text (ev, (guint) at) : px_text (ev, (guint) at));
        else if (n_codes <= from)
          g_string_append_printf (o, "the episode has no %s", what);
        else
          {
            g_string_append (o, "the episode's (");
            append_codes (o, ev, dx, from);
            g_string_append (o, n_codes - from == 1 ? ") is not" : ") are not");
          }
      }
      break;
    case CM_COND_SEX_IN:
    case CM_COND_DEPT_IN:
    case CM_COND_DISCHARGE_IN:
      {
        guint8 field = n->op == CM_COND_SEX_IN ? CM_FIELD_SEX
                       : n->op == CM_COND_DEPT_IN ? CM_FIELD_DEPT : CM_FIELD_DISCHARGE;
        g_string_append_printf (o, "%s %s in list %s; the episode's is ",
                                cm_cond_field_name (field), must, l);
        append_field_value (o, ev, field);
      }
      break;
    case CM_COND_CMP_INT:
      g_string_append_printf (o, "%s must be %s%" G_GINT64_FORMAT "; the episode's is ",
                              cm_cond_field_name (n->field), cmp_words (n->cmp, want),
                              n->num);
      append_field_value (o, ev, n->field);
      break;
    case CM_COND_CMP_STR:
      g_string_append_printf (o, "%s must be %s%s; the episode's is ",
                              cm_cond_field_name (n->field), cmp_words (n->cmp, want),
                              n->str);
      append_field_value (o, ev, n->field);
      break;
    case CM_COND_PX_COUNT_IN:
      g_string_append_printf (o, "the number of distinct procedures in list %s "
                              "must be %s%" G_GINT64_FORMAT "; ", l,
                              cmp_words (n->cmp, want), n->num);
      leaf_fact (o, ev, n, r);
      break;
    default:
      g_string_append (o, "?");
      break;
    }
  if (r == CM_EVAL_ERROR)
    g_string_append (o, " (evaluation error)");
}

static CmTraceOutcome
outcome_of (int r)
{
  return r == CM_EVAL_ERROR ? CM_TRACE_ERROR : r ? CM_TRACE_YES : CM_TRACE_NO;
}

/* Is the requirement "@idx is @want" met? */
static CmTraceOutcome
met (CmEval *ev, guint32 idx, gboolean want)
{
  int r = cm_cond_eval (ev, idx);
  if (r == CM_EVAL_ERROR)
    return CM_TRACE_ERROR;
  return (r == 1) == want ? CM_TRACE_YES : CM_TRACE_NO;
}

/* Emits the TERM steps of "@idx must be @want" at @depth. With @top, the
 * terms of a top-level all() are listed directly, satisfied ones too;
 * deeper, only the terms that fail are shown. */
static void
require (CmEval *ev, CmTrace *t, guint32 idx, gboolean want, guint depth,
         gboolean top, guint *budget)
{
  const CmDrgScheme *s = ev->scheme;
  const CmCondNode *n = node_at (s, idx);
  const guint32 *kids = n->n_kids ? &g_array_index (s->kids, guint32, n->arg) : NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  CmTraceOutcome o = met (ev, idx, want);

  if (*budget == 0)
    return;
  if (n->op == CM_COND_NOT)
    {
      require (ev, t, kids[0], !want, depth, top, budget);
      return;
    }
  cm_cond_format (s, idx, text);
  if (n->op == CM_COND_ALL || n->op == CM_COND_ANY || n->op == CM_COND_AT_LEAST)
    {
      /* all() wanted or any() unwanted: every kid must come out as wanted */
      gboolean every = (n->op == CM_COND_ALL) == want;
      gboolean kid_want = n->op == CM_COND_AT_LEAST ? TRUE : want;
      guint held = 0;
      guint child_depth = depth + 1;

      if (n->op == CM_COND_AT_LEAST)
        for (guint i = 0; i < n->n_kids; i++)
          held += cm_cond_eval (ev, kids[i]) == 1;
      if (top && every && n->op != CM_COND_AT_LEAST)
        child_depth = depth;  /* the requirement step is the header */
      else
        {
          g_autoptr (GString) note = g_string_new (NULL);
          if (n->op == CM_COND_AT_LEAST)
            g_string_printf (note, "%s %" G_GINT64_FORMAT " of these %u terms "
                             "must hold; %u %s", want ? "at least" : "fewer than",
                             n->num, n->n_kids, held, held == 1 ? "does" : "do");
          else if (every)
            g_string_printf (note, "each of these %u terms must %s",
                             n->n_kids, want ? "hold" : "fail");
          else
            g_string_printf (note, "%s of these %u terms must %s",
                             want ? "one" : "at least one", n->n_kids,
                             want ? "hold" : "fail");
          cm_trace_add (t, CM_TRACE_TERM, o, depth, NULL, text->str);
          cm_trace_note_text (t, note->str);
          (*budget)--;
        }
      for (guint i = 0; i < n->n_kids && *budget > 0; i++)
        {
          CmTraceOutcome ko = met (ev, kids[i], kid_want);
          /* satisfied terms are shown at the top level only, and never
           * when one satisfied alternative is all that is needed */
          if (ko == CM_TRACE_YES && n->op != CM_COND_AT_LEAST
              && (!top || (!every && o == CM_TRACE_YES)))
            continue;
          require (ev, t, kids[i], kid_want, child_depth, FALSE, budget);
        }
      return;
    }
  {
    g_autoptr (GString) note = g_string_new (NULL);
    int r = cm_cond_eval (ev, idx);
    leaf_requirement (note, ev, n, want, r);
    cm_trace_add (t, CM_TRACE_TERM, o, depth, NULL, text->str);
    cm_trace_note_text (t, note->str);
    (*budget)--;
  }
}

static void
require_terms (CmEval *ev, CmTrace *t, guint32 idx, guint depth)
{
  guint budget = MAX_TERMS;

  require (ev, t, idx, TRUE, depth, TRUE, &budget);
  if (budget == 0)
    {
      cm_trace_add (t, CM_TRACE_TERM, CM_TRACE_INFO, depth, NULL, NULL);
      cm_trace_note (t, "more terms not shown (at most %d)", MAX_TERMS);
    }
}

/* --- the traced engine's steps ------------------------------------------- */

static const char *
name_of (const CmDrgScheme *s, const char *code)
{
  return g_hash_table_lookup (s->names, code);
}

/* A step for condition @cond of value @r, with the deciding facts as its
 * note (after @prefix, when given). */
static void
cond_step (CmEval *ev, CmTraceKind kind, guint depth, const char *subject,
           guint32 cond, int r, const char *prefix)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GString) note = g_string_new (NULL);
  Facts f = { .ev = ev, .out = note };

  cm_cond_format (ev->scheme, cond, text);
  cm_trace_add (ev->trace, kind, outcome_of (r), depth, subject, text->str);
  if (prefix != NULL && *prefix != '\0')
    {
      g_string_append (note, prefix);
      g_string_append (note, ": ");
    }
  deciding_facts (&f, cond, r);
  cm_trace_note_text (ev->trace, note->str);
}

void
cm_drg_trace_input (CmEval *ev, const CmEpisode *ep, gboolean translated)
{
  CmTrace *t = ev->trace;
  const CmDrgScheme *s = ev->scheme;
  g_autoptr (GString) note = g_string_new (NULL);
  static const guint8 shown[] = {
    CM_FIELD_SEX, CM_FIELD_AGE_YEARS, CM_FIELD_AGE_DAYS, CM_FIELD_WEIGHT_G,
    CM_FIELD_DEPT, CM_FIELD_LOS_DAYS, CM_FIELD_DISCHARGE, CM_FIELD_ICU_HOURS,
  };
  guint32 pdx_excl;
  gboolean any_cc = FALSE;

  if (translated)
    {
      g_string_append (note, "diagnoses as given: ");
      for (guint i = 0; i < ep->n_dx && i < CM_MAX_CODES; i++)
        g_string_append_printf (note, "%s%s", i ? "|" : "", show_code (ep->dx[i]));
      g_string_append (note, "; procedures as given: ");
      for (guint i = 0; i < ep->n_px && i < CM_MAX_CODES; i++)
        g_string_append_printf (note, "%s%s", i ? "|" : "", show_code (ep->px[i]));
      if (ep->n_px == 0)
        g_string_append (note, "none");
      g_string_append (note, " (translated through dx_map.tsv and px_map.tsv)");
      cm_trace_add (t, CM_TRACE_TRANSLATE, CM_TRACE_INFO, 0, NULL, NULL);
      cm_trace_note_text (t, note->str);
      g_string_truncate (note, 0);
    }
  cm_trace_add (t, CM_TRACE_INPUT, CM_TRACE_INFO, 0, "diagnoses", NULL);
  for (guint i = 0; i < ev->n_dx; i++)
    cm_trace_code (t, ev->dx_text[i]);
  cm_trace_add (t, CM_TRACE_INPUT, CM_TRACE_INFO, 0, "procedures", NULL);
  for (guint i = 0; i < ev->n_px; i++)
    cm_trace_code (t, ev->px_text[i]);
  if (ev->n_px == 0)
    cm_trace_note_text (t, "none");
  for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
    {
      g_string_append_printf (note, "%s%s ", i ? ", " : "",
                              cm_cond_field_name (shown[i]));
      append_field_value (note, ev, shown[i]);
    }
  cm_trace_add (t, CM_TRACE_INPUT, CM_TRACE_INFO, 0, "fields", NULL);
  cm_trace_note_text (t, note->str);

  /* the complication rule (FORMAT.md §4.2), code by code */
  pdx_excl = ev->n_dx > 0 && ev->dx[0] != CM_NO_ID ? s->info[ev->dx[0]].pdx_excl
                                                   : CM_NO_ID;
  for (guint i = 1; i < ev->n_dx; i++)
    for (int level = 0; level < 2; level++)
      {
        gboolean mcc = level == 0;
        guint32 e;
        int c = cm_cond_complication (ev, i, mcc, &e);
        if (c == 0)
          continue;
        any_cc = TRUE;
        cm_trace_add (t, c == 1 ? CM_TRACE_CC : CM_TRACE_CC_EXCLUDED,
                      CM_TRACE_INFO, 0, dx_text (ev, i), NULL);
        cm_trace_code (t, ev->dx_text[i]);
        cm_trace_table (t, excl_name (s, e));
        if (c == 1)
          cm_trace_note (t, "%s is %s (cc.tsv, exclusion id %s); the principal "
                         "diagnosis %s %s%s: it counts", dx_text (ev, i),
                         mcc ? "an MCC" : "a CC", excl_name (s, e), dx_text (ev, 0),
                         pdx_excl == CM_NO_ID ? "has no exclusion id" : "has exclusion id ",
                         excl_name (s, pdx_excl));
        else
          cm_trace_note (t, "%s is %s (cc.tsv, exclusion id %s), the exclusion "
                         "id of the principal diagnosis %s (cc_exclusion.tsv): "
                         "excluded", dx_text (ev, i), mcc ? "an MCC" : "a CC",
                         excl_name (s, e), dx_text (ev, 0));
      }
  if (!any_cc)
    {
      cm_trace_add (t, CM_TRACE_CC, CM_TRACE_INFO, 0, NULL, NULL);
      cm_trace_note_text (t, ev->n_dx <= 1 ? "there is no secondary diagnosis"
                                           : "no secondary diagnosis is a CC or MCC");
    }
}

void
cm_drg_trace_reject (CmTrace *t, const CmDrgScheme *s, const CmEpisode *ep,
                     const char *status)
{
  cm_trace_add (t, CM_TRACE_TRANSLATE, CM_TRACE_NO, 0, status, NULL);
  if (strcmp (status, "ERROR") == 0)
    cm_trace_note (t, "translation is not usable with procedures in scheme %s "
                   "(settings.tsv translate_usable = 0)", s->id);
  else
    {
      gboolean dx = strcmp (status, "ZD_NOT_MAPPING") == 0;
      guint n = dx ? ep->n_dx : ep->n_px;
      g_autoptr (GString) note = g_string_new (NULL);
      guint k = 0;

      g_string_printf (note, "%s not in %s: ", dx ? "diagnoses" : "procedures",
                       dx ? "dx_map.tsv" : "px_map.tsv");
      for (guint i = 0; i < n && i < CM_MAX_CODES; i++)
        {
          const char *code = dx ? ep->dx[i] : ep->px[i];
          guint32 id = cm_strtab_lookup (&s->codes, code, strlen (code));
          guint32 target = id == CM_STRTAB_NONE ? CM_NO_ID
                           : dx ? s->info[id].dx_target : s->info[id].px_target;
          if (target == CM_NO_ID)
            {
              g_string_append_printf (note, "%s%s", k++ ? ", " : "", show_code (code));
              cm_trace_code (t, code);
            }
        }
      if (k == 0)
        g_string_append (note, "\"-\" as principal");
      cm_trace_note_text (t, note->str);
    }
}

void
cm_drg_trace_check (CmEval *ev, const CmDrgCheck *c, int r)
{
  char subject[24];

  g_snprintf (subject, sizeof subject, "%" G_GINT64_FORMAT, c->order);
  cond_step (ev, CM_TRACE_CHECK, 0, subject, c->cond, r, c->description);
  if (r != 0)
    {
      g_autoptr (GString) note = g_string_new (cm_trace_get_step (ev->trace,
                                               (guint) cm_trace_last (ev->trace))->note);
      g_string_append_printf (note, " => %s", r == CM_EVAL_ERROR
                              ? ev->scheme->check_error_status : c->status);
      cm_trace_note_text (ev->trace, note->str);
    }
}

void
cm_drg_trace_mdc (CmEval *ev, const CmDrgMdc *mdc, int r)
{
  const char *name = name_of (ev->scheme, mdc->mdc);
  cond_step (ev, CM_TRACE_MDC, ev->trace_depth, mdc->mdc, mdc->cond, r, name);
}

void
cm_drg_trace_mdc_empty (CmEval *ev, const CmDrgMdc *mdc)
{
  cm_trace_add (ev->trace, CM_TRACE_MDC, CM_TRACE_INFO, ev->trace_depth + 1,
                mdc->mdc, NULL);
  cm_trace_note (ev->trace, "no rule of %s gives a code: the search goes on "
                 "with the next MDC (FORMAT.md §5.3)", mdc->mdc);
}

void
cm_drg_trace_rule (CmEval *ev, const CmDrgRule *rule, int r)
{
  const CmDrgScheme *s = ev->scheme;
  g_autofree char *prefix = NULL;
  CmTraceKind kind = rule->kind == CM_RULE_QY ? CM_TRACE_QY
                     : rule->kind == CM_RULE_FAIL ? CM_TRACE_FAIL : CM_TRACE_RULE;
  const char *name = name_of (s, rule->adrg);

  if (rule->kind == CM_RULE_ADRG)
    prefix = g_strdup_printf ("ADRG %s%s%s%s", rule->adrg, name ? " (" : "",
                              name ? name : "", name ? ")" : "");
  else if (rule->kind == CM_RULE_QY)
    prefix = g_strdup_printf ("ambiguity rule, gives %s", rule->fallback);
  else
    prefix = g_strdup_printf ("fail rule closing the MDC, gives %s", rule->fallback);
  cond_step (ev, kind, ev->trace_depth + 1, rule->rule_id, rule->cond, r, prefix);
  cm_trace_table (ev->trace, "adrg_rules.tsv");
}

void
cm_drg_trace_split (CmEval *ev, const CmDrgSplit *sp, int r)
{
  const char *name = name_of (ev->scheme, sp->drg);
  g_autofree char *prefix = g_strdup_printf ("DRG %s%s%s%s", sp->drg,
                                             name ? " (" : "", name ? name : "",
                                             name ? ")" : "");
  cond_step (ev, CM_TRACE_SPLIT, ev->trace_depth + 2, sp->drg, sp->cond, r, prefix);
  cm_trace_table (ev->trace, "drg_splits.tsv");
}

void
cm_drg_trace_fallback (CmEval *ev, const CmDrgRule *rule)
{
  cm_trace_add (ev->trace, CM_TRACE_FALLBACK, CM_TRACE_INFO, ev->trace_depth + 2,
                rule->fallback, NULL);
  if (rule->n_splits > 0)
    cm_trace_note (ev->trace, "no split of rule %s holds: the rule gives its "
                   "fallback %s", rule->rule_id, rule->fallback);
  else
    cm_trace_note (ev->trace, "rule %s has no splits: it gives its fallback %s",
                   rule->rule_id, rule->fallback);
}

void
cm_drg_trace_nothing (CmEval *ev)
{
  cm_trace_add (ev->trace, CM_TRACE_FAIL, CM_TRACE_INFO, ev->trace_depth,
                ev->scheme->ungroupable_code, NULL);
  cm_trace_note (ev->trace, "no MDC gives a code: the result is the "
                 "ungroupable code %s", ev->scheme->ungroupable_code);
}

void
cm_drg_trace_retry (CmEval *ev, const char *procedure)
{
  cm_trace_add (ev->trace, CM_TRACE_RETRY, CM_TRACE_INFO, 0,
                show_code (procedure), NULL);
  cm_trace_code (ev->trace, procedure);
  cm_trace_note (ev->trace, "nothing matched with all procedures: searching "
                 "again with %s as the only procedure "
                 "(settings.tsv retry_each_secondary_px, FORMAT.md §5.4)",
                 show_code (procedure));
  ev->trace_depth = 1;
}

/* --- why not ------------------------------------------------------------- */

typedef struct {
  guint mdc;      /* index in mdcs */
  guint rule;     /* index in rules */
  int split;      /* index in splits; -1 via the fallback; -2 any outcome
                   * of the rule (ADRG target); -3 any rule (MDC target) */
} Path;

/* What rule @ri gives for the episode: the split index, -1 for the
 * fallback, -2 when the rule holds but gives nothing, -3 when it does not
 * hold, -4 on an evaluation error. */
static int
rule_gives (CmEval *ev, guint ri)
{
  const CmDrgScheme *s = ev->scheme;
  const CmDrgRule *rule = &s->rules[ri];
  int r = cm_cond_eval (ev, rule->cond);

  if (r == CM_EVAL_ERROR)
    return -4;
  if (!r)
    return -3;
  for (guint k = 0; k < rule->n_splits; k++)
    {
      r = cm_cond_eval (ev, s->splits[rule->splits_off + k].cond);
      if (r == CM_EVAL_ERROR)
        return -4;
      if (r)
        return (int) (rule->splits_off + k);
    }
  return rule->fallback[0] != '\0' ? -1 : -2;
}

static const char *
gives_code (const CmDrgScheme *s, guint ri, int g)
{
  return g >= 0 ? s->splits[g].drg : s->rules[ri].fallback;
}

/* The first rule of MDC @m that gives a code, or -1; *@g what it gives. */
static int
mdc_gives (CmEval *ev, guint m, int *g)
{
  const CmDrgScheme *s = ev->scheme;
  const CmDrgMdc *mdc = &s->mdcs[m];

  if (cm_cond_eval (ev, mdc->cond) != 1)
    return -1;
  for (guint i = 0; i < mdc->n_rules; i++)
    {
      *g = rule_gives (ev, mdc->rules_off + i);
      if (*g >= -1)
        return (int) (mdc->rules_off + i);
      if (*g == -4)
        return -1;
    }
  return -1;
}

static void
requirement (CmEval *ev, CmTrace *t, guint depth, const char *subject,
             guint32 cond, const char *what, int *blocked)
{
  int r = cm_cond_eval (ev, cond);
  g_autoptr (GString) text = g_string_new (NULL);

  cm_cond_format (ev->scheme, cond, text);
  cm_trace_add (t, CM_TRACE_REQUIREMENT, outcome_of (r), depth, subject, text->str);
  if (r == 1)
    {
      g_autoptr (GString) note = g_string_new (what);
      Facts f = { .ev = ev, .out = note };
      g_string_append (note, " holds: ");
      deciding_facts (&f, cond, r);
      cm_trace_note_text (t, note->str);
      return;
    }
  cm_trace_note (t, "%s does not hold%s", what,
                 r == CM_EVAL_ERROR ? " (evaluation error)" : "");
  if (*blocked < 0)
    *blocked = cm_trace_last (t);
  require_terms (ev, t, cond, depth + 1);
}

/* A PREEMPTED step: what gives @ri / @g instead, with the facts of
 * condition @cond (the earlier MDC's entry, the earlier rule's or split's
 * condition). */
static void
preempted (CmEval *ev, CmTrace *t, guint depth, guint ri, int g, guint32 cond,
           const char *why, int *first)
{
  const CmDrgScheme *s = ev->scheme;
  const CmDrgRule *rule = &s->rules[ri];
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GString) note = g_string_new (why);
  Facts f = { .ev = ev, .out = note };

  cm_cond_format (s, cond, text);
  cm_trace_add (t, CM_TRACE_PREEMPTED, CM_TRACE_YES, depth,
                gives_code (s, ri, g), text->str);
  g_string_append (note, ": ");
  deciding_facts (&f, cond, 1);
  cm_trace_note_text (t, note->str);
  cm_trace_table (t, rule->rule_id);
  if (*first < 0)
    *first = cm_trace_last (t);
}

/* Explains one path; returns how far it gets (the number of requirements
 * met before the first that fails) and sets the decisive steps. */
static guint
explain_path (CmEval *ev, CmTrace *t, const Path *p, const char *target,
              guint n_paths, guint index, int *blocked, int *preempt)
{
  const CmDrgScheme *s = ev->scheme;
  const CmDrgMdc *mdc = &s->mdcs[p->mdc];
  const CmDrgRule *rule = &s->rules[p->rule];
  guint progress = 0;
  g_autofree char *what = NULL;

  *blocked = *preempt = -1;
  cm_trace_add (t, CM_TRACE_TARGET, CM_TRACE_INFO, 0, target, NULL);
  if (p->split == -3)
    cm_trace_note (t, "path %u of %u: %s, through any of its rules", index + 1,
                   n_paths, mdc->mdc);
  else if (p->split == -2)
    cm_trace_note (t, "path %u of %u: %s, rule %s", index + 1, n_paths,
                   mdc->mdc, rule->rule_id);
  else if (p->split == -1)
    cm_trace_note (t, "path %u of %u: %s, rule %s, its fallback %s", index + 1,
                   n_paths, mdc->mdc, rule->rule_id, rule->fallback);
  else
    cm_trace_note (t, "path %u of %u: %s, rule %s, split %s", index + 1,
                   n_paths, mdc->mdc, rule->rule_id, s->splits[p->split].drg);

  /* MDCs before this one (mdc_order) */
  for (guint m = 0; m < p->mdc; m++)
    {
      int g, ri = mdc_gives (ev, m, &g);
      if (ri >= 0)
        {
          g_autofree char *why = g_strdup_printf (
            "%s comes before %s in mdc_order, its entry condition holds and "
            "its rule %s gives %s", s->mdcs[m].mdc, mdc->mdc,
            s->rules[ri].rule_id, gives_code (s, (guint) ri, g));
          preempted (ev, t, 1, (guint) ri, g, s->mdcs[m].cond, why, preempt);
          break;
        }
    }

  what = g_strdup_printf ("the entry condition of %s", mdc->mdc);
  requirement (ev, t, 1, mdc->mdc, mdc->cond, what, blocked);
  if (*blocked < 0)
    progress++;
  if (p->split == -3)
    {
      /* some rule of the MDC must give a code */
      int g = -3, ri = -1;
      for (guint i = 0; i < mdc->n_rules && ri < 0; i++)
        {
          g = rule_gives (ev, mdc->rules_off + i);
          if (g >= -1)
            ri = (int) (mdc->rules_off + i);
        }
      cm_trace_add (t, CM_TRACE_REQUIREMENT, ri >= 0 ? CM_TRACE_YES : CM_TRACE_NO, 1,
                    mdc->mdc, NULL);
      if (ri >= 0)
        cm_trace_note (t, "a rule of %s must give a code: rule %s gives %s",
                       mdc->mdc, s->rules[ri].rule_id, gives_code (s, (guint) ri, g));
      else
        {
          cm_trace_note (t, "a rule of %s must give a code: none of its %u rules "
                         "holds with a code", mdc->mdc, mdc->n_rules);
          if (*blocked < 0)
            *blocked = cm_trace_last (t);
        }
      return progress;
    }

  /* rules before this one in the MDC (rule_order) */
  for (guint i = mdc->rules_off; i < p->rule; i++)
    {
      int g = rule_gives (ev, i);
      if (g >= -1)
        {
          g_autofree char *why = g_strdup_printf (
            "rule %s comes before %s in rule_order of %s, holds and gives %s",
            s->rules[i].rule_id, rule->rule_id, mdc->mdc, gives_code (s, i, g));
          preempted (ev, t, 1, i, g, s->rules[i].cond, why, preempt);
          break;
        }
    }

  g_free (what);
  what = g_strdup_printf ("the condition of rule %s", rule->rule_id);
  requirement (ev, t, 1, rule->rule_id, rule->cond, what, blocked);
  if (*blocked < 0)
    progress++;

  if (p->split == -2)
    {
      /* the rule must give something: a split, or its fallback */
      if (cm_cond_eval (ev, rule->cond) == 1 && rule_gives (ev, p->rule) == -2)
        {
          cm_trace_add (t, CM_TRACE_REQUIREMENT, CM_TRACE_NO, 1, rule->rule_id, NULL);
          cm_trace_note (t, "one split of rule %s must hold (the rule has no "
                         "fallback): none of its %u splits holds",
                         rule->rule_id, rule->n_splits);
          if (*blocked < 0)
            *blocked = cm_trace_last (t);
        }
      return progress;
    }

  /* splits before the target split, or all splits for the fallback */
  {
    guint end = p->split >= 0 ? (guint) p->split : rule->splits_off + rule->n_splits;
    for (guint k = rule->splits_off; k < end; k++)
      if (cm_cond_eval (ev, s->splits[k].cond) == 1)
        {
          g_autofree char *why = p->split >= 0
            ? g_strdup_printf ("split %s comes before %s in split_order of rule "
                               "%s and holds", s->splits[k].drg,
                               s->splits[p->split].drg, rule->rule_id)
            : g_strdup_printf ("split %s of rule %s holds, so the rule gives %s, "
                               "not its fallback %s", s->splits[k].drg,
                               rule->rule_id, s->splits[k].drg, rule->fallback);
          preempted (ev, t, 2, p->rule, (int) k, s->splits[k].cond, why, preempt);
          break;
        }
  }
  if (p->split >= 0)
    {
      g_free (what);
      what = g_strdup_printf ("the condition of split %s", s->splits[p->split].drg);
      requirement (ev, t, 1, s->splits[p->split].drg, s->splits[p->split].cond,
                   what, blocked);
      if (*blocked < 0)
        progress++;
    }
  return progress;
}

/* Does the actual result reach @target of @kind? */
static gboolean
is_result (const CmGroupResult *r, const char *target, const char *kind)
{
  if (strcmp (r->status, "SUCCESS") != 0 && strcmp (r->status, "QY") != 0
      && strcmp (r->status, "FAIL") != 0)
    return FALSE;
  if (strcmp (kind, "drg") == 0)
    return strcmp (r->drg, target) == 0;
  if (strcmp (kind, "adrg") == 0)
    return strcmp (r->adrg, target) == 0;
  return strcmp (r->mdc, target) == 0;
}

gboolean
cm_drg_why_not (CmDrgContext *ctx, const CmEpisode *ep, gboolean translate,
                const char *target, CmTrace *t, GError **error)
{
  const CmDrgScheme *s = cm_drg_context_get_scheme (ctx);
  g_autoptr (GArray) paths = g_array_new (FALSE, FALSE, sizeof (Path));
  const char *kind = NULL;
  const CmGroupResult *actual = cm_trace_get_result (t);
  CmGroupResult tmp;
  CmEval ev;
  int best_blocked = -1, best_preempt = -1;
  guint best_progress = 0;
  gboolean have_best = FALSE, best_is_clear = FALSE;

  /* the paths that produce @target: an ADRG first (its rules, whatever
   * they give: "AA1" is the ADRG before it is AA1's fallback code), then a
   * DRG code (splits and fallbacks), then an MDC */
  for (guint m = 0; m < s->n_mdcs; m++)
    for (guint i = 0; i < s->mdcs[m].n_rules; i++)
      {
        guint ri = s->mdcs[m].rules_off + i;
        if (s->rules[ri].kind != CM_RULE_QY && strcmp (s->rules[ri].adrg, target) == 0)
          {
            Path p = { m, ri, -2 };
            g_array_append_val (paths, p);
          }
      }
  if (paths->len > 0)
    kind = "adrg";
  else
    {
      for (guint m = 0; m < s->n_mdcs; m++)
        {
          const CmDrgMdc *mdc = &s->mdcs[m];
          for (guint i = 0; i < mdc->n_rules; i++)
            {
              guint ri = mdc->rules_off + i;
              const CmDrgRule *rule = &s->rules[ri];
              for (guint k = 0; k < rule->n_splits; k++)
                if (strcmp (s->splits[rule->splits_off + k].drg, target) == 0)
                  {
                    Path p = { m, ri, (int) (rule->splits_off + k) };
                    g_array_append_val (paths, p);
                  }
              if (strcmp (rule->fallback, target) == 0)
                {
                  Path p = { m, ri, -1 };
                  g_array_append_val (paths, p);
                }
            }
        }
      if (paths->len > 0)
        kind = "drg";
    }
  if (paths->len == 0)
    for (guint m = 0; m < s->n_mdcs; m++)
      if (strcmp (s->mdcs[m].mdc, target) == 0)
        {
          Path p = { m, s->mdcs[m].rules_off, -3 };
          g_array_append_val (paths, p);
          kind = "mdc";
        }
  if (paths->len == 0)
    {
      g_set_error (error, CM_EXPLAIN_ERROR, CM_EXPLAIN_ERROR_TARGET,
                   "'%s' is not a DRG, ADRG or MDC of scheme %s", target, s->id);
      return FALSE;
    }
  cm_trace_set_target (t, target, kind);

  if (actual != NULL && is_result (actual, target, kind))
    {
      cm_trace_add (t, CM_TRACE_RESULT, CM_TRACE_YES, 0, target, NULL);
      cm_trace_note (t, "the episode groups to %s (%s %s)", target,
                     actual->status, actual->drg);
      cm_trace_set_verdict (t, CM_WHY_NOT_IS_RESULT, cm_trace_last (t));
      return TRUE;
    }

  if (!cm_drg_prepare (ctx, ep, translate, &ev, &tmp))
    {
      cm_drg_trace_reject (t, s, ep, tmp.status);
      cm_trace_set_verdict (t, CM_WHY_NOT_NOT_GROUPED, cm_trace_last (t));
      return TRUE;
    }

  /* the input checks come first */
  for (guint i = 0; i < s->n_checks; i++)
    {
      int r = cm_cond_eval (&ev, s->checks[i].cond);
      if (r != 0)
        {
          g_autoptr (GString) text = g_string_new (NULL);
          g_autoptr (GString) note = g_string_new (NULL);
          Facts f = { .ev = &ev, .out = note };
          char subject[24];

          g_snprintf (subject, sizeof subject, "%" G_GINT64_FORMAT,
                      s->checks[i].order);
          cm_cond_format (s, s->checks[i].cond, text);
          cm_trace_add (t, CM_TRACE_CHECK, outcome_of (r), 0, subject, text->str);
          g_string_printf (note, "input check %s (%s) holds, so the episode "
                           "gets status %s before any group: ", subject,
                           s->checks[i].description,
                           r == CM_EVAL_ERROR ? s->check_error_status
                                              : s->checks[i].status);
          deciding_facts (&f, s->checks[i].cond, r);
          cm_trace_note_text (t, note->str);
          cm_trace_table (t, "checks.tsv");
          cm_trace_set_verdict (t, CM_WHY_NOT_NOT_GROUPED, cm_trace_last (t));
          return TRUE;
        }
    }

  for (guint i = 0; i < paths->len; i++)
    {
      int blocked, preempt;
      guint progress = explain_path (&ev, t, &g_array_index (paths, Path, i),
                                     target, paths->len, i, &blocked, &preempt);
      /* a path with no failing requirement beats any blocked one; among
       * blocked paths, the one that gets furthest */
      gboolean clear = blocked < 0;
      if (!have_best || (clear && !best_is_clear)
          || (clear == best_is_clear && !clear && progress > best_progress))
        {
          have_best = TRUE;
          best_is_clear = clear;
          best_progress = progress;
          best_blocked = blocked;
          best_preempt = preempt;
        }
    }
  if (best_blocked >= 0)
    cm_trace_set_verdict (t, CM_WHY_NOT_BLOCKED, best_blocked);
  else if (best_preempt >= 0)
    cm_trace_set_verdict (t, CM_WHY_NOT_PREEMPTED, best_preempt);
  else
    {
      /* every requirement holds and nothing earlier wins: only the retry
       * of §5.4 or translation can make the difference */
      cm_trace_add (t, CM_TRACE_RESULT, CM_TRACE_INFO, 0, target, NULL);
      cm_trace_note (t, "every condition on the path holds; the episode "
                     "groups to %s", actual ? actual->drg : "?");
      cm_trace_set_verdict (t, CM_WHY_NOT_PREEMPTED, cm_trace_last (t));
    }
  return TRUE;
}

/* --- the public entry point ---------------------------------------------- */

gboolean
cm_explain_why_not (CmGroupContext *ctx, const CmEpisode *episode,
                    CmGroupFlags flags, const char *target, CmTrace *trace,
                    GError **error)
{
  CmScheme *scheme;
  CmGroupResult res;
  const char *name = NULL;

  g_return_val_if_fail (ctx != NULL && episode != NULL, FALSE);
  g_return_val_if_fail (target != NULL && trace != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  scheme = cm_group_context_get_scheme (ctx);
  cm_trace_clear (trace);
  cm_trace_set_scheme (trace, cm_scheme_get_id (scheme),
                       cm_scheme_get_family (scheme));
  cm_trace_set_episode (trace, episode->episode_id);
  cm_group (ctx, episode, flags, &res);
  if (res.family == CM_SCHEME_FAMILY_DRG && *res.drg)
    name = cm_drg_scheme_lookup_name (cm_scheme_get_drg (scheme), res.drg);
  cm_trace_set_result (trace, &res, name);
  if (cm_scheme_get_family (scheme) == CM_SCHEME_FAMILY_DRG)
    return cm_drg_why_not (cm_group_context_get_drg (ctx), episode,
                           (flags & CM_GROUP_TRANSLATE) != 0, target, trace,
                           error);
  return cm_dip_why_not (cm_group_context_get_dip (ctx), episode,
                         (flags & CM_GROUP_NO_COMPREHENSIVE) == 0, target,
                         trace, error);
}
