/* cm-xlsx.c — reading and writing .xlsx workbooks with libzip and libxml2.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reading follows ECMA-376 part 1 as far as a table of text needs: the
 * package relationships lead to the workbook part, the workbook's own
 * relationships to each sheet and to the shared-string table. Part names
 * are matched case-insensitively (OPC §9.1.1). Sheets and shared strings
 * are read with the streaming xmlTextReader, so a 100,000-row sheet costs
 * the size of its cell texts, not a DOM. Escapes of the form _xHHHH_
 * (§22.9.2.19, used by Excel for control characters such as a CR inside a
 * formula text) are decoded. External entities and network access are
 * off. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zip.h>
#include "cm-xlsx.h"
#include "cm-xlsx-private.h"

#define NS_REL_TRANSITIONAL \
  "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_REL_STRICT "http://purl.oclc.org/ooxml/officeDocument/relationships"

G_DEFINE_QUARK (cm-xlsx-error-quark, cm_xlsx_error)

struct _CmXlsxWorkbook {
  char *path;
  zip_t *zip;
  GPtrArray *sheet_names;  /* char* */
  GPtrArray *sheet_parts;  /* char*: package part of each sheet */
  GPtrArray *shared;       /* char* into chunk */
  GStringChunk *chunk;
};

struct _CmXlsxSheet {
  char *name;
  GStringChunk *chunk;
  GArray *cells;   /* CmXlsxCell */
  GArray *rows;    /* CmXlsxRow; cells pointers fixed once loaded */
};

/* ------------------------------------------------------------------ */
/* helpers */

static gboolean
str_eq (const xmlChar *a, const char *b)
{
  return a != NULL && strcmp ((const char *) a, b) == 0;
}

static int
hexval (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes the _xHHHH_ escapes of ECMA-376 §22.9.2.19 into @out. */
static void
append_unescaped (GString *out, const char *s)
{
  while (*s)
    {
      if (s[0] == '_' && s[1] == 'x' && s[2] && s[3] && s[4] && s[5]
          && s[6] == '_')
        {
          int h0 = hexval (s[2]), h1 = hexval (s[3]), h2 = hexval (s[4]),
              h3 = hexval (s[5]);
          if (h0 >= 0 && h1 >= 0 && h2 >= 0 && h3 >= 0)
            {
              gunichar c = (gunichar) ((h0 << 12) | (h1 << 8) | (h2 << 4) | h3);
              if (c != 0 && g_unichar_validate (c))
                {
                  g_string_append_unichar (out, c);
                  s += 7;
                  continue;
                }
            }
        }
      g_string_append_c (out, *s);
      s++;
    }
}

void
cm_xlsx_column_name (guint col, char buf[4])
{
  char tmp[4];
  int n = 0;

  col++;
  while (col > 0 && n < 3)
    {
      guint r = (col - 1) % 26;
      tmp[n++] = (char) ('A' + r);
      col = (col - 1) / 26;
    }
  for (int i = 0; i < n; i++)
    buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
}

gboolean
cm_xlsx_parse_ref (const char *ref, guint *col, guint *row)
{
  guint64 c = 0, r = 0;
  const char *p = ref;

  g_return_val_if_fail (ref != NULL, FALSE);
  if (!g_ascii_isalpha (*p))
    return FALSE;
  while (g_ascii_isalpha (*p))
    {
      c = c * 26 + (guint64) (g_ascii_toupper (*p) - 'A' + 1);
      if (c > CM_XLSX_MAX_COLS)
        return FALSE;
      p++;
    }
  if (!g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    {
      r = r * 10 + (guint64) (*p - '0');
      if (r > CM_XLSX_MAX_ROWS)
        return FALSE;
      p++;
    }
  if (*p != '\0' || r == 0)
    return FALSE;
  if (col)
    *col = (guint) (c - 1);
  if (row)
    *row = (guint) r;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* reading the package */

static char *
read_part (CmXlsxWorkbook *wb, const char *name, gsize *len_out,
           gboolean optional, GError **error)
{
  zip_stat_t st;
  zip_int64_t idx;
  zip_file_t *f;
  g_autofree char *buf = NULL;
  zip_uint64_t got = 0;
  char extra;

  idx = zip_name_locate (wb->zip, name, ZIP_FL_NOCASE);
  if (idx < 0)
    {
      if (!optional)
        g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                     "%s: not an xlsx workbook: part %s is missing", wb->path,
                     name);
      return NULL;
    }
  zip_stat_init (&st);
  if (zip_stat_index (wb->zip, (zip_uint64_t) idx, 0, &st) != 0
      || !(st.valid & ZIP_STAT_SIZE))
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                   "%s: part %s: %s", wb->path, name, zip_strerror (wb->zip));
      return NULL;
    }
  if (st.size > CM_XLSX_MAX_PART_BYTES)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_LIMIT,
                   "%s: part %s is %" G_GUINT64_FORMAT
                   " bytes uncompressed, more than the limit of %u",
                   wb->path, name, (guint64) st.size, CM_XLSX_MAX_PART_BYTES);
      return NULL;
    }
  f = zip_fopen_index (wb->zip, (zip_uint64_t) idx, 0);
  if (f == NULL)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                   "%s: part %s: %s", wb->path, name, zip_strerror (wb->zip));
      return NULL;
    }
  buf = g_malloc (st.size + 1);
  while (got < st.size)
    {
      zip_int64_t n = zip_fread (f, buf + got, st.size - got);
      if (n <= 0)
        break;
      got += (zip_uint64_t) n;
    }
  /* one more read lets libzip check the CRC at the end of the stream */
  if (got != st.size || zip_fread (f, &extra, 1) != 0)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                   "%s: part %s is damaged: %s", wb->path, name,
                   zip_file_strerror (f));
      zip_fclose (f);
      return NULL;
    }
  zip_fclose (f);
  buf[st.size] = '\0';
  if (len_out)
    *len_out = st.size;
  return g_steal_pointer (&buf);
}

