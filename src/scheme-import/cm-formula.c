/* cm-formula.c — condition trees: parsing and printing the flat-scheme
 * condition language and the DRG 3.0 workbook's formula language.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "cm-formula.h"

G_DEFINE_QUARK (cm-fx-error-quark, cm_fx_error)

/* Deepest nesting accepted (as the grouper's CM_MAX_COND_DEPTH). */
#define MAX_DEPTH 64

void
cm_fx_free (CmFx *fx)
{
  if (fx == NULL)
    return;
  g_free (fx->name);
  g_free (fx->arg);
  if (fx->kids)
    g_ptr_array_unref (fx->kids);
  g_free (fx);
}

static CmFx *
fx_new (CmFxKind kind)
{
  CmFx *fx = g_new0 (CmFx, 1);
  fx->kind = kind;
  if (kind == CM_FX_ALL || kind == CM_FX_ANY || kind == CM_FX_NOT
      || kind == CM_FX_AT_LEAST)
    fx->kids = g_ptr_array_new_with_free_func ((GDestroyNotify) cm_fx_free);
  return fx;
}

static CmFx *
fx_in (const char *pred, const char *list)
{
  CmFx *fx = fx_new (CM_FX_IN);
  fx->name = g_strdup (pred);
  fx->arg = g_strdup (list);
  return fx;
}

static const char *const predicates[] = {
  "pdx_in", "sdx_any_in", "dx_any_in", "ppx_in", "px_any_in", "spx_any_in",
  "sex_in", "dept_in", "discharge_in", NULL
};

