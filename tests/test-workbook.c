/* test-workbook.c — the .xlsx reader and writer, the workbook formula
 * language both ways, importing hand-made workbooks (tests/data/workbook),
 * the errors that name sheet, row and column, and the round trip of the
 * shipped chs-drg-3.0 tables through a generated workbook.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <glib/gstdio.h>
#include "test-common.h"
#include "cm-xlsx.h"
#include "cm-formula.h"
#include "cm-workbook.h"

static char *
tmp_dir (void)
{
  char *d = g_dir_make_tmp ("cm-wb-XXXXXX", NULL);
  cr_assert_not_null (d);
  return d;
}

static void
rm_rf (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  cr_assert_eq (system (cmd), 0);
}

static char *
slurp (const char *path)
{
  char *text = NULL;
  cr_assert (g_file_get_contents (path, &text, NULL, NULL), "cannot read %s", path);
  return text;
}

/* ------------------------------------------------------------------ */
/* cell references */

Test (xlsx, column_names_and_references)
{
  char buf[4];
  guint col = 0, row = 0;
  static const struct { guint col; const char *name; } names[] = {
    { 0, "A" }, { 25, "Z" }, { 26, "AA" }, { 701, "ZZ" }, { 702, "AAA" }, { 16383, "XFD" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      cm_xlsx_column_name (names[i].col, buf);
      cr_assert_str_eq (buf, names[i].name);
    }
  cr_assert (cm_xlsx_parse_ref ("B12", &col, &row));
  cr_assert_eq (col, 1);
  cr_assert_eq (row, 12);
  cr_assert (cm_xlsx_parse_ref ("xfd1048576", &col, &row));
  cr_assert_eq (col, 16383);
  cr_assert_not (cm_xlsx_parse_ref ("XFE1", NULL, NULL), "beyond the last column");
  cr_assert_not (cm_xlsx_parse_ref ("A0", NULL, NULL));
  cr_assert_not (cm_xlsx_parse_ref ("A1048577", NULL, NULL));
  cr_assert_not (cm_xlsx_parse_ref ("12", NULL, NULL));
  cr_assert_not (cm_xlsx_parse_ref ("A1B", NULL, NULL));
}

/* What the writer writes, the reader reads back: awkward strings included. */
Test (xlsx, writer_output_reads_back_cell_for_cell)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "t.xlsx", NULL);
  g_autoptr (CmXlsxWriter) w = cm_xlsx_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (CmXlsxWorkbook) wb = NULL;
  g_autoptr (CmXlsxSheet) sh = NULL;
  static const char *const texts[] = {
    "  leading and trailing  ", "a & b < c > d \"q\"", "_x000D_ literal escape",
    "line\nbreak", "ctl\001char", "中文（全角）∩ 集合", "=SUM(A1)", "0012",
  };
  int s1, s2;

  s1 = cm_xlsx_writer_add_sheet (w, "集合", &error);
  cr_assert_geq (s1, 0);
  cr_assert_lt (cm_xlsx_writer_add_sheet (w, "bad:name", &error), 0);
  g_clear_error (&error);
  cr_assert_lt (cm_xlsx_writer_add_sheet (w, "集合", &error), 0, "duplicate name");
  g_clear_error (&error);
  s2 = cm_xlsx_writer_add_sheet (w, "second", &error);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      const char *cells[3] = { texts[i], NULL, "42" };
      cr_assert (cm_xlsx_writer_add_row (w, s1, "ssn", cells, &error), "%s",
                 error ? error->message : "");
    }
  {
    const char *bad[1] = { "4x2" };
    cr_assert_not (cm_xlsx_writer_add_row (w, s2, "n", bad, &error));
    cr_assert_eq (error->code, CM_XLSX_ERROR_FORMAT);
    g_clear_error (&error);
  }
  cr_assert (cm_xlsx_writer_save (w, path, &error), "%s", error ? error->message : "");

  wb = cm_xlsx_workbook_open (path, &error);
  cr_assert_not_null (wb, "%s", error ? error->message : "");
  cr_assert_eq (cm_xlsx_workbook_get_n_sheets (wb), 2);
  cr_assert_str_eq (cm_xlsx_workbook_get_sheet_name (wb, 0), "集合");
  sh = cm_xlsx_workbook_load_sheet (wb, "集合", &error);
  cr_assert_not_null (sh);
  cr_assert_eq (cm_xlsx_sheet_get_n_rows (sh), G_N_ELEMENTS (texts));
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      const CmXlsxRow *row = cm_xlsx_sheet_get_row (sh, i);
      cr_assert_eq (row->number, i + 1);
      cr_assert_eq (row->n_cells, 2, "the empty middle cell is left out");
      cr_assert_str_eq (row->cells[0].text, texts[i]);
      cr_assert_eq (row->cells[0].type, CM_XLSX_CELL_STRING);
      cr_assert_null (cm_xlsx_row_lookup_cell (row, 1));
      cr_assert_eq (cm_xlsx_row_lookup_cell (row, 2)->type, CM_XLSX_CELL_NUMBER);
      cr_assert_str_eq (cm_xlsx_row_lookup_cell (row, 2)->text, "42");
    }
  cr_assert_null (cm_xlsx_workbook_load_sheet (wb, "third", &error));
  cr_assert_eq (error->code, CM_XLSX_ERROR_NO_SHEET);
  rm_rf (dir);
}