static xmlDoc *
parse_part (CmXlsxWorkbook *wb, const char *name, gboolean optional,
            GError **error)
{
  gsize len = 0;
  g_autofree char *buf = read_part (wb, name, &len, optional, error);
  xmlDoc *doc;

  if (buf == NULL)
    return NULL;
  if (len > G_MAXINT)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_LIMIT,
                   "%s: part %s is too large", wb->path, name);
      return NULL;
    }
  doc = xmlReadMemory (buf, (int) len, name, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL || xmlDocGetRootElement (doc) == NULL)
    {
      const xmlError *e = xmlGetLastError ();
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                   "%s: part %s is not well-formed XML (line %d)", wb->path,
                   name, e ? e->line : 0);
      if (doc)
        xmlFreeDoc (doc);
      return NULL;
    }
  return doc;
}

/* The folder of part @name ("xl/workbook.xml" → "xl"), "" at the root. */
static char *
part_dir (const char *name)
{
  const char *slash = strrchr (name, '/');
  return slash ? g_strndup (name, (gsize) (slash - name)) : g_strdup ("");
}

/* Resolves a relationship target against the source part's folder
 * (OPC §9.3), normalising "." and ".." segments. */
static char *
resolve_target (const char *base_dir, const char *target)
{
  g_autofree char *joined = NULL;
  g_auto (GStrv) segs = NULL;
  g_autoptr (GPtrArray) out = g_ptr_array_new ();

  if (target[0] == '/')
    joined = g_strdup (target + 1);
  else if (*base_dir)
    joined = g_strconcat (base_dir, "/", target, NULL);
  else
    joined = g_strdup (target);
  segs = g_strsplit (joined, "/", -1);
  for (guint i = 0; segs[i]; i++)
    {
      if (segs[i][0] == '\0' || strcmp (segs[i], ".") == 0)
        continue;
      if (strcmp (segs[i], "..") == 0)
        {
          if (out->len > 0)
            g_ptr_array_remove_index (out, out->len - 1);
          continue;
        }
      g_ptr_array_add (out, segs[i]);
    }
  g_ptr_array_add (out, NULL);
  return g_strjoinv ("/", (char **) out->pdata);
}

/* Relationships of part @name: Id → resolved target, and the first
 * target of each type suffix asked for. */
typedef struct {
  GHashTable *by_id;  /* char* → char* */
  GPtrArray *types;   /* parallel: type, target */
} Rels;

static void
rels_clear (Rels *r)
{
  g_clear_pointer (&r->by_id, g_hash_table_unref);
  g_clear_pointer (&r->types, g_ptr_array_unref);
}

static gboolean
read_rels (CmXlsxWorkbook *wb, const char *part, Rels *rels, GError **error)
{
  g_autofree char *dir = part_dir (part);
  g_autofree char *base = g_path_get_basename (part);
  g_autofree char *rels_name = *dir ? g_strconcat (dir, "/_rels/", base, ".rels", NULL)
                                    : g_strconcat ("_rels/", base, ".rels", NULL);
  g_autoptr (GError) local = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  xmlNode *root;

  rels->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  rels->types = g_ptr_array_new_with_free_func (g_free);
  if (strcmp (part, "") == 0)
    {
      g_free (rels_name);
      rels_name = g_strdup ("_rels/.rels");
    }
  doc = parse_part (wb, rels_name, TRUE, &local);
  if (doc == NULL)
    {
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      return TRUE;  /* no relationships */
    }
  root = xmlDocGetRootElement (doc);
  for (xmlNode *n = root->children; n; n = n->next)
    {
      g_autoptr (CmXmlString) id = NULL;
      g_autoptr (CmXmlString) type = NULL;
      g_autoptr (CmXmlString) target = NULL;
      g_autoptr (CmXmlString) mode = NULL;
      char *resolved;

      if (n->type != XML_ELEMENT_NODE || !str_eq (n->name, "Relationship"))
        continue;
      id = xmlGetProp (n, (const xmlChar *) "Id");
      type = xmlGetProp (n, (const xmlChar *) "Type");
      target = xmlGetProp (n, (const xmlChar *) "Target");
      mode = xmlGetProp (n, (const xmlChar *) "TargetMode");
      if (id == NULL || target == NULL
          || (mode != NULL && str_eq (mode, "External")))
        continue;
      resolved = resolve_target (strcmp (part, "") == 0 ? "" : dir,
                                 (const char *) target);
      g_ptr_array_add (rels->types, g_strdup (type ? (const char *) type : ""));
      g_ptr_array_add (rels->types, g_strdup (resolved));
      g_hash_table_replace (rels->by_id, g_strdup ((const char *) id), resolved);
    }
  return TRUE;
}

static const char *
rels_find_type (const Rels *rels, const char *suffix)
{
  for (guint i = 0; i + 1 < rels->types->len; i += 2)
    if (g_str_has_suffix (rels->types->pdata[i], suffix))
      return rels->types->pdata[i + 1];
  return NULL;
}