static gboolean
is_predicate (const char *s)
{
  for (guint i = 0; predicates[i]; i++)
    if (strcmp (predicates[i], s) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_list_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '.';
}

/* ------------------------------------------------------------------ */
/* the flat-scheme condition language (FORMAT.md §4) */

typedef struct {
  const char *text;
  const char *p;
} CondParser;

static gboolean
cond_error (CondParser *cp, GError **error, const char *what)
{
  g_set_error (error, CM_FX_ERROR, CM_FX_ERROR_SYNTAX, "%s at character %ld",
               what, g_utf8_pointer_to_offset (cp->text, cp->p) + 1);
  return FALSE;
}

static void
cond_ws (CondParser *cp)
{
  while (*cp->p == ' ' || *cp->p == '\t')
    cp->p++;
}

static char *
cond_ident (CondParser *cp)
{
  const char *s;
  cond_ws (cp);
  s = cp->p;
  if (!(g_ascii_isalpha (*s) || *s == '_'))
    return NULL;
  while (g_ascii_isalnum (*cp->p) || *cp->p == '_' || *cp->p == '.')
    cp->p++;
  return g_strndup (s, (gsize) (cp->p - s));
}

static char *
cond_list_id (CondParser *cp)
{
  const char *s;
  cond_ws (cp);
  s = cp->p;
  while (is_list_char (*cp->p))
    cp->p++;
  return cp->p > s ? g_strndup (s, (gsize) (cp->p - s)) : NULL;
}

static gboolean
cond_expect (CondParser *cp, char c, GError **error)
{
  char what[32];
  cond_ws (cp);
  if (*cp->p == c)
    {
      cp->p++;
      return TRUE;
    }
  g_snprintf (what, sizeof what, "expected '%c'", c);
  return cond_error (cp, error, what);
}

static gboolean
cond_int (CondParser *cp, gint64 *out, GError **error)
{
  const char *s;
  char *end = NULL;
  cond_ws (cp);
  s = cp->p;
  if (*cp->p == '-')
    cp->p++;
  if (!g_ascii_isdigit (*cp->p))
    {
      cp->p = s;
      return cond_error (cp, error, "expected an integer");
    }
  while (g_ascii_isdigit (*cp->p))
    cp->p++;
  *out = g_ascii_strtoll (s, &end, 10);
  return TRUE;
}

static gboolean
cond_op (CondParser *cp, char op[3], GError **error)
{
  static const char *const ops[] = { "<=", ">=", "!=", "<", ">", "=", NULL };
  cond_ws (cp);
  for (guint i = 0; ops[i]; i++)
    if (g_str_has_prefix (cp->p, ops[i]))
      {
        g_strlcpy (op, ops[i], 3);
        cp->p += strlen (ops[i]);
        return TRUE;
      }
  return cond_error (cp, error, "expected a comparison operator");
}

static CmFx *cond_expr (CondParser *cp, guint depth, GError **error);

static CmFx *
cond_expr (CondParser *cp, guint depth, GError **error)
{
  g_autofree char *id = NULL;
  g_autoptr (CmFx) fx = NULL;
  const char *at;

  if (depth > MAX_DEPTH)
    return cond_error (cp, error, "nested too deeply"), NULL;
  cond_ws (cp);
  at = cp->p;
  id = cond_ident (cp);
  if (id == NULL)
    return cond_error (cp, error, "expected a condition"), NULL;
  cond_ws (cp);
  if (*cp->p != '(')
    {
      if (strcmp (id, "true") == 0)
        return fx_new (CM_FX_TRUE);
      if (strcmp (id, "false") == 0)
        return fx_new (CM_FX_FALSE);
      if (strcmp (id, "has_mcc") == 0)
        return fx_new (CM_FX_HAS_MCC);
      if (strcmp (id, "has_cc") == 0)
        return fx_new (CM_FX_HAS_CC);
      /* FIELD OP (INT | STRING) */
      fx = fx_new (CM_FX_CMP);
      fx->name = g_steal_pointer (&id);
      if (!cond_op (cp, fx->op, error))
        return NULL;
      cond_ws (cp);
      if (*cp->p == '"')
        {
          const char *s = ++cp->p;
          while (*cp->p && *cp->p != '"')
            cp->p++;
          if (*cp->p != '"')
            return cond_error (cp, error, "unterminated string"), NULL;
          fx->kind = CM_FX_CMP_STR;
          fx->arg = g_strndup (s, (gsize) (cp->p - s));
          cp->p++;
          if (strcmp (fx->op, "=") != 0 && strcmp (fx->op, "!=") != 0)
            {
              cp->p = at;
              return cond_error (cp, error, "a text comparison takes = or !="), NULL;
            }
        }
      else if (!cond_int (cp, &fx->num, error))
        return NULL;
      return g_steal_pointer (&fx);
    }
  cp->p++;  /* '(' */
  if (strcmp (id, "all") == 0 || strcmp (id, "any") == 0
      || strcmp (id, "not") == 0 || strcmp (id, "at_least") == 0)
    {
      fx = fx_new (id[1] == 'l' ? CM_FX_ALL : id[1] == 'n' ? CM_FX_ANY
                   : id[0] == 'n' ? CM_FX_NOT : CM_FX_AT_LEAST);
      if (fx->kind == CM_FX_AT_LEAST)
        {
          if (!cond_int (cp, &fx->num, error) || !cond_expect (cp, ',', error))
            return NULL;
        }
      for (;;)
        {
          CmFx *kid = cond_expr (cp, depth + 1, error);
          if (kid == NULL)
            return NULL;
          g_ptr_array_add (fx->kids, kid);
          cond_ws (cp);
          if (*cp->p == ',')
            {
              cp->p++;
              continue;
            }
          if (!cond_expect (cp, ')', error))
            return NULL;
          break;
        }
      if (fx->kind == CM_FX_NOT && fx->kids->len != 1)
        {
          cp->p = at;
          return cond_error (cp, error, "not() takes one condition"), NULL;
        }
      return g_steal_pointer (&fx);
    }
  if (strcmp (id, "known") == 0)
    {
      fx = fx_new (CM_FX_KNOWN);
      fx->name = cond_ident (cp);
      if (fx->name == NULL)
        return cond_error (cp, error, "expected a field name"), NULL;
      if (!cond_expect (cp, ')', error))
        return NULL;
      return g_steal_pointer (&fx);
    }
  if (strcmp (id, "px_count_in") == 0 || is_predicate (id))
    {
      gboolean count = strcmp (id, "px_count_in") == 0;
      fx = fx_new (count ? CM_FX_PX_COUNT : CM_FX_IN);
      fx->arg = cond_list_id (cp);
      if (fx->arg == NULL)
        return cond_error (cp, error, "expected a list id"), NULL;
      if (!cond_expect (cp, ')', error))
        return NULL;
      if (count && (!cond_op (cp, fx->op, error) || !cond_int (cp, &fx->num, error)))
        return NULL;
      if (!count)
        fx->name = g_steal_pointer (&id);
      return g_steal_pointer (&fx);
    }
  cp->p = at;
  return cond_error (cp, error, "unknown function"), NULL;
}

CmFx *
cm_fx_parse_condition (const char *text, GError **error)
{
  CondParser cp = { text, text };
  g_autoptr (CmFx) fx = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  fx = cond_expr (&cp, 0, error);
  if (fx == NULL)
    return NULL;
  cond_ws (&cp);
  if (*cp.p != '\0')
    return cond_error (&cp, error, "unexpected text after the condition"), NULL;
  return g_steal_pointer (&fx);
}

static void
render_cond (const CmFx *fx, GString *out)
{
  switch (fx->kind)
    {
    case CM_FX_TRUE: g_string_append (out, "true"); break;
    case CM_FX_FALSE: g_string_append (out, "false"); break;
    case CM_FX_HAS_MCC: g_string_append (out, "has_mcc"); break;
    case CM_FX_HAS_CC: g_string_append (out, "has_cc"); break;
    case CM_FX_ALL:
    case CM_FX_ANY:
    case CM_FX_NOT:
    case CM_FX_AT_LEAST:
      g_string_append (out, fx->kind == CM_FX_ALL ? "all(" : fx->kind == CM_FX_ANY ? "any("
                            : fx->kind == CM_FX_NOT ? "not(" : "at_least(");
      if (fx->kind == CM_FX_AT_LEAST)
        g_string_append_printf (out, "%" G_GINT64_FORMAT ", ", fx->num);
      for (guint i = 0; i < fx->kids->len; i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          render_cond (fx->kids->pdata[i], out);
        }
      g_string_append_c (out, ')');
      break;
    case CM_FX_KNOWN:
      g_string_append_printf (out, "known(%s)", fx->name);
      break;
    case CM_FX_IN:
      g_string_append_printf (out, "%s(%s)", fx->name, fx->arg);
      break;
    case CM_FX_CMP:
      g_string_append_printf (out, "%s %s %" G_GINT64_FORMAT, fx->name, fx->op, fx->num);
      break;
    case CM_FX_CMP_STR:
      g_string_append_printf (out, "%s %s \"%s\"", fx->name, fx->op, fx->arg);
      break;
    case CM_FX_PX_COUNT:
      g_string_append_printf (out, "px_count_in(%s) %s %" G_GINT64_FORMAT, fx->arg,
                              fx->op, fx->num);
      break;
    default:
      g_assert_not_reached ();
    }
}

char *
cm_fx_render_condition (const CmFx *fx)
{
  GString *out = g_string_new (NULL);
  g_return_val_if_fail (fx != NULL, NULL);
  render_cond (fx, out);
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ */
/* the workbook formula language */

typedef enum {
  T_END, T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE, T_COMMA, T_CAP,
  T_OP, T_NUMBER, T_STRING, T_WORD,
} TokType;

typedef struct {
  TokType type;
  char *text;   /* T_OP (canonical), T_NUMBER, T_STRING, T_WORD */
  glong pos;    /* 1-based character position */
} Tok;

typedef struct {
  GArray *toks;  /* Tok */
  guint i;
  const char *src;
} FormParser;

static void
tok_clear (gpointer p)
{
  g_free (((Tok *) p)->text);
}

static gboolean
form_error_at (GError **error, glong pos, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
form_error_at (GError **error, glong pos, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, CM_FX_ERROR, CM_FX_ERROR_SYNTAX, "%s at character %ld",
               msg, pos);
  return FALSE;
}

static gboolean
is_space_char (gunichar c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xA0
         || c == 0x3000 || c == 0xFEFF;
}

static gboolean
tokenize (const char *text, GArray *toks, GError **error)
{
  const char *p = text;
  glong pos = 1;

  while (*p)
    {
      gunichar c = g_utf8_get_char (p);
      const char *next = g_utf8_next_char (p);
      Tok t = { T_END, NULL, pos };

      if (is_space_char (c))
        {
          p = next;
          pos++;
          continue;
        }
      if (c == '(' || c == 0xFF08)
        t.type = T_LPAREN;
      else if (c == ')' || c == 0xFF09)
        t.type = T_RPAREN;
      else if (c == '{' || c == 0xFF5B)
        t.type = T_LBRACE;
      else if (c == '}' || c == 0xFF5D)
        t.type = T_RBRACE;
      else if (c == ',' || c == 0xFF0C)
        t.type = T_COMMA;
      else if (c == 0x2229)  /* ∩ */
        t.type = T_CAP;
      else if (c == 0x2265 || c == 0x2264 || c == 0x2260)  /* ≥ ≤ ≠ */
        {
          t.type = T_OP;
          t.text = g_strdup (c == 0x2265 ? ">=" : c == 0x2264 ? "<=" : "!=");
        }
      else if (c == '<' || c == '>' || c == '=' || c == '!' || c == 0xFF1C
               || c == 0xFF1E || c == 0xFF1D)
        {
          char a = c == 0xFF1C ? '<' : c == 0xFF1E ? '>' : c == 0xFF1D ? '=' : (char) c;
          gunichar d = *next ? g_utf8_get_char (next) : 0;
          char b = d == '=' || d == 0xFF1D ? '=' : d == '>' || d == 0xFF1E ? '>' : 0;
          t.type = T_OP;
          if (a == '<' && b == '>')
            t.text = g_strdup ("!=");
          else if (b == '=' && a != '=')
            t.text = g_strdup_printf ("%c=", a);
          else if (a == '=' && b == '=')
            t.text = g_strdup ("=");
          else if (a == '!')
            {
              g_array_append_val (toks, t);
              return form_error_at (error, pos, "'!' must be followed by '='");
            }
          else
            t.text = g_strdup_printf ("%c", a);
          if (b == '=' || (a == '<' && b == '>'))
            {
              next = g_utf8_next_char (next);
              pos++;
            }
        }
      else if (c == '"' || c == 0x201C)
        {
          const char *s = next;
          gunichar close = c == '"' ? '"' : 0x201D;
          glong start = pos;
          while (*next && g_utf8_get_char (next) != close)
            {
              next = g_utf8_next_char (next);
              pos++;
            }
          if (*next == '\0')
            return form_error_at (error, start, "unterminated string");
          t.type = T_STRING;
          t.text = g_strndup (s, (gsize) (next - s));
          next = g_utf8_next_char (next);
          pos++;
        }
      else if ((c == '-' && g_ascii_isdigit (*next)) || (c < 128 && is_list_char ((char) c)))
        {
          const char *s = p;
          gboolean digits = TRUE;
          if (c == '-')
            next = p + 1;
          else
            next = p;
          while (is_list_char (*next))
            {
              if (!g_ascii_isdigit (*next))
                digits = FALSE;
              next++;
            }
          pos += (glong) (next - s) - 1;
          t.type = digits ? T_NUMBER : T_WORD;
          t.text = g_strndup (s, (gsize) (next - s));
          if (c == '-' && !digits)
            {
              g_free (t.text);
              return form_error_at (error, t.pos, "a number was expected after '-'");
            }
        }
      else
        {
          char u[8] = { 0 };
          g_unichar_to_utf8 (c, u);
          return form_error_at (error, pos, "unexpected character '%s'", u);
        }
      g_array_append_val (toks, t);
      p = next;
      pos++;
    }
  {
    Tok end = { T_END, NULL, pos };
    g_array_append_val (toks, end);
  }
  return TRUE;
}

static Tok *
peek (FormParser *fp)
{
  return &g_array_index (fp->toks, Tok, fp->i);
}

static Tok *
peek2 (FormParser *fp)
{
  guint j = MIN (fp->i + 1, fp->toks->len - 1);
  return &g_array_index (fp->toks, Tok, j);
}

static gboolean
is_word (const Tok *t, const char *w)
{
  return t->type == T_WORD && g_ascii_strcasecmp (t->text, w) == 0;
}

static const char *
describe (const Tok *t)
{
  switch (t->type)
    {
    case T_END: return "the end of the formula";
    case T_LPAREN: return "'('";
    case T_RPAREN: return "')'";
    case T_LBRACE: return "'{'";
    case T_RBRACE: return "'}'";
    case T_COMMA: return "','";
    case T_CAP: return "'∩'";
    default: return t->text;
    }
}

/* The workbook's variables. */
typedef enum { V_NONE, V_ZYZD, V_QTZD, V_ZYSS, V_QTSS, V_NL, V_XSRTL, V_XSRTZ, V_XB } Var;

static Var
word_var (const Tok *t)
{
  static const char *const names[] = { "", "ZYZD", "QTZD", "ZYSS", "QTSS", "NL",
                                       "XSRTL", "XSRTZ", "XB" };
  if (t->type != T_WORD)
    return V_NONE;
  for (guint i = 1; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (t->text, names[i]) == 0)
      return (Var) i;
  return V_NONE;
}

static CmFx *form_or (FormParser *fp, guint depth, GError **error);

static gboolean
valid_set_id (const char *s)
{
  if (!g_ascii_isalpha (*s) && *s != '_')
    return FALSE;
  for (; *s; s++)
    if (!is_list_char (*s))
      return FALSE;
  return TRUE;
}

/* One membership atom: the variables of the target (a bit set of Var) in
 * set @set. */
static CmFx *
member_atom (guint vars, const Tok *set, GError **error)
{
  gboolean mcc = strcmp (set->text, "MCC") == 0, cc = strcmp (set->text, "CC") == 0;
  const char *pred = NULL;

  if (mcc || cc)
    {
      if (vars != (1u << V_QTZD))
        return form_error_at (error, set->pos,
                              "%s is tested against QTZD only", set->text), NULL;
      return fx_new (mcc ? CM_FX_HAS_MCC : CM_FX_HAS_CC);
    }
  if (vars == (1u << V_ZYZD))
    pred = "pdx_in";
  else if (vars == (1u << V_QTZD))
    pred = "sdx_any_in";
  else if (vars == (1u << V_ZYSS))
    pred = "ppx_in";
  else if (vars == (1u << V_QTSS))
    pred = "spx_any_in";
  else if (vars == ((1u << V_ZYZD) | (1u << V_QTZD)))
    pred = "dx_any_in";
  else if (vars == ((1u << V_ZYSS) | (1u << V_QTSS)))
    pred = "px_any_in";
  else
    return form_error_at (error, set->pos,
                          "this combination of variables cannot be tested "
                          "against a set (use {ZYZD, QTZD} or {ZYSS, QTSS})"), NULL;
  return fx_in (pred, set->text);
}

/* target [not] in SET | {SET, …} */
static CmFx *
form_member (FormParser *fp, guint vars, glong at, GError **error)
{
  gboolean negated = FALSE;
  g_autoptr (GPtrArray) atoms = g_ptr_array_new_with_free_func ((GDestroyNotify) cm_fx_free);
  CmFx *fx;

  if (is_word (peek (fp), "not"))
    {
      negated = TRUE;
      fp->i++;
    }
  if (!is_word (peek (fp), "in"))
    return form_error_at (error, peek (fp)->pos, "expected 'in' but found %s",
                          describe (peek (fp))), NULL;
  fp->i++;
  if (peek (fp)->type == T_LBRACE)
    {
      fp->i++;
      for (;;)
        {
          Tok *s = peek (fp);
          CmFx *a;
          if (s->type != T_WORD || !valid_set_id (s->text))
            return form_error_at (error, s->pos, "expected a set name but found %s",
                                  describe (s)), NULL;
          fp->i++;
          a = member_atom (vars, s, error);
          if (a == NULL)
            return NULL;
          g_ptr_array_add (atoms, a);
          if (peek (fp)->type == T_COMMA)
            {
              fp->i++;
              continue;
            }
          if (peek (fp)->type != T_RBRACE)
            return form_error_at (error, peek (fp)->pos, "expected ',' or '}' but found %s",
                                  describe (peek (fp))), NULL;
          fp->i++;
          break;
        }
    }
  else
    {
      Tok *s = peek (fp);
      CmFx *a;
      if (s->type != T_WORD || !valid_set_id (s->text))
        return form_error_at (error, s->pos, "expected a set name but found %s",
                              describe (s)), NULL;
      fp->i++;
      a = member_atom (vars, s, error);
      if (a == NULL)
        return NULL;
      g_ptr_array_add (atoms, a);
    }
  if (atoms->len == 1)
    fx = g_ptr_array_steal_index (atoms, 0);
  else
    {
      fx = fx_new (CM_FX_ANY);
      while (atoms->len > 0)
        g_ptr_array_add (fx->kids, g_ptr_array_steal_index (atoms, 0));
    }
  (void) at;
  if (negated)
    {
      CmFx *n = fx_new (CM_FX_NOT);
      g_ptr_array_add (n->kids, fx);
      fx = n;
    }
  return fx;
}

static gboolean
form_number (FormParser *fp, gint64 *out, GError **error)
{
  Tok *t = peek (fp);
  char *end = NULL;
  if (t->type != T_NUMBER)
    return form_error_at (error, t->pos, "expected a whole number but found %s",
                          describe (t));
  *out = g_ascii_strtoll (t->text, &end, 10);
  fp->i++;
  return TRUE;
}

static CmFx *
form_primary (FormParser *fp, guint depth, GError **error)
{
  Tok *t = peek (fp);
  Var v;

  if (depth > MAX_DEPTH)
    return form_error_at (error, t->pos, "nested too deeply"), NULL;
  if (t->type == T_LPAREN)
    {
      CmFx *e;
      fp->i++;
      e = form_or (fp, depth + 1, error);
      if (e == NULL)
        return NULL;
      if (peek (fp)->type != T_RPAREN)
        {
          form_error_at (error, peek (fp)->pos, "expected ')' but found %s",
                         describe (peek (fp)));
          cm_fx_free (e);
          return NULL;
        }
      fp->i++;
      return e;
    }
  if (t->type == T_NUMBER && (strcmp (t->text, "1") == 0 || strcmp (t->text, "0") == 0)
      && peek2 (fp)->type != T_OP)
    {
      fp->i++;
      return fx_new (t->text[0] == '1' ? CM_FX_TRUE : CM_FX_FALSE);
    }
  if (t->type == T_LBRACE)
    {
      guint vars = 0;
      glong at = t->pos;
      fp->i++;
      for (;;)
        {
          Tok *w = peek (fp);
          Var x = word_var (w);
          if (x != V_ZYZD && x != V_QTZD && x != V_ZYSS && x != V_QTSS)
            return form_error_at (error, w->pos,
                                  "expected ZYZD, QTZD, ZYSS or QTSS but found %s",
                                  describe (w)), NULL;
          vars |= 1u << x;
          fp->i++;
          if (peek (fp)->type == T_COMMA)
            {
              fp->i++;
              continue;
            }
          if (peek (fp)->type != T_RBRACE)
            return form_error_at (error, peek (fp)->pos, "expected ',' or '}' but found %s",
                                  describe (peek (fp))), NULL;
          fp->i++;
          break;
        }
      return form_member (fp, vars, at, error);
    }
  if (is_word (t, "length") && peek2 (fp)->type == T_LPAREN)
    {
      /* length(S ∩ {ZYSS, QTSS}) op n, either operand order */
      g_autoptr (CmFx) fx = fx_new (CM_FX_PX_COUNT);
      gboolean saw_set = FALSE, saw_target = FALSE;
      fp->i += 2;
      for (guint side = 0; side < 2; side++)
        {
          Tok *w = peek (fp);
          if (side == 1)
            {
              if (w->type != T_CAP)
                return form_error_at (error, w->pos, "expected '∩' but found %s",
                                      describe (w)), NULL;
              fp->i++;
              w = peek (fp);
            }
          if (w->type == T_LBRACE && !saw_target)
            {
              guint vars = 0;
              fp->i++;
              for (;;)
                {
                  Tok *x = peek (fp);
                  Var vx = word_var (x);
                  if (vx != V_ZYSS && vx != V_QTSS)
                    return form_error_at (error, x->pos,
                                          "length() counts procedures: expected ZYSS or QTSS but found %s",
                                          describe (x)), NULL;
                  vars |= 1u << vx;
                  fp->i++;
                  if (peek (fp)->type == T_COMMA)
                    {
                      fp->i++;
                      continue;
                    }
                  if (peek (fp)->type != T_RBRACE)
                    return form_error_at (error, peek (fp)->pos,
                                          "expected ',' or '}' but found %s",
                                          describe (peek (fp))), NULL;
                  fp->i++;
                  break;
                }
              if (vars != ((1u << V_ZYSS) | (1u << V_QTSS)))
                return form_error_at (error, w->pos,
                                      "length() needs {ZYSS, QTSS}: all procedures"), NULL;
              saw_target = TRUE;
            }
          else if (w->type == T_WORD && valid_set_id (w->text) && word_var (w) == V_NONE
                   && !saw_set)
            {
              fx->arg = g_strdup (w->text);
              fp->i++;
              saw_set = TRUE;
            }
          else
            return form_error_at (error, w->pos,
                                  "expected a set name or {ZYSS, QTSS} but found %s",
                                  describe (w)), NULL;
        }
      if (peek (fp)->type != T_RPAREN)
        return form_error_at (error, peek (fp)->pos, "expected ')' but found %s",
                              describe (peek (fp))), NULL;
      fp->i++;
      if (peek (fp)->type != T_OP)
        return form_error_at (error, peek (fp)->pos,
                              "expected a comparison after length(…) but found %s",
                              describe (peek (fp))), NULL;
      g_strlcpy (fx->op, peek (fp)->text, sizeof fx->op);
      fp->i++;
      if (!form_number (fp, &fx->num, error))
        return NULL;
      return g_steal_pointer (&fx);
    }
  v = word_var (t);
  switch (v)
    {
    case V_ZYZD:
    case V_QTZD:
    case V_ZYSS:
    case V_QTSS:
      fp->i++;
      return form_member (fp, 1u << v, t->pos, error);
    case V_NL:
    case V_XSRTL:
    case V_XSRTZ:
      {
        g_autoptr (CmFx) fx = fx_new (CM_FX_CMP);
        fp->i++;
        fx->name = g_strdup (v == V_NL ? "age_years" : v == V_XSRTL ? "age_days" : "weight_g");
        if (peek (fp)->type != T_OP)
          return form_error_at (error, peek (fp)->pos,
                                "expected a comparison after %s but found %s", t->text,
                                describe (peek (fp))), NULL;
        g_strlcpy (fx->op, peek (fp)->text, sizeof fx->op);
        fp->i++;
        if (!form_number (fp, &fx->num, error))
          return NULL;
        return g_steal_pointer (&fx);
      }
    case V_XB:
      {
        g_autoptr (CmFx) fx = fx_new (CM_FX_CMP_STR);
        Tok *op, *val;
        fp->i++;
        op = peek (fp);
        if (op->type != T_OP || (strcmp (op->text, "=") != 0 && strcmp (op->text, "!=") != 0))
          return form_error_at (error, op->pos, "XB is compared with = or != only"), NULL;
        fp->i++;
        val = peek (fp);
        if (val->type != T_NUMBER && val->type != T_STRING)
          return form_error_at (error, val->pos, "expected a sex code but found %s",
                                describe (val)), NULL;
        if (val->type == T_STRING && strchr (val->text, '"') != NULL)
          return form_error_at (error, val->pos, "a sex code cannot hold '\"'"), NULL;
        fp->i++;
        fx->name = g_strdup ("sex");
        g_strlcpy (fx->op, op->text, sizeof fx->op);
        fx->arg = g_strdup (val->text);
        return g_steal_pointer (&fx);
      }
    case V_NONE:
    default:
      break;
    }
  if (t->type == T_END)
    return form_error_at (error, t->pos, "the formula ends too early"), NULL;
  if (is_word (t, "and") || is_word (t, "or") || is_word (t, "in"))
    return form_error_at (error, t->pos, "expected a condition but found '%s'", t->text), NULL;
  if (t->type == T_WORD)
    return form_error_at (error, t->pos,
                          "unknown name '%s' (expected ZYZD, QTZD, ZYSS, QTSS, "
                          "NL, XSRTL, XSRTZ, XB, length or 1)", t->text), NULL;
  return form_error_at (error, t->pos, "unexpected %s", describe (t)), NULL;
}

static CmFx *
form_unary (FormParser *fp, guint depth, GError **error)
{
  if (is_word (peek (fp), "not") && !is_word (peek2 (fp), "in"))
    {
      CmFx *n, *k;
      fp->i++;
      k = form_unary (fp, depth + 1, error);
      if (k == NULL)
        return NULL;
      n = fx_new (CM_FX_NOT);
      g_ptr_array_add (n->kids, k);
      return n;
    }
  return form_primary (fp, depth, error);
}

static CmFx *
form_chain (FormParser *fp, guint depth, const char *word, GError **error)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) cm_fx_free);
  gboolean and = strcmp (word, "and") == 0;
  CmFx *fx;

  for (;;)
    {
      CmFx *e = and ? form_unary (fp, depth, error) : form_chain (fp, depth, "and", error);
      if (e == NULL)
        return NULL;
      g_ptr_array_add (items, e);
      if (!is_word (peek (fp), word))
        break;
      fp->i++;
    }
  if (items->len == 1)
    return g_ptr_array_steal_index (items, 0);
  fx = fx_new (and ? CM_FX_ALL : CM_FX_ANY);
  while (items->len > 0)
    g_ptr_array_add (fx->kids, g_ptr_array_steal_index (items, 0));
  return fx;
}