Test (xlsx, reads_hand_written_parts)
{
  /* mini.xlsx: shared strings with rich-text and phonetic runs, absolute
   * relationship targets, parts not in sheet order */
  g_autofree char *path = test_data_path ("workbook/mini.xlsx");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmXlsxWorkbook) wb = cm_xlsx_workbook_open (path, &error);
  g_autoptr (CmXlsxSheet) sh = NULL;
  const CmXlsxRow *row;

  cr_assert_not_null (wb, "%s", error ? error->message : "");
  sh = cm_xlsx_workbook_load_sheet (wb, "ADRG", &error);
  cr_assert_not_null (sh, "%s", error ? error->message : "");
  row = cm_xlsx_sheet_get_row (sh, 2);
  cr_assert_str_eq (cm_xlsx_row_lookup_cell (row, 1)->text, "BB1");
  cr_assert_str_eq (cm_xlsx_row_lookup_cell (row, 3)->text,
                    "(ZYZD in DI_BB1)\r\nand (ZYSS in OP_BB1)", "_x000D_ decoded, runs joined");
  cr_assert_eq (cm_xlsx_row_lookup_cell (row, 0)->type, CM_XLSX_CELL_NUMBER);
}

Test (xlsx, rejects_what_is_not_a_workbook)
{
  g_autofree char *path = test_data_path ("workbook/err-not-zip.xlsx");
  g_autoptr (GError) error = NULL;
  cr_assert_null (cm_xlsx_workbook_open (path, &error));
  cr_assert_eq (error->domain, CM_XLSX_ERROR);
  cr_assert_eq (error->code, CM_XLSX_ERROR_FORMAT);
  cr_assert (strstr (error->message, "err-not-zip.xlsx") != NULL, "%s", error->message);
  g_clear_error (&error);
  cr_assert_null (cm_xlsx_workbook_open ("/nonexistent/x.xlsx", &error));
  cr_assert_eq (error->code, CM_XLSX_ERROR_IO);
}

/* ------------------------------------------------------------------ */
/* formulas → conditions (schemes/chs-drg-3.0/README.md) */

typedef struct {
  const char *desc;
  const char *formula;
  const char *condition;
} FormulaRow;

