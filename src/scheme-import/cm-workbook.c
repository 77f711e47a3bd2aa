/* cm-workbook.c — workbook → flat scheme (import) and flat scheme →
 * workbook (export) for the NHSA DRG 3.0 configuration workbook.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Import, in order: find the six sheets and their columns; read MDC, ADRG
 * and DRG rows, translating every formula (cm-formula.h) and remembering
 * where each set is used; read 集合, CC and 排除表; check that every set a
 * formula names exists; build every file in memory in the canonical order
 * of the shipped tables (below); write them to a staging folder next to the
 * output, load that folder with the grouper, and only then move it into
 * place.
 *
 * Canonical order (what makes folder → workbook → folder exact):
 *   mdc.tsv          by the MDC sheet's sort value (= mdc_order)
 *   adrg_rules.tsv   by mdc_order, then ADRG sheet row order (rule_order
 *                    1…n per MDC; the sort column is checked, not used:
 *                    the 2026-09-09 workbook's MDCO sort values disagree
 *                    with its row order, and row order is what NHSA meant)
 *   drg_splits.tsv   by mdc_order, rule_order, then DRG sort (= split_order)
 *   drg_names.tsv    DRG sheet row order
 *   adrg_names.tsv   by code; mdc_names.tsv by mdc_order
 *   lists.tsv        by set id, members in first-seen order (repeats dropped)
 *   list_info.tsv    by set id
 *   cc.tsv           MCC rows then CC rows, each by code
 *   cc_exclusion.tsv by principal diagnosis code
 * Byte order (strcmp) throughout. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include "cm-workbook.h"
#include "cm-xlsx.h"
#include "cm-formula.h"
#include "cm-scheme.h"

G_DEFINE_QUARK (cm-workbook-error-quark, cm_workbook_error)

#define EXTRACTOR "casemix " CM_VERSION " scheme import-workbook"
#define CASEMIX_SHEET "casemix"
#define README_SHEET "说明"

void
cm_workbook_summary_clear (CmWorkbookSummary *s)
{
  if (s == NULL)
    return;
  g_clear_pointer (&s->log, g_ptr_array_unref);
  memset (s, 0, sizeof *s);
}

static void
note (CmWorkbookSummary *s, const char *level, const char *file,
      const char *line, const char *format, ...) G_GNUC_PRINTF (5, 6);

static void
note (CmWorkbookSummary *s, const char *level, const char *file,
      const char *line, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_strdelimit (msg, "\t\r\n", ' ');
  if (strcmp (level, "warning") == 0)
    s->n_warnings++;
  g_ptr_array_add (s->log, g_strdup_printf ("%s\t%s\t%s\t%s", level, file, line, msg));
}

/* Trims Unicode white space (NBSP and the ideographic space included). */
static char *
trim_dup (const char *s)
{
  const char *b = s, *e = s + strlen (s);
  while (*b)
    {
      gunichar c = g_utf8_get_char (b);
      if (!g_unichar_isspace (c) && c != 0xFEFF)
        break;
      b = g_utf8_next_char (b);
    }
  while (e > b)
    {
      const char *p = g_utf8_find_prev_char (b, e);
      gunichar c;
      if (p == NULL)
        break;
      c = g_utf8_get_char (p);
      if (!g_unichar_isspace (c) && c != 0xFEFF)
        break;
      e = p;
    }
  return g_strndup (b, (gsize) (e - b));
}

static gboolean
is_list_id (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && *s != '_' && *s != '.')
      return FALSE;
  return TRUE;
}

static gboolean
all_zeros (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (*s != '0')
      return FALSE;
  return TRUE;
}

/* @s matches @pattern (one of the few constant patterns of this file; each
 * is compiled once and kept). */
static gboolean
matches (const char *s, const char *pattern)
{
  static GHashTable *cache;  /* pattern → GRegex, never freed */
  G_LOCK_DEFINE_STATIC (cache);
  GRegex *re;

  G_LOCK (cache);
  if (cache == NULL)
    cache = g_hash_table_new (g_str_hash, g_str_equal);
  re = g_hash_table_lookup (cache, pattern);
  if (re == NULL)
    {
      re = g_regex_new (pattern, 0, 0, NULL);
      g_assert (re != NULL);
      g_hash_table_insert (cache, (gpointer) pattern, re);
    }
  G_UNLOCK (cache);
  return g_regex_match (re, s, 0, NULL);
}

/* Splits @text (NUL-terminated at @len) in place at LF. No empty piece
 * follows a final LF. memchr, not strstr: a sanitizer's strstr measures the
 * whole rest of the text at every call. */
static GPtrArray *
split_lines (char *text, gsize len)
{
  GPtrArray *lines = g_ptr_array_new ();
  char *p = text, *end = text + len;
  while (p < end)
    {
      char *nl = memchr (p, '\n', (gsize) (end - p));
      if (nl == NULL)
        {
          g_ptr_array_add (lines, p);
          break;
        }
      *nl = '\0';
      g_ptr_array_add (lines, p);
      p = nl + 1;
    }
  return lines;
}

/* ------------------------------------------------------------------ */
/* sheet layouts */

enum { F_CODE, F_NAME, F_RULE, F_SORT, F_MDC, F_ADRG, F_SET, F_EXCL, F_TYPE, F_N };

static const char *const field_label[F_N] = {
  "code", "name", "rule", "sort", "mdc", "adrg", "set", "exclusion", "type"
};

typedef struct {
  int field;
  const char *const *keys;  /* lower-case header fragments */
  gboolean required;
  guint pos;                /* column in the 2026-09-09 layout */
} ColSpec;

typedef struct {
  const char *sheet;
  const ColSpec *cols;      /* in matching priority order */
  guint n_cols;
  int key_field;            /* the column that says "this is a data row" */
  const char *key_pattern;  /* what a data row's key looks like */
} SheetSpec;

static const char *const k_name[] = { "名称", "name", NULL };
static const char *const k_rule[] = { "规则", "公式", "条件", "rule", "formula", NULL };
static const char *const k_sort[] = { "排序", "顺序", "sort", "order", NULL };
static const char *const k_mdc[] = { "mdc", NULL };
static const char *const k_adrg[] = { "adrg", NULL };
static const char *const k_code_mdc[] = { "编码", "代码", "编号", "code", "mdc", NULL };
static const char *const k_code_adrg[] = { "adrg", "编码", "代码", "code", NULL };
static const char *const k_code_drg[] = { "drg", "编码", "代码", "code", NULL };
static const char *const k_code[] = { "编码", "代码", "code", NULL };
static const char *const k_code_dx[] = { "编码", "代码", "诊断", "code", NULL };
static const char *const k_set[] = { "集合", "set", NULL };
static const char *const k_excl[] = { "排除", "exclusion", NULL };
static const char *const k_excl_id[] = { "排除", "exclusion", "表", NULL };
static const char *const k_type[] = { "类型", "类别", "级别", "type", "level", NULL };

static const ColSpec mdc_cols[] = {
  { F_NAME, k_name, FALSE, 1 }, { F_RULE, k_rule, TRUE, 2 },
  { F_SORT, k_sort, TRUE, 3 }, { F_CODE, k_code_mdc, TRUE, 0 },
};
static const ColSpec adrg_cols[] = {
  { F_NAME, k_name, FALSE, 2 }, { F_RULE, k_rule, TRUE, 3 },
  { F_SORT, k_sort, FALSE, 5 }, { F_MDC, k_mdc, TRUE, 4 },
  { F_CODE, k_code_adrg, TRUE, 1 },
};
static const ColSpec drg_cols[] = {
  { F_NAME, k_name, FALSE, 1 }, { F_RULE, k_rule, TRUE, 2 },
  { F_SORT, k_sort, TRUE, 5 }, { F_ADRG, k_adrg, TRUE, 3 },
  { F_MDC, k_mdc, FALSE, 4 }, { F_CODE, k_code_drg, TRUE, 0 },
};
static const ColSpec set_cols[] = {
  { F_SET, k_set, TRUE, 0 }, { F_CODE, k_code, TRUE, 1 },
};
static const ColSpec cc_cols[] = {
  { F_NAME, k_name, FALSE, 1 }, { F_EXCL, k_excl, TRUE, 2 },
  { F_TYPE, k_type, TRUE, 3 }, { F_CODE, k_code, TRUE, 0 },
};
static const ColSpec excl_cols[] = {
  { F_NAME, k_name, FALSE, 2 }, { F_EXCL, k_excl_id, TRUE, 0 },
  { F_CODE, k_code_dx, TRUE, 1 },
};

#define SHEET_MDC "MDC"
#define SHEET_ADRG "ADRG"
#define SHEET_DRG "DRG"
#define SHEET_SETS "集合"
#define SHEET_CC "CC"
#define SHEET_EXCL "排除表"

static const SheetSpec sheet_specs[] = {
  { SHEET_MDC, mdc_cols, G_N_ELEMENTS (mdc_cols), F_CODE, "^(MDC[A-Z0-9]+|0+)$" },
  { SHEET_ADRG, adrg_cols, G_N_ELEMENTS (adrg_cols), F_CODE, "^[A-Z0-9]{3}$" },
  { SHEET_DRG, drg_cols, G_N_ELEMENTS (drg_cols), F_CODE, "^[A-Z0-9]{3,6}$" },
  { SHEET_SETS, set_cols, G_N_ELEMENTS (set_cols), F_SET, "^[A-Za-z_][A-Za-z0-9_.]*$" },
  { SHEET_CC, cc_cols, G_N_ELEMENTS (cc_cols), F_CODE, "^[A-Z][0-9]" },
  { SHEET_EXCL, excl_cols, G_N_ELEMENTS (excl_cols), F_EXCL, "^[A-Za-z0-9_.]+$" },
};

typedef struct {
  CmXlsxSheet *sheet;
  const SheetSpec *spec;
  int col[F_N];        /* -1 when absent */
  guint first;         /* index of the first data row */
  const char *file;    /* workbook base name, for messages */
} Layout;

static void
layout_clear (Layout *lo)
{
  g_clear_pointer (&lo->sheet, cm_xlsx_sheet_free);
}

static gboolean
cell_error (GError **error, int code, const Layout *lo, guint row, int field,
            const char *format, ...) G_GNUC_PRINTF (6, 7);

static gboolean
cell_error (GError **error, int code, const Layout *lo, guint row, int field,
            const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  char cn[4] = "?";

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (lo->col[field] >= 0)
    cm_xlsx_column_name ((guint) lo->col[field], cn);
  g_set_error (error, CM_WORKBOOK_ERROR, code, "%s: sheet %s, row %u, column %s (%s): %s",
               lo->file, lo->spec->sheet, row, cn, field_label[field], msg);
  return FALSE;
}

/* Where a cell is, for messages that point back at it. */
static char *
cell_where (const Layout *lo, guint row, int field)
{
  char cn[4] = "?";
  if (lo->col[field] >= 0)
    cm_xlsx_column_name ((guint) lo->col[field], cn);
  return g_strdup_printf ("sheet %s, row %u, column %s", lo->spec->sheet, row, cn);
}

