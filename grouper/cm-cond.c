/* cm-cond.c — the condition language of flat DRG schemes (FORMAT.md §4):
 * a recursive-descent compiler into flat nodes, and a lazy evaluator.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "cm-drg-private.h"

typedef struct {
  CmDrgScheme *scheme;
  const char *text;
  const char *p;
  const char *where;
  gsize col0;
  int depth;
  GError **error;
} Parser;

static const struct {
  const char *name;
  CmCondField field;
  gboolean is_text;
} fields[] = {
  { "sex", CM_FIELD_SEX, TRUE },
  { "age_years", CM_FIELD_AGE_YEARS, FALSE },
  { "age_days", CM_FIELD_AGE_DAYS, FALSE },
  { "weight_g", CM_FIELD_WEIGHT_G, FALSE },
  { "dept", CM_FIELD_DEPT, TRUE },
  { "los_days", CM_FIELD_LOS_DAYS, FALSE },
  { "discharge", CM_FIELD_DISCHARGE, TRUE },
  { "icu_hours", CM_FIELD_ICU_HOURS, FALSE },
  { "amount", CM_FIELD_AMOUNT, FALSE },
  { "dx_count", CM_FIELD_DX_COUNT, FALSE },
  { "px_count", CM_FIELD_PX_COUNT, FALSE },
};

static const struct {
  const char *name;
  CmCondOp op;
} preds[] = {
  { "pdx_in", CM_COND_PDX_IN },
  { "sdx_any_in", CM_COND_SDX_ANY_IN },
  { "dx_any_in", CM_COND_DX_ANY_IN },
  { "ppx_in", CM_COND_PPX_IN },
  { "px_any_in", CM_COND_PX_ANY_IN },
  { "spx_any_in", CM_COND_SPX_ANY_IN },
  { "sex_in", CM_COND_SEX_IN },
  { "dept_in", CM_COND_DEPT_IN },
  { "discharge_in", CM_COND_DISCHARGE_IN },
};

static gboolean
fail (Parser *ps, const char *at, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (Parser *ps, const char *at, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (ps->error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_CONDITION,
               "%s:%zu: condition: %s", ps->where,
               ps->col0 + (gsize) (at - ps->text), msg);
  return FALSE;
}

static void
skip_ws (Parser *ps)
{
  while (*ps->p == ' ' || *ps->p == '\t')
    ps->p++;
}

static gboolean
is_ident_start (char c)
{
  return g_ascii_isalpha (c) || c == '_';
}

static gboolean
is_ident_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '.';
}

/* Reads an identifier; returns its length (0 when none). */
static gsize
ident (Parser *ps, const char **start)
{
  skip_ws (ps);
  *start = ps->p;
  if (!is_ident_start (*ps->p))
    return 0;
  while (is_ident_char (*ps->p))
    ps->p++;
  return (gsize) (ps->p - *start);
}

static gboolean
expect (Parser *ps, char c)
{
  skip_ws (ps);
  if (*ps->p != c)
    {
      if (*ps->p == '\0')
        return fail (ps, ps->p, "expected '%c', found the end", c);
      return fail (ps, ps->p, "expected '%c', found '%c'", c, *ps->p);
    }
  ps->p++;
  return TRUE;
}

static gboolean
integer (Parser *ps, gint64 *out)
{
  const char *start;
  gboolean neg = FALSE;
  gint64 v = 0;

  skip_ws (ps);
  start = ps->p;
  if (*ps->p == '-')
    {
      neg = TRUE;
      ps->p++;
    }
  if (!g_ascii_isdigit (*ps->p))
    return fail (ps, start, "expected an integer");
  while (g_ascii_isdigit (*ps->p))
    {
      if (v > (G_MAXINT64 - 9) / 10)
        return fail (ps, start, "integer too large");
      v = v * 10 + (*ps->p - '0');
      ps->p++;
    }
  *out = neg ? -v : v;
  return TRUE;
}