ParameterizedTestParameters (formula, translates_to_condition)
{
  static FormulaRow rows[] = {
    { "principal diagnosis", "ZYZD in DI_B00", "pdx_in(DI_B00)" },
    { "other diagnoses", "QTZD in DI_OR1", "sdx_any_in(DI_OR1)" },
    { "principal procedure", "ZYSS in OP_AA1", "ppx_in(OP_AA1)" },
    { "other procedures", "QTSS in OP_X", "spx_any_in(OP_X)" },
    { "any procedure", "{ZYSS, QTSS} in OP_ARB", "px_any_in(OP_ARB)" },
    { "any diagnosis", "{ZYZD, QTZD} in DI_PS1", "dx_any_in(DI_PS1)" },
    { "MCC", "QTZD in MCC", "has_mcc" },
    { "CC", "QTZD in CC", "has_cc" },
    { "MCC or CC", "QTZD in {MCC, CC}", "any(has_mcc, has_cc)" },
    { "set list", "QTZD in {DI_Z02, DI_Z03}", "any(sdx_any_in(DI_Z02), sdx_any_in(DI_Z03))" },
    { "not in", "ZYSS not in OP_ALL", "not(ppx_in(OP_ALL))" },
    { "age", "NL>=70", "age_years >= 70" },
    { "age in days", "XSRTL<29", "age_days < 29" },
    { "birth weight", "XSRTZ<=1499", "weight_g <= 1499" },
    { "sex", "XB = 1", "sex = \"1\"" },
    { "sex, quoted, not equal", "XB <> \"2\"", "sex != \"2\"" },
    { "literal 1", "1", "true" },
    { "and binds tighter than or", "ZYSS in A or ZYSS in B and QTSS in C",
      "any(ppx_in(A), all(ppx_in(B), spx_any_in(C)))" },
    { "a chain is one node", "NL=0 and XSRTL>=29 and XSRTL<366",
      "all(age_years = 0, age_days >= 29, age_days < 366)" },
    { "a group stays a node", "(ZYSS in A and QTSS in B) and NL>=70",
      "all(all(ppx_in(A), spx_any_in(B)), age_years >= 70)" },
    { "parenthesised atoms (BB2)", "(ZYZD in DI_BB2) and (ZYSS in OP_BB2)",
      "all(pdx_in(DI_BB2), ppx_in(OP_BB2))" },
    { "keywords in any case, line breaks (DC3)",
      "(ZYSS in OP1_DC3) OR \n(ZYSS in OP2_DC3 AND {ZYSS, QTSS} in OP3_DC3)",
      "any(ppx_in(OP1_DC3), all(ppx_in(OP2_DC3), px_any_in(OP3_DC3)))" },
    { "length (IC2)", "length(OP_IC2 ∩ {ZYSS, QTSS})>=2 and ZYSS in OP_IC2",
      "all(px_count_in(OP_IC2) >= 2, ppx_in(OP_IC2))" },
    { "length, other operand order", "length({ZYSS, QTSS} ∩ OP_X) > 1",
      "px_count_in(OP_X) > 1" },
    { "MDCP", "((NL=0) and (XSRTL>=29) and (XSRTL<366) and (ZYZD in DI_PV1) and "
              "(ZYSS not in OP_ALL)) or ((NL=0) and (XSRTL<29))",
      "any(all(age_years = 0, age_days >= 29, age_days < 366, pdx_in(DI_PV1), "
      "not(ppx_in(OP_ALL))), all(age_years = 0, age_days < 29))" },
    { "WB1", "((QTZD in DI2_WB1) or ((ZYZD in DI_WB1) and (QTZD in DI1_WB1))) and (ZYSS in OP_WB1)",
      "all(any(sdx_any_in(DI2_WB1), all(pdx_in(DI_WB1), sdx_any_in(DI1_WB1))), ppx_in(OP_WB1))" },
    { "full-width brackets and comma", "（QTZD in DI_A） or QTZD in {DI_B，DI_C}",
      "any(sdx_any_in(DI_A), any(sdx_any_in(DI_B), sdx_any_in(DI_C)))" },
    { "not before a group", "not (NL>=70 or XB = 2)",
      "not(any(age_years >= 70, sex = \"2\"))" },
    { "not in a set list", "ZYSS not in {OP_A, OP_B}",
      "not(any(ppx_in(OP_A), ppx_in(OP_B)))" },
  };
  return cr_make_param_array (FormulaRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (FormulaRow *row, formula, translates_to_condition)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmFx) fx = cm_fx_parse_formula (row->formula, &error);
  g_autofree char *cond = NULL;
  g_autofree char *back = NULL;
  g_autoptr (CmFx) fx2 = NULL;
  g_autofree char *cond2 = NULL;

  cr_assert_not_null (fx, "%s: %s", row->desc, error ? error->message : "");
  cond = cm_fx_render_condition (fx);
  cr_assert_str_eq (cond, row->condition, "%s", row->desc);
  /* and back: condition → formula → the same condition */
  back = cm_fx_render_formula (fx, &error);
  cr_assert_not_null (back, "%s: %s", row->desc, error ? error->message : "");
  fx2 = cm_fx_parse_formula (back, &error);
  cr_assert_not_null (fx2, "%s: %s gives %s", row->desc, back, error ? error->message : "");
  cond2 = cm_fx_render_condition (fx2);
  cr_assert_str_eq (cond2, row->condition, "%s (via %s)", row->desc, back);
}

