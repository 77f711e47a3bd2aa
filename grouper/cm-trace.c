/* cm-trace.c — the grouping trace as data, and its text and JSON
 * renderings.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Steps live in one GArray; their strings in one GStringChunk (condition
 * texts repeat, so they are interned); a step's code array is its own
 * allocation, freed with the trace. The renderers write straight into a
 * GString: the grouper library depends on GLib only, so JSON is written
 * here by hand (RFC 8259 escaping, invalid UTF-8 replaced). */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include "cm-trace-private.h"

struct _CmTrace {
  GArray *steps;          /* CmTraceStep */
  GStringChunk *chunk;
  char *scheme_id;
  CmSchemeFamily family;
  char *episode_id;
  gboolean has_result;
  CmGroupResult result;   /* strings in chunk */
  char *result_name;
  char *target;
  char *target_kind;
  CmWhyNotVerdict verdict;
  int decisive;
};

static const char *const kind_names[CM_TRACE_N_KINDS] = {
  [CM_TRACE_INPUT] = "input",
  [CM_TRACE_TRANSLATE] = "translate",
  [CM_TRACE_CHECK] = "check",
  [CM_TRACE_CC] = "cc",
  [CM_TRACE_CC_EXCLUDED] = "cc_excluded",
  [CM_TRACE_MDC] = "mdc",
  [CM_TRACE_RULE] = "rule",
  [CM_TRACE_QY] = "qy",
  [CM_TRACE_FAIL] = "fail",
  [CM_TRACE_SPLIT] = "split",
  [CM_TRACE_FALLBACK] = "fallback",
  [CM_TRACE_RETRY] = "retry",
  [CM_TRACE_PROCEDURES] = "procedures",
  [CM_TRACE_EXCLUDED_DX] = "excluded_dx",
  [CM_TRACE_STAGE] = "stage",
  [CM_TRACE_CANDIDATE] = "candidate",
  [CM_TRACE_RANKING] = "ranking",
  [CM_TRACE_COMPREHENSIVE] = "comprehensive",
  [CM_TRACE_UNGROUPED] = "ungrouped",
  [CM_TRACE_PRIMARY_CARE] = "primary_care",
  [CM_TRACE_RESULT] = "result",
  [CM_TRACE_TARGET] = "target",
  [CM_TRACE_REQUIREMENT] = "requirement",
  [CM_TRACE_TERM] = "term",
  [CM_TRACE_PREEMPTED] = "preempted",
};

static const char *const outcome_names[] = {
  [CM_TRACE_YES] = "yes",
  [CM_TRACE_NO] = "no",
  [CM_TRACE_ERROR] = "error",
  [CM_TRACE_INFO] = "info",
};

static const char *const verdict_names[] = {
  [CM_WHY_NOT_NONE] = "none",
  [CM_WHY_NOT_IS_RESULT] = "is_result",
  [CM_WHY_NOT_BLOCKED] = "blocked",
  [CM_WHY_NOT_PREEMPTED] = "preempted",
  [CM_WHY_NOT_NOT_GROUPED] = "not_grouped",
};

/* --- the object ---------------------------------------------------------- */

static void
step_clear (gpointer p)
{
  CmTraceStep *st = p;
  g_free ((gpointer) st->codes);
  st->codes = NULL;
}

CmTrace *
cm_trace_new (void)
{
  CmTrace *t = g_new0 (CmTrace, 1);

  t->steps = g_array_sized_new (FALSE, TRUE, sizeof (CmTraceStep), 64);
  g_array_set_clear_func (t->steps, step_clear);
  t->chunk = g_string_chunk_new (4096);
  t->decisive = -1;
  return t;
}

void
cm_trace_free (CmTrace *t)
{
  if (t == NULL)
    return;
  g_array_unref (t->steps);
  g_string_chunk_free (t->chunk);
  g_free (t->scheme_id);
  g_free (t->episode_id);
  g_free (t->result_name);
  g_free (t->target);
  g_free (t->target_kind);
  g_free (t);
}

void
cm_trace_clear (CmTrace *t)
{
  g_return_if_fail (t != NULL);
  g_array_set_size (t->steps, 0);
  g_string_chunk_clear (t->chunk);
  g_clear_pointer (&t->scheme_id, g_free);
  g_clear_pointer (&t->episode_id, g_free);
  g_clear_pointer (&t->result_name, g_free);
  g_clear_pointer (&t->target, g_free);
  g_clear_pointer (&t->target_kind, g_free);
  t->has_result = FALSE;
  t->verdict = CM_WHY_NOT_NONE;
  t->decisive = -1;
}

guint
cm_trace_get_n_steps (const CmTrace *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->steps->len;
}

