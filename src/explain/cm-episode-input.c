/* cm-episode-input.c — one episode from a JSON object or one CSV line.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A JSON object becomes the CSV line it describes (fields quoted when
 * they hold a comma or a quote), which the episode parser then validates
 * in place; the episode's strings point into that line, kept in the
 * holder until the next parse. Type checks that only JSON needs (a number
 * where text is expected, money given as a float) are done here, before
 * the line is built, and name the member. */
#include "config.h"

#include <string.h>
#include "cm-episode-input.h"
#include "cm-episode-reader.h"

#define N_COLUMNS 24

typedef enum {
  KIND_TEXT,    /* a JSON string */
  KIND_INT,     /* a JSON integer or a string */
  KIND_CODES,   /* an array of strings, or one string joined by '|' */
  KIND_MONEY,   /* a string "1234.50": never a JSON number (no floating point) */
} Kind;

static const struct {
  const char *name;
  Kind kind;
  gboolean required;
} columns[N_COLUMNS] = {
  { "episode_id", KIND_TEXT, TRUE },
  { "patient_id", KIND_TEXT, TRUE },
  { "hospital_id", KIND_TEXT, TRUE },
  { "hospital_level", KIND_INT, TRUE },
  { "county_id", KIND_TEXT, TRUE },
  { "insurance_type", KIND_TEXT, TRUE },
  { "insured_region", KIND_TEXT, TRUE },
  { "sex", KIND_INT, TRUE },
  { "age_years", KIND_INT, TRUE },
  { "age_days", KIND_INT, FALSE },
  { "birth_weight_g", KIND_INT, FALSE },
  { "admit_date", KIND_TEXT, TRUE },
  { "discharge_date", KIND_TEXT, TRUE },
  { "los_days", KIND_INT, TRUE },
  { "dept", KIND_TEXT, TRUE },
  { "discharge_status", KIND_INT, TRUE },
  { "icu_hours", KIND_INT, TRUE },
  { "diagnoses", KIND_CODES, TRUE },
  { "procedures", KIND_CODES, FALSE },
  { "total_cost", KIND_MONEY, TRUE },
  { "out_of_catalogue_cost", KIND_MONEY, TRUE },
  { "patient_copay", KIND_MONEY, TRUE },
  { "fund_paid_ffs", KIND_MONEY, TRUE },
  { "per_diem_category", KIND_TEXT, FALSE },
};

static const char *const column_names[N_COLUMNS + 1] = {
  "episode_id", "patient_id", "hospital_id", "hospital_level", "county_id",
  "insurance_type", "insured_region", "sex", "age_years", "age_days",
  "birth_weight_g", "admit_date", "discharge_date", "los_days", "dept",
  "discharge_status", "icu_hours", "diagnoses", "procedures", "total_cost",
  "out_of_catalogue_cost", "patient_copay", "fund_paid_ffs",
  "per_diem_category", NULL,
};

struct _CmEpisodeInput {
  CmEpisodeParser *parser;
  GString *line;          /* the CSV line the episode points into */
  GString *value;         /* scratch */
  CmEpisode episode;
  gboolean have_episode;
  char field[64];
};

G_DEFINE_QUARK (cm-episode-input-error-quark, cm_episode_input_error)

CmEpisodeInput *
cm_episode_input_new (void)
{
  CmEpisodeInput *in = g_new0 (CmEpisodeInput, 1);

  in->parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  in->line = g_string_sized_new (1024);
  in->value = g_string_sized_new (256);
  return in;
}

void
cm_episode_input_free (CmEpisodeInput *in)
{
  if (in == NULL)
    return;
  cm_episode_parser_free (in->parser);
  g_string_free (in->line, TRUE);
  g_string_free (in->value, TRUE);
  g_free (in);
}

const char *const *
cm_episode_input_columns (void)
{
  return column_names;
}

const CmEpisode *
cm_episode_input_get_episode (const CmEpisodeInput *in)
{
  g_return_val_if_fail (in != NULL, NULL);
  return in->have_episode ? &in->episode : NULL;
}