typedef struct {
  const char *desc;
  const char *formula;
  const char *message;  /* a fragment of the error */
} BadFormulaRow;

ParameterizedTestParameters (formula, reports_errors_with_position)
{
  static BadFormulaRow rows[] = {
    { "empty", "  ", "the formula is empty" },
    { "doubled and", "QTZD in MCC and and NL>=70", "found 'and' at character 17" },
    { "unknown variable", "ZYZX in DI_A", "unknown name 'ZYZX'" },
    { "missing in", "ZYZD DI_A", "expected 'in' but found DI_A at character 6" },
    { "missing set", "ZYZD in", "expected a set name but found the end of the formula" },
    { "unclosed paren", "(ZYZD in DI_A", "expected ')'" },
    { "unclosed brace", "QTZD in {DI_A, DI_B", "expected ',' or '}'" },
    { "MCC on principal", "ZYZD in MCC", "MCC is tested against QTZD only" },
    { "mixed targets", "{ZYZD, ZYSS} in X", "this combination of variables" },
    { "age without number", "NL>=abc", "expected a whole number but found abc" },
    { "sex with <", "XB < 2", "XB is compared with = or != only" },
    { "length of diagnoses", "length(DI_A ∩ {ZYZD, QTZD}) >= 2", "length() counts procedures" },
    { "trailing text", "ZYZD in DI_A DI_B", "unexpected DI_B after a complete formula" },
    { "stray character", "ZYZD in DI_A ; NL>1", "unexpected character ';' at character 14" },
    { "position counts characters", "（ZYZD in）", "expected a set name but found ')' at character 9" },
  };
  return cr_make_param_array (BadFormulaRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (BadFormulaRow *row, formula, reports_errors_with_position)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmFx) fx = cm_fx_parse_formula (row->formula, &error);
  cr_assert_null (fx, "%s: parsed", row->desc);
  cr_assert_eq (error->code, CM_FX_ERROR_SYNTAX);
  cr_assert (strstr (error->message, row->message) != NULL, "%s: got '%s'", row->desc,
             error->message);
}

Test (formula, conditions_without_a_workbook_formula_are_refused)
{
  static const char *const conds[] = {
    "dept = \"ICU\"", "at_least(2, pdx_in(A), sdx_any_in(B))", "known(sex)", "los_days > 3",
    "dept_in(L)", "all(pdx_in(A))", "sdx_any_in(MCC)", "discharge_in(L)",
  };
  for (guint i = 0; i < G_N_ELEMENTS (conds); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CmFx) fx = cm_fx_parse_condition (conds[i], &error);
      g_autofree char *f = NULL;
      cr_assert_not_null (fx, "%s: %s", conds[i], error ? error->message : "");
      f = cm_fx_render_formula (fx, &error);
      cr_assert_null (f, "%s gave %s", conds[i], f);
      cr_assert_eq (error->code, CM_FX_ERROR_UNSUPPORTED, "%s", conds[i]);
    }
}

/* Every condition of the shipped 3.0 tables: canonical as written, and the
 * same after condition → formula → condition. */
