/* cm-tsv-private.h — reading the UTF-8 TSV tables that schemes are made of.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A table is mapped (or read) whole; rows are walked in place. Each row is
 * split at TAB into cells that point into a private copy of the line, so
 * callers may keep nothing from a row beyond the call: copy (intern) what
 * you keep. Errors name file:line:column and the column name. */
#pragma once

#include <glib.h>
#include "cm-limits.h"

G_BEGIN_DECLS

#define CM_TSV_MAX_COLS 32

typedef struct {
  char *path;          /* for messages */
  char *display;       /* short name used in messages (folder/file) */
  GMappedFile *map;
  const char *data;
  gsize len;
  gsize pos;
  guint line_no;       /* 1-based number of the current row */
  guint n_cols;        /* from the header */
  char *header[CM_TSV_MAX_COLS];
  /* current row */
  char *buf;
  gsize buf_size;
  guint n_cells;
  char *cells[CM_TSV_MAX_COLS];
  gsize cell_col[CM_TSV_MAX_COLS];  /* 1-based byte column of each cell */
} CmTsv;

/* Opens @dir/@name and checks that the header starts with the @n_required
 * column names given (more columns may follow). */
gboolean cm_tsv_open (CmTsv *tsv, const char *dir, const char *name,
                      const char *const *required, guint n_required,
                      GError **error);
/* TRUE when @dir/@name exists. */
gboolean cm_tsv_exists (const char *dir, const char *name);
/* Next row: TRUE with cells filled; FALSE at end (error unset) or on a
 * malformed row (error set). Rows must have exactly n_cols cells. */
gboolean cm_tsv_next (CmTsv *tsv, GError **error);
void cm_tsv_close (CmTsv *tsv);

/* Sets @error to CM_SCHEME_ERROR_TABLE naming file:line:column of cell @col
 * (0-based) of the current row. */
void cm_tsv_error (CmTsv *tsv, guint col, GError **error,
                   const char *format, ...) G_GNUC_PRINTF (4, 5);

/* Parses cell @col as an integer in [min, max]. */
gboolean cm_tsv_get_int (CmTsv *tsv, guint col, gint64 min, gint64 max,
                         gint64 *out, GError **error);

G_END_DECLS