static gboolean
find_sheet (CmXlsxWorkbook *wb, const char *name, char **actual)
{
  for (guint i = 0; i < cm_xlsx_workbook_get_n_sheets (wb); i++)
    {
      const char *n = cm_xlsx_workbook_get_sheet_name (wb, i);
      g_autofree char *t = trim_dup (n);
      if (strcmp (t, name) == 0 || g_ascii_strcasecmp (t, name) == 0)
        {
          *actual = g_strdup (n);
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
load_layout (CmXlsxWorkbook *wb, const SheetSpec *spec, const char *file,
             Layout *lo, CmWorkbookSummary *sum, GError **error)
{
  g_autofree char *actual = NULL;
  guint n_rows, scan;

  memset (lo, 0, sizeof *lo);
  lo->spec = spec;
  lo->file = file;
  for (int f = 0; f < F_N; f++)
    lo->col[f] = -1;
  if (!find_sheet (wb, spec->sheet, &actual))
    {
      g_autoptr (GString) names = g_string_new (NULL);
      for (guint i = 0; i < cm_xlsx_workbook_get_n_sheets (wb); i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "",
                                cm_xlsx_workbook_get_sheet_name (wb, i));
      g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SHEET,
                   "%s: no sheet %s (the workbook has: %s)", file, spec->sheet,
                   names->str);
      return FALSE;
    }
  lo->sheet = cm_xlsx_workbook_load_sheet (wb, actual, error);
  if (lo->sheet == NULL)
    return FALSE;
  n_rows = cm_xlsx_sheet_get_n_rows (lo->sheet);
  scan = MIN (n_rows, 10u);
  for (guint i = 0; i < scan; i++)
    {
      const CmXlsxRow *row = cm_xlsx_sheet_get_row (lo->sheet, i);
      int col[F_N];
      gboolean ok = TRUE;

      for (int f = 0; f < F_N; f++)
        col[f] = -1;
      for (guint c = 0; c < row->n_cells; c++)
        {
          g_autofree char *t = trim_dup (row->cells[c].text);
          g_autofree char *low = g_ascii_strdown (t, -1);
          if (row->cells[c].type != CM_XLSX_CELL_STRING)
            continue;
          for (guint k = 0; k < spec->n_cols; k++)
            {
              const ColSpec *cs = &spec->cols[k];
              gboolean hit = FALSE;
              if (col[cs->field] >= 0)
                continue;
              for (guint j = 0; cs->keys[j] && !hit; j++)
                hit = strstr (low, cs->keys[j]) != NULL;
              if (hit)
                {
                  col[cs->field] = (int) row->cells[c].col;
                  break;
                }
            }
        }
      for (guint k = 0; k < spec->n_cols; k++)
        if (spec->cols[k].required && col[spec->cols[k].field] < 0)
          ok = FALSE;
      if (ok)
        {
          memcpy (lo->col, col, sizeof col);
          lo->first = i + 1;
          return TRUE;
        }
    }
  /* No header recognised: the column positions of the 2026-09-09 workbook,
   * data from the first row whose key looks like one. */
  for (guint k = 0; k < spec->n_cols; k++)
    lo->col[spec->cols[k].field] = (int) spec->cols[k].pos;
  lo->first = n_rows;
  for (guint i = 0; i < n_rows; i++)
    {
      const CmXlsxRow *row = cm_xlsx_sheet_get_row (lo->sheet, i);
      const CmXlsxCell *c = cm_xlsx_row_lookup_cell (row, (guint) lo->col[spec->key_field]);
      g_autofree char *t = c ? trim_dup (c->text) : g_strdup ("");
      if (matches (t, spec->key_pattern))
        {
          lo->first = i;
          break;
        }
    }
  note (sum, "info", spec->sheet, "header",
        "no header row recognised; the column positions of the 2026-09-09 workbook are used");
  return TRUE;
}

/* The trimmed text of @field in @row ("" when empty or absent). */
static char *
get_text (const Layout *lo, const CmXlsxRow *row, int field, CmXlsxCellType *type)
{
  const CmXlsxCell *c;
  if (type)
    *type = CM_XLSX_CELL_STRING;
  if (lo->col[field] < 0)
    return g_strdup ("");
  c = cm_xlsx_row_lookup_cell (row, (guint) lo->col[field]);
  if (c == NULL)
    return g_strdup ("");
  if (type)
    *type = c->type;
  return trim_dup (c->text);
}

/* A code cell: text, no TAB/CR/LF, not a number (a number loses the
 * zeros and dots of a code). "" when empty. */
static gboolean
get_code (const Layout *lo, const CmXlsxRow *row, int field, char **out,
          GError **error)
{
  CmXlsxCellType type;
  g_autofree char *t = get_text (lo, row, field, &type);

  if (*t && (type == CM_XLSX_CELL_ERROR || type == CM_XLSX_CELL_BOOL))
    return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, field,
                       "'%s' is not a code", t);
  if (*t && type == CM_XLSX_CELL_NUMBER && !all_zeros (t))
    return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, field,
                       "the number %s where a code is expected (store codes as text)", t);
  if (strpbrk (t, "\t\r\n") != NULL)
    return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, field,
                       "a code cannot hold a tab or a line break");
  *out = g_steal_pointer (&t);
  return TRUE;
}

static char *
get_name (const Layout *lo, const CmXlsxRow *row)
{
  char *t = get_text (lo, row, F_NAME, NULL);
  g_strdelimit (t, "\t\r\n", ' ');
  return t;
}

static gboolean
get_sort (const Layout *lo, const CmXlsxRow *row, gboolean required,
          gint64 *out, gboolean *present, GError **error)
{
  g_autofree char *t = get_text (lo, row, F_SORT, NULL);
  char *end = NULL;
  gint64 v;

  *present = FALSE;
  if (*t == '\0')
    {
      if (required)
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_SORT,
                           "the sort value is missing");
      return TRUE;
    }
  v = g_ascii_strtoll (t, &end, 10);
  if (end == t || (*end != '\0' && strcmp (end, ".0") != 0) || v < 0 || v > G_MAXINT32)
    return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_SORT,
                       "'%s' is not a whole number", t);
  *out = v;
  *present = TRUE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* import */

typedef enum { K_ADRG, K_QY, K_FAIL } Kind;

typedef struct {
  const char *code, *name;
  const char *cond;  /* rendered condition */
  gint64 sort;
  guint row;
} MdcRec;

typedef struct {
  const char *code, *name, *mdc;
  const char *cond;
  const char *fallback;
  Kind kind;
  gint64 sort;
  gboolean has_sort;
  guint row;
  guint order;       /* rule_order */
  guint mdc_index;
} AdrgRec;

typedef struct {
  const char *code, *name;
  const char *cond;
  guint adrg;        /* index into adrgs */
  gint64 sort;
  guint row;
} SplitRec;

typedef struct {
  GPtrArray *codes;  /* borrowed */
  GHashTable *seen;
  guint dups;
} SetRec;

static void
set_rec_free (gpointer p)
{
  SetRec *s = p;
  g_ptr_array_unref (s->codes);
  g_hash_table_unref (s->seen);
  g_free (s);
}

typedef struct {
  const char *file;
  CmWorkbookSummary *sum;
  GStringChunk *str;
  GArray *mdcs;             /* MdcRec */
  GHashTable *mdc_index;    /* code → index + 1 */
  GArray *adrgs;            /* AdrgRec */
  GHashTable *adrg_index;   /* code → index + 1 */
  GArray *splits;           /* SplitRec */
  GHashTable *drg_seen;     /* code → row */
  GPtrArray *drg_names;     /* code, name, code, name … */
  GHashTable *list_refs;    /* list id → where first used */
  GHashTable *sets;         /* id → SetRec */
  GHashTable *mcc, *cc;     /* code → exclusion id */
  GHashTable *excl;         /* pdx code → exclusion id */
  GHashTable *excl_row;     /* pdx code → row (for messages) */
} Import;

static void
import_init (Import *im, const char *file, CmWorkbookSummary *sum)
{
  memset (im, 0, sizeof *im);
  im->file = file;
  im->sum = sum;
  im->str = g_string_chunk_new (256 * 1024);
  im->mdcs = g_array_new (FALSE, TRUE, sizeof (MdcRec));
  im->mdc_index = g_hash_table_new (g_str_hash, g_str_equal);
  im->adrgs = g_array_new (FALSE, TRUE, sizeof (AdrgRec));
  im->adrg_index = g_hash_table_new (g_str_hash, g_str_equal);
  im->splits = g_array_new (FALSE, TRUE, sizeof (SplitRec));
  im->drg_seen = g_hash_table_new (g_str_hash, g_str_equal);
  im->drg_names = g_ptr_array_new ();
  im->list_refs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  im->sets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, set_rec_free);
  im->mcc = g_hash_table_new (g_str_hash, g_str_equal);
  im->cc = g_hash_table_new (g_str_hash, g_str_equal);
  im->excl = g_hash_table_new (g_str_hash, g_str_equal);
  im->excl_row = g_hash_table_new (g_str_hash, g_str_equal);
}

static void
import_clear (Import *im)
{
  g_string_chunk_free (im->str);
  g_array_unref (im->mdcs);
  g_hash_table_unref (im->mdc_index);
  g_array_unref (im->adrgs);
  g_hash_table_unref (im->adrg_index);
  g_array_unref (im->splits);
  g_hash_table_unref (im->drg_seen);
  g_ptr_array_unref (im->drg_names);
  g_hash_table_unref (im->list_refs);
  g_hash_table_unref (im->sets);
  g_hash_table_unref (im->mcc);
  g_hash_table_unref (im->cc);
  g_hash_table_unref (im->excl);
  g_hash_table_unref (im->excl_row);
}

static const char *
keep (Import *im, const char *s)
{
  return g_string_chunk_insert_const (im->str, s);
}

/* Translates the formula in @field of @row; an empty cell gives @empty
 * (NULL: an empty formula is an error). */
static gboolean
translate (Import *im, const Layout *lo, const CmXlsxRow *row, const char *empty,
           const char **cond, GError **error)
{
  g_autofree char *text = get_text (lo, row, F_RULE, NULL);
  g_autoptr (GError) local = NULL;
  g_autoptr (CmFx) fx = NULL;
  g_autofree char *rendered = NULL;
  g_autoptr (GHashTable) lists = NULL;
  GHashTableIter it;
  gpointer key;

  if (*text == '\0')
    {
      if (empty == NULL)
        return cell_error (error, CM_WORKBOOK_ERROR_FORMULA, lo, row->number, F_RULE,
                           "the rule is empty");
      *cond = empty;
      return TRUE;
    }
  fx = cm_fx_parse_formula (text, &local);
  if (fx == NULL)
    return cell_error (error, CM_WORKBOOK_ERROR_FORMULA, lo, row->number, F_RULE,
                       "formula: %s", local->message);
  rendered = cm_fx_render_condition (fx);
  *cond = keep (im, rendered);
  lists = g_hash_table_new (g_str_hash, g_str_equal);
  cm_fx_collect_lists (fx, lists);
  g_hash_table_iter_init (&it, lists);
  while (g_hash_table_iter_next (&it, &key, NULL))
    if (!g_hash_table_contains (im->list_refs, key))
      g_hash_table_insert (im->list_refs, (gpointer) keep (im, key),
                           cell_where (lo, row->number, F_RULE));
  return TRUE;
}

static gboolean
read_mdc (Import *im, const Layout *lo, GError **error)
{
  for (guint i = lo->first; i < cm_xlsx_sheet_get_n_rows (lo->sheet); i++)
    {
      const CmXlsxRow *row = cm_xlsx_sheet_get_row (lo->sheet, i);
      g_autofree char *code = NULL;
      g_autofree char *name = NULL;
      MdcRec m = { 0 };
      gboolean has_sort;

      if (!get_code (lo, row, F_CODE, &code, error))
        return FALSE;
      if (*code == '\0' || all_zeros (code))
        continue;
      if (!matches (code, "^MDC[A-Z]$"))
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_CODE,
                           "'%s' is not MDC followed by one letter", code);
      if (g_hash_table_contains (im->mdc_index, code))
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_CODE,
                           "%s appears twice", code);
      name = get_name (lo, row);
      m.code = keep (im, code);
      m.name = keep (im, name);
      m.row = row->number;
      if (!get_sort (lo, row, TRUE, &m.sort, &has_sort, error))
        return FALSE;
      for (guint k = 0; k < im->mdcs->len; k++)
        if (g_array_index (im->mdcs, MdcRec, k).sort == m.sort)
          return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_SORT,
                             "sort value %" G_GINT64_FORMAT " is used twice (row %u)", m.sort,
                             g_array_index (im->mdcs, MdcRec, k).row);
      if (!translate (im, lo, row, "true", &m.cond, error))
        return FALSE;
      g_array_append_val (im->mdcs, m);
    }
  if (im->mdcs->len == 0)
    {
      g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SHEET,
                   "%s: sheet MDC has no MDC rows", im->file);
      return FALSE;
    }
  return TRUE;
}

static int
mdc_cmp (gconstpointer a, gconstpointer b)
{
  const MdcRec *x = a, *y = b;
  return x->sort < y->sort ? -1 : x->sort > y->sort;
}