Test (formula, every_shipped_3_0_condition_survives_the_formula_language)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = cm_tables_find ("chs-drg-3.0", &error);
  static const struct { const char *file; guint col; } where[] = {
    { "mdc.tsv", 2 }, { "adrg_rules.tsv", 5 }, { "drg_splits.tsv", 4 },
  };
  guint n = 0;

  cr_assert_not_null (dir);
  for (guint w = 0; w < G_N_ELEMENTS (where); w++)
    {
      g_autofree char *p = g_build_filename (dir, where[w].file, NULL);
      g_autofree char *text = slurp (p);
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      for (guint i = 1; lines[i] && *lines[i]; i++)
        {
          g_auto (GStrv) cells = g_strsplit (lines[i], "\t", -1);
          const char *cond = cells[where[w].col];
          g_autoptr (CmFx) fx = cm_fx_parse_condition (cond, &error);
          g_autofree char *canon = NULL, *formula = NULL, *back = NULL;
          g_autoptr (CmFx) fx2 = NULL;
          cr_assert_not_null (fx, "%s:%u: %s", where[w].file, i + 1, error ? error->message : "");
          canon = cm_fx_render_condition (fx);
          cr_assert_str_eq (canon, cond, "%s:%u", where[w].file, i + 1);
          formula = cm_fx_render_formula (fx, &error);
          cr_assert_not_null (formula, "%s:%u: %s", where[w].file, i + 1,
                              error ? error->message : "");
          fx2 = cm_fx_parse_formula (formula, &error);
          cr_assert_not_null (fx2, "%s:%u: %s: %s", where[w].file, i + 1, formula,
                              error ? error->message : "");
          back = cm_fx_render_condition (fx2);
          cr_assert_str_eq (back, cond, "%s:%u via %s", where[w].file, i + 1, formula);
          n++;
        }
    }
  cr_assert_eq (n, 26 + 537 + 825);
}

/* ------------------------------------------------------------------ */
/* importing the hand-made workbooks */

typedef struct {
  const char *desc;
  const char *spec;
  const char *drg;
} MiniCase;

static void
check_mini (const char *xlsx_name)
{
  static const MiniCase cases[] = {
    { "transplant", "sex=1 age=50 dx=I63.900 px=33.5000", "AA19" },
    { "cranial surgery with MCC", "sex=1 age=50 dx=S06.000|J96.000 px=01.2400", "BB11" },
    { "cranial surgery, CC is not MCC", "sex=1 age=50 dx=S06.000|I10.x00 px=01.2400", "BB15" },
    { "OR procedure outside the ADRGs: ambiguity", "sex=1 age=50 dx=I63.900 px=86.2200", "BQY" },
    { "stroke, CC, 70+", "sex=2 age=70 dx=I63.900|I10.x00", "BR1F" },
    { "stroke, CC, 69", "sex=2 age=69 dx=I63.900|I10.x00", "BR13" },
    { "stroke, CC of the same exclusion table", "sex=2 age=80 dx=I63.900|I63.800", "BR15" },
    { "MDCB, no ADRG: the MDC's fail code", "sex=1 age=40 dx=S06.000", "B000" },
    { "no MDC", "sex=1 age=40 dx=K35.800", "0000" },
  };
  g_autofree char *dir = tmp_dir ();
  g_autofree char *out = g_build_filename (dir, "scheme", NULL);
  g_autofree char *xlsx = test_data_path (xlsx_name);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmScheme) s = NULL;
  g_autoptr (CmGroupContext) ctx = NULL;
  CmWorkbookSummary sum = { 0 };

  cr_assert (cm_workbook_import (xlsx, out, NULL, &sum, &error), "%s: %s", xlsx_name,
             error ? error->message : "");
  cr_assert_eq (sum.n_mdc, 2);
  cr_assert_eq (sum.n_adrg_rules, 3);
  cr_assert_eq (sum.n_qy_rules, 1);
  cr_assert_eq (sum.n_fail_rules, 1);
  cr_assert_eq (sum.n_splits, 6);
  cr_assert_eq (sum.n_list_members, 9, "one repeated member dropped");
  cm_workbook_summary_clear (&sum);
  s = cm_scheme_load (out, &error);
  cr_assert_not_null (s, "%s", error ? error->message : "");
  ctx = cm_group_context_new (s);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (GStrv) store = NULL;
      CmEpisode ep;
      CmGroupResult r;
      test_episode (&ep, cases[i].spec, &store);
      cm_group (ctx, &ep, CM_GROUP_DEFAULT, &r);
      cr_assert_str_eq (r.drg, cases[i].drg, "%s: %s (%s)", xlsx_name, cases[i].desc, r.status);
    }
  rm_rf (dir);
}