static gboolean
cmp_op (Parser *ps, CmCmp *out)
{
  skip_ws (ps);
  switch (ps->p[0])
    {
    case '<':
      *out = ps->p[1] == '=' ? CM_CMP_LE : CM_CMP_LT;
      break;
    case '>':
      *out = ps->p[1] == '=' ? CM_CMP_GE : CM_CMP_GT;
      break;
    case '=':
      *out = CM_CMP_EQ;
      break;
    case '!':
      if (ps->p[1] != '=')
        return fail (ps, ps->p, "expected '!='");
      *out = CM_CMP_NE;
      break;
    default:
      return fail (ps, ps->p, "expected a comparison operator");
    }
  ps->p += (*out == CM_CMP_LE || *out == CM_CMP_GE || *out == CM_CMP_NE) ? 2 : 1;
  return TRUE;
}

static guint32
add_node (Parser *ps, const CmCondNode *node)
{
  g_array_append_val (ps->scheme->nodes, *node);
  return ps->scheme->nodes->len - 1;
}

/* A list id in parentheses: `(LIST)`; resolves it against list_info.tsv. */
static gboolean
list_arg (Parser *ps, guint32 *list)
{
  const char *start;

  if (!expect (ps, '('))
    return FALSE;
  skip_ws (ps);
  start = ps->p;
  while (is_ident_char (*ps->p))
    ps->p++;
  if (ps->p == start)
    return fail (ps, start, "expected a list id");
  *list = cm_strtab_lookup (&ps->scheme->lists, start, (gsize) (ps->p - start));
  if (*list == CM_STRTAB_NONE)
    return fail (ps, start, "list '%.*s' is not declared in list_info.tsv",
                 (int) (ps->p - start), start);
  return expect (ps, ')');
}

static gboolean parse_expr (Parser *ps, guint32 *out);

/* Parses `(e1, e2, …)` (after the opening name); @min_kids kids at least.
 * With @leading_int, the first argument is an integer into *num. */
static gboolean
kid_list (Parser *ps, CmCondNode *node, guint min_kids, gboolean leading_int)
{
  g_autoptr (GArray) tmp = g_array_new (FALSE, FALSE, sizeof (guint32));
  const char *open;

  skip_ws (ps);
  open = ps->p;
  if (!expect (ps, '('))
    return FALSE;
  if (leading_int)
    {
      if (!integer (ps, &node->num) || !expect (ps, ','))
        return FALSE;
    }
  for (;;)
    {
      guint32 kid;
      if (!parse_expr (ps, &kid))
        return FALSE;
      g_array_append_val (tmp, kid);
      skip_ws (ps);
      if (*ps->p == ',')
        {
          ps->p++;
          continue;
        }
      if (!expect (ps, ')'))
        return FALSE;
      break;
    }
  if (tmp->len < min_kids)
    return fail (ps, open, "needs at least %u argument(s)", min_kids);
  node->arg = ps->scheme->kids->len;
  node->n_kids = tmp->len;
  g_array_append_vals (ps->scheme->kids, tmp->data, tmp->len);
  return TRUE;
}