const CmTraceStep *
cm_trace_get_step (const CmTrace *t, guint i)
{
  g_return_val_if_fail (t != NULL && i < t->steps->len, NULL);
  return &g_array_index (t->steps, CmTraceStep, i);
}

int
cm_trace_find (const CmTrace *t, CmTraceKind kind, const char *subject)
{
  g_return_val_if_fail (t != NULL, -1);
  for (guint i = 0; i < t->steps->len; i++)
    {
      const CmTraceStep *st = &g_array_index (t->steps, CmTraceStep, i);
      if (st->kind == kind && (subject == NULL || strcmp (st->subject, subject) == 0))
        return (int) i;
    }
  return -1;
}

const CmGroupResult *
cm_trace_get_result (const CmTrace *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  return t->has_result ? &t->result : NULL;
}

const char *
cm_trace_get_scheme_id (const CmTrace *t)
{
  g_return_val_if_fail (t != NULL, "");
  return t->scheme_id ? t->scheme_id : "";
}

const char *
cm_trace_get_episode_id (const CmTrace *t)
{
  g_return_val_if_fail (t != NULL, "");
  return t->episode_id ? t->episode_id : "";
}

const char *
cm_trace_get_target (const CmTrace *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  return t->target;
}

const char *
cm_trace_get_target_kind (const CmTrace *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  return t->target_kind;
}

CmWhyNotVerdict
cm_trace_get_verdict (const CmTrace *t)
{
  g_return_val_if_fail (t != NULL, CM_WHY_NOT_NONE);
  return t->verdict;
}

int
cm_trace_get_decisive_step (const CmTrace *t)
{
  g_return_val_if_fail (t != NULL, -1);
  return t->decisive;
}

const char *
cm_trace_kind_name (CmTraceKind kind)
{
  return (guint) kind < CM_TRACE_N_KINDS ? kind_names[kind] : "unknown";
}

const char *
cm_trace_outcome_name (CmTraceOutcome outcome)
{
  return (guint) outcome < G_N_ELEMENTS (outcome_names) ? outcome_names[outcome]
                                                        : "unknown";
}

const char *
cm_why_not_verdict_name (CmWhyNotVerdict verdict)
{
  return (guint) verdict < G_N_ELEMENTS (verdict_names) ? verdict_names[verdict]
                                                        : "unknown";
}

/* --- building (cm-trace-private.h) --------------------------------------- */

static const char *
keep (CmTrace *t, const char *s)
{
  if (s == NULL || *s == '\0')
    return "";
  return g_string_chunk_insert_const (t->chunk, s);
}

static CmTraceStep *
last (CmTrace *t)
{
  g_return_val_if_fail (t->steps->len > 0, NULL);
  return &g_array_index (t->steps, CmTraceStep, t->steps->len - 1);
}

void
cm_trace_add (CmTrace *t, CmTraceKind kind, CmTraceOutcome outcome,
              guint depth, const char *subject, const char *condition)
{
  CmTraceStep st = { 0 };

  st.kind = kind;
  st.outcome = outcome;
  st.depth = depth;
  st.subject = keep (t, subject);
  st.condition = keep (t, condition);
  st.note = "";
  st.table = "";
  st.specificity = st.matched = st.seq = -1;
  g_array_append_val (t->steps, st);
}

void
cm_trace_note_text (CmTrace *t, const char *text)
{
  CmTraceStep *st = last (t);
  if (st != NULL)
    st->note = text && *text ? g_string_chunk_insert (t->chunk, text) : "";
}

void
cm_trace_note (CmTrace *t, const char *format, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  cm_trace_note_text (t, text);
}

void
cm_trace_table (CmTrace *t, const char *table)
{
  CmTraceStep *st = last (t);
  if (st != NULL)
    st->table = keep (t, table);
}

void
cm_trace_code (CmTrace *t, const char *code)
{
  CmTraceStep *st = last (t);
  const char **codes;

  if (st == NULL)
    return;
  codes = (const char **) st->codes;
  /* grow in powers of two */
  if ((st->n_codes & (st->n_codes - 1)) == 0)
    codes = g_renew (const char *, codes, MAX (st->n_codes * 2, 4));
  codes[st->n_codes++] = g_string_chunk_insert_const (t->chunk, code ? code : "");
  st->codes = codes;
}

void
cm_trace_key (CmTrace *t, int specificity, char tier, int matched, int seq)
{
  CmTraceStep *st = last (t);
  if (st == NULL)
    return;
  st->specificity = specificity;
  st->tier = tier;
  st->matched = matched;
  st->seq = seq;
}

void
cm_trace_outcome (CmTrace *t, CmTraceOutcome outcome)
{
  CmTraceStep *st = last (t);
  if (st != NULL)
    st->outcome = outcome;
}