static CmFx *
form_or (FormParser *fp, guint depth, GError **error)
{
  return form_chain (fp, depth, "or", error);
}

CmFx *
cm_fx_parse_formula (const char *text, GError **error)
{
  g_autoptr (GArray) toks = g_array_new (FALSE, TRUE, sizeof (Tok));
  FormParser fp = { toks, 0, text };
  g_autoptr (CmFx) fx = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_array_set_clear_func (toks, tok_clear);
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, CM_FX_ERROR, CM_FX_ERROR_SYNTAX, "the formula is not valid UTF-8");
      return NULL;
    }
  if (!tokenize (text, toks, error))
    return NULL;
  if (peek (&fp)->type == T_END)
    {
      g_set_error (error, CM_FX_ERROR, CM_FX_ERROR_SYNTAX, "the formula is empty");
      return NULL;
    }
  fx = form_or (&fp, 0, error);
  if (fx == NULL)
    return NULL;
  if (peek (&fp)->type != T_END)
    return form_error_at (error, peek (&fp)->pos, "unexpected %s after a complete formula%s",
                          describe (peek (&fp)),
                          peek (&fp)->type == T_WORD ? " (missing 'and' or 'or'?)" : ""),
           NULL;
  return g_steal_pointer (&fx);
}

/* ------------------------------------------------------------------ */
/* printing formulas */