static gboolean
parse_expr (Parser *ps, guint32 *out)
{
  CmCondNode node = { 0 };
  const char *name;
  gsize len;

  if (++ps->depth > CM_MAX_COND_DEPTH)
    return fail (ps, ps->p, "nested deeper than %d", CM_MAX_COND_DEPTH);
  len = ident (ps, &name);
  if (len == 0)
    {
      if (*ps->p == '\0')
        return fail (ps, ps->p, "expected an expression, found the end");
      return fail (ps, ps->p, "expected an expression, found '%c'", *ps->p);
    }

#define IS(s) (len == strlen (s) && memcmp (name, s, len) == 0)
  if (IS ("true") || IS ("false") || IS ("has_mcc") || IS ("has_cc"))
    {
      node.op = IS ("true") ? CM_COND_TRUE
              : IS ("false") ? CM_COND_FALSE
              : IS ("has_mcc") ? CM_COND_HAS_MCC : CM_COND_HAS_CC;
    }
  else if (IS ("all") || IS ("any"))
    {
      node.op = IS ("all") ? CM_COND_ALL : CM_COND_ANY;
      if (!kid_list (ps, &node, 1, FALSE))
        return FALSE;
    }
  else if (IS ("not"))
    {
      node.op = CM_COND_NOT;
      if (!kid_list (ps, &node, 1, FALSE))
        return FALSE;
      if (node.n_kids != 1)
        return fail (ps, name, "not() takes exactly one argument");
    }
  else if (IS ("at_least"))
    {
      node.op = CM_COND_AT_LEAST;
      if (!kid_list (ps, &node, 1, TRUE))
        return FALSE;
    }
  else if (IS ("known"))
    {
      const char *fname;
      gsize flen;
      guint i;

      node.op = CM_COND_KNOWN;
      if (!expect (ps, '('))
        return FALSE;
      flen = ident (ps, &fname);
      for (i = 0; i < G_N_ELEMENTS (fields); i++)
        if (flen == strlen (fields[i].name)
            && memcmp (fname, fields[i].name, flen) == 0)
          break;
      if (i == G_N_ELEMENTS (fields))
        return fail (ps, fname, "unknown field '%.*s'", (int) flen, fname);
      node.field = (guint8) fields[i].field;
      if (!expect (ps, ')'))
        return FALSE;
    }
  else if (IS ("px_count_in"))
    {
      guint32 list;
      node.op = CM_COND_PX_COUNT_IN;
      if (!list_arg (ps, &list))
        return FALSE;
      node.arg = list;
      {
        CmCmp cmp;
        if (!cmp_op (ps, &cmp) || !integer (ps, &node.num))
          return FALSE;
        node.cmp = (guint8) cmp;
      }
    }
  else
    {
      guint i;
      for (i = 0; i < G_N_ELEMENTS (preds); i++)
        if (IS (preds[i].name))
          break;
      if (i < G_N_ELEMENTS (preds))
        {
          guint32 list;
          node.op = (guint8) preds[i].op;
          if (!list_arg (ps, &list))
            return FALSE;
          node.arg = list;
        }
      else
        {
          CmCmp cmp;
          for (i = 0; i < G_N_ELEMENTS (fields); i++)
            if (IS (fields[i].name))
              break;
          if (i == G_N_ELEMENTS (fields))
            return fail (ps, name, "unknown name '%.*s'", (int) len, name);
          node.field = (guint8) fields[i].field;
          if (!cmp_op (ps, &cmp))
            return FALSE;
          node.cmp = (guint8) cmp;
          skip_ws (ps);
          if (*ps->p == '"')
            {
              const char *start = ++ps->p;
              if (!fields[i].is_text)
                return fail (ps, start - 1, "field '%s' is an integer, not text",
                             fields[i].name);
              if (cmp != CM_CMP_EQ && cmp != CM_CMP_NE)
                return fail (ps, start - 1, "text compares only with = or !=");
              while (*ps->p && *ps->p != '"')
                ps->p++;
              if (*ps->p != '"')
                return fail (ps, start - 1, "unterminated string");
              node.op = CM_COND_CMP_STR;
              node.str = g_string_chunk_insert_len (ps->scheme->strings, start,
                                                    ps->p - start);
              ps->p++;
            }
          else
            {
              if (fields[i].is_text)
                return fail (ps, ps->p, "field '%s' is text: compare it with a quoted string",
                             fields[i].name);
              node.op = CM_COND_CMP_INT;
              if (!integer (ps, &node.num))
                return FALSE;
            }
        }
    }
#undef IS
  ps->depth--;
  *out = add_node (ps, &node);
  return TRUE;
}

gboolean
cm_cond_compile (CmDrgScheme *scheme, const char *text, const char *where,
                 gsize col0, guint32 *root, GError **error)
{
  Parser ps = { scheme, text, text, where, col0, 0, error };

  if (!parse_expr (&ps, root))
    return FALSE;
  skip_ws (&ps);
  if (*ps.p != '\0')
    return fail (&ps, ps.p, "unexpected text after the expression");
  return TRUE;
}