static gboolean
read_shared_strings (CmXlsxWorkbook *wb, const char *part, GError **error)
{
  gsize len = 0;
  g_autofree char *buf = read_part (wb, part, &len, FALSE, error);
  g_autoptr (xmlTextReader) r = NULL;
  g_autoptr (GString) cur = g_string_new (NULL);
  gboolean in_si = FALSE;
  int ret;

  if (buf == NULL)
    return FALSE;
  r = xmlReaderForMemory (buf, (int) MIN (len, (gsize) G_MAXINT), part, NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (r == NULL)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                   "%s: part %s cannot be read", wb->path, part);
      return FALSE;
    }
  ret = xmlTextReaderRead (r);
  while (ret == 1)
    {
      int type = xmlTextReaderNodeType (r);
      const xmlChar *name = xmlTextReaderConstLocalName (r);

      if (type == XML_READER_TYPE_ELEMENT)
        {
          if (str_eq (name, "si"))
            {
              g_string_truncate (cur, 0);
              if (xmlTextReaderIsEmptyElement (r))
                g_ptr_array_add (wb->shared, g_string_chunk_insert_const (wb->chunk, ""));
              else
                in_si = TRUE;
            }
          else if (str_eq (name, "rPh") || str_eq (name, "phoneticPr"))
            {
              ret = xmlTextReaderNext (r);  /* phonetic guide: not cell text */
              continue;
            }
          else if (in_si && str_eq (name, "t"))
            {
              g_autoptr (CmXmlString) s = xmlTextReaderReadString (r);
              if (s)
                append_unescaped (cur, (const char *) s);
            }
        }
      else if (type == XML_READER_TYPE_END_ELEMENT && in_si && str_eq (name, "si"))
        {
          g_ptr_array_add (wb->shared, g_string_chunk_insert_const (wb->chunk, cur->str));
          in_si = FALSE;
        }
      ret = xmlTextReaderRead (r);
    }
  if (ret < 0)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                   "%s: part %s is not well-formed XML (line %d)", wb->path,
                   part, xmlTextReaderGetParserLineNumber (r));
      return FALSE;
    }
  return TRUE;
}

CmXlsxWorkbook *
cm_xlsx_workbook_open (const char *path, GError **error)
{
  g_autoptr (CmXlsxWorkbook) wb = NULL;
  Rels root_rels = { 0 }, wb_rels = { 0 };
  g_autoptr (xmlDoc) doc = NULL;
  const char *wb_part, *sst_part;
  g_autofree char *wb_part_copy = NULL;
  xmlNode *root, *sheets = NULL;
  int zerr = 0;
  zip_t *za;

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_IO,
                   "%s: no such file", path);
      return NULL;
    }
  za = zip_open (path, ZIP_RDONLY, &zerr);
  if (za == NULL)
    {
      zip_error_t ze;
      zip_error_init_with_code (&ze, zerr);
      g_set_error (error, CM_XLSX_ERROR,
                   zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ ? CM_XLSX_ERROR_IO
                                                              : CM_XLSX_ERROR_FORMAT,
                   "%s: not an xlsx workbook: %s", path, zip_error_strerror (&ze));
      zip_error_fini (&ze);
      return NULL;
    }
  wb = g_new0 (CmXlsxWorkbook, 1);
  wb->path = g_strdup (path);
  wb->zip = za;
  wb->sheet_names = g_ptr_array_new_with_free_func (g_free);
  wb->sheet_parts = g_ptr_array_new_with_free_func (g_free);
  wb->shared = g_ptr_array_new ();
  wb->chunk = g_string_chunk_new (64 * 1024);

  if (!read_rels (wb, "", &root_rels, error))
    {
      rels_clear (&root_rels);
      return NULL;
    }
  wb_part = rels_find_type (&root_rels, "/officeDocument");
  wb_part_copy = g_strdup (wb_part ? wb_part : "xl/workbook.xml");
  rels_clear (&root_rels);

  doc = parse_part (wb, wb_part_copy, FALSE, error);
  if (doc == NULL)
    return NULL;
  if (!read_rels (wb, wb_part_copy, &wb_rels, error))
    {
      rels_clear (&wb_rels);
      return NULL;
    }
  root = xmlDocGetRootElement (doc);
  for (xmlNode *n = root->children; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE && str_eq (n->name, "sheets"))
      sheets = n;
  for (xmlNode *n = sheets ? sheets->children : NULL; n; n = n->next)
    {
      g_autoptr (CmXmlString) name = NULL;
      g_autoptr (CmXmlString) rid = NULL;
      const char *target;

      if (n->type != XML_ELEMENT_NODE || !str_eq (n->name, "sheet"))
        continue;
      name = xmlGetProp (n, (const xmlChar *) "name");
      rid = xmlGetNsProp (n, (const xmlChar *) "id",
                          (const xmlChar *) NS_REL_TRANSITIONAL);
      if (rid == NULL)
        rid = xmlGetNsProp (n, (const xmlChar *) "id",
                            (const xmlChar *) NS_REL_STRICT);
      target = rid ? g_hash_table_lookup (wb_rels.by_id, rid) : NULL;
      if (name == NULL || target == NULL)
        {
          g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                       "%s: workbook.xml: sheet %s has no part",
                       path, name ? (const char *) name : "(unnamed)");
          rels_clear (&wb_rels);
          return NULL;
        }
      g_ptr_array_add (wb->sheet_names, g_strdup ((const char *) name));
      g_ptr_array_add (wb->sheet_parts, g_strdup (target));
    }
  sst_part = rels_find_type (&wb_rels, "/sharedStrings");
  if (sst_part != NULL && !read_shared_strings (wb, sst_part, error))
    {
      rels_clear (&wb_rels);
      return NULL;
    }
  rels_clear (&wb_rels);
  return g_steal_pointer (&wb);
}

void
cm_xlsx_workbook_free (CmXlsxWorkbook *wb)
{
  if (wb == NULL)
    return;
  if (wb->zip)
    zip_discard (wb->zip);
  g_free (wb->path);
  g_clear_pointer (&wb->sheet_names, g_ptr_array_unref);
  g_clear_pointer (&wb->sheet_parts, g_ptr_array_unref);
  g_clear_pointer (&wb->shared, g_ptr_array_unref);
  if (wb->chunk)
    g_string_chunk_free (wb->chunk);
  g_free (wb);
}