static gboolean
read_adrg (Import *im, const Layout *lo, GError **error)
{
  g_autofree guint *count = g_new0 (guint, im->mdcs->len);
  g_autofree gint64 *last_sort = g_new0 (gint64, im->mdcs->len);
  g_autofree gboolean *disagree = g_new0 (gboolean, im->mdcs->len);

  for (guint i = 0; i < im->mdcs->len; i++)
    last_sort[i] = G_MININT64;
  for (guint i = lo->first; i < cm_xlsx_sheet_get_n_rows (lo->sheet); i++)
    {
      const CmXlsxRow *row = cm_xlsx_sheet_get_row (lo->sheet, i);
      g_autofree char *code = NULL;
      g_autofree char *mdc = NULL;
      g_autofree char *name = NULL;
      g_autofree char *rule = NULL;
      AdrgRec a = { 0 };
      gpointer mi;

      if (!get_code (lo, row, F_CODE, &code, error))
        return FALSE;
      if (*code == '\0' || all_zeros (code))
        continue;
      if (!matches (code, "^[A-Z][A-Z0-9]{2}$"))
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_CODE,
                           "'%s' is not an ADRG code (a letter and two letters or digits)", code);
      if (g_hash_table_contains (im->adrg_index, code))
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_CODE,
                           "ADRG %s appears twice", code);
      if (!get_code (lo, row, F_MDC, &mdc, error))
        return FALSE;
      mi = g_hash_table_lookup (im->mdc_index, mdc);
      if (mi == NULL)
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_MDC,
                           "'%s' is not an MDC of sheet MDC", mdc);
      a.mdc_index = GPOINTER_TO_UINT (mi) - 1;
      name = get_name (lo, row);
      a.code = keep (im, code);
      a.name = keep (im, name);
      a.mdc = g_array_index (im->mdcs, MdcRec, a.mdc_index).code;
      a.row = row->number;
      if (code[0] != a.mdc[3])
        note (im->sum, "warning", SHEET_ADRG, a.code,
              "ADRG %s sits in %s: results take the MDC from the code's first letter", code, a.mdc);
      if (!get_sort (lo, row, FALSE, &a.sort, &a.has_sort, error))
        return FALSE;
      rule = get_text (lo, row, F_RULE, NULL);
      if (matches (code, "^[A-Z]00$"))
        {
          if (*rule != '\0')
            return cell_error (error, CM_WORKBOOK_ERROR_FORMULA, lo, row->number, F_RULE,
                               "%s closes its MDC and takes no rule", code);
          a.kind = K_FAIL;
          a.cond = "true";
        }
      else
        {
          a.kind = matches (code, "^[A-Z]QY$") ? K_QY : K_ADRG;
          if (!translate (im, lo, row, NULL, &a.cond, error))
            return FALSE;
          a.fallback = a.kind == K_QY ? a.code : "";
        }
      a.order = ++count[a.mdc_index];
      if (a.has_sort)
        {
          if (a.sort <= last_sort[a.mdc_index])
            disagree[a.mdc_index] = TRUE;
          last_sort[a.mdc_index] = a.sort;
        }
      g_array_append_val (im->adrgs, a);
      g_hash_table_insert (im->adrg_index, (gpointer) a.code,
                           GUINT_TO_POINTER (im->adrgs->len));
    }
  for (guint m = 0; m < im->mdcs->len; m++)
    if (disagree[m])
      {
        g_autoptr (GString) order = g_string_new (NULL);
        for (guint i = 0; i < im->adrgs->len; i++)
          {
            AdrgRec *a = &g_array_index (im->adrgs, AdrgRec, i);
            if (a->mdc_index == m)
              g_string_append_printf (order, "%s%s", order->len ? " " : "", a->code);
          }
        note (im->sum, "warning", "adrg", g_array_index (im->mdcs, MdcRec, m).code,
              "sort column disagrees with workbook row order; row order used: %s",
              order->str);
      }
  return TRUE;
}

static gboolean
read_drg (Import *im, const Layout *lo, GError **error)
{
  for (guint i = lo->first; i < cm_xlsx_sheet_get_n_rows (lo->sheet); i++)
    {
      const CmXlsxRow *row = cm_xlsx_sheet_get_row (lo->sheet, i);
      g_autofree char *code = NULL;
      g_autofree char *adrg = NULL;
      g_autofree char *mdc = NULL;
      g_autofree char *name = NULL;
      g_autofree char *rule = NULL;
      SplitRec s = { 0 };
      AdrgRec *a;
      gpointer ai;
      gboolean has_sort;

      if (!get_code (lo, row, F_CODE, &code, error))
        return FALSE;
      if (*code == '\0' || all_zeros (code))
        continue;
      if (!matches (code, "^[A-Z][A-Z0-9]{2,7}$"))
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_CODE,
                           "'%s' is not a DRG code", code);
      if (g_hash_table_contains (im->drg_seen, code))
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_CODE,
                           "DRG %s appears twice (first in row %u)", code,
                           GPOINTER_TO_UINT (g_hash_table_lookup (im->drg_seen, code)));
      if (!get_code (lo, row, F_ADRG, &adrg, error) || !get_code (lo, row, F_MDC, &mdc, error))
        return FALSE;
      ai = g_hash_table_lookup (im->adrg_index, adrg);
      if (ai == NULL)
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_ADRG,
                           "'%s' is not an ADRG of sheet ADRG", adrg);
      a = &g_array_index (im->adrgs, AdrgRec, GPOINTER_TO_UINT (ai) - 1);
      if (*mdc && strcmp (mdc, a->mdc) != 0)
        note (im->sum, "warning", SHEET_DRG, code,
              "row %u says %s but ADRG %s is in %s; %s used", row->number, mdc, a->code,
              a->mdc, a->mdc);
      g_hash_table_insert (im->drg_seen, (gpointer) keep (im, code),
                           GUINT_TO_POINTER (row->number));
      name = get_name (lo, row);
      if (*name)
        {
          g_ptr_array_add (im->drg_names, (gpointer) keep (im, code));
          g_ptr_array_add (im->drg_names, (gpointer) keep (im, name));
        }
      rule = get_text (lo, row, F_RULE, NULL);
      if (a->kind == K_QY)
        {
          if (strcmp (code, a->code) != 0 || *rule)
            note (im->sum, "warning", SHEET_DRG, code,
                  "row %u: the row of ambiguity group %s is ignored", row->number, a->code);
          continue;
        }
      if (a->kind == K_FAIL)
        {
          if (*rule)
            return cell_error (error, CM_WORKBOOK_ERROR_FORMULA, lo, row->number, F_RULE,
                               "%s closes MDC %s and takes no rule", code, a->mdc);
          if (a->fallback != NULL)
            return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_CODE,
                               "ADRG %s already has the fail code %s", a->code, a->fallback);
          a->fallback = keep (im, code);
          continue;
        }
      s.code = keep (im, code);
      s.name = keep (im, name);
      s.row = row->number;
      s.adrg = GPOINTER_TO_UINT (ai) - 1;
      if (!get_sort (lo, row, TRUE, &s.sort, &has_sort, error))
        return FALSE;
      for (guint k = 0; k < im->splits->len; k++)
        {
          SplitRec *o = &g_array_index (im->splits, SplitRec, k);
          if (o->adrg == s.adrg && o->sort == s.sort)
            return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_SORT,
                               "sort value %" G_GINT64_FORMAT " of ADRG %s is used twice "
                               "(row %u)", s.sort, a->code, o->row);
        }
      if (!translate (im, lo, row, "true", &s.cond, error))
        return FALSE;
      g_array_append_val (im->splits, s);
    }
  for (guint i = 0; i < im->adrgs->len; i++)
    {
      AdrgRec *a = &g_array_index (im->adrgs, AdrgRec, i);
      if (a->kind == K_FAIL && a->fallback == NULL)
        {
          /* no DRG row: the fail code is the ADRG code and a "0" (B00 → B000) */
          g_autofree char *fb = g_strconcat (a->code, "0", NULL);
          a->fallback = keep (im, fb);
        }
    }
  return TRUE;
}

static gboolean
read_sets (Import *im, const Layout *lo, GError **error)
{
  for (guint i = lo->first; i < cm_xlsx_sheet_get_n_rows (lo->sheet); i++)
    {
      const CmXlsxRow *row = cm_xlsx_sheet_get_row (lo->sheet, i);
      g_autofree char *id = NULL;
      g_autofree char *code = NULL;
      SetRec *set;

      if (!get_code (lo, row, F_SET, &id, error) || !get_code (lo, row, F_CODE, &code, error))
        return FALSE;
      if (*id == '\0')
        {
          if (*code)
            return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_SET,
                               "code %s has no set", code);
          continue;
        }
      if (!is_list_id (id))
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_SET,
                           "'%s' is not a set name (letters, digits, _ and . only)", id);
      if (strcmp (id, "MCC") == 0 || strcmp (id, "CC") == 0)
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_SET,
                           "a set cannot be named %s: formulas use that name for "
                           "sheet CC", id);
      set = g_hash_table_lookup (im->sets, id);
      if (set == NULL)
        {
          set = g_new0 (SetRec, 1);
          set->codes = g_ptr_array_new ();
          set->seen = g_hash_table_new (g_str_hash, g_str_equal);
          g_hash_table_insert (im->sets, (gpointer) keep (im, id), set);
        }
      if (*code == '\0')
        continue;  /* a row that only declares the set */
      if (g_hash_table_contains (set->seen, code))
        {
          set->dups++;
          continue;
        }
      {
        const char *k = keep (im, code);
        g_hash_table_add (set->seen, (gpointer) k);
        g_ptr_array_add (set->codes, (gpointer) k);
      }
    }
  return TRUE;
}

static gboolean
read_cc (Import *im, const Layout *lo, GError **error)
{
  for (guint i = lo->first; i < cm_xlsx_sheet_get_n_rows (lo->sheet); i++)
    {
      const CmXlsxRow *row = cm_xlsx_sheet_get_row (lo->sheet, i);
      g_autofree char *code = NULL;
      g_autofree char *excl = NULL;
      g_autofree char *type = NULL;
      GHashTable *level;
      const char *old;

      if (!get_code (lo, row, F_CODE, &code, error) || !get_code (lo, row, F_EXCL, &excl, error)
          || !get_code (lo, row, F_TYPE, &type, error))
        return FALSE;
      if (*code == '\0')
        continue;
      if (g_ascii_strcasecmp (type, "MCC") == 0)
        level = im->mcc;
      else if (g_ascii_strcasecmp (type, "CC") == 0)
        level = im->cc;
      else
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_TYPE,
                           "'%s' is neither MCC nor CC", type);
      if (*excl == '\0')
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_EXCL,
                           "the exclusion table is missing (write 无 for none)");
      if (strcmp (excl, "无") == 0)
        {
          g_free (excl);
          excl = g_strdup ("NONE");
        }
      if (!is_list_id (excl))
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_EXCL,
                           "'%s' is not an exclusion table id", excl);
      old = g_hash_table_lookup (level, code);
      if (old != NULL && strcmp (old, excl) != 0)
        note (im->sum, "warning", SHEET_CC, code,
              "row %u: %s %s listed again with exclusion %s (was %s); the last is used",
              row->number, level == im->mcc ? "MCC" : "CC", code, excl, old);
      g_hash_table_replace (level, (gpointer) keep (im, code), (gpointer) keep (im, excl));
    }
  return TRUE;
}

static gboolean
read_excl (Import *im, const Layout *lo, GError **error)
{
  for (guint i = lo->first; i < cm_xlsx_sheet_get_n_rows (lo->sheet); i++)
    {
      const CmXlsxRow *row = cm_xlsx_sheet_get_row (lo->sheet, i);
      g_autofree char *id = NULL;
      g_autofree char *code = NULL;
      const char *old;

      if (!get_code (lo, row, F_EXCL, &id, error) || !get_code (lo, row, F_CODE, &code, error))
        return FALSE;
      if (*id == '\0' && *code == '\0')
        continue;
      if (*code == '\0')
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_CODE,
                           "exclusion table %s: the diagnosis code is missing", id);
      if (!is_list_id (id) || strcmp (id, "NONE") == 0)
        return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_EXCL,
                           "'%s' is not an exclusion table id", id);
      old = g_hash_table_lookup (im->excl, code);
      if (old != NULL)
        {
          if (strcmp (old, id) == 0)
            continue;
          return cell_error (error, CM_WORKBOOK_ERROR_SHEET, lo, row->number, F_CODE,
                             "%s is already in exclusion table %s (row %u); a principal "
                             "diagnosis belongs to one table at most", code, old,
                             GPOINTER_TO_UINT (g_hash_table_lookup (im->excl_row, code)));
        }
      {
        const char *k = keep (im, code);
        g_hash_table_insert (im->excl, (gpointer) k, (gpointer) keep (im, id));
        g_hash_table_insert (im->excl_row, (gpointer) k, GUINT_TO_POINTER (row->number));
      }
    }
  return TRUE;
}

