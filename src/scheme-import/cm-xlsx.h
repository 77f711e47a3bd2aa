/* cm-xlsx.h — a minimal but real reader and writer of Office Open XML
 * spreadsheets (.xlsx), built on libzip and libxml2 only.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reading gives the text of every cell by sheet, row and column: shared
 * strings (rich text runs joined, phonetic runs dropped), inline strings,
 * cached formula results, numbers as written, booleans and error values.
 * Sheets are found by name through workbook.xml and its relationships, so
 * a workbook saved by Excel, WPS or LibreOffice reads the same. Nothing is
 * evaluated: a cell with a formula gives its cached value.
 *
 * Writing produces a plain workbook (shared strings, one bold header style,
 * frozen header row, column widths) that Excel and LibreOffice open. The
 * output is deterministic: the same rows give the same bytes. */
#pragma once

#include <glib.h>
#include "cm-version.h"

G_BEGIN_DECLS

/* Bounds on what a workbook may hold (raising them costs memory only). */
#define CM_XLSX_MAX_PART_BYTES (512u * 1024 * 1024) /* one uncompressed part */
#define CM_XLSX_MAX_ROWS 1048576u                    /* Excel's own limits */
#define CM_XLSX_MAX_COLS 16384u
#define CM_XLSX_MAX_CELL_UNITS 32767u                /* UTF-16 units per cell */

#define CM_XLSX_ERROR (cm_xlsx_error_quark ())
typedef enum {
  CM_XLSX_ERROR_IO,        /* the file cannot be read or written */
  CM_XLSX_ERROR_FORMAT,    /* not a workbook: bad zip, missing part, bad XML */
  CM_XLSX_ERROR_NO_SHEET,  /* no sheet of that name */
  CM_XLSX_ERROR_LIMIT,     /* beyond one of the bounds above */
} CmXlsxError;

CM_API GQuark cm_xlsx_error_quark (void);

typedef enum {
  CM_XLSX_CELL_STRING,  /* shared, inline or formula string; a date as written */
  CM_XLSX_CELL_NUMBER,  /* the number as written in the file ("3", "1.5E3") */
  CM_XLSX_CELL_BOOL,    /* "TRUE" or "FALSE" */
  CM_XLSX_CELL_ERROR,   /* "#N/A", "#REF!", … */
} CmXlsxCellType;

typedef struct {
  guint col;             /* 0-based column: A = 0 */
  CmXlsxCellType type;
  const char *text;      /* UTF-8, never NULL; owned by the sheet */
} CmXlsxCell;

typedef struct {
  guint number;            /* 1-based row number as in the file */
  guint n_cells;
  const CmXlsxCell *cells; /* by ascending column; empty cells left out */
} CmXlsxRow;

typedef struct _CmXlsxWorkbook CmXlsxWorkbook;
typedef struct _CmXlsxSheet CmXlsxSheet;
typedef struct _CmXlsxWriter CmXlsxWriter;

/**
 * cm_xlsx_workbook_open:
 * @path: an .xlsx file
 * @error: CM_XLSX_ERROR_IO, _FORMAT or _LIMIT, naming @path
 *
 * Opens the package, reads the sheet list and the shared strings.
 *
 * Returns: (transfer full): the workbook, or NULL.
 */
CM_API CmXlsxWorkbook *cm_xlsx_workbook_open (const char *path, GError **error);
CM_API void cm_xlsx_workbook_free (CmXlsxWorkbook *wb);
CM_API const char *cm_xlsx_workbook_get_path (const CmXlsxWorkbook *wb);
CM_API guint cm_xlsx_workbook_get_n_sheets (const CmXlsxWorkbook *wb);
/* (transfer none): the name of sheet @i in workbook order */
CM_API const char *cm_xlsx_workbook_get_sheet_name (const CmXlsxWorkbook *wb,
                                                    guint i);
CM_API gboolean cm_xlsx_workbook_has_sheet (const CmXlsxWorkbook *wb,
                                            const char *name);

/**
 * cm_xlsx_workbook_load_sheet:
 * @wb: the workbook
 * @name: the sheet name (exact)
 * @error: CM_XLSX_ERROR_NO_SHEET, or _FORMAT/_LIMIT naming the cell
 *
 * Returns: (transfer full): every non-empty cell of the sheet; the sheet
 *   does not refer to @wb afterwards.
 */
CM_API CmXlsxSheet *cm_xlsx_workbook_load_sheet (CmXlsxWorkbook *wb,
                                                 const char *name,
                                                 GError **error);
CM_API void cm_xlsx_sheet_free (CmXlsxSheet *sheet);
CM_API const char *cm_xlsx_sheet_get_name (const CmXlsxSheet *sheet);
/* Rows that hold at least one cell, by ascending row number. */
CM_API guint cm_xlsx_sheet_get_n_rows (const CmXlsxSheet *sheet);
CM_API const CmXlsxRow *cm_xlsx_sheet_get_row (const CmXlsxSheet *sheet,
                                               guint i);
/* (nullable): the cell of @row in column @col */
CM_API const CmXlsxCell *cm_xlsx_row_lookup_cell (const CmXlsxRow *row,
                                                  guint col);

/* Column letters of 0-based @col ("A", "Z", "AA", …); @buf holds 4 bytes. */
CM_API void cm_xlsx_column_name (guint col, char buf[4]);
/* Parses an A1 reference ("B12" → col 1, row 12). */
CM_API gboolean cm_xlsx_parse_ref (const char *ref, guint *col, guint *row);

/* Writer. Sheets are added in order; rows are appended to one sheet. */
CM_API CmXlsxWriter *cm_xlsx_writer_new (void);
CM_API void cm_xlsx_writer_free (CmXlsxWriter *w);

/**
 * cm_xlsx_writer_add_sheet:
 * @w: the writer
 * @name: 1–31 characters, none of []:*?/\ and unique (case-insensitive)
 * @error: CM_XLSX_ERROR_FORMAT for a bad name
 *
 * Returns: the sheet index, or -1.
 */
CM_API int cm_xlsx_writer_add_sheet (CmXlsxWriter *w, const char *name,
                                     GError **error);

/**
 * cm_xlsx_writer_add_row:
 * @w: the writer
 * @sheet: a sheet index
 * @types: one letter per cell: 's' string, 'h' header string (bold),
 *   'n' number (text must be a decimal number)
 * @cells: (array length=strlen(types)): the texts; NULL or "" is an empty cell
 * @error: CM_XLSX_ERROR_LIMIT (too many rows, a cell over 32,767 units) or
 *   _FORMAT (an 'n' cell that is not a number)
 */
CM_API gboolean cm_xlsx_writer_add_row (CmXlsxWriter *w, int sheet,
                                        const char *types,
                                        const char *const *cells,
                                        GError **error);
/* Column width in characters; the first row stays visible when scrolling. */
CM_API void cm_xlsx_writer_set_column_width (CmXlsxWriter *w, int sheet,
                                             guint col, double width);
CM_API void cm_xlsx_writer_freeze_first_row (CmXlsxWriter *w, int sheet);

/* Writes the workbook (replacing @path atomically). */
CM_API gboolean cm_xlsx_writer_save (CmXlsxWriter *w, const char *path,
                                     GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmXlsxWorkbook, cm_xlsx_workbook_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmXlsxSheet, cm_xlsx_sheet_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmXlsxWriter, cm_xlsx_writer_free)

G_END_DECLS