const char *
cm_xlsx_workbook_get_path (const CmXlsxWorkbook *wb)
{
  g_return_val_if_fail (wb != NULL, NULL);
  return wb->path;
}

guint
cm_xlsx_workbook_get_n_sheets (const CmXlsxWorkbook *wb)
{
  g_return_val_if_fail (wb != NULL, 0);
  return wb->sheet_names->len;
}

const char *
cm_xlsx_workbook_get_sheet_name (const CmXlsxWorkbook *wb, guint i)
{
  g_return_val_if_fail (wb != NULL && i < wb->sheet_names->len, NULL);
  return wb->sheet_names->pdata[i];
}

gboolean
cm_xlsx_workbook_has_sheet (const CmXlsxWorkbook *wb, const char *name)
{
  g_return_val_if_fail (wb != NULL && name != NULL, FALSE);
  for (guint i = 0; i < wb->sheet_names->len; i++)
    if (strcmp (wb->sheet_names->pdata[i], name) == 0)
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* reading a sheet */

typedef struct {
  guint number;
  guint first;
  guint n;
} RowRec;

static gboolean
sheet_error (GError **error, CmXlsxError code, const CmXlsxWorkbook *wb,
             const char *sheet, guint row, guint col, const char *what)
{
  char cn[4];
  cm_xlsx_column_name (col, cn);
  g_set_error (error, CM_XLSX_ERROR, code, "%s: sheet %s, cell %s%u: %s",
               wb->path, sheet, cn, row, what);
  return FALSE;
}

CmXlsxSheet *
cm_xlsx_workbook_load_sheet (CmXlsxWorkbook *wb, const char *name,
                             GError **error)
{
  g_autoptr (CmXlsxSheet) sh = NULL;
  g_autofree char *buf = NULL;
  g_autoptr (xmlTextReader) r = NULL;
  g_autoptr (GArray) recs = g_array_new (FALSE, FALSE, sizeof (RowRec));
  g_autoptr (GString) val = g_string_new (NULL);
  g_autoptr (GString) tmp = g_string_new (NULL);
  const char *part = NULL;
  gsize len = 0;
  gboolean in_row = FALSE, in_cell = FALSE, in_is = FALSE, has_val = FALSE;
  g_autofree char *ctype = NULL;
  guint row_no = 0, next_col = 0, col = 0;
  gint64 last_col = -1;
  RowRec cur = { 0 };
  int ret;

  g_return_val_if_fail (wb != NULL && name != NULL, NULL);
  for (guint i = 0; i < wb->sheet_names->len; i++)
    if (strcmp (wb->sheet_names->pdata[i], name) == 0)
      part = wb->sheet_parts->pdata[i];
  if (part == NULL)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_NO_SHEET,
                   "%s: no sheet named %s", wb->path, name);
      return NULL;
    }
  buf = read_part (wb, part, &len, FALSE, error);
  if (buf == NULL)
    return NULL;
  r = xmlReaderForMemory (buf, (int) MIN (len, (gsize) G_MAXINT), part, NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (r == NULL)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                   "%s: sheet %s cannot be read", wb->path, name);
      return NULL;
    }
  sh = g_new0 (CmXlsxSheet, 1);
  sh->name = g_strdup (name);
  sh->chunk = g_string_chunk_new (64 * 1024);
  sh->cells = g_array_new (FALSE, FALSE, sizeof (CmXlsxCell));
  sh->rows = g_array_new (FALSE, FALSE, sizeof (CmXlsxRow));

  ret = xmlTextReaderRead (r);
  while (ret == 1)
    {
      int type = xmlTextReaderNodeType (r);
      const xmlChar *lname = xmlTextReaderConstLocalName (r);

      if (type == XML_READER_TYPE_ELEMENT)
        {
          if (str_eq (lname, "row"))
            {
              g_autoptr (CmXmlString) rattr = xmlTextReaderGetAttribute (r, (const xmlChar *) "r");
              guint n = row_no + 1;
              if (rattr != NULL)
                {
                  char *end = NULL;
                  guint64 v = g_ascii_strtoull ((const char *) rattr, &end, 10);
                  if (end == (char *) rattr || *end != '\0' || v == 0
                      || v > CM_XLSX_MAX_ROWS || v <= row_no)
                    {
                      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                                   "%s: sheet %s: row number '%s' after row %u "
                                   "is out of order or out of range",
                                   wb->path, name, (const char *) rattr, row_no);
                      return NULL;
                    }
                  n = (guint) v;
                }
              if (n > CM_XLSX_MAX_ROWS)
                {
                  g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_LIMIT,
                               "%s: sheet %s has more than %u rows", wb->path,
                               name, CM_XLSX_MAX_ROWS);
                  return NULL;
                }
              row_no = n;
              next_col = 0;
              last_col = -1;
              cur.number = n;
              cur.first = sh->cells->len;
              cur.n = 0;
              in_row = !xmlTextReaderIsEmptyElement (r);
            }
          else if (in_row && str_eq (lname, "c"))
            {
              g_autoptr (CmXmlString) ref = xmlTextReaderGetAttribute (r, (const xmlChar *) "r");
              g_autoptr (CmXmlString) t = xmlTextReaderGetAttribute (r, (const xmlChar *) "t");
              col = next_col;
              if (ref != NULL && !cm_xlsx_parse_ref ((const char *) ref, &col, NULL))
                {
                  g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                               "%s: sheet %s, row %u: bad cell reference '%s'",
                               wb->path, name, row_no, (const char *) ref);
                  return NULL;
                }
              if ((gint64) col <= last_col)
                return sheet_error (error, CM_XLSX_ERROR_FORMAT, wb, name, row_no,
                                    col, "cell out of order"), NULL;
              if (col >= CM_XLSX_MAX_COLS)
                return sheet_error (error, CM_XLSX_ERROR_LIMIT, wb, name, row_no,
                                    col, "column out of range"), NULL;
              last_col = col;
              next_col = col + 1;
              g_free (ctype);
              ctype = g_strdup (t ? (const char *) t : "n");
              g_string_truncate (val, 0);
              has_val = FALSE;
              in_is = FALSE;
              in_cell = !xmlTextReaderIsEmptyElement (r);
            }
          else if (in_cell && str_eq (lname, "v"))
            {
              g_autoptr (CmXmlString) s = xmlTextReaderReadString (r);
              g_string_assign (val, s ? (const char *) s : "");
              has_val = TRUE;
            }
          else if (in_cell && str_eq (lname, "is"))
            in_is = !xmlTextReaderIsEmptyElement (r);
          else if (str_eq (lname, "rPh") || str_eq (lname, "phoneticPr"))
            {
              ret = xmlTextReaderNext (r);
              continue;
            }
          else if (in_is && str_eq (lname, "t"))
            {
              g_autoptr (CmXmlString) s = xmlTextReaderReadString (r);
              if (s)
                g_string_append (val, (const char *) s);
              has_val = TRUE;
            }
        }
      else if (type == XML_READER_TYPE_END_ELEMENT)
        {
          if (in_cell && str_eq (lname, "c"))
            {
              CmXlsxCell cell = { col, CM_XLSX_CELL_STRING, NULL };
              in_cell = FALSE;
              if (!has_val)
                goto next;
              if (strcmp (ctype, "s") == 0)
                {
                  char *end = NULL;
                  guint64 idx = g_ascii_strtoull (val->str, &end, 10);
                  if (end == val->str || *end != '\0' || idx >= wb->shared->len)
                    return sheet_error (error, CM_XLSX_ERROR_FORMAT, wb, name,
                                        row_no, col,
                                        "shared string index out of range"), NULL;
                  cell.text = g_string_chunk_insert_const (sh->chunk,
                                                           wb->shared->pdata[idx]);
                }
              else if (strcmp (ctype, "inlineStr") == 0 || strcmp (ctype, "str") == 0
                       || strcmp (ctype, "d") == 0)
                {
                  g_string_truncate (tmp, 0);
                  append_unescaped (tmp, val->str);
                  cell.text = g_string_chunk_insert_const (sh->chunk, tmp->str);
                }
              else if (strcmp (ctype, "b") == 0)
                {
                  cell.type = CM_XLSX_CELL_BOOL;
                  cell.text = strcmp (g_strstrip (val->str), "1") == 0 ? "TRUE" : "FALSE";
                }
              else if (strcmp (ctype, "e") == 0)
                {
                  cell.type = CM_XLSX_CELL_ERROR;
                  cell.text = g_string_chunk_insert_const (sh->chunk, val->str);
                }
              else
                {
                  cell.type = CM_XLSX_CELL_NUMBER;
                  cell.text = g_string_chunk_insert_const (sh->chunk,
                                                           g_strstrip (val->str));
                }
              if (cell.text[0] == '\0')
                goto next;
              g_array_append_val (sh->cells, cell);
              cur.n++;
            }
          else if (in_is && str_eq (lname, "is"))
            in_is = FALSE;
          else if (in_row && str_eq (lname, "row"))
            {
              in_row = FALSE;
              if (cur.n > 0)
                g_array_append_val (recs, cur);
            }
        }
    next:
      ret = xmlTextReaderRead (r);
    }
  if (ret < 0)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                   "%s: sheet %s is not well-formed XML (line %d)", wb->path,
                   name, xmlTextReaderGetParserLineNumber (r));
      return NULL;
    }
  for (guint i = 0; i < recs->len; i++)
    {
      RowRec *rr = &g_array_index (recs, RowRec, i);
      CmXlsxRow row = { rr->number, rr->n,
                        &g_array_index (sh->cells, CmXlsxCell, rr->first) };
      g_array_append_val (sh->rows, row);
    }
  return g_steal_pointer (&sh);
}