static int
strcmp_p (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static int
adrg_code_cmp (gconstpointer a, gconstpointer b)
{
  const AdrgRec *x = *(const AdrgRec *const *) a, *y = *(const AdrgRec *const *) b;
  return strcmp (x->code, y->code);
}

static GPtrArray *
sorted_keys (GHashTable *h)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, h);
  while (g_hash_table_iter_next (&it, &k, NULL))
    g_ptr_array_add (keys, k);
  g_ptr_array_sort (keys, strcmp_p);
  return keys;
}

/* The generated files: name → contents, in a fixed order. */
typedef struct {
  GPtrArray *names;   /* char* */
  GPtrArray *texts;   /* GString* */
} Files;

static void
files_init (Files *f)
{
  f->names = g_ptr_array_new_with_free_func (g_free);
  f->texts = g_ptr_array_new ();  /* GString*, freed in files_clear */
}

static void
files_clear (Files *f)
{
  for (guint i = 0; i < f->texts->len; i++)
    g_string_free (f->texts->pdata[i], TRUE);
  g_ptr_array_unref (f->texts);
  g_ptr_array_unref (f->names);
}

static GString *
files_add (Files *f, const char *name, const char *header)
{
  GString *s = g_string_new (header);
  g_string_append_c (s, '\n');
  for (guint i = 0; i < f->names->len; i++)
    if (strcmp (f->names->pdata[i], name) == 0)
      {
        g_string_free (f->texts->pdata[i], TRUE);
        f->texts->pdata[i] = s;
        return s;
      }
  g_ptr_array_add (f->names, g_strdup (name));
  g_ptr_array_add (f->texts, s);
  return s;
}

static GString *
files_lookup (Files *f, const char *name)
{
  for (guint i = 0; i < f->names->len; i++)
    if (strcmp (f->names->pdata[i], name) == 0)
      return f->texts->pdata[i];
  return NULL;
}

static int
split_cmp (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const SplitRec *x = a, *y = b;
  const Import *im = user_data;
  const AdrgRec *ax = &g_array_index (im->adrgs, AdrgRec, x->adrg);
  const AdrgRec *ay = &g_array_index (im->adrgs, AdrgRec, y->adrg);
  if (ax->mdc_index != ay->mdc_index)
    return ax->mdc_index < ay->mdc_index ? -1 : 1;
  if (ax->order != ay->order)
    return ax->order < ay->order ? -1 : 1;
  return x->sort < y->sort ? -1 : x->sort > y->sort;
}

static void
build_grouping_files (Import *im, Files *files, CmWorkbookSummary *sum)
{
  GString *s;
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));

  /* mdc.tsv: mdc_index now follows sort order (mdcs were sorted) */
  s = files_add (files, "mdc.tsv", "mdc_order\tmdc\tcondition");
  for (guint i = 0; i < im->mdcs->len; i++)
    {
      MdcRec *m = &g_array_index (im->mdcs, MdcRec, i);
      g_string_append_printf (s, "%" G_GINT64_FORMAT "\t%s\t%s\n", m->sort, m->code, m->cond);
    }
  sum->n_mdc = im->mdcs->len;

  s = files_add (files, "mdc_names.tsv", "mdc\tname");
  for (guint i = 0; i < im->mdcs->len; i++)
    {
      MdcRec *m = &g_array_index (im->mdcs, MdcRec, i);
      if (*m->name)
        g_string_append_printf (s, "%s\t%s\n", m->code, m->name);
    }

  s = files_add (files, "adrg_rules.tsv",
                 "mdc\trule_order\trule_id\tkind\tadrg\tcondition\tfallback");
  for (guint m = 0; m < im->mdcs->len; m++)
    for (guint i = 0; i < im->adrgs->len; i++)
      {
        AdrgRec *a = &g_array_index (im->adrgs, AdrgRec, i);
        if (a->mdc_index != m)
          continue;
        g_string_append_printf (s, "%s\t%u\t%s\t%s\t%s\t%s\t%s\n", a->mdc, a->order, a->code,
                                a->kind == K_ADRG ? "adrg" : a->kind == K_QY ? "qy" : "fail",
                                a->code, a->cond, a->fallback);
        if (a->kind == K_ADRG)
          sum->n_adrg_rules++;
        else if (a->kind == K_QY)
          sum->n_qy_rules++;
        else
          sum->n_fail_rules++;
      }

  s = files_add (files, "adrg_names.tsv", "adrg\tname");
  {
    g_autoptr (GPtrArray) codes = g_ptr_array_new ();
    for (guint i = 0; i < im->adrgs->len; i++)
      if (*g_array_index (im->adrgs, AdrgRec, i).name)
        g_ptr_array_add (codes, &g_array_index (im->adrgs, AdrgRec, i));
    g_ptr_array_sort (codes, adrg_code_cmp);
    for (guint i = 0; i < codes->len; i++)
      {
        AdrgRec *a = codes->pdata[i];
        g_string_append_printf (s, "%s\t%s\n", a->code, a->name);
      }
  }

  g_array_sort_with_data (im->splits, split_cmp, im);
  s = files_add (files, "drg_splits.tsv", "mdc\trule_id\tsplit_order\tdrg\tcondition");
  for (guint i = 0; i < im->splits->len; i++)
    {
      SplitRec *sp = &g_array_index (im->splits, SplitRec, i);
      AdrgRec *a = &g_array_index (im->adrgs, AdrgRec, sp->adrg);
      g_string_append_printf (s, "%s\t%s\t%" G_GINT64_FORMAT "\t%s\t%s\n", a->mdc, a->code,
                              sp->sort, sp->code, sp->cond);
    }
  sum->n_splits = im->splits->len;

  s = files_add (files, "drg_names.tsv", "drg\tname");
  for (guint i = 0; i + 1 < im->drg_names->len; i += 2)
    g_string_append_printf (s, "%s\t%s\n", (char *) im->drg_names->pdata[i],
                            (char *) im->drg_names->pdata[i + 1]);

  keys = sorted_keys (im->sets);
  s = files_add (files, "lists.tsv", "list_id\tcode");
  for (guint i = 0; i < keys->len; i++)
    {
      SetRec *set = g_hash_table_lookup (im->sets, keys->pdata[i]);
      for (guint j = 0; j < set->codes->len; j++)
        g_string_append_printf (s, "%s\t%s\n", (char *) keys->pdata[i],
                                (char *) set->codes->pdata[j]);
      sum->n_list_members += set->codes->len;
      if (set->dups > 0)
        note (sum, "info", "sets", keys->pdata[i], "%u duplicate member(s) removed", set->dups);
    }
  s = files_add (files, "list_info.tsv", "list_id\tcode_count\tsource\tnote");
  for (guint i = 0; i < keys->len; i++)
    {
      SetRec *set = g_hash_table_lookup (im->sets, keys->pdata[i]);
      g_string_append_printf (s, "%s\t%u\tworkbook sheet %s\t\n", (char *) keys->pdata[i],
                              set->codes->len, SHEET_SETS);
    }
  sum->n_lists = keys->len;

  s = files_add (files, "cc.tsv", "code\tlevel\texclusion_id");
  for (int lv = 0; lv < 2; lv++)
    {
      GHashTable *h = lv == 0 ? im->mcc : im->cc;
      g_autoptr (GPtrArray) codes = sorted_keys (h);
      for (guint i = 0; i < codes->len; i++)
        g_string_append_printf (s, "%s\t%s\t%s\n", (char *) codes->pdata[i],
                                lv == 0 ? "MCC" : "CC",
                                (char *) g_hash_table_lookup (h, codes->pdata[i]));
      sum->n_cc += codes->len;
    }

  s = files_add (files, "cc_exclusion.tsv", "pdx_code\texclusion_id");
  {
    g_autoptr (GPtrArray) codes = sorted_keys (im->excl);
    for (guint i = 0; i < codes->len; i++)
      g_string_append_printf (s, "%s\t%s\n", (char *) codes->pdata[i],
                              (char *) g_hash_table_lookup (im->excl, codes->pdata[i]));
    sum->n_exclusions = codes->len;
  }
}

/* The files a workbook does not carry, as shipped with chs-drg-3.0. */
static const char default_settings[] =
  "key\tvalue\tnote\n"
  "ungroupable_code\t0000\traw result when no MDC produced a result\n"
  "fail_mdc\t0000\toutput mdc when nothing matched\n"
  "fail_adrg\t00\t\n"
  "fail_drg\t0000\t\n"
  "retry_each_secondary_px\t0\t\n"
  "reject_mdc\t0000\toutput for CHECK_FAILED\n"
  "reject_adrg\t00\t\n"
  "reject_drg\t0000\t\n"
  "translate_default\t0\tno code maps ship with this scheme\n"
  "translate_usable\t0\tno dx_map/px_map\n"
  "check_error_status\tCHECK_FAILED\t\n";
static const char default_checks[] =
  "check_order\tcondition\tstatus\tdescription\n"
  "1\tnot(known(sex))\tCHECK_FAILED\tsex missing\n"
  "2\tnot(any(sex = \"1\", sex = \"2\"))\tCHECK_FAILED\tsex code not accepted (1 male, 2 female)\n"
  "3\tdx_count = 0\tCHECK_FAILED\tno diagnosis\n";
static const char default_statuses[] =
  "status\tlabel_zh\treturned_by_reference\n"
  "CHECK_FAILED\t信息校验不通过\t1\n"
  "SUCCESS\t分组成功\t1\n"
  "FAIL\t无法入组\t1\n"
  "QY\t歧义病案\t1\n"
  "ERROR\t\t0\n";

/* Files that travel in the casemix sheet (or come from --base), with their
 * header rows. */
static const char *const carried[][2] = {
  { "meta.tsv", "key\tvalue" },
  { "settings.tsv", "key\tvalue\tnote" },
  { "checks.tsv", "check_order\tcondition\tstatus\tdescription" },
  { "statuses.tsv", "status\tlabel_zh\treturned_by_reference" },
  { "dx_map.tsv", "source_code\ttarget_code" },
  { "px_map.tsv", "source_code\ttarget_code" },
  { "dx_names.tsv", "code\tname" },
  { "px_names.tsv", "code\tname" },
};

static const char *
carried_header (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (carried); i++)
    if (strcmp (carried[i][0], name) == 0)
      return carried[i][1];
  return NULL;
}