int
cm_trace_last (const CmTrace *t)
{
  return (int) t->steps->len - 1;
}

void
cm_trace_set_step_outcome (CmTrace *t, guint i, CmTraceOutcome outcome)
{
  g_return_if_fail (i < t->steps->len);
  g_array_index (t->steps, CmTraceStep, i).outcome = outcome;
}

void
cm_trace_set_scheme (CmTrace *t, const char *scheme_id, CmSchemeFamily family)
{
  g_free (t->scheme_id);
  t->scheme_id = g_strdup (scheme_id ? scheme_id : "");
  t->family = family;
}

void
cm_trace_set_episode (CmTrace *t, const char *episode_id)
{
  g_free (t->episode_id);
  t->episode_id = g_strdup (episode_id ? episode_id : "");
}

void
cm_trace_set_result (CmTrace *t, const CmGroupResult *r, const char *name)
{
  t->result = *r;
  t->result.status = keep (t, r->status);
  t->result.group_id = keep (t, r->group_id);
  t->result.rule_stage = keep (t, r->rule_stage);
  t->family = r->family;
  t->has_result = TRUE;
  g_free (t->result_name);
  t->result_name = g_strdup (name);
}

void
cm_trace_set_target (CmTrace *t, const char *target, const char *target_kind)
{
  g_free (t->target);
  g_free (t->target_kind);
  t->target = g_strdup (target);
  t->target_kind = g_strdup (target_kind);
}

void
cm_trace_set_verdict (CmTrace *t, CmWhyNotVerdict verdict, int decisive)
{
  t->verdict = verdict;
  t->decisive = decisive;
}

/* --- rendering ----------------------------------------------------------- */

void
cm_json_append_string (GString *out, const char *s)
{
  g_autofree char *valid = NULL;

  if (s == NULL)
    s = "";
  if (!g_utf8_validate (s, -1, NULL))
    s = valid = g_utf8_make_valid (s, -1);
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) s; *p; p++)
    switch (*p)
      {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          g_string_append_printf (out, "\\u%04x", *p);
        else
          g_string_append_c (out, (char) *p);
      }
  g_string_append_c (out, '"');
}

static void
json_member (GString *out, const char *key, const char *value)
{
  g_string_append_c (out, ',');
  cm_json_append_string (out, key);
  g_string_append_c (out, ':');
  cm_json_append_string (out, value);
}

static void
result_json (const CmGroupResult *r, const char *name, GString *out)
{
  g_string_append (out, "{\"family\":");
  cm_json_append_string (out, r->family == CM_SCHEME_FAMILY_DRG ? "DRG" : "DIP");
  json_member (out, "status", r->status);
  if (r->family == CM_SCHEME_FAMILY_DRG)
    {
      json_member (out, "mdc", r->mdc);
      json_member (out, "adrg", r->adrg);
      json_member (out, "drg", r->drg);
    }
  else
    {
      json_member (out, "group_id", r->group_id);
      json_member (out, "rule_stage", r->rule_stage);
      g_string_append_printf (out, ",\"primary_care\":%s",
                              r->primary_care ? "true" : "false");
    }
  if (name != NULL && *name != '\0')
    json_member (out, "name", name);
  g_string_append_c (out, '}');
}

void
cm_group_result_to_json (const CmGroupResult *result, GString *out)
{
  g_return_if_fail (result != NULL && out != NULL);
  result_json (result, NULL, out);
}

static void
step_json (const CmTraceStep *st, GString *out)
{
  g_string_append (out, "{\"kind\":");
  cm_json_append_string (out, cm_trace_kind_name (st->kind));
  json_member (out, "outcome", cm_trace_outcome_name (st->outcome));
  g_string_append_printf (out, ",\"depth\":%u", st->depth);
  if (*st->subject)
    json_member (out, "subject", st->subject);
  if (*st->condition)
    json_member (out, "condition", st->condition);
  if (*st->note)
    json_member (out, "note", st->note);
  if (*st->table)
    json_member (out, "table", st->table);
  if (st->n_codes > 0)
    {
      g_string_append (out, ",\"codes\":[");
      for (guint i = 0; i < st->n_codes; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          cm_json_append_string (out, st->codes[i]);
        }
      g_string_append_c (out, ']');
    }
  if (st->seq >= 0 || st->tier != 0)
    {
      char tier[2] = { st->tier, '\0' };
      g_string_append_printf (out, ",\"specificity\":%d,\"tier\":", st->specificity);
      cm_json_append_string (out, tier);
      g_string_append_printf (out, ",\"matched\":%d,\"seq\":%d", st->matched, st->seq);
    }
  g_string_append_c (out, '}');
}