const char *
cm_episode_input_get_error_field (const CmEpisodeInput *in)
{
  g_return_val_if_fail (in != NULL, "");
  return in->field;
}

static gboolean G_GNUC_PRINTF (4, 5)
field_error (CmEpisodeInput *in, GError **error, const char *field,
             const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_strlcpy (in->field, field, sizeof in->field);
  g_set_error (error, CM_EPISODE_INPUT_ERROR, CM_EPISODE_INPUT_ERROR_FIELD,
               "%s: %s", field, msg);
  return FALSE;
}

static int
column_index (const char *name)
{
  for (int i = 0; i < N_COLUMNS; i++)
    if (strcmp (columns[i].name, name) == 0)
      return i;
  return -1;
}

/* Text of a JSON string value: no control characters (they could not be
 * part of a CSV line, and would be refused with a byte position only). */
static gboolean
text_value (CmEpisodeInput *in, const char *field, const char *s, GString *out,
            GError **error)
{
  for (const char *p = s; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return field_error (in, error, field, "control character U+%04X in the value",
                          (guint) (guchar) *p);
  g_string_append (out, s);
  return TRUE;
}

/* Appends member @node of column @col to @out as CSV text (unquoted). */
static gboolean
column_value (CmEpisodeInput *in, int col, JsonNode *node, GString *out,
              GError **error)
{
  const char *name = columns[col].name;
  GType type;

  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;  /* null = empty */
  if (columns[col].kind == KIND_CODES && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      guint n = json_array_get_length (a);

      for (guint i = 0; i < n; i++)
        {
          JsonNode *el = json_array_get_element (a, i);
          if (!JSON_NODE_HOLDS_VALUE (el)
              || json_node_get_value_type (el) != G_TYPE_STRING)
            return field_error (in, error, name, "item %u is not a string", i + 1);
          if (i > 0)
            g_string_append_c (out, '|');
          if (!text_value (in, name, json_node_get_string (el), out, error))
            return FALSE;
        }
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node))
    return field_error (in, error, name, "%s",
                        columns[col].kind == KIND_CODES
                        ? "not an array of strings or a string"
                        : "not a string or a number");
  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return text_value (in, name, json_node_get_string (node), out, error);
  if (type == G_TYPE_INT64 && columns[col].kind == KIND_INT)
    {
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      return TRUE;
    }
  switch (columns[col].kind)
    {
    case KIND_MONEY:
      return field_error (in, error, name, "an amount is a string such as "
                          "\"1234.50\", not a JSON number");
    case KIND_INT:
      return field_error (in, error, name, "not a whole number");
    case KIND_CODES:
      return field_error (in, error, name, "not an array of strings or a string");
    default:
      return field_error (in, error, name, "not a string");
    }
}

static void
append_csv_field (GString *line, const char *s, gsize len)
{
  if (memchr (s, ',', len) == NULL && memchr (s, '"', len) == NULL)
    {
      g_string_append_len (line, s, (gssize) len);
      return;
    }
  g_string_append_c (line, '"');
  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '"')
        g_string_append_c (line, '"');
      g_string_append_c (line, s[i]);
    }
  g_string_append_c (line, '"');
}

/* Parses in->line (already built) in place. */
static gboolean
parse_line (CmEpisodeInput *in, GError **error)
{
  CmReject reject;

  if (!cm_episode_parser_parse_line (in->parser, in->line->str, in->line->len, 1,
                                     &in->episode, &reject))
    {
      const char *field = column_index (reject.key) >= 0 ? reject.key : "";
      g_strlcpy (in->field, field, sizeof in->field);
      g_set_error (error, CM_EPISODE_INPUT_ERROR, CM_EPISODE_INPUT_ERROR_FIELD,
                   "%s: %s", reject.key, reject.message);
      return FALSE;
    }
  in->have_episode = TRUE;
  return TRUE;
}