/* The workbook target of a membership atom, or NULL. */
static const char *
member_target (const CmFx *fx, const char **set)
{
  static const char *const map[][2] = {
    { "pdx_in", "ZYZD" }, { "sdx_any_in", "QTZD" }, { "ppx_in", "ZYSS" },
    { "spx_any_in", "QTSS" }, { "px_any_in", "{ZYSS, QTSS}" },
    { "dx_any_in", "{ZYZD, QTZD}" },
  };
  if (fx->kind == CM_FX_HAS_MCC || fx->kind == CM_FX_HAS_CC)
    {
      *set = fx->kind == CM_FX_HAS_MCC ? "MCC" : "CC";
      return "QTZD";
    }
  if (fx->kind != CM_FX_IN)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (strcmp (fx->name, map[i][0]) == 0)
      {
        *set = fx->arg;
        return map[i][1];
      }
  return NULL;
}

/* TRUE when every kid of @fx is a membership atom of one target. */
static const char *
common_target (const CmFx *fx)
{
  const char *target = NULL, *set;
  if (fx->kind != CM_FX_ANY || fx->kids->len < 2)
    return NULL;
  for (guint i = 0; i < fx->kids->len; i++)
    {
      const char *t = member_target (fx->kids->pdata[i], &set);
      if (t == NULL || (target != NULL && strcmp (t, target) != 0))
        return NULL;
      target = t;
    }
  return target;
}