/* Reads the casemix sheet into @got (file → text). */
static gboolean
read_casemix_sheet (CmXlsxWorkbook *wb, const char *file, GHashTable *got,
                    GError **error)
{
  g_autoptr (CmXlsxSheet) sh = cm_xlsx_workbook_load_sheet (wb, CASEMIX_SHEET, error);
  g_autoptr (GHashTable) ncols = g_hash_table_new (g_str_hash, g_str_equal);

  if (sh == NULL)
    return FALSE;
  for (guint i = 1; i < cm_xlsx_sheet_get_n_rows (sh); i++)
    {
      const CmXlsxRow *row = cm_xlsx_sheet_get_row (sh, i);
      const CmXlsxCell *fc = cm_xlsx_row_lookup_cell (row, 0);
      const char *header;
      GString *text;
      guint n;

      if (fc == NULL)
        continue;
      header = carried_header (fc->text);
      if (header == NULL)
        {
          g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SHEET,
                       "%s: sheet %s, row %u, column A (file): '%s' is not a file "
                       "this sheet may carry", file, CASEMIX_SHEET, row->number, fc->text);
          return FALSE;
        }
      text = g_hash_table_lookup (got, fc->text);
      if (text == NULL)
        {
          text = g_string_new (NULL);
          g_hash_table_insert (got, g_strdup (fc->text), text);
          n = 1;
          for (guint c = 0; c < row->n_cells; c++)
            n = MAX (n, row->cells[c].col);
          g_hash_table_insert (ncols, (gpointer) header, GUINT_TO_POINTER (n));
        }
      n = GPOINTER_TO_UINT (g_hash_table_lookup (ncols, header));
      for (guint c = 0; c < row->n_cells; c++)
        if (row->cells[c].col > n)
          {
            g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SHEET,
                         "%s: sheet %s, row %u: more cells than %s has columns", file,
                         CASEMIX_SHEET, row->number, fc->text);
            return FALSE;
          }
      for (guint c = 1; c <= n; c++)
        {
          const CmXlsxCell *cell = cm_xlsx_row_lookup_cell (row, c);
          const char *t = cell ? cell->text : "";
          if (strpbrk (t, "\t\r\n") != NULL)
            {
              char cn[4];
              cm_xlsx_column_name (c, cn);
              g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SHEET,
                           "%s: sheet %s, row %u, column %s: a table cell cannot hold "
                           "a tab or a line break", file, CASEMIX_SHEET, row->number, cn);
              return FALSE;
            }
          if (c > 1)
            g_string_append_c (text, '\t');
          g_string_append (text, t);
        }
      g_string_append_c (text, '\n');
    }
  /* each file must start with its header */
  {
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init (&it, got);
    while (g_hash_table_iter_next (&it, &k, &v))
      {
        const char *h = carried_header (k);
        GString *t = v;
        if (!g_str_has_prefix (t->str, h) || t->str[strlen (h)] != '\n')
          {
            g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SHEET,
                         "%s: sheet %s: the rows of %s must start with its header (%s)",
                         file, CASEMIX_SHEET, (const char *) k, h);
            return FALSE;
          }
      }
  }
  return TRUE;
}

static void
string_free_full (gpointer s)
{
  g_string_free (s, TRUE);
}

/* Counts the data rows of a TSV text. */
static guint
tsv_rows (const GString *s)
{
  guint n = 0;
  for (gsize i = 0; i < s->len; i++)
    if (s->str[i] == '\n')
      n++;
  return n > 0 ? n - 1 : 0;
}

static char *
file_sha256 (const char *path)
{
  g_autoptr (GMappedFile) map = g_mapped_file_new (path, FALSE, NULL);
  if (map == NULL)
    return g_strdup ("?");
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                      (const guchar *) g_mapped_file_get_contents (map),
                                      g_mapped_file_get_length (map));
}

static void
build_meta (Files *files, GString *template, const CmWorkbookImportOptions *opt,
            const char *xlsx, const char *out_dir, const char *base_id,
            const CmWorkbookSummary *sum)
{
  g_autofree char *base = g_path_get_basename (xlsx);
  g_autofree char *sha = file_sha256 (xlsx);
  g_autofree char *source = g_strdup_printf ("%s, sha256 %s", base, sha);
  g_autofree char *dirname = g_path_get_basename (out_dir);
  GString *checks = files_lookup (files, "checks.tsv");
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) vals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) computed = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  GString *s;
  static const char *const std_order[] = {
    "id", "display_name", "region", "format_version", "extractor_version", "mdc_count",
    "adrg_count", "drg_count", "adrg_rule_count", "qy_rule_count", "fail_rule_count",
    "drg_split_count", "list_count", "check_count", "source_workbook", "base_scheme",
    "names_dictionaries", "complete", NULL
  };

  g_hash_table_insert (computed, "format_version", g_strdup ("2"));
  g_hash_table_insert (computed, "extractor_version", g_strdup (EXTRACTOR));
  g_hash_table_insert (computed, "mdc_count", g_strdup_printf ("%u", sum->n_mdc));
  g_hash_table_insert (computed, "adrg_count", g_strdup_printf ("%u", sum->n_adrg_rules));
  {
    g_autoptr (GHashTable) drgs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    GString *sp = files_lookup (files, "drg_splits.tsv");
    g_auto (GStrv) lines = g_strsplit (sp->str, "\n", -1);
    for (guint i = 1; lines[i] && *lines[i]; i++)
      {
        g_auto (GStrv) cells = g_strsplit (lines[i], "\t", 5);
        if (g_strv_length (cells) == 5)
          g_hash_table_add (drgs, g_strdup (cells[3]));
      }
    g_hash_table_insert (computed, "drg_count", g_strdup_printf ("%u", g_hash_table_size (drgs)));
  }
  g_hash_table_insert (computed, "adrg_rule_count", g_strdup_printf ("%u", sum->n_adrg_rules));
  g_hash_table_insert (computed, "qy_rule_count", g_strdup_printf ("%u", sum->n_qy_rules));
  g_hash_table_insert (computed, "fail_rule_count", g_strdup_printf ("%u", sum->n_fail_rules));
  g_hash_table_insert (computed, "drg_split_count", g_strdup_printf ("%u", sum->n_splits));
  g_hash_table_insert (computed, "list_count", g_strdup_printf ("%u", sum->n_lists));
  g_hash_table_insert (computed, "check_count",
                       g_strdup_printf ("%u", checks ? tsv_rows (checks) : 0));
  g_hash_table_insert (computed, "source_workbook", g_strdup (source));
  g_hash_table_insert (computed, "complete", g_strdup ("1"));

  if (template != NULL)
    {
      g_auto (GStrv) lines = g_strsplit (template->str, "\n", -1);
      for (guint i = 1; lines[i] && *lines[i]; i++)
        {
          char *tab = strchr (lines[i], '\t');
          if (tab == NULL)
            continue;
          *tab = '\0';
          g_ptr_array_add (keys, g_strdup (lines[i]));
          g_ptr_array_add (vals, g_strdup (tab + 1));
        }
    }
  else
    {
      for (guint i = 0; std_order[i]; i++)
        {
          const char *k = std_order[i];
          const char *v = NULL;
          if (strcmp (k, "id") == 0)
            v = dirname;
          else if (strcmp (k, "display_name") == 0)
            v = "";
          else if (strcmp (k, "region") == 0)
            v = "";
          else if (strcmp (k, "base_scheme") == 0)
            {
              if (base_id == NULL)
                continue;
              v = base_id;
            }
          else if (strcmp (k, "names_dictionaries") == 0)
            {
              if (files_lookup (files, "dx_names.tsv") == NULL)
                continue;
              v = "dx_names.tsv / px_names.tsv from the base scheme; informational";
            }
          g_ptr_array_add (keys, g_strdup (k));
          g_ptr_array_add (vals, g_strdup (v ? v : ""));
        }
    }
  /* computed values win; keys the template lacks are added */
  {
    for (guint i = 0; i < keys->len; i++)
      {
        const char *cv = g_hash_table_lookup (computed, keys->pdata[i]);
        if (cv != NULL)
          {
            g_free (vals->pdata[i]);
            vals->pdata[i] = g_strdup (cv);
          }
      }
    for (guint j = 0; std_order[j]; j++)
      {
        gboolean have = FALSE;
        if (!g_hash_table_contains (computed, std_order[j]))
          continue;
        for (guint i = 0; i < keys->len && !have; i++)
          have = strcmp (keys->pdata[i], std_order[j]) == 0;
        if (!have)
          {
            g_ptr_array_add (keys, g_strdup (std_order[j]));
            g_ptr_array_add (vals, g_strdup (g_hash_table_lookup (computed, std_order[j])));
          }
      }
  }
  for (guint i = 0; i < keys->len; i++)
    {
      const char *k = keys->pdata[i];
      const char *o = NULL;
      if (strcmp (k, "id") == 0)
        o = opt->id;
      else if (strcmp (k, "display_name") == 0)
        o = opt->display_name;
      else if (strcmp (k, "region") == 0)
        o = opt->region;
      if (o != NULL)
        {
          g_free (vals->pdata[i]);
          vals->pdata[i] = g_strdelimit (g_strdup (o), "\t\r\n", ' ');
        }
      if (strcmp (k, "display_name") == 0 && *(char *) vals->pdata[i] == '\0')
        {
          const char *id = "";
          for (guint j = 0; j < keys->len; j++)
            if (strcmp (keys->pdata[j], "id") == 0)
              id = vals->pdata[j];
          g_free (vals->pdata[i]);
          vals->pdata[i] = g_strdup_printf ("%s (imported from %s)", id, base);
        }
    }
  s = files_add (files, "meta.tsv", "key\tvalue");
  for (guint i = 0; i < keys->len; i++)
    g_string_append_printf (s, "%s\t%s\n", (char *) keys->pdata[i], (char *) vals->pdata[i]);
}

static gboolean
dir_is_empty (const char *path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  return d == NULL || g_dir_read_name (d) == NULL;
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *n;
  if (d != NULL)
    while ((n = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *p = g_build_filename (dir, n, NULL);
        g_unlink (p);
      }
  g_rmdir (dir);
}

/* Every file a flat DRG folder may hold: with --force, those the import did
 * not produce are removed so that no stale table survives. */
static const char *const scheme_files[] = {
  "meta.tsv", "settings.tsv", "mdc.tsv", "adrg_rules.tsv", "drg_splits.tsv", "lists.tsv",
  "list_info.tsv", "cc.tsv", "cc_exclusion.tsv", "checks.tsv", "statuses.tsv",
  "drg_names.tsv", "dx_names.tsv", "px_names.tsv", "dx_map.tsv", "px_map.tsv",
  "extract_log.tsv", "problems.tsv", "mdc_names.tsv", "adrg_names.tsv", NULL
};

static gboolean
write_folder (Files *files, const char *out_dir, gboolean force, GError **error)
{
  g_autofree char *clean = g_strdup (out_dir);
  g_autofree char *tmpl = NULL;
  g_autofree char *staging = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (CmScheme) check = NULL;
  gboolean exists;

  while (strlen (clean) > 1 && g_str_has_suffix (clean, G_DIR_SEPARATOR_S))
    clean[strlen (clean) - 1] = '\0';
  exists = g_file_test (clean, G_FILE_TEST_EXISTS);
  if (exists && !g_file_test (clean, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_OUTPUT,
                   "%s exists and is not a folder", clean);
      return FALSE;
    }
  if (exists && !force && !dir_is_empty (clean))
    {
      g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_OUTPUT,
                   "%s is not empty (use --force to replace its scheme files)", clean);
      return FALSE;
    }
  tmpl = g_strconcat (clean, ".import-XXXXXX", NULL);
  staging = g_mkdtemp (g_strdup (tmpl));
  if (staging == NULL)
    {
      g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_OUTPUT,
                   "%s: cannot create a staging folder: %s", tmpl, g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; i < files->names->len; i++)
    {
      g_autofree char *p = g_build_filename (staging, files->names->pdata[i], NULL);
      GString *t = files->texts->pdata[i];
      if (!g_file_set_contents (p, t->str, (gssize) t->len, &local))
        {
          g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_OUTPUT, "%s",
                       local->message);
          remove_tree (staging);
          return FALSE;
        }
    }
  check = cm_scheme_load (staging, &local);
  if (check == NULL)
    {
      g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_CHECK,
                   "the imported scheme does not load: %s", local->message);
      remove_tree (staging);
      return FALSE;
    }
  if (!exists)
    {
      if (g_rename (staging, clean) != 0)
        {
          g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_OUTPUT,
                       "%s: %s", clean, g_strerror (errno));
          remove_tree (staging);
          return FALSE;
        }
      return TRUE;
    }
  for (guint i = 0; i < files->names->len; i++)
    {
      g_autofree char *from = g_build_filename (staging, files->names->pdata[i], NULL);
      g_autofree char *to = g_build_filename (clean, files->names->pdata[i], NULL);
      if (g_rename (from, to) != 0)
        {
          g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_OUTPUT,
                       "%s: %s", to, g_strerror (errno));
          remove_tree (staging);
          return FALSE;
        }
    }
  for (guint i = 0; scheme_files[i]; i++)
    if (files_lookup (files, scheme_files[i]) == NULL)
      {
        g_autofree char *p = g_build_filename (clean, scheme_files[i], NULL);
        g_unlink (p);
      }
  remove_tree (staging);
  return TRUE;
}

static char *
read_meta_value (const char *dir, const char *key)
{
  g_autofree char *p = g_build_filename (dir, "meta.tsv", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  if (!g_file_get_contents (p, &text, NULL, NULL))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i]; i++)
    {
      char *tab = strchr (lines[i], '\t');
      if (tab && (gsize) (tab - lines[i]) == strlen (key) && strncmp (lines[i], key, strlen (key)) == 0)
        return g_strdup (tab + 1);
    }
  return NULL;
}