/* --- evaluation ---------------------------------------------------------- */

static const CmField *
field_of (const CmEpisode *ep, guint8 field)
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

static gboolean
compare (gint64 a, guint8 cmp, gint64 b)
{
  switch (cmp)
    {
    case CM_CMP_LT: return a < b;
    case CM_CMP_LE: return a <= b;
    case CM_CMP_GT: return a > b;
    case CM_CMP_GE: return a >= b;
    case CM_CMP_EQ: return a == b;
    default: return a != b;
    }
}

void
cm_eval_fill_bits (CmEval *ev, gboolean dx)
{
  const CmDrgScheme *s = ev->scheme;
  guint words = cm_bits_words (s);
  int first = dx ? CM_BITS_PDX : CM_BITS_PPX;
  guint64 *b0 = ev->bits[first];      /* principal */
  guint64 *b1 = ev->bits[first + 1];  /* secondaries */
  guint64 *ball = ev->bits[first + 2];
  const guint32 *codes = dx ? ev->dx : ev->px;
  guint n = dx ? ev->n_dx : ev->n_px;

  memset (b0, 0, words * sizeof (guint64));
  memset (b1, 0, words * sizeof (guint64));
  for (guint i = 0; i < n; i++)
    {
      const CmCodeInfo *ci;
      const guint32 *m;
      guint64 *b = i == 0 ? b0 : b1;
      if (codes[i] == CM_NO_ID)
        continue;
      ci = &s->info[codes[i]];
      m = s->list_members + ci->lists_off;
      for (guint k = 0; k < ci->n_lists; k++)
        b[m[k] >> 6] |= G_GUINT64_CONSTANT (1) << (m[k] & 63);
    }
  for (guint w = 0; w < words; w++)
    ball[w] = b0[w] | b1[w];
}

/* The complication rule (FORMAT.md §4.2). */
static gboolean
has_complication (CmEval *ev, gboolean mcc)
{
  const CmDrgScheme *s = ev->scheme;
  guint32 x = CM_NO_ID;

  if (ev->n_dx == 0)
    return FALSE;
  if (ev->dx[0] != CM_NO_ID)
    x = s->info[ev->dx[0]].pdx_excl;
  for (guint i = 1; i < ev->n_dx; i++)
    {
      guint32 c = ev->dx[i];
      guint32 e;
      if (c == CM_NO_ID)
        continue;
      e = mcc ? s->info[c].mcc_excl : s->info[c].cc_excl;
      if (e != CM_NO_ID && (x == CM_NO_ID || e != x))
        return TRUE;
    }
  return FALSE;
}

static gboolean
text_in (CmEval *ev, guint8 field, guint32 list)
{
  const CmField *f = field_of (ev->ep, field);

  if (f->text == NULL)
    return FALSE;
  if (!ev->text_done[field])
    {
      ev->text_id[field] = cm_strtab_lookup (&ev->scheme->codes, f->text,
                                             strlen (f->text));
      ev->text_done[field] = TRUE;
    }
  return cm_code_in_list (ev->scheme, ev->text_id[field], list);
}