void
cm_xlsx_sheet_free (CmXlsxSheet *sheet)
{
  if (sheet == NULL)
    return;
  g_free (sheet->name);
  if (sheet->chunk)
    g_string_chunk_free (sheet->chunk);
  g_clear_pointer (&sheet->cells, g_array_unref);
  g_clear_pointer (&sheet->rows, g_array_unref);
  g_free (sheet);
}

const char *
cm_xlsx_sheet_get_name (const CmXlsxSheet *sheet)
{
  g_return_val_if_fail (sheet != NULL, NULL);
  return sheet->name;
}

guint
cm_xlsx_sheet_get_n_rows (const CmXlsxSheet *sheet)
{
  g_return_val_if_fail (sheet != NULL, 0);
  return sheet->rows->len;
}

const CmXlsxRow *
cm_xlsx_sheet_get_row (const CmXlsxSheet *sheet, guint i)
{
  g_return_val_if_fail (sheet != NULL && i < sheet->rows->len, NULL);
  return &g_array_index (sheet->rows, CmXlsxRow, i);
}

const CmXlsxCell *
cm_xlsx_row_lookup_cell (const CmXlsxRow *row, guint col)
{
  guint lo = 0, hi;

  g_return_val_if_fail (row != NULL, NULL);
  hi = row->n_cells;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      if (row->cells[mid].col < col)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < row->n_cells && row->cells[lo].col == col ? &row->cells[lo] : NULL;
}