gboolean
cm_workbook_import (const char *xlsx, const char *out_dir,
                    const CmWorkbookImportOptions *options,
                    CmWorkbookSummary *summary, GError **error)
{
  CmWorkbookImportOptions defaults = { 0 };
  const CmWorkbookImportOptions *opt = options ? options : &defaults;
  CmWorkbookSummary local_sum = { 0 };
  CmWorkbookSummary *sum = summary ? summary : &local_sum;
  g_autoptr (CmXlsxWorkbook) wb = NULL;
  g_autofree char *file = NULL;
  g_autoptr (GHashTable) carried_in = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                             g_free, string_free_full);
  g_autofree char *base_id = NULL;
  Layout lo[G_N_ELEMENTS (sheet_specs)];
  Import im;
  Files files;
  gboolean ok = FALSE;

  g_return_val_if_fail (xlsx != NULL && out_dir != NULL, FALSE);
  memset (sum, 0, sizeof *sum);
  sum->log = g_ptr_array_new_with_free_func (g_free);
  memset (lo, 0, sizeof lo);

  if (g_file_test (out_dir, G_FILE_TEST_IS_DIR) && !opt->force && !dir_is_empty (out_dir))
    {
      g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_OUTPUT,
                   "%s is not empty (use --force to replace its scheme files)", out_dir);
      cm_workbook_summary_clear (&local_sum);
      return FALSE;
    }
  wb = cm_xlsx_workbook_open (xlsx, error);
  if (wb == NULL)
    {
      cm_workbook_summary_clear (&local_sum);
      return FALSE;
    }
  file = g_path_get_basename (xlsx);
  import_init (&im, file, sum);
  files_init (&files);

  for (guint i = 0; i < G_N_ELEMENTS (sheet_specs); i++)
    if (!load_layout (wb, &sheet_specs[i], file, &lo[i], sum, error))
      goto done;
  if (!read_mdc (&im, &lo[0], error))
    goto done;
  g_array_sort (im.mdcs, mdc_cmp);
  for (guint i = 0; i < im.mdcs->len; i++)
    g_hash_table_insert (im.mdc_index, (gpointer) g_array_index (im.mdcs, MdcRec, i).code,
                         GUINT_TO_POINTER (i + 1));
  if (!read_adrg (&im, &lo[1], error) || !read_drg (&im, &lo[2], error)
      || !read_sets (&im, &lo[3], error) || !read_cc (&im, &lo[4], error)
      || !read_excl (&im, &lo[5], error))
    goto done;

  /* every set a formula names must exist */
  {
    g_autoptr (GPtrArray) refs = sorted_keys (im.list_refs);
    for (guint i = 0; i < refs->len; i++)
      if (!g_hash_table_contains (im.sets, refs->pdata[i]))
        {
          g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_FORMULA,
                       "%s: %s (rule): set %s is not in sheet %s", file,
                       (char *) g_hash_table_lookup (im.list_refs, refs->pdata[i]),
                       (char *) refs->pdata[i], SHEET_SETS);
          goto done;
        }
  }
  for (guint i = 0; i < im.adrgs->len; i++)
    {
      AdrgRec *a = &g_array_index (im.adrgs, AdrgRec, i);
      gboolean any = FALSE;
      if (a->kind != K_ADRG)
        continue;
      for (guint k = 0; k < im.splits->len && !any; k++)
        any = g_array_index (im.splits, SplitRec, k).adrg == i;
      if (!any)
        note (sum, "warning", SHEET_DRG, a->code,
              "ADRG %s has no DRG row: a case that meets its rule goes on to the next ADRG",
              a->code);
    }

  build_grouping_files (&im, &files, sum);

  /* what the workbook does not carry */
  if (cm_xlsx_workbook_has_sheet (wb, CASEMIX_SHEET)
      && !read_casemix_sheet (wb, file, carried_in, error))
    goto done;
  if (opt->base_dir != NULL)
    {
      base_id = read_meta_value (opt->base_dir, "id");
      for (guint i = 1; i < G_N_ELEMENTS (carried); i++)
        {
          g_autofree char *p = g_build_filename (opt->base_dir, carried[i][0], NULL);
          g_autofree char *text = NULL;
          gsize len = 0;
          if (!g_file_test (p, G_FILE_TEST_EXISTS))
            {
              g_hash_table_remove (carried_in, carried[i][0]);
              continue;
            }
          if (!g_file_get_contents (p, &text, &len, NULL))
            {
              g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_OUTPUT,
                           "%s: cannot be read", p);
              goto done;
            }
          g_hash_table_replace (carried_in, g_strdup (carried[i][0]),
                                g_string_new_len (text, (gssize) len));
        }
      note (sum, "info", "base", base_id ? base_id : opt->base_dir,
            "settings, checks, statuses, code maps and dictionaries taken from %s",
            opt->base_dir);
    }
  else if (g_hash_table_size (carried_in) > 0)
    note (sum, "info", CASEMIX_SHEET, "-",
          "settings, checks, statuses, code maps and dictionaries taken from the workbook");
  else
    note (sum, "info", "defaults", "-",
          "settings, checks and statuses of CHS-DRG 3.0 used; no code maps, no dictionaries");
  {
    const char *defs[][2] = { { "settings.tsv", default_settings },
                              { "checks.tsv", default_checks },
                              { "statuses.tsv", default_statuses },
                              { "dx_map.tsv", "source_code\ttarget_code\n" },
                              { "px_map.tsv", "source_code\ttarget_code\n" } };
    for (guint i = 0; i < G_N_ELEMENTS (defs); i++)
      {
        GString *t = g_hash_table_lookup (carried_in, defs[i][0]);
        GString *s = files_add (&files, defs[i][0], "");
        g_string_assign (s, t ? t->str : defs[i][1]);
      }
    for (guint i = 6; i < G_N_ELEMENTS (carried); i++)
      {
        GString *t = g_hash_table_lookup (carried_in, carried[i][0]);
        if (t != NULL)
          g_string_assign (files_add (&files, carried[i][0], ""), t->str);
      }
  }
  build_meta (&files, opt->base_dir ? NULL : g_hash_table_lookup (carried_in, "meta.tsv"),
              opt, xlsx, out_dir, base_id, sum);
  {
    GString *s = files_add (&files, "extract_log.tsv", "level\tfile\tline\tmessage");
    for (guint i = 0; i < sum->log->len; i++)
      g_string_append_printf (s, "%s\n", (char *) sum->log->pdata[i]);
  }
  ok = write_folder (&files, out_dir, opt->force, error);

done:
  for (guint i = 0; i < G_N_ELEMENTS (lo); i++)
    layout_clear (&lo[i]);
  import_clear (&im);
  files_clear (&files);
  cm_workbook_summary_clear (&local_sum);
  return ok;
}

/* ------------------------------------------------------------------ */
/* export */

typedef struct {
  char *name;
  char *path;
  GPtrArray *rows;  /* GStrv per data row */
  GArray *lines;    /* guint line number per row */
  guint n_cols;
} Tsv;

static void
tsv_clear (Tsv *t)
{
  g_free (t->name);
  g_free (t->path);
  if (t->rows)
    g_ptr_array_unref (t->rows);
  if (t->lines)
    g_array_unref (t->lines);
  memset (t, 0, sizeof *t);
}

static gboolean
tsv_read (const char *dir, const char *name, const char *header, gboolean optional,
          Tsv *t, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (GPtrArray) lines = NULL;
  g_auto (GStrv) want = g_strsplit (header, "\t", -1);
  gsize len = 0;

  memset (t, 0, sizeof *t);
  t->name = g_strdup (name);
  t->path = g_build_filename (dir, name, NULL);
  t->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  t->lines = g_array_new (FALSE, FALSE, sizeof (guint));
  t->n_cols = g_strv_length (want);
  if (!g_file_get_contents (t->path, &text, &len, &local))
    {
      if (optional && g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SCHEME, "%s", local->message);
      return FALSE;
    }
  if (!g_utf8_validate (text, (gssize) len, NULL) || memchr (text, '\0', len) != NULL)
    {
      g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SCHEME,
                   "%s: not UTF-8 text", t->path);
      return FALSE;
    }
  lines = split_lines (text, len);
  if (lines->len == 0 || strcmp (lines->pdata[0], header) != 0)
    {
      g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SCHEME,
                   "%s:1:1: the header must be: %s", t->path, header);
      return FALSE;
    }
  for (guint i = 1; i < lines->len; i++)
    {
      g_auto (GStrv) cells = NULL;
      const char *line = lines->pdata[i];
      guint ln = i + 1;
      if (strchr (line, '\r') != NULL)
        {
          g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SCHEME,
                       "%s:%u: a CR in the line (LF line ends only)", t->path, ln);
          return FALSE;
        }
      cells = g_strsplit (line, "\t", -1);
      if (g_strv_length (cells) != t->n_cols)
        {
          g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SCHEME,
                       "%s:%u: %u columns where the header has %u", t->path, ln,
                       g_strv_length (cells), t->n_cols);
          return FALSE;
        }
      g_ptr_array_add (t->rows, g_steal_pointer (&cells));
      g_array_append_val (t->lines, ln);
    }
  return TRUE;
}

static const char *
tsv_cell (const Tsv *t, guint row, guint col)
{
  return ((char **) t->rows->pdata[row])[col];
}

static gboolean
scheme_error (GError **error, const Tsv *t, guint row, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

static gboolean
scheme_error (GError **error, const Tsv *t, guint row, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, CM_WORKBOOK_ERROR, CM_WORKBOOK_ERROR_SCHEME, "%s:%u: %s", t->path,
               g_array_index (t->lines, guint, row), msg);
  return FALSE;
}

/* Condition text → workbook formula; @empty_for_true gives "" for true. */
static gboolean
to_formula (const Tsv *t, guint row, guint col, gboolean empty_for_true, char **out,
            CmWorkbookSummary *sum, GError **error)
{
  const char *cond = tsv_cell (t, row, col);
  g_autoptr (GError) local = NULL;
  g_autoptr (CmFx) fx = cm_fx_parse_condition (cond, &local);
  g_autofree char *canon = NULL;

  if (fx == NULL)
    return scheme_error (error, t, row, "condition: %s", local->message);
  canon = cm_fx_render_condition (fx);
  if (strcmp (canon, cond) != 0)
    {
      g_autofree char *ln = g_strdup_printf ("%u", g_array_index (t->lines, guint, row));
      note (sum, "warning", t->name, ln,
            "condition not in canonical spelling; the workbook gives back: %s", canon);
    }
  if (empty_for_true && fx->kind == CM_FX_TRUE)
    {
      *out = g_strdup ("");
      return TRUE;
    }
  *out = cm_fx_render_formula (fx, &local);
  if (*out == NULL)
    return scheme_error (error, t, row, "%s", local->message);
  return TRUE;
}

typedef struct {
  const char *mdc;
  guint row;          /* in adrg_rules */
  const char *kind;
  const char *code;
  gint64 order;
} RuleRef;

static int
rule_ref_cmp (gconstpointer a, gconstpointer b)
{
  const RuleRef *x = a, *y = b;
  int c = strcmp (x->mdc, y->mdc);
  if (c != 0)
    return c;
  return x->order < y->order ? -1 : x->order > y->order;
}

static int
natural_cmp (const char *a, const char *b)
{
  while (*a && *b)
    {
      if (g_ascii_isdigit (*a) && g_ascii_isdigit (*b))
        {
          char *ea, *eb;
          guint64 x = g_ascii_strtoull (a, &ea, 10), y = g_ascii_strtoull (b, &eb, 10);
          if (x != y)
            return x < y ? -1 : 1;
          a = ea;
          b = eb;
          continue;
        }
      if (*a != *b)
        return (unsigned char) *a < (unsigned char) *b ? -1 : 1;
      a++;
      b++;
    }
  return *a ? 1 : *b ? -1 : 0;
}

typedef struct {
  const char *excl;
  const char *code;
  guint pos;
} ExclRow;