void
cm_trace_to_json (const CmTrace *t, GString *out)
{
  g_return_if_fail (t != NULL && out != NULL);

  g_string_append (out, "{\"scheme\":");
  cm_json_append_string (out, cm_trace_get_scheme_id (t));
  json_member (out, "episode_id", cm_trace_get_episode_id (t));
  if (t->has_result)
    {
      g_string_append (out, ",\"result\":");
      result_json (&t->result, t->result_name, out);
    }
  if (t->target != NULL)
    {
      json_member (out, "target", t->target);
      json_member (out, "target_kind", t->target_kind ? t->target_kind : "");
      json_member (out, "verdict", cm_why_not_verdict_name (t->verdict));
      g_string_append_printf (out, ",\"decisive_step\":%d", t->decisive);
    }
  g_string_append (out, ",\"steps\":[");
  for (guint i = 0; i < t->steps->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      step_json (&g_array_index (t->steps, CmTraceStep, i), out);
    }
  g_string_append (out, "]}");
}

/* Longest condition the text rendering shows in full (bytes). */
#define TEXT_CONDITION_MAX 200

static char
marker (CmTraceOutcome o)
{
  switch (o)
    {
    case CM_TRACE_YES: return '+';
    case CM_TRACE_NO: return '-';
    case CM_TRACE_ERROR: return '!';
    default: return '*';
    }
}

static void
result_text (const CmGroupResult *r, const char *name, GString *out)
{
  if (r->family == CM_SCHEME_FAMILY_DRG)
    g_string_append_printf (out, "%s  mdc %s  adrg %s  drg %s", r->status,
                            *r->mdc ? r->mdc : "-", *r->adrg ? r->adrg : "-",
                            *r->drg ? r->drg : "-");
  else
    g_string_append_printf (out, "%s  group %s  stage %s  primary_care %d",
                            r->status, *r->group_id ? r->group_id : "-",
                            *r->rule_stage ? r->rule_stage : "-",
                            r->primary_care ? 1 : 0);
  if (name != NULL && *name != '\0')
    g_string_append_printf (out, "  (%s)", name);
}

void
cm_trace_to_text (const CmTrace *t, GString *out)
{
  g_return_if_fail (t != NULL && out != NULL);

  g_string_append_printf (out, "scheme %s, episode %s\n",
                          *cm_trace_get_scheme_id (t) ? t->scheme_id : "-",
                          *cm_trace_get_episode_id (t) ? t->episode_id : "-");
  if (t->has_result)
    {
      g_string_append (out, "result: ");
      result_text (&t->result, t->result_name, out);
      g_string_append_c (out, '\n');
    }
  if (t->target != NULL)
    g_string_append_printf (out, "why not %s %s: %s\n",
                            t->target_kind ? t->target_kind : "", t->target,
                            cm_why_not_verdict_name (t->verdict));
  for (guint i = 0; i < t->steps->len; i++)
    {
      const CmTraceStep *st = &g_array_index (t->steps, CmTraceStep, i);
      guint indent = 2 + 2 * st->depth;

      g_string_append_printf (out, "%s%*s%c %s", (int) i == t->decisive ? "=>" : "  ",
                              (int) indent - 2, "", marker (st->outcome),
                              cm_trace_kind_name (st->kind));
      if (*st->subject)
        g_string_append_printf (out, " %s", st->subject);
      if (*st->condition)
        {
          /* very long conditions (MDCZ) are cut in the text rendering;
           * the JSON rendering keeps them whole */
          gsize len = strlen (st->condition);
          if (len > TEXT_CONDITION_MAX)
            {
              const char *end = g_utf8_find_prev_char (st->condition,
                                                       st->condition + TEXT_CONDITION_MAX);
              g_string_append (out, ": ");
              g_string_append_len (out, st->condition, end - st->condition);
              g_string_append_printf (out, "… (%zu characters)", len);
            }
          else
            g_string_append_printf (out, ": %s", st->condition);
        }
      if (st->seq >= 0 || st->tier != 0)
        g_string_append_printf (out, "  [specificity %d, tier %c, matched %d, seq %d]",
                                st->specificity, st->tier ? st->tier : '-',
                                st->matched, st->seq);
      g_string_append_c (out, '\n');
      if (*st->note || *st->table || st->n_codes > 0)
        {
          g_string_append_printf (out, "  %*s    ", (int) indent - 2, "");
          if (*st->note)
            g_string_append (out, st->note);
          else
            for (guint k = 0; k < st->n_codes; k++)
              g_string_append_printf (out, "%s%s", k ? " | " : "", st->codes[k]);
          if (*st->table)
            g_string_append_printf (out, " [%s]", st->table);
          g_string_append_c (out, '\n');
        }
    }
}