Test (import, reads_a_workbook_by_its_headers)
{
  check_mini ("workbook/mini.xlsx");
}

Test (import, reads_a_workbook_without_headers_by_column_position)
{
  check_mini ("workbook/mini-positional.xlsx");
}

typedef struct {
  const char *file;
  GQuark (*domain) (void);
  int code;
  const char *message;
} ErrRow;

ParameterizedTestParameters (import, errors_name_sheet_row_and_column)
{
  static ErrRow rows[] = {
    { "err-formula.xlsx", cm_workbook_error_quark, CM_WORKBOOK_ERROR_FORMULA,
      "err-formula.xlsx: sheet DRG, row 6, column C (rule): formula: expected a condition "
      "but found 'and' at character 23" },
    { "err-unknown-set.xlsx", cm_workbook_error_quark, CM_WORKBOOK_ERROR_FORMULA,
      "sheet ADRG, row 5, column D (rule): set DI_BR9 is not in sheet 集合" },
    { "err-missing-sheet.xlsx", cm_workbook_error_quark, CM_WORKBOOK_ERROR_SHEET,
      "no sheet 排除表 (the workbook has: MDC, ADRG, DRG, 集合, CC)" },
    { "err-number-code.xlsx", cm_workbook_error_quark, CM_WORKBOOK_ERROR_SHEET,
      "sheet 集合, row 6, column B (code): the number 33.5 where a code is expected" },
    { "err-bad-mdc.xlsx", cm_workbook_error_quark, CM_WORKBOOK_ERROR_SHEET,
      "sheet ADRG, row 5, column E (mdc): 'MDCQ' is not an MDC of sheet MDC" },
    { "err-cc-type.xlsx", cm_workbook_error_quark, CM_WORKBOOK_ERROR_SHEET,
      "sheet CC, row 3, column D (type): 'XX' is neither MCC nor CC" },
    { "err-unknown-variable.xlsx", cm_workbook_error_quark, CM_WORKBOOK_ERROR_FORMULA,
      "sheet MDC, row 3, column C (rule): formula: unknown name 'ZYZX'" },
    { "err-duplicate-drg.xlsx", cm_workbook_error_quark, CM_WORKBOOK_ERROR_SHEET,
      "sheet DRG, row 8, column A (code): DRG BR13 appears twice (first in row 7)" },
    { "err-not-zip.xlsx", cm_xlsx_error_quark, CM_XLSX_ERROR_FORMAT,
      "err-not-zip.xlsx: not an xlsx workbook" },
  };
  return cr_make_param_array (ErrRow, rows, G_N_ELEMENTS (rows));
}

ParameterizedTest (ErrRow *row, import, errors_name_sheet_row_and_column)
{
  g_autofree char *rel = g_strconcat ("workbook/", row->file, NULL);
  g_autofree char *xlsx = test_data_path (rel);
  g_autofree char *dir = tmp_dir ();
  g_autofree char *out = g_build_filename (dir, "scheme", NULL);
  g_autoptr (GError) error = NULL;

  cr_assert_not (cm_workbook_import (xlsx, out, NULL, NULL, &error), "%s imported", row->file);
  cr_assert_eq (error->domain, row->domain (), "%s: %s", row->file, error->message);
  cr_assert_eq (error->code, row->code, "%s: %s", row->file, error->message);
  cr_assert (strstr (error->message, row->message) != NULL, "%s: got '%s'", row->file,
             error->message);
  cr_assert_not (g_file_test (out, G_FILE_TEST_EXISTS), "a failed import writes nothing");
  rm_rf (dir);
}