static int
excl_row_cmp (gconstpointer a, gconstpointer b)
{
  const ExclRow *x = a, *y = b;
  int c = natural_cmp (x->excl, y->excl);
  if (c != 0)
    return c;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static GHashTable *
name_map (const Tsv *t)
{
  GHashTable *h = g_hash_table_new (g_str_hash, g_str_equal);
  if (t->rows)
    for (guint i = 0; i < t->rows->len; i++)
      g_hash_table_insert (h, (gpointer) tsv_cell (t, i, 0), (gpointer) tsv_cell (t, i, 1));
  return h;
}

static gboolean
add_row (CmXlsxWriter *w, int sheet, const char *types, const char *const *cells,
         GError **error)
{
  return cm_xlsx_writer_add_row (w, sheet, types, cells, error);
}

static int
new_sheet (CmXlsxWriter *w, const char *name, const char *const *header,
           const double *widths, GError **error)
{
  int sh = cm_xlsx_writer_add_sheet (w, name, error);
  guint n = g_strv_length ((GStrv) header);
  g_autofree char *types = g_strnfill (n, 'h');
  if (sh < 0)
    return -1;
  for (guint i = 0; i < n; i++)
    cm_xlsx_writer_set_column_width (w, sh, i, widths[i]);
  cm_xlsx_writer_freeze_first_row (w, sh);
  if (!add_row (w, sh, types, header, error))
    return -1;
  return sh;
}

gboolean
cm_workbook_export (const char *scheme_dir, const char *xlsx,
                    const CmWorkbookExportOptions *options,
                    CmWorkbookSummary *summary, GError **error)
{
  CmWorkbookExportOptions defaults = { 0 };
  const CmWorkbookExportOptions *opt = options ? options : &defaults;
  CmWorkbookSummary local_sum = { 0 };
  CmWorkbookSummary *sum = summary ? summary : &local_sum;
  Tsv mdc, rules, splits, lists, info, cc, excl, mdc_names, adrg_names, drg_names, dx_names;
  g_autoptr (CmXlsxWriter) w = cm_xlsx_writer_new ();
  g_autoptr (GHashTable) mnames = NULL, anames = NULL, dnames = NULL, dxn = NULL;
  g_autoptr (GHashTable) rule_by_adrg = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) mdc_of = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GArray) refs = g_array_new (FALSE, FALSE, sizeof (RuleRef));
  gboolean ok = FALSE;
  int sh;

  g_return_val_if_fail (scheme_dir != NULL && xlsx != NULL, FALSE);
  memset (sum, 0, sizeof *sum);
  sum->log = g_ptr_array_new_with_free_func (g_free);
  memset (&mdc, 0, sizeof mdc);
  rules = splits = lists = info = cc = excl = mdc_names = adrg_names = drg_names = dx_names = mdc;

  if (!tsv_read (scheme_dir, "mdc.tsv", "mdc_order\tmdc\tcondition", FALSE, &mdc, error)
      || !tsv_read (scheme_dir, "adrg_rules.tsv",
                    "mdc\trule_order\trule_id\tkind\tadrg\tcondition\tfallback", FALSE,
                    &rules, error)
      || !tsv_read (scheme_dir, "drg_splits.tsv", "mdc\trule_id\tsplit_order\tdrg\tcondition",
                    FALSE, &splits, error)
      || !tsv_read (scheme_dir, "lists.tsv", "list_id\tcode", FALSE, &lists, error)
      || !tsv_read (scheme_dir, "list_info.tsv", "list_id\tcode_count\tsource\tnote", FALSE,
                    &info, error)
      || !tsv_read (scheme_dir, "cc.tsv", "code\tlevel\texclusion_id", FALSE, &cc, error)
      || !tsv_read (scheme_dir, "cc_exclusion.tsv", "pdx_code\texclusion_id", FALSE, &excl,
                    error)
      || !tsv_read (scheme_dir, "mdc_names.tsv", "mdc\tname", TRUE, &mdc_names, error)
      || !tsv_read (scheme_dir, "adrg_names.tsv", "adrg\tname", TRUE, &adrg_names, error)
      || !tsv_read (scheme_dir, "drg_names.tsv", "drg\tname", TRUE, &drg_names, error)
      || !tsv_read (scheme_dir, "dx_names.tsv", "code\tname", TRUE, &dx_names, error))
    goto done;
  mnames = name_map (&mdc_names);
  anames = name_map (&adrg_names);
  dnames = name_map (&drg_names);
  dxn = name_map (&dx_names);

  /* sheet MDC */
  {
    static const char *const hdr[] = { "MDC编码", "MDC名称", "入组规则", "排序", NULL };
    static const double wd[] = { 10, 40, 80, 8 };
    sh = new_sheet (w, SHEET_MDC, hdr, wd, error);
    if (sh < 0)
      goto done;
    for (guint i = 0; i < mdc.rows->len; i++)
      {
        const char *code = tsv_cell (&mdc, i, 1);
        g_autofree char *formula = NULL;
        const char *name = g_hash_table_lookup (mnames, code);
        const char *cells[4];
        if (!matches (code, "^MDC[A-Z]$"))
          {
            scheme_error (error, &mdc, i, "'%s' is not MDC followed by one letter", code);
            goto done;
          }
        if (!matches (tsv_cell (&mdc, i, 0), "^[0-9]+$"))
          {
            scheme_error (error, &mdc, i, "mdc_order '%s' is not a whole number",
                          tsv_cell (&mdc, i, 0));
            goto done;
          }
        if (!to_formula (&mdc, i, 2, TRUE, &formula, sum, error))
          goto done;
        g_hash_table_insert (mdc_of, (gpointer) code, GUINT_TO_POINTER (i + 1));
        cells[0] = code;
        cells[1] = name ? name : "";
        cells[2] = formula;
        cells[3] = tsv_cell (&mdc, i, 0);
        if (!add_row (w, sh, "sssn", cells, error))
          goto done;
      }
    sum->n_mdc = mdc.rows->len;
  }

  /* sheet ADRG: MDCs by code (as NHSA orders them), rules by rule_order */
  for (guint i = 0; i < rules.rows->len; i++)
    {
      RuleRef r = { tsv_cell (&rules, i, 0), i, tsv_cell (&rules, i, 3),
                    tsv_cell (&rules, i, 4), 0 };
      const char *rule_id = tsv_cell (&rules, i, 2), *fallback = tsv_cell (&rules, i, 6);
      char *end = NULL;
      r.order = g_ascii_strtoll (tsv_cell (&rules, i, 1), &end, 10);
      if (end == tsv_cell (&rules, i, 1) || *end != '\0')
        {
          scheme_error (error, &rules, i, "rule_order '%s' is not a whole number",
                        tsv_cell (&rules, i, 1));
          goto done;
        }
      if (!g_hash_table_contains (mdc_of, r.mdc))
        {
          scheme_error (error, &rules, i, "MDC %s is not in mdc.tsv", r.mdc);
          goto done;
        }
      if (strcmp (rule_id, r.code) != 0)
        {
          scheme_error (error, &rules, i, "rule %s of ADRG %s: the workbook has one rule per "
                        "ADRG, named by its code", rule_id, r.code);
          goto done;
        }
      if (!matches (r.code, "^[A-Z][A-Z0-9]{2}$"))
        {
          scheme_error (error, &rules, i, "'%s' is not a three-character ADRG code", r.code);
          goto done;
        }
      if (g_hash_table_contains (rule_by_adrg, r.code))
        {
          scheme_error (error, &rules, i, "ADRG %s has more than one rule", r.code);
          goto done;
        }
      if (strcmp (r.kind, "adrg") == 0)
        {
          if (*fallback != '\0')
            {
              scheme_error (error, &rules, i, "rule %s falls back to %s: the workbook has no "
                            "fallback (give the ADRG a default DRG split instead)", r.code,
                            fallback);
              goto done;
            }
          if (matches (r.code, "^[A-Z](QY|00)$"))
            {
              scheme_error (error, &rules, i, "%s is an adrg rule but its code reads as an "
                            "ambiguity or fail row", r.code);
              goto done;
            }
        }
      else if (strcmp (r.kind, "qy") == 0)
        {
          if (!matches (r.code, "^[A-Z]QY$") || strcmp (fallback, r.code) != 0)
            {
              scheme_error (error, &rules, i, "ambiguity rule %s: the workbook needs code "
                            "xQY falling back to itself", r.code);
              goto done;
            }
        }
      else if (strcmp (r.kind, "fail") == 0)
        {
          if (!matches (r.code, "^[A-Z]00$") || strcmp (tsv_cell (&rules, i, 5), "true") != 0
              || *fallback == '\0')
            {
              scheme_error (error, &rules, i, "fail rule %s: the workbook needs code x00, "
                            "condition true and a fail code", r.code);
              goto done;
            }
        }
      else
        {
          scheme_error (error, &rules, i, "unknown rule kind '%s'", r.kind);
          goto done;
        }
      g_array_append_val (refs, r);
      g_hash_table_insert (rule_by_adrg, (gpointer) r.code, GUINT_TO_POINTER (i + 1));
    }
  g_array_sort (refs, rule_ref_cmp);
  {
    static const char *const hdr[] = { "序号", "ADRG编码", "ADRG名称", "入组规则", "所属MDC",
                                       "排序", NULL };
    static const double wd[] = { 6, 10, 40, 80, 10, 8 };
    const char *cur = NULL;
    gint64 expect = 0;
    sh = new_sheet (w, SHEET_ADRG, hdr, wd, error);
    if (sh < 0)
      goto done;
    for (guint k = 0; k < refs->len; k++)
      {
        RuleRef *r = &g_array_index (refs, RuleRef, k);
        g_autofree char *formula = NULL;
        g_autofree char *no = g_strdup_printf ("%u", k + 1);
        g_autofree char *sort = g_strdup_printf ("%" G_GINT64_FORMAT, r->order);
        const char *name = g_hash_table_lookup (anames, r->code);
        const char *cells[6];
        if (cur == NULL || strcmp (cur, r->mdc) != 0)
          {
            cur = r->mdc;
            expect = 0;
          }
        if (r->order != ++expect)
          {
            note (sum, "warning", "adrg_rules.tsv", r->mdc,
                  "rule_order of %s is not 1, 2, 3…; the import numbers rules by row order",
                  r->mdc);
            expect = r->order;
          }
        if (strcmp (r->kind, "fail") == 0)
          formula = g_strdup ("");
        else if (!to_formula (&rules, r->row, 5, FALSE, &formula, sum, error))
          goto done;
        cells[0] = no;
        cells[1] = r->code;
        cells[2] = name ? name : "";
        cells[3] = formula;
        cells[4] = r->mdc;
        cells[5] = sort;
        if (!add_row (w, sh, "nssssn", cells, error))
          goto done;
        if (strcmp (r->kind, "adrg") == 0)
          sum->n_adrg_rules++;
        else if (strcmp (r->kind, "qy") == 0)
          sum->n_qy_rules++;
        else
          sum->n_fail_rules++;
      }
  }

  /* sheet DRG: drg_names order, then DRGs without a name; the rows of
   * ambiguity and fail groups after the last row of the rule before them */
  {
    static const char *const hdr[] = { "DRG编码", "DRG名称", "入组规则", "所属ADRG", "所属MDC",
                                       "排序", NULL };
    static const double wd[] = { 10, 50, 50, 10, 10, 8 };
    g_autoptr (GPtrArray) order = g_ptr_array_new ();        /* split row index + 1, or
                                                              * -(rule row + 1) */
    g_autoptr (GHashTable) split_of = g_hash_table_new (g_str_hash, g_str_equal);
    g_autoptr (GHashTable) placed = g_hash_table_new (g_direct_hash, g_direct_equal);
    g_autoptr (GHashTable) seen_sort = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < splits.rows->len; i++)
      {
        const char *rid = tsv_cell (&splits, i, 1), *drg = tsv_cell (&splits, i, 3);
        gpointer ri = g_hash_table_lookup (rule_by_adrg, rid);
        g_autofree char *key = g_strdup_printf ("%s\t%s", rid, tsv_cell (&splits, i, 2));
        if (ri == NULL || strcmp (tsv_cell (&rules, GPOINTER_TO_UINT (ri) - 1, 3), "adrg") != 0)
          {
            scheme_error (error, &splits, i, "rule %s is not an adrg rule of adrg_rules.tsv", rid);
            goto done;
          }
        if (strcmp (tsv_cell (&rules, GPOINTER_TO_UINT (ri) - 1, 0), tsv_cell (&splits, i, 0)) != 0)
          {
            scheme_error (error, &splits, i, "split of %s says MDC %s, the rule is in %s", rid,
                          tsv_cell (&splits, i, 0), tsv_cell (&rules, GPOINTER_TO_UINT (ri) - 1, 0));
            goto done;
          }
        if (!matches (tsv_cell (&splits, i, 2), "^[0-9]+$"))
          {
            scheme_error (error, &splits, i, "split_order '%s' is not a whole number",
                          tsv_cell (&splits, i, 2));
            goto done;
          }
        if (g_hash_table_contains (seen_sort, key))
          {
            scheme_error (error, &splits, i, "split_order %s of %s is used twice",
                          tsv_cell (&splits, i, 2), rid);
            goto done;
          }
        g_hash_table_add (seen_sort, g_steal_pointer (&key));
        if (g_hash_table_contains (split_of, drg))
          {
            scheme_error (error, &splits, i, "DRG %s has two splits; the workbook has one row "
                          "per DRG", drg);
            goto done;
          }
        g_hash_table_insert (split_of, (gpointer) drg, GUINT_TO_POINTER (i + 1));
      }
    if (drg_names.rows)
      for (guint i = 0; i < drg_names.rows->len; i++)
        {
          gpointer si = g_hash_table_lookup (split_of, tsv_cell (&drg_names, i, 0));
          if (si != NULL && !g_hash_table_contains (placed, si))
            {
              g_ptr_array_add (order, si);
              g_hash_table_add (placed, si);
            }
          else if (si == NULL)
            note (sum, "info", "drg_names.tsv", tsv_cell (&drg_names, i, 0),
                  "name of a DRG no split produces; not in the workbook");
        }
    for (guint i = 0; i < splits.rows->len; i++)
      if (!g_hash_table_contains (placed, GUINT_TO_POINTER (i + 1)))
        {
          g_ptr_array_add (order, GUINT_TO_POINTER (i + 1));
          g_hash_table_add (placed, GUINT_TO_POINTER (i + 1));
        }
    /* ambiguity and fail rows */
    for (guint k = 0; k < refs->len; k++)
      {
        RuleRef *r = &g_array_index (refs, RuleRef, k);
        gint at = -1;
        if (strcmp (r->kind, "adrg") == 0)
          continue;
        /* after the last DRG row of the nearest earlier rule of its MDC */
        for (gint j = (gint) k - 1; j >= 0 && at < 0; j--)
          {
            RuleRef *p = &g_array_index (refs, RuleRef, j);
            if (strcmp (p->mdc, r->mdc) != 0)
              break;
            for (guint x = 0; x < order->len; x++)
              {
                gintptr v = (gintptr) order->pdata[x];
                const char *rid = v > 0 ? tsv_cell (&splits, (guint) v - 1, 1)
                                        : tsv_cell (&rules, (guint) (-v) - 1, 4);
                if (strcmp (rid, p->code) == 0)
                  at = (gint) x + 1;
              }
          }
        if (at < 0)
          for (guint x = 0; x < order->len && at < 0; x++)
            {
              gintptr v = (gintptr) order->pdata[x];
              const char *m = v > 0 ? tsv_cell (&splits, (guint) v - 1, 0)
                                    : tsv_cell (&rules, (guint) (-v) - 1, 0);
              if (strcmp (m, r->mdc) == 0)
                at = (gint) x;
            }
        if (at < 0)
          at = (gint) order->len;
        g_ptr_array_insert (order, at, (gpointer) (-(gintptr) r->row - 1));
      }
    sh = new_sheet (w, SHEET_DRG, hdr, wd, error);
    if (sh < 0)
      goto done;
    for (guint x = 0; x < order->len; x++)
      {
        gintptr v = (gintptr) order->pdata[x];
        g_autofree char *formula = NULL;
        const char *cells[6];
        if (v > 0)
          {
            guint i = (guint) v - 1;
            const char *drg = tsv_cell (&splits, i, 3);
            const char *name = g_hash_table_lookup (dnames, drg);
            if (!to_formula (&splits, i, 4, TRUE, &formula, sum, error))
              goto done;
            cells[0] = drg;
            cells[1] = name ? name : "";
            cells[2] = formula;
            cells[3] = tsv_cell (&splits, i, 1);
            cells[4] = tsv_cell (&splits, i, 0);
            cells[5] = tsv_cell (&splits, i, 2);
          }
        else
          {
            guint i = (guint) (-v) - 1;
            gboolean qy = strcmp (tsv_cell (&rules, i, 3), "qy") == 0;
            const char *code = qy ? tsv_cell (&rules, i, 4) : tsv_cell (&rules, i, 6);
            const char *name = g_hash_table_lookup (dnames, code);
            cells[0] = code;
            cells[1] = name ? name : "";
            cells[2] = "";
            cells[3] = tsv_cell (&rules, i, 4);
            cells[4] = tsv_cell (&rules, i, 0);
            cells[5] = "1";
          }
        if (!add_row (w, sh, "sssssn", cells, error))
          goto done;
      }
    sum->n_splits = splits.rows->len;
  }

  /* sheet 集合: lists.tsv order; a declared empty list is a row with no code */
  {
    static const char *const hdr[] = { "集合", "编码", NULL };
    static const double wd[] = { 16, 20 };
    g_autoptr (GHashTable) has_rows = g_hash_table_new (g_str_hash, g_str_equal);
    g_autoptr (GHashTable) declared = g_hash_table_new (g_str_hash, g_str_equal);
    sh = new_sheet (w, SHEET_SETS, hdr, wd, error);
    if (sh < 0)
      goto done;
    for (guint i = 0; i < info.rows->len; i++)
      {
        const char *id = tsv_cell (&info, i, 0);
        if (!is_list_id (id) || strcmp (id, "MCC") == 0 || strcmp (id, "CC") == 0)
          {
            scheme_error (error, &info, i, "list id '%s' cannot be a workbook set name", id);
            goto done;
          }
        g_hash_table_add (declared, (gpointer) id);
      }
    for (guint i = 0; i < lists.rows->len; i++)
      {
        const char *cells[2] = { tsv_cell (&lists, i, 0), tsv_cell (&lists, i, 1) };
        if (!g_hash_table_contains (declared, cells[0]))
          {
            scheme_error (error, &lists, i, "list %s is not declared in list_info.tsv", cells[0]);
            goto done;
          }
        g_hash_table_add (has_rows, (gpointer) cells[0]);
        if (!add_row (w, sh, "ss", cells, error))
          goto done;
      }
    for (guint i = 0; i < info.rows->len; i++)
      if (!g_hash_table_contains (has_rows, tsv_cell (&info, i, 0)))
        {
          const char *cells[2] = { tsv_cell (&info, i, 0), "" };
          if (!add_row (w, sh, "ss", cells, error))
            goto done;
        }
    sum->n_lists = info.rows->len;
    sum->n_list_members = lists.rows->len;
  }

  /* sheet CC */
  {
    static const char *const hdr[] = { "诊断编码", "诊断名称", "排除表", "类型", NULL };
    static const double wd[] = { 16, 40, 10, 8 };
    sh = new_sheet (w, SHEET_CC, hdr, wd, error);
    if (sh < 0)
      goto done;
    for (guint i = 0; i < cc.rows->len; i++)
      {
        const char *code = tsv_cell (&cc, i, 0), *level = tsv_cell (&cc, i, 1);
        const char *ex = tsv_cell (&cc, i, 2);
        const char *name = g_hash_table_lookup (dxn, code);
        const char *cells[4] = { code, name ? name : "", strcmp (ex, "NONE") == 0 ? "无" : ex,
                                 level };
        if (strcmp (level, "MCC") != 0 && strcmp (level, "CC") != 0)
          {
            scheme_error (error, &cc, i, "level '%s' is neither MCC nor CC", level);
            goto done;
          }
        if (!add_row (w, sh, "ssss", cells, error))
          goto done;
      }
    sum->n_cc = cc.rows->len;
  }

  /* sheet 排除表: by table (EX_1, EX_2, … EX_10), then file order */
  {
    static const char *const hdr[] = { "排除表", "主要诊断编码", "主要诊断名称", NULL };
    static const double wd[] = { 10, 16, 40 };
    g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (ExclRow));
    sh = new_sheet (w, SHEET_EXCL, hdr, wd, error);
    if (sh < 0)
      goto done;
    for (guint i = 0; i < excl.rows->len; i++)
      {
        ExclRow r = { tsv_cell (&excl, i, 1), tsv_cell (&excl, i, 0), i };
        g_array_append_val (rows, r);
      }
    g_array_sort (rows, excl_row_cmp);
    for (guint i = 0; i < rows->len; i++)
      {
        ExclRow *r = &g_array_index (rows, ExclRow, i);
        const char *name = g_hash_table_lookup (dxn, r->code);
        const char *cells[3] = { r->excl, r->code, name ? name : "" };
        if (!add_row (w, sh, "sss", cells, error))
          goto done;
      }
    sum->n_exclusions = excl.rows->len;
  }

  if (!opt->official_only)
    {
      static const char *const hdr[] = { "file", "columns of the file, in order", NULL };
      static const double wd[] = { 16, 30, 30, 30, 30 };
      sh = new_sheet (w, CASEMIX_SHEET, hdr, wd, error);
      if (sh < 0)
        goto done;
      for (guint f = 0; f < G_N_ELEMENTS (carried); f++)
        {
          g_autofree char *p = g_build_filename (scheme_dir, carried[f][0], NULL);
          g_autofree char *text = NULL;
          g_autoptr (GPtrArray) lines = NULL;
          gsize len = 0;
          if ((f >= 6 && opt->no_dictionaries) || !g_file_get_contents (p, &text, &len, NULL))
            continue;
          lines = split_lines (text, len);
          for (guint i = 0; i < lines->len; i++)
            {
              g_auto (GStrv) cells = NULL;
              g_autoptr (GPtrArray) row = g_ptr_array_new ();
              g_autofree char *types = NULL;
              cells = g_strsplit (lines->pdata[i], "\t", -1);
              g_ptr_array_add (row, (gpointer) carried[f][0]);
              for (guint c = 0; cells[c]; c++)
                g_ptr_array_add (row, cells[c]);
              types = g_strnfill (row->len, 's');
              if (!add_row (w, sh, types, (const char *const *) row->pdata, error))
                goto done;
            }
        }
      {
        const char *const hdr2[] = { "说明", NULL };
        static const double wd2[] = { 120 };
        g_autofree char *l1 = g_strdup_printf ("Generated by casemix %s (scheme export-workbook) "
                                               "from the flat scheme folder %s.", CM_VERSION,
                                               scheme_dir);
        const char *lines[] = {
          l1,
          "Sheets MDC, ADRG, DRG, 集合, CC and 排除表 follow the layout of the NHSA DRG 3.0 "
          "configuration workbook; rules are written in its formula language.",
          "An empty DRG rule is the default split; an empty MDC rule is always true; x00 rows close "
          "an MDC; xQY rows are ambiguity groups.",
          "Sheet casemix carries the files the official workbook does not hold (settings, input "
          "checks, statuses, code maps, dictionaries), one table row per row.",
          "`casemix scheme import-workbook` reads this workbook back; see docs/transition.md.",
          NULL
        };
        sh = new_sheet (w, README_SHEET, hdr2, wd2, error);
        if (sh < 0)
          goto done;
        for (guint i = 0; lines[i]; i++)
          {
            const char *cells[1] = { lines[i] };
            if (!add_row (w, sh, "s", cells, error))
              goto done;
          }
      }
    }
  ok = cm_xlsx_writer_save (w, xlsx, error);

done:
  tsv_clear (&mdc);
  tsv_clear (&rules);
  tsv_clear (&splits);
  tsv_clear (&lists);
  tsv_clear (&info);
  tsv_clear (&cc);
  tsv_clear (&excl);
  tsv_clear (&mdc_names);
  tsv_clear (&adrg_names);
  tsv_clear (&drg_names);
  tsv_clear (&dx_names);
  cm_workbook_summary_clear (&local_sum);
  return ok;
}