int
cm_cond_eval (CmEval *ev, guint32 idx)
{
  const CmDrgScheme *s = ev->scheme;
  const CmCondNode *n = &g_array_index (s->nodes, CmCondNode, idx);
  const guint32 *kids;

  switch ((CmCondOp) n->op)
    {
    case CM_COND_TRUE:
      return 1;
    case CM_COND_FALSE:
      return 0;
    case CM_COND_HAS_MCC:
      if (ev->has_mcc < 0)
        ev->has_mcc = has_complication (ev, TRUE);
      return ev->has_mcc;
    case CM_COND_HAS_CC:
      if (ev->has_cc < 0)
        ev->has_cc = has_complication (ev, FALSE);
      return ev->has_cc;
    case CM_COND_ALL:
      kids = &g_array_index (s->kids, guint32, n->arg);
      for (guint i = 0; i < n->n_kids; i++)
        {
          int r = cm_cond_eval_fast (ev, kids[i]);
          if (r != 1)
            return r;
        }
      return 1;
    case CM_COND_ANY:
      kids = &g_array_index (s->kids, guint32, n->arg);
      for (guint i = 0; i < n->n_kids; i++)
        {
          int r = cm_cond_eval_fast (ev, kids[i]);
          if (r != 0)
            return r;
        }
      return 0;
    case CM_COND_NOT:
      {
        int r = cm_cond_eval (ev, g_array_index (s->kids, guint32, n->arg));
        return r == CM_EVAL_ERROR ? r : !r;
      }
    case CM_COND_AT_LEAST:
      {
        gint64 count = 0;
        kids = &g_array_index (s->kids, guint32, n->arg);
        /* every argument is evaluated, as the reference's sum() does */
        for (guint i = 0; i < n->n_kids; i++)
          {
            int r = cm_cond_eval (ev, kids[i]);
            if (r == CM_EVAL_ERROR)
              return r;
            count += r;
          }
        return count >= n->num;
      }
    case CM_COND_KNOWN:
      if (n->field == CM_FIELD_DX_COUNT || n->field == CM_FIELD_PX_COUNT)
        return 1;
      return field_of (ev->ep, n->field)->text != NULL;
    case CM_COND_PDX_IN:
      return cm_bit_test (ev->bits[CM_BITS_PDX], n->arg);
    case CM_COND_SDX_ANY_IN:
      return cm_bit_test (ev->bits[CM_BITS_SDX], n->arg);
    case CM_COND_DX_ANY_IN:
      return cm_bit_test (ev->bits[CM_BITS_DX], n->arg);
    case CM_COND_PPX_IN:
      return cm_bit_test (ev->bits[CM_BITS_PPX], n->arg);
    case CM_COND_PX_ANY_IN:
      return cm_bit_test (ev->bits[CM_BITS_PX], n->arg);
    case CM_COND_SPX_ANY_IN:
      return cm_bit_test (ev->bits[CM_BITS_SPX], n->arg);
    case CM_COND_SEX_IN:
      return text_in (ev, CM_FIELD_SEX, n->arg);
    case CM_COND_DEPT_IN:
      return text_in (ev, CM_FIELD_DEPT, n->arg);
    case CM_COND_DISCHARGE_IN:
      return text_in (ev, CM_FIELD_DISCHARGE, n->arg);
    case CM_COND_CMP_INT:
      {
        const CmField *f;
        if (n->field == CM_FIELD_DX_COUNT)
          return compare (ev->n_dx, n->cmp, n->num);
        if (n->field == CM_FIELD_PX_COUNT)
          return compare (ev->n_px, n->cmp, n->num);
        f = field_of (ev->ep, n->field);
        if (f->text == NULL)
          return 0;
        if (!f->is_int)
          return CM_EVAL_ERROR;
        return compare (f->value, n->cmp, n->num);
      }
    case CM_COND_CMP_STR:
      {
        const CmField *f = field_of (ev->ep, n->field);
        gboolean eq;
        if (f->text == NULL)
          return 0;
        eq = strcmp (f->text, n->str) == 0;
        return n->cmp == CM_CMP_EQ ? eq : !eq;
      }
    case CM_COND_PX_COUNT_IN:
      {
        /* distinct codes among all procedures that are in the list */
        gint64 count = 0;
        for (guint i = 0; i < ev->n_px; i++)
          {
            guint j;
            if (!cm_code_in_list (s, ev->px[i], n->arg))
              continue;
            for (j = 0; j < i; j++)
              if (ev->px[j] == ev->px[i])
                break;
            if (j == i)
              count++;
          }
        return compare (count, n->cmp, n->num);
      }
    default:
      g_assert_not_reached ();
    }
  return 0;
}