gboolean
cm_episode_input_parse_json (CmEpisodeInput *in, JsonObject *obj,
                             const char *const *extra_keys, GError **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  g_return_val_if_fail (in != NULL && obj != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  in->have_episode = FALSE;
  in->field[0] = '\0';
  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &name, &node))
    if (column_index (name) < 0
        && (extra_keys == NULL || !g_strv_contains (extra_keys, name)))
      return field_error (in, error, name, "not an episode field "
                          "(the fields are the 24 episode CSV column names)");

  g_string_truncate (in->line, 0);
  for (int col = 0; col < N_COLUMNS; col++)
    {
      if (col > 0)
        g_string_append_c (in->line, ',');
      node = json_object_get_member (obj, columns[col].name);
      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        {
          if (columns[col].required)
            return field_error (in, error, columns[col].name, "missing");
          continue;
        }
      g_string_truncate (in->value, 0);
      if (!column_value (in, col, node, in->value, error))
        return FALSE;
      append_csv_field (in->line, in->value->str, in->value->len);
    }
  return parse_line (in, error);
}

gboolean
cm_episode_input_parse_csv_line (CmEpisodeInput *in, const char *line, gsize len,
                                 GError **error)
{
  g_return_val_if_fail (in != NULL && line != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  in->have_episode = FALSE;
  in->field[0] = '\0';
  g_string_truncate (in->line, 0);
  g_string_append_len (in->line, line, (gssize) len);
  return parse_line (in, error);
}

static gboolean
is_header (const char *line, gsize len)
{
  static const char head[] = "episode_id,";
  static const char quoted[] = "\"episode_id\",";
  return (len >= sizeof head - 1 && memcmp (line, head, sizeof head - 1) == 0)
         || (len >= sizeof quoted - 1 && memcmp (line, quoted, sizeof quoted - 1) == 0);
}

gboolean
cm_episode_input_parse_text (CmEpisodeInput *in, const char *text, gssize len,
                             GError **error)
{
  gsize n;
  const char *p, *end, *data = NULL;
  gsize data_len = 0;
  guint n_lines = 0;

  g_return_val_if_fail (in != NULL && text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  in->have_episode = FALSE;
  in->field[0] = '\0';
  n = len < 0 ? strlen (text) : (gsize) len;
  p = text;
  end = text + n;
  if (n >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
    p += 3;
  while (p < end && g_ascii_isspace (*p))
    p++;
  if (p < end && *p == '{')
    {
      g_autoptr (JsonParser) parser = json_parser_new_immutable ();
      g_autoptr (GError) local = NULL;
      JsonNode *root;

      if (!json_parser_load_from_data (parser, p, (gssize) (end - p), &local))
        {
          g_set_error (error, CM_EPISODE_INPUT_ERROR, CM_EPISODE_INPUT_ERROR_SYNTAX,
                       "not valid JSON: %s", local->message);
          return FALSE;
        }
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        {
          g_set_error (error, CM_EPISODE_INPUT_ERROR, CM_EPISODE_INPUT_ERROR_SYNTAX,
                       "the JSON value is not an object");
          return FALSE;
        }
      return cm_episode_input_parse_json (in, json_node_get_object (root), NULL,
                                          error);
    }

  /* CSV: an optional header line, then exactly one episode line */
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      const char *stop = nl ? nl : end;
      gsize l = (gsize) (stop - p);

      if (l > 0 && p[l - 1] == '\r')
        l--;
      if (l > 0 && !(n_lines == 0 && data == NULL && is_header (p, l)))
        {
          n_lines++;
          if (data == NULL)
            {
              data = p;
              data_len = l;
            }
        }
      p = nl ? nl + 1 : end;
    }
  if (n_lines == 0)
    {
      g_set_error (error, CM_EPISODE_INPUT_ERROR, CM_EPISODE_INPUT_ERROR_SYNTAX,
                   "no episode: expected a JSON object or one CSV line");
      return FALSE;
    }
  if (n_lines > 1)
    {
      g_set_error (error, CM_EPISODE_INPUT_ERROR, CM_EPISODE_INPUT_ERROR_SYNTAX,
                   "%u episode lines: expected exactly one", n_lines);
      return FALSE;
    }
  return cm_episode_input_parse_csv_line (in, data, data_len, error);
}