Test (import, refuses_a_folder_that_is_not_empty_unless_forced)
{
  g_autofree char *xlsx = test_data_path ("workbook/mini.xlsx");
  g_autofree char *dir = tmp_dir ();
  g_autofree char *stale = g_build_filename (dir, "problems.tsv", NULL);
  g_autofree char *mdc = g_build_filename (dir, "mdc.tsv", NULL);
  g_autoptr (GError) error = NULL;
  CmWorkbookImportOptions opt = { 0 };

  cr_assert (g_file_set_contents (stale, "file\tline\texcerpt\treason\n", -1, NULL));
  cr_assert_not (cm_workbook_import (xlsx, dir, &opt, NULL, &error));
  cr_assert_eq (error->code, CM_WORKBOOK_ERROR_OUTPUT);
  cr_assert (strstr (error->message, "--force") != NULL, "%s", error->message);
  g_clear_error (&error);
  opt.force = TRUE;
  opt.id = "mini-2026";
  cr_assert (cm_workbook_import (xlsx, dir, &opt, NULL, &error), "%s",
             error ? error->message : "");
  cr_assert (g_file_test (mdc, G_FILE_TEST_EXISTS));
  cr_assert_not (g_file_test (stale, G_FILE_TEST_EXISTS), "stale scheme file removed");
  {
    g_autoptr (CmScheme) s = cm_scheme_load (dir, &error);
    cr_assert_not_null (s);
    cr_assert_str_eq (cm_scheme_get_id (s), "mini-2026");
  }
  rm_rf (dir);
}

Test (import, takes_settings_and_dictionaries_from_a_base_scheme)
{
  g_autofree char *xlsx = test_data_path ("workbook/mini.xlsx");
  g_autofree char *dir = tmp_dir ();
  g_autofree char *out = g_build_filename (dir, "s", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *base = cm_tables_find ("chs-drg-3.0", &error);
  CmWorkbookImportOptions opt = { 0 };
  static const char *const same[] = { "settings.tsv", "checks.tsv", "statuses.tsv",
                                      "dx_names.tsv", "px_names.tsv" };

  opt.base_dir = base;
  cr_assert (cm_workbook_import (xlsx, out, &opt, NULL, &error), "%s",
             error ? error->message : "");
  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    {
      g_autofree char *a = g_build_filename (base, same[i], NULL);
      g_autofree char *b = g_build_filename (out, same[i], NULL);
      g_autofree char *ta = slurp (a), *tb = slurp (b);
      cr_assert_str_eq (ta, tb, "%s", same[i]);
    }
  rm_rf (dir);
}

Test (export, refuses_what_the_workbook_cannot_say)
{
  /* chs-drg-1.1 (format 1) counts multiple-trauma sites with at_least():
   * the workbook formulas cannot say that */
  g_autofree char *dir = tmp_dir ();
  g_autofree char *xlsx = g_build_filename (dir, "x.xlsx", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *v1 = cm_tables_find ("chs-drg-1.1", &error);

  cr_assert_not (cm_workbook_export (v1, xlsx, NULL, NULL, &error));
  cr_assert_eq (error->code, CM_WORKBOOK_ERROR_SCHEME);
  cr_assert (strstr (error->message, "chs-drg-1.1/mdc.tsv:5: at_least() has no workbook formula")
             != NULL, "names file:line: %s", error->message);
  cr_assert_not (g_file_test (xlsx, G_FILE_TEST_EXISTS));
  rm_rf (dir);
}

/* ------------------------------------------------------------------ */
/* the round trip: shipped chs-drg-3.0 → workbook → import */

/* Compared byte for byte: every grouping file, the names, the code maps and
 * the dictionaries. Not compared: meta.tsv's extractor_version and
 * source_workbook (the provenance of this import; every other meta line is
 * compared), extract_log.tsv (the log of this import) and README.md (not a
 * scheme table). */
static const char *const round_trip_files[] = {
  "mdc.tsv", "adrg_rules.tsv", "drg_splits.tsv", "lists.tsv", "list_info.tsv", "cc.tsv",
  "cc_exclusion.tsv", "checks.tsv", "settings.tsv", "statuses.tsv", "dx_map.tsv",
  "px_map.tsv", "mdc_names.tsv", "adrg_names.tsv", "drg_names.tsv", "dx_names.tsv",
  "px_names.tsv",
};

static char *
meta_without_provenance (const char *dir)
{
  g_autofree char *p = g_build_filename (dir, "meta.tsv", NULL);
  g_autofree char *text = slurp (p);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GString *out = g_string_new (NULL);
  for (guint i = 0; lines[i]; i++)
    if (!g_str_has_prefix (lines[i], "extractor_version\t")
        && !g_str_has_prefix (lines[i], "source_workbook\t"))
      g_string_append_printf (out, "%s\n", lines[i]);
  return g_string_free (out, FALSE);
}

static char *
run_group (const char *scheme, const char *input)
{
  const char *bin = g_getenv ("CM_CASEMIX_BIN");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;
  const char *argv[] = { bin, "group", "--scheme", scheme, "--quiet", input, NULL };
  cr_assert_not_null (bin, "CM_CASEMIX_BIN not set");
  cr_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                           &err, &status, &error), "%s", error ? error->message : "");
  cr_assert (g_spawn_check_wait_status (status, NULL), "casemix group: %s", err);
  return g_steal_pointer (&out);
}