/* --- rendering (traces and explanations) --------------------------------- */

const char *
cm_cond_field_name (guint field)
{
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if ((guint) fields[i].field == field)
      return fields[i].name;
  return "?";
}

static const char *
pred_name (guint8 op)
{
  for (guint i = 0; i < G_N_ELEMENTS (preds); i++)
    if ((guint8) preds[i].op == op)
      return preds[i].name;
  return "?";
}

static const char *
cmp_text (guint8 cmp)
{
  static const char *const text[] = {
    [CM_CMP_LT] = "<", [CM_CMP_LE] = "<=", [CM_CMP_GT] = ">",
    [CM_CMP_GE] = ">=", [CM_CMP_EQ] = "=", [CM_CMP_NE] = "!=",
  };
  return cmp < G_N_ELEMENTS (text) ? text[cmp] : "?";
}

void
cm_cond_format (const CmDrgScheme *s, guint32 idx, GString *out)
{
  const CmCondNode *n = &g_array_index (s->nodes, CmCondNode, idx);
  const guint32 *kids;

  switch ((CmCondOp) n->op)
    {
    case CM_COND_TRUE:
      g_string_append (out, "true");
      break;
    case CM_COND_FALSE:
      g_string_append (out, "false");
      break;
    case CM_COND_HAS_MCC:
      g_string_append (out, "has_mcc");
      break;
    case CM_COND_HAS_CC:
      g_string_append (out, "has_cc");
      break;
    case CM_COND_ALL:
    case CM_COND_ANY:
    case CM_COND_NOT:
    case CM_COND_AT_LEAST:
      g_string_append (out, n->op == CM_COND_ALL ? "all("
                            : n->op == CM_COND_ANY ? "any("
                            : n->op == CM_COND_NOT ? "not(" : "at_least(");
      if (n->op == CM_COND_AT_LEAST)
        g_string_append_printf (out, "%" G_GINT64_FORMAT ", ", n->num);
      kids = &g_array_index (s->kids, guint32, n->arg);
      for (guint i = 0; i < n->n_kids; i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          cm_cond_format (s, kids[i], out);
        }
      g_string_append_c (out, ')');
      break;
    case CM_COND_KNOWN:
      g_string_append_printf (out, "known(%s)", cm_cond_field_name (n->field));
      break;
    case CM_COND_CMP_INT:
      g_string_append_printf (out, "%s %s %" G_GINT64_FORMAT,
                              cm_cond_field_name (n->field), cmp_text (n->cmp),
                              n->num);
      break;
    case CM_COND_CMP_STR:
      g_string_append_printf (out, "%s %s \"%s\"", cm_cond_field_name (n->field),
                              cmp_text (n->cmp), n->str);
      break;
    case CM_COND_PX_COUNT_IN:
      g_string_append_printf (out, "px_count_in(%s) %s %" G_GINT64_FORMAT,
                              cm_strtab_get (&s->lists, n->arg), cmp_text (n->cmp),
                              n->num);
      break;
    default:
      g_string_append_printf (out, "%s(%s)", pred_name (n->op),
                              cm_strtab_get (&s->lists, n->arg));
      break;
    }
}

int
cm_cond_complication (const CmEval *ev, guint i, gboolean mcc, guint32 *excl)
{
  const CmDrgScheme *s = ev->scheme;
  guint32 x = CM_NO_ID, c, e;

  *excl = CM_NO_ID;
  if (i == 0 || i >= ev->n_dx || ev->dx[i] == CM_NO_ID)
    return 0;
  c = ev->dx[i];
  e = mcc ? s->info[c].mcc_excl : s->info[c].cc_excl;
  if (e == CM_NO_ID)
    return 0;
  *excl = e;
  if (ev->dx[0] != CM_NO_ID)
    x = s->info[ev->dx[0]].pdx_excl;
  /* exactly has_complication's test */
  return (x == CM_NO_ID || e != x) ? 1 : 2;
}