static gboolean
unsupported (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
unsupported (GError **error, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, CM_FX_ERROR, CM_FX_ERROR_UNSUPPORTED, msg);
  return FALSE;
}

static gboolean render_form (const CmFx *fx, GString *out, GError **error);

static gboolean
render_set_list (const CmFx *any, GString *out, GError **error)
{
  g_string_append_c (out, '{');
  for (guint i = 0; i < any->kids->len; i++)
    {
      const char *set = "";
      /* every kid is a membership atom (common_target checked it) */
      member_target (any->kids->pdata[i], &set);
      if (i > 0)
        g_string_append (out, ", ");
      g_string_append (out, set);
    }
  g_string_append_c (out, '}');
  return TRUE;
}

static gboolean
check_set_name (const CmFx *fx, GError **error)
{
  if (fx->kind == CM_FX_IN
      && (strcmp (fx->arg, "MCC") == 0 || strcmp (fx->arg, "CC") == 0))
    return unsupported (error, "list %s clashes with the workbook's MCC/CC tables", fx->arg);
  return TRUE;
}

static gboolean
render_form (const CmFx *fx, GString *out, GError **error)
{
  const char *target, *set;

  switch (fx->kind)
    {
    case CM_FX_TRUE:
      g_string_append_c (out, '1');
      return TRUE;
    case CM_FX_FALSE:
      g_string_append_c (out, '0');
      return TRUE;
    case CM_FX_HAS_MCC:
    case CM_FX_HAS_CC:
    case CM_FX_IN:
      target = member_target (fx, &set);
      if (target == NULL)
        return unsupported (error, "%s() has no workbook formula", fx->name);
      if (!check_set_name (fx, error))
        return FALSE;
      g_string_append_printf (out, "%s in %s", target, set);
      return TRUE;
    case CM_FX_NOT:
      {
        const CmFx *k = fx->kids->pdata[0];
        target = member_target (k, &set);
        if (target != NULL)
          {
            if (!check_set_name (k, error))
              return FALSE;
            g_string_append_printf (out, "%s not in %s", target, set);
            return TRUE;
          }
        target = common_target (k);
        if (target != NULL)
          {
            for (guint i = 0; i < k->kids->len; i++)
              if (!check_set_name (k->kids->pdata[i], error))
                return FALSE;
            g_string_append_printf (out, "%s not in ", target);
            return render_set_list (k, out, error);
          }
        g_string_append (out, "not (");
        if (!render_form (k, out, error))
          return FALSE;
        g_string_append_c (out, ')');
        return TRUE;
      }
    case CM_FX_ALL:
    case CM_FX_ANY:
      if (fx->kids->len < 2)
        return unsupported (error, "%s() of one condition has no workbook formula",
                            fx->kind == CM_FX_ALL ? "all" : "any");
      target = common_target (fx);
      if (target != NULL)
        {
          for (guint i = 0; i < fx->kids->len; i++)
            if (!check_set_name (fx->kids->pdata[i], error))
              return FALSE;
          g_string_append_printf (out, "%s in ", target);
          return render_set_list (fx, out, error);
        }
      for (guint i = 0; i < fx->kids->len; i++)
        {
          const CmFx *k = fx->kids->pdata[i];
          /* a chain inside a chain needs brackets; "X in {S1, S2}" does not */
          gboolean paren = (k->kind == CM_FX_ALL || k->kind == CM_FX_ANY)
                           && common_target (k) == NULL;
          if (i > 0)
            g_string_append (out, fx->kind == CM_FX_ALL ? " and " : " or ");
          if (paren)
            g_string_append_c (out, '(');
          if (!render_form (k, out, error))
            return FALSE;
          if (paren)
            g_string_append_c (out, ')');
        }
      return TRUE;
    case CM_FX_CMP:
      {
        const char *var = strcmp (fx->name, "age_years") == 0 ? "NL"
                          : strcmp (fx->name, "age_days") == 0 ? "XSRTL"
                          : strcmp (fx->name, "weight_g") == 0 ? "XSRTZ" : NULL;
        if (var == NULL)
          return unsupported (error, "the workbook formulas have no variable for %s",
                              fx->name);
        g_string_append_printf (out, "%s%s%" G_GINT64_FORMAT, var, fx->op, fx->num);
        return TRUE;
      }
    case CM_FX_CMP_STR:
      {
        gboolean digits = fx->arg[0] != '\0';
        if (strcmp (fx->name, "sex") != 0)
          return unsupported (error, "the workbook formulas have no variable for %s",
                              fx->name);
        for (const char *p = fx->arg; *p; p++)
          if (!g_ascii_isdigit (*p))
            digits = FALSE;
        if (digits)
          g_string_append_printf (out, "XB %s %s", fx->op, fx->arg);
        else
          g_string_append_printf (out, "XB %s \"%s\"", fx->op, fx->arg);
        return TRUE;
      }
    case CM_FX_PX_COUNT:
      if (strcmp (fx->arg, "MCC") == 0 || strcmp (fx->arg, "CC") == 0)
        return unsupported (error, "list %s clashes with the workbook's MCC/CC tables", fx->arg);
      g_string_append_printf (out, "length(%s ∩ {ZYSS, QTSS})%s%" G_GINT64_FORMAT,
                              fx->arg, fx->op, fx->num);
      return TRUE;
    case CM_FX_AT_LEAST:
      return unsupported (error, "at_least() has no workbook formula");
    case CM_FX_KNOWN:
      return unsupported (error, "known() has no workbook formula");
    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

char *
cm_fx_render_formula (const CmFx *fx, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_return_val_if_fail (fx != NULL, NULL);
  if (!render_form (fx, out, error))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

void
cm_fx_collect_lists (const CmFx *fx, GHashTable *lists)
{
  g_return_if_fail (fx != NULL && lists != NULL);
  if (fx->kind == CM_FX_IN || fx->kind == CM_FX_PX_COUNT)
    g_hash_table_add (lists, fx->arg);
  if (fx->kids)
    for (guint i = 0; i < fx->kids->len; i++)
      cm_fx_collect_lists (fx->kids->pdata[i], lists);
}