/* ------------------------------------------------------------------ */
/* writing */

typedef struct {
  char *name;
  GString *data;   /* <row> elements */
  guint n_rows;
  guint n_cols;    /* columns used */
  GArray *widths;  /* double per column; 0 = default */
  gboolean freeze;
} WSheet;

struct _CmXlsxWriter {
  GPtrArray *sheets;     /* WSheet* */
  GHashTable *sst_index; /* string → index + 1 */
  GPtrArray *sst;        /* strings, owned by sst_index keys */
  guint64 sst_refs;
};

static void
wsheet_free (gpointer p)
{
  WSheet *s = p;
  g_free (s->name);
  g_string_free (s->data, TRUE);
  g_array_unref (s->widths);
  g_free (s);
}

CmXlsxWriter *
cm_xlsx_writer_new (void)
{
  CmXlsxWriter *w = g_new0 (CmXlsxWriter, 1);
  w->sheets = g_ptr_array_new_with_free_func (wsheet_free);
  w->sst_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  w->sst = g_ptr_array_new ();
  return w;
}

void
cm_xlsx_writer_free (CmXlsxWriter *w)
{
  if (w == NULL)
    return;
  g_ptr_array_unref (w->sheets);
  g_ptr_array_unref (w->sst);
  g_hash_table_unref (w->sst_index);
  g_free (w);
}

int
cm_xlsx_writer_add_sheet (CmXlsxWriter *w, const char *name, GError **error)
{
  WSheet *s;
  glong n;
  g_autofree char *fold = NULL;

  g_return_val_if_fail (w != NULL && name != NULL, -1);
  n = g_utf8_validate (name, -1, NULL) ? g_utf8_strlen (name, -1) : 0;
  if (n < 1 || n > 31 || strpbrk (name, "[]:*?/\\") != NULL || name[0] == '\''
      || g_str_has_suffix (name, "'"))
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                   "'%s' is not a valid sheet name", name);
      return -1;
    }
  fold = g_utf8_casefold (name, -1);
  for (guint i = 0; i < w->sheets->len; i++)
    {
      WSheet *o = w->sheets->pdata[i];
      g_autofree char *of = g_utf8_casefold (o->name, -1);
      if (strcmp (of, fold) == 0)
        {
          g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                       "two sheets named '%s'", name);
          return -1;
        }
    }
  s = g_new0 (WSheet, 1);
  s->name = g_strdup (name);
  s->data = g_string_new (NULL);
  s->widths = g_array_new (FALSE, TRUE, sizeof (double));
  g_ptr_array_add (w->sheets, s);
  return (int) w->sheets->len - 1;
}

/* Appends @text escaped for XML character data (or an attribute value),
 * with control characters and literal "_xHHHH_" escaped as ECMA-376
 * §22.9.2.19 asks. */
static void
append_xml (GString *out, const char *text)
{
  for (const char *p = text; *p; p++)
    {
      unsigned char c = (unsigned char) *p;
      if (c == '&')
        g_string_append (out, "&amp;");
      else if (c == '<')
        g_string_append (out, "&lt;");
      else if (c == '>')
        g_string_append (out, "&gt;");
      else if (c == '"')
        g_string_append (out, "&quot;");
      else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
        g_string_append_printf (out, "_x%04X_", c);
      else if (c == '_' && p[1] == 'x' && hexval (p[2]) >= 0 && hexval (p[3]) >= 0
               && hexval (p[4]) >= 0 && hexval (p[5]) >= 0 && p[6] == '_')
        g_string_append (out, "_x005F_");
      else
        g_string_append_c (out, (char) c);
    }
}

static gsize
utf16_units (const char *s)
{
  gsize n = 0;
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    n += g_utf8_get_char (p) >= 0x10000 ? 2 : 1;
  return n;
}

static gboolean
is_decimal_number (const char *s)
{
  const char *p = s;
  if (*p == '-')
    p++;
  if (!g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p == 'e' || *p == 'E')
    {
      p++;
      if (*p == '+' || *p == '-')
        p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  return *p == '\0';
}

gboolean
cm_xlsx_writer_add_row (CmXlsxWriter *w, int sheet, const char *types,
                        const char *const *cells, GError **error)
{
  WSheet *s;
  guint n, row;

  g_return_val_if_fail (w != NULL && types != NULL, FALSE);
  g_return_val_if_fail (sheet >= 0 && (guint) sheet < w->sheets->len, FALSE);
  s = w->sheets->pdata[sheet];
  n = (guint) strlen (types);
  if (s->n_rows >= CM_XLSX_MAX_ROWS || n > CM_XLSX_MAX_COLS)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_LIMIT,
                   "sheet %s: more than %u rows", s->name, CM_XLSX_MAX_ROWS);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      const char *t = cells[i];
      if (t == NULL || *t == '\0')
        continue;
      if (!g_utf8_validate (t, -1, NULL))
        {
          g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                       "sheet %s, row %u: cell %u is not valid UTF-8", s->name,
                       s->n_rows + 1, i + 1);
          return FALSE;
        }
      if (utf16_units (t) > CM_XLSX_MAX_CELL_UNITS)
        {
          g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_LIMIT,
                       "sheet %s, row %u: cell %u is longer than the %u "
                       "characters a spreadsheet cell holds", s->name,
                       s->n_rows + 1, i + 1, CM_XLSX_MAX_CELL_UNITS);
          return FALSE;
        }
      if (types[i] == 'n' && !is_decimal_number (t))
        {
          g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                       "sheet %s, row %u: cell %u: '%s' is not a number",
                       s->name, s->n_rows + 1, i + 1, t);
          return FALSE;
        }
    }
  row = ++s->n_rows;
  g_string_append_printf (s->data, "<row r=\"%u\">", row);
  for (guint i = 0; i < n; i++)
    {
      const char *t = cells[i];
      char cn[4];

      if (t == NULL || *t == '\0')
        continue;
      cm_xlsx_column_name (i, cn);
      if (types[i] == 'n')
        g_string_append_printf (s->data, "<c r=\"%s%u\"><v>%s</v></c>", cn, row, t);
      else
        {
          gpointer idx = g_hash_table_lookup (w->sst_index, t);
          if (idx == NULL)
            {
              char *key = g_strdup (t);
              g_ptr_array_add (w->sst, key);
              idx = GUINT_TO_POINTER (w->sst->len);
              g_hash_table_insert (w->sst_index, key, idx);
            }
          w->sst_refs++;
          g_string_append_printf (s->data, "<c r=\"%s%u\" t=\"s\"%s><v>%u</v></c>",
                                  cn, row, types[i] == 'h' ? " s=\"1\"" : "",
                                  GPOINTER_TO_UINT (idx) - 1);
        }
      if (i + 1 > s->n_cols)
        s->n_cols = i + 1;
    }
  g_string_append (s->data, "</row>");
  return TRUE;
}