Test (round_trip, shipped_3_0_tables_through_a_workbook_are_exact, .timeout = 1200)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *shipped = cm_tables_find ("chs-drg-3.0", &error);
  g_autofree char *dir = tmp_dir ();
  g_autofree char *xlsx = g_build_filename (dir, "chs-drg-3.0.xlsx", NULL);
  g_autofree char *xlsx2 = g_build_filename (dir, "again.xlsx", NULL);
  g_autofree char *out = g_build_filename (dir, "chs-drg-3.0", NULL);
  g_autofree char *sample = test_shared_path ("episodes/sample-20k.csv");
  CmWorkbookSummary sum = { 0 };

  cr_assert_not_null (shipped);
  cr_assert (cm_workbook_export (shipped, xlsx, NULL, &sum, &error), "%s",
             error ? error->message : "");
  cr_assert_eq (sum.n_warnings, 0);
  cm_workbook_summary_clear (&sum);
  cr_assert (cm_workbook_import (xlsx, out, NULL, &sum, &error), "%s",
             error ? error->message : "");
  cr_assert_eq (sum.n_mdc, 26);
  cr_assert_eq (sum.n_adrg_rules, 492);
  cr_assert_eq (sum.n_qy_rules, 21);
  cr_assert_eq (sum.n_fail_rules, 24);
  cr_assert_eq (sum.n_splits, 825);
  cr_assert_eq (sum.n_lists, 634);
  cr_assert_eq (sum.n_cc, 7918);
  cr_assert_eq (sum.n_warnings, 0);
  cm_workbook_summary_clear (&sum);

  for (guint i = 0; i < G_N_ELEMENTS (round_trip_files); i++)
    {
      g_autofree char *a = g_build_filename (shipped, round_trip_files[i], NULL);
      g_autofree char *b = g_build_filename (out, round_trip_files[i], NULL);
      g_autofree char *ta = slurp (a), *tb = slurp (b);
      cr_assert (strcmp (ta, tb) == 0, "%s differs after the round trip", round_trip_files[i]);
    }
  {
    g_autofree char *ma = meta_without_provenance (shipped);
    g_autofree char *mb = meta_without_provenance (out);
    cr_assert_str_eq (ma, mb, "meta.tsv apart from extractor_version and source_workbook");
  }
  /* the export is deterministic: the same folder gives the same bytes */
  cr_assert (cm_workbook_export (shipped, xlsx2, NULL, NULL, &error), "%s",
             error ? error->message : "");
  {
    g_autofree char *a = NULL, *b = NULL;
    gsize la = 0, lb = 0;
    cr_assert (g_file_get_contents (xlsx, &a, &la, NULL));
    cr_assert (g_file_get_contents (xlsx2, &b, &lb, NULL));
    cr_assert (la == lb && memcmp (a, b, la) == 0, "export is deterministic");
  }

  if (sample == NULL)
    cr_log_info ("../shared absent: the grouping comparison on sample-20k is skipped");
  else
    {
      g_autofree char *ga = run_group (shipped, sample);
      g_autofree char *gb = run_group (out, sample);
      cr_assert_gt (strlen (ga), 20000 * 20);
      cr_assert (strcmp (ga, gb) == 0, "sample-20k groups differently after the round trip");
    }
  rm_rf (dir);
}