void
cm_xlsx_writer_set_column_width (CmXlsxWriter *w, int sheet, guint col,
                                 double width)
{
  WSheet *s;
  g_return_if_fail (w != NULL && sheet >= 0 && (guint) sheet < w->sheets->len);
  g_return_if_fail (col < CM_XLSX_MAX_COLS);
  s = w->sheets->pdata[sheet];
  if (s->widths->len <= col)
    g_array_set_size (s->widths, col + 1);
  g_array_index (s->widths, double, col) = width;
}

void
cm_xlsx_writer_freeze_first_row (CmXlsxWriter *w, int sheet)
{
  g_return_if_fail (w != NULL && sheet >= 0 && (guint) sheet < w->sheets->len);
  ((WSheet *) w->sheets->pdata[sheet])->freeze = TRUE;
}

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define CT_PREFIX "application/vnd.openxmlformats-officedocument.spreadsheetml."

static GString *
sheet_xml (const WSheet *s, gboolean first)
{
  GString *x = g_string_sized_new (s->data->len + 1024);
  char cn[4];

  g_string_append (x, XML_DECL "<worksheet xmlns=\"" NS_MAIN "\" xmlns:r=\""
                      NS_REL_TRANSITIONAL "\">");
  if (s->n_rows > 0 && s->n_cols > 0)
    {
      cm_xlsx_column_name (s->n_cols - 1, cn);
      g_string_append_printf (x, "<dimension ref=\"A1:%s%u\"/>", cn, s->n_rows);
    }
  g_string_append_printf (x, "<sheetViews><sheetView workbookViewId=\"0\"%s>",
                          first ? " tabSelected=\"1\"" : "");
  if (s->freeze)
    g_string_append (x, "<pane ySplit=\"1\" topLeftCell=\"A2\" "
                        "activePane=\"bottomLeft\" state=\"frozen\"/>"
                        "<selection pane=\"bottomLeft\" activeCell=\"A2\" sqref=\"A2\"/>");
  g_string_append (x, "</sheetView></sheetViews><sheetFormatPr defaultRowHeight=\"15\"/>");
  {
    gboolean any = FALSE;
    for (guint i = 0; i < s->widths->len; i++)
      {
        double wd = g_array_index (s->widths, double, i);
        char num[G_ASCII_DTOSTR_BUF_SIZE];
        if (wd <= 0)
          continue;
        if (!any)
          g_string_append (x, "<cols>");
        any = TRUE;
        g_string_append_printf (x, "<col min=\"%u\" max=\"%u\" width=\"%s\" customWidth=\"1\"/>",
                                i + 1, i + 1, g_ascii_formatd (num, sizeof num, "%.1f", wd));
      }
    if (any)
      g_string_append (x, "</cols>");
  }
  if (s->n_rows == 0)
    g_string_append (x, "<sheetData/>");
  else
    {
      g_string_append (x, "<sheetData>");
      g_string_append_len (x, s->data->str, (gssize) s->data->len);
      g_string_append (x, "</sheetData>");
    }
  g_string_append (x, "</worksheet>");
  return x;
}

static gboolean
add_part (zip_t *za, const char *name, GString *data, time_t mtime,
          const char *path, GError **error)
{
  zip_source_t *src = zip_source_buffer (za, data->str, data->len, 0);
  zip_int64_t idx;

  if (src == NULL)
    goto fail;
  idx = zip_file_add (za, name, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
  if (idx < 0)
    {
      zip_source_free (src);
      goto fail;
    }
  if (zip_set_file_compression (za, (zip_uint64_t) idx, ZIP_CM_DEFLATE, 6) != 0
      || zip_file_set_mtime (za, (zip_uint64_t) idx, mtime, 0) != 0)
    goto fail;
  return TRUE;
fail:
  g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_IO, "%s: %s", path,
               zip_strerror (za));
  return FALSE;
}

gboolean
cm_xlsx_writer_save (CmXlsxWriter *w, const char *path, GError **error)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (NULL);
  g_autoptr (GPtrArray) datas = g_ptr_array_new ();
  GString *x;
  zip_t *za;
  int zerr = 0;
  struct tm tm = { 0 };
  time_t mtime;
  gboolean ok = TRUE;

  g_return_val_if_fail (w != NULL && path != NULL, FALSE);
  if (w->sheets->len == 0)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_FORMAT,
                   "%s: a workbook needs at least one sheet", path);
      return FALSE;
    }
  /* a fixed time stamp: the same rows give the same bytes */
  tm.tm_year = 120;
  tm.tm_mon = 0;
  tm.tm_mday = 1;
  tm.tm_isdst = -1;
  mtime = mktime (&tm);

  x = g_string_new (XML_DECL "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
                    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
                    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
                    "<Override PartName=\"/xl/workbook.xml\" ContentType=\"" CT_PREFIX "sheet.main+xml\"/>"
                    "<Override PartName=\"/xl/styles.xml\" ContentType=\"" CT_PREFIX "styles+xml\"/>"
                    "<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"" CT_PREFIX "sharedStrings+xml\"/>");
  for (guint i = 0; i < w->sheets->len; i++)
    g_string_append_printf (x, "<Override PartName=\"/xl/worksheets/sheet%u.xml\" "
                               "ContentType=\"" CT_PREFIX "worksheet+xml\"/>", i + 1);
  g_string_append (x, "</Types>");
  g_ptr_array_add (parts, (gpointer) "[Content_Types].xml");
  g_ptr_array_add (datas, x);

  x = g_string_new (XML_DECL "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
                    "<Relationship Id=\"rId1\" Type=\"" NS_REL_TRANSITIONAL "/officeDocument\" Target=\"xl/workbook.xml\"/>"
                    "</Relationships>");
  g_ptr_array_add (parts, (gpointer) "_rels/.rels");
  g_ptr_array_add (datas, x);

  x = g_string_new (XML_DECL "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL_TRANSITIONAL "\">"
                    "<bookViews><workbookView activeTab=\"0\"/></bookViews><sheets>");
  for (guint i = 0; i < w->sheets->len; i++)
    {
      WSheet *s = w->sheets->pdata[i];
      g_string_append (x, "<sheet name=\"");
      append_xml (x, s->name);
      g_string_append_printf (x, "\" sheetId=\"%u\" r:id=\"rId%u\"/>", i + 1, i + 1);
    }
  g_string_append (x, "</sheets></workbook>");
  g_ptr_array_add (parts, (gpointer) "xl/workbook.xml");
  g_ptr_array_add (datas, x);

  x = g_string_new (XML_DECL "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">");
  for (guint i = 0; i < w->sheets->len; i++)
    g_string_append_printf (x, "<Relationship Id=\"rId%u\" Type=\"" NS_REL_TRANSITIONAL
                               "/worksheet\" Target=\"worksheets/sheet%u.xml\"/>", i + 1, i + 1);
  g_string_append_printf (x, "<Relationship Id=\"rId%u\" Type=\"" NS_REL_TRANSITIONAL
                             "/styles\" Target=\"styles.xml\"/>", w->sheets->len + 1);
  g_string_append_printf (x, "<Relationship Id=\"rId%u\" Type=\"" NS_REL_TRANSITIONAL
                             "/sharedStrings\" Target=\"sharedStrings.xml\"/>", w->sheets->len + 2);
  g_string_append (x, "</Relationships>");
  g_ptr_array_add (parts, (gpointer) "xl/_rels/workbook.xml.rels");
  g_ptr_array_add (datas, x);

  x = g_string_new (XML_DECL "<styleSheet xmlns=\"" NS_MAIN "\">"
                    "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
                    "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>"
                    "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
                    "<fill><patternFill patternType=\"gray125\"/></fill></fills>"
                    "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
                    "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
                    "<cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
                    "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>"
                    "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
                    "</styleSheet>");
  g_ptr_array_add (parts, (gpointer) "xl/styles.xml");
  g_ptr_array_add (datas, x);

  x = g_string_new (XML_DECL);
  g_string_append_printf (x, "<sst xmlns=\"" NS_MAIN "\" count=\"%" G_GUINT64_FORMAT
                             "\" uniqueCount=\"%u\">", w->sst_refs, w->sst->len);
  for (guint i = 0; i < w->sst->len; i++)
    {
      const char *t = w->sst->pdata[i];
      gsize l = strlen (t);
      gboolean keep = g_ascii_isspace (t[0]) || (l > 0 && g_ascii_isspace (t[l - 1]))
                      || strchr (t, '\n') != NULL;
      g_string_append (x, keep ? "<si><t xml:space=\"preserve\">" : "<si><t>");
      append_xml (x, t);
      g_string_append (x, "</t></si>");
    }
  g_string_append (x, "</sst>");
  g_ptr_array_add (parts, (gpointer) "xl/sharedStrings.xml");
  g_ptr_array_add (datas, x);

  for (guint i = 0; i < w->sheets->len; i++)
    {
      g_ptr_array_add (parts, g_strdup_printf ("xl/worksheets/sheet%u.xml", i + 1));
      g_ptr_array_add (datas, sheet_xml (w->sheets->pdata[i], i == 0));
    }

  za = zip_open (path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  if (za == NULL)
    {
      zip_error_t ze;
      zip_error_init_with_code (&ze, zerr);
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_IO, "%s: %s", path,
                   zip_error_strerror (&ze));
      zip_error_fini (&ze);
      ok = FALSE;
    }
  for (guint i = 0; ok && i < parts->len; i++)
    ok = add_part (za, parts->pdata[i], datas->pdata[i], mtime, path, error);
  if (ok && zip_close (za) != 0)
    {
      g_set_error (error, CM_XLSX_ERROR, CM_XLSX_ERROR_IO, "%s: %s", path,
                   zip_strerror (za));
      ok = FALSE;
    }
  if (!ok && za != NULL)
    zip_discard (za);
  for (guint i = 0; i < datas->len; i++)
    g_string_free (datas->pdata[i], TRUE);
  for (guint i = 6; i < parts->len; i++)
    g_free (parts->pdata[i]);
  return ok;
}
