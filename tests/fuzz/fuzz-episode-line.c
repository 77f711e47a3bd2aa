/* fuzz-episode-line.c — libFuzzer target: the episode CSV parser
 * (cm_episode_parser_set_header / parse_line) line by line, and
 * CmEpisodeReader over a whole file, in both input formats.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: byte 0 chooses the run, the rest is the text.
 *   bit 0     0 the episode exchange CSV, 1 OpenDRG CSV
 *   bits 1-2  0 every line is a data line (a fixed, good header is set)
 *             1 line 1 is the header
 *             2 the whole text through CmEpisodeReader (fmemopen), and
 *               the same lines through the parser: both must agree
 *             3 as 2, with byte 1 choosing a long line of X put after line
 *               1, so that what follows straddles the reader's 64 KiB read
 *               size (bit 7 clear) or the line is about CM_MAX_LINE_LEN
 *               long (bit 7 set)
 *
 * Besides the sanitizers, the target checks what the API promises: an
 * accepted episode points into the line, has sane counts and NUL-terminated
 * strings; a reject has a key and a terminated message. And one
 * metamorphic rule that pits the parser's word-at-a-time fast path against
 * its byte-by-byte path: a printable-ASCII line without `"` parses exactly
 * as the same line with its first field put in quotes. */
#include "config.h"

#include "fuzz-common.h"
#include "cm-episode-reader.h"

#define EPISODE_HEADER \
  "episode_id,patient_id,hospital_id,hospital_level,county_id," \
  "insurance_type,insured_region,sex,age_years,age_days,birth_weight_g," \
  "admit_date,discharge_date,los_days,dept,discharge_status,icu_hours," \
  "diagnoses,procedures,total_cost,out_of_catalogue_cost,patient_copay," \
  "fund_paid_ffs,per_diem_category"
#define OPENDRG_HEADER \
  "Index,gender,age,ageDay,weight,dept,inHospitalTime,leavingType,zdList," \
  "ssList,icuHours,amount"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

/* ---- what an episode and a reject must look like ---------------------- */

static void
render_field (GString *out, const char *name, const CmField *f)
{
  if (f->text == NULL)
    {
      FUZZ_CHECK (!f->is_int, "%s: absent but an integer", name);
      return;
    }
  g_string_append_printf (out, " %s=[%s]", name, f->text);
  if (f->is_int)
    g_string_append_printf (out, "#%" G_GINT64_FORMAT, f->value);
}

static void
render_codes (GString *out, const char *name, const char *const *codes,
              guint n)
{
  g_string_append_printf (out, " %s=", name);
  for (guint i = 0; i < n; i++)
    {
      FUZZ_CHECK (codes[i] != NULL, "%s %u is NULL", name, i);
      g_string_append_printf (out, "[%s]", codes[i]);
    }
}

/* Checks @ep and appends it as text (every string is read: ASan sees a
 * pointer outside the line). */
static void
render_episode (GString *out, const CmEpisode *ep, CmInputFormat format)
{
  FUZZ_CHECK (ep->episode_id != NULL && *ep->episode_id != '\0',
              "accepted without an episode id");
  FUZZ_CHECK (ep->n_dx <= CM_MAX_CODES, "n_dx %u", ep->n_dx);
  FUZZ_CHECK (ep->n_px <= CM_MAX_CODES, "n_px %u", ep->n_px);
  FUZZ_CHECK (!ep->px_text_empty || ep->n_px == 0, "empty procedure text, %u codes",
              ep->n_px);
  g_string_append_printf (out, "id=[%s]", ep->episode_id);
  render_field (out, "sex", &ep->sex);
  render_field (out, "age_years", &ep->age_years);
  render_field (out, "age_days", &ep->age_days);
  render_field (out, "weight_g", &ep->weight_g);
  render_field (out, "dept", &ep->dept);
  render_field (out, "los_days", &ep->los_days);
  render_field (out, "discharge", &ep->discharge);
  render_field (out, "icu_hours", &ep->icu_hours);
  render_field (out, "amount", &ep->amount);
  render_codes (out, "dx", ep->dx, ep->n_dx);
  render_codes (out, "px", ep->px, ep->n_px);
  if (format == CM_INPUT_OPENDRG)
    {
      FUZZ_CHECK (ep->n_dx >= 1, "OpenDRG: no diagnosis item");
      return;
    }

  /* the exchange format is validated: the bounds of episodes/FORMAT.md §2 */
  FUZZ_CHECK (ep->n_dx >= 1 && ep->n_dx <= 50, "n_dx %u", ep->n_dx);
  FUZZ_CHECK (ep->n_px <= 50, "n_px %u", ep->n_px);
  for (guint i = 0; i < ep->n_dx + ep->n_px; i++)
    {
      const char *c = i < ep->n_dx ? ep->dx[i] : ep->px[i - ep->n_dx];
      gsize len = strlen (c);
      FUZZ_CHECK (len >= 1 && len <= 30, "code [%s]", c);
      for (gsize k = 0; k < len; k++)
        FUZZ_CHECK (c[k] > 0x20 && c[k] < 0x7F && !strchr (",\"'|", c[k]),
                    "code [%s]", c);
    }
  FUZZ_CHECK (ep->patient_id != NULL && ep->hospital_id != NULL
              && ep->county_id != NULL, "missing ids");
  FUZZ_CHECK (ep->sex.is_int && ep->age_years.is_int && ep->los_days.is_int
              && ep->discharge.is_int && ep->icu_hours.is_int && ep->dept.text,
              "a required field is not set");
  FUZZ_CHECK (ep->age_years.value >= 0 && ep->age_years.value <= 150, "age");
  FUZZ_CHECK (ep->los_days.value >= 1, "los_days %" G_GINT64_FORMAT,
              ep->los_days.value);
  FUZZ_CHECK (ep->discharge_date >= ep->admit_date, "dates");
  FUZZ_CHECK (ep->total_cost_fen >= 0 && ep->patient_copay_fen >= 0
              && ep->fund_paid_ffs_fen >= 0 && ep->out_of_catalogue_cost_fen >= 0
              && ep->out_of_catalogue_cost_fen + ep->patient_copay_fen
                 + ep->fund_paid_ffs_fen <= ep->total_cost_fen, "money");
  g_string_append_printf (out,
                          " pid=[%s] hid=[%s] lvl=%d county=[%s] ins=%d reg=%d"
                          " admit=%d disch=%d total=%" G_GINT64_FORMAT
                          " ooc=%" G_GINT64_FORMAT " copay=%" G_GINT64_FORMAT
                          " ffs=%" G_GINT64_FORMAT " perdiem=%d",
                          ep->patient_id, ep->hospital_id, ep->hospital_level,
                          ep->county_id, ep->insurance_type, ep->insured_region,
                          ep->admit_date, ep->discharge_date,
                          ep->total_cost_fen, ep->out_of_catalogue_cost_fen,
                          ep->patient_copay_fen, ep->fund_paid_ffs_fen,
                          ep->per_diem_category);
}

static void
render_reject (GString *out, const CmReject *r, guint64 line_no)
{
  char buf[CM_REJECT_MESSAGE_LEN + 64];

  FUZZ_CHECK (r->key != NULL, "reject without a key");
  FUZZ_CHECK (memchr (r->message, '\0', sizeof r->message) != NULL,
              "unterminated reject message");
  FUZZ_CHECK (r->line == line_no, "reject names line %" G_GUINT64_FORMAT
              ", not %" G_GUINT64_FORMAT, r->line, line_no);
  cm_reject_format (r, buf, sizeof buf);
  g_string_append_printf (out, "%" G_GUINT64_FORMAT ": %s", r->line, buf);
}

/* Parses one data line from a copy of exactly @len + 1 bytes; appends
 * "OK …" or "REJECT …". Returns the accepted id hash, or 0. */
static gboolean
parse_one (const CmEpisodeParser *parser, const char *line, gsize len,
           guint64 line_no, GString *out, guint64 *hash)
{
  g_autofree char *buf = g_malloc (len + 1);
  g_autofree CmEpisode *ep = g_new0 (CmEpisode, 1);
  CmReject reject;
  gboolean ok;

  memcpy (buf, line, len);
  buf[len] = '\0';
  memset (&reject, 0, sizeof reject);
  reject.line = line_no;
  ok = cm_episode_parser_parse_line (parser, buf, len, line_no, ep, &reject);
  if (ok)
    {
      g_string_append (out, "OK ");
      render_episode (out, ep, cm_episode_parser_get_format (parser));
      if (hash != NULL)
        *hash = cm_id_hash (ep->episode_id);
    }
  else
    {
      g_string_append (out, "REJECT ");
      render_reject (out, &reject, line_no);
    }
  g_string_append_c (out, '\n');
  return ok;
}

static gboolean
is_plain_ascii (const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (s[i] < 0x20 || s[i] > 0x7E || s[i] == '"')
      return FALSE;
  return TRUE;
}

/* The fast path against the slow one: quoting the first field of a plain
 * line changes nothing. */
static void
check_quoted_twin (const CmEpisodeParser *parser, const char *line, gsize len,
                   guint64 line_no)
{
  g_autoptr (GString) plain = g_string_new (NULL);
  g_autoptr (GString) quoted = g_string_new (NULL);
  g_autoptr (GString) twin = g_string_new ("\"");
  const char *comma;

  if (!is_plain_ascii (line, len))
    return;
  comma = memchr (line, ',', len);
  g_string_append_len (twin, line, comma ? comma - line : (gssize) len);
  g_string_append_c (twin, '"');
  if (comma)
    g_string_append_len (twin, comma, (gssize) (len - (gsize) (comma - line)));
  parse_one (parser, line, len, line_no, plain, NULL);
  parse_one (parser, twin->str, twin->len, line_no, quoted, NULL);
  FUZZ_CHECK (strcmp (plain->str, quoted->str) == 0,
              "quoting field 1 changed the result:\n  %s  %s", plain->str,
              quoted->str);
}

/* ---- the lines of a text, as CmEpisodeReader sees them ---------------- */

typedef struct {
  const char *p;
  gsize len;
  gboolean too_long;
} Line;

/* Splits at LF; one CR before an LF is part of the line end. */
static GArray *
split_lines (const char *text, gsize size)
{
  GArray *lines = g_array_new (FALSE, FALSE, sizeof (Line));
  const char *p = text, *end = text + size;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      Line l = { p, nl ? (gsize) (nl - p) : (gsize) (end - p), FALSE };

      if (nl && l.len > 0 && p[l.len - 1] == '\r')
        l.len--;
      if (l.len > CM_MAX_LINE_LEN)
        {
          l.too_long = TRUE;
          l.len = 0;
        }
      g_array_append_val (lines, l);
      p = nl ? nl + 1 : end;
    }
  return lines;
}

/* Reads @lines as CmEpisodeReader should, into a transcript. */
static void
parse_lines (CmInputFormat format, GArray *lines, gboolean fixed_header,
             GString *out)
{
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (format);
  g_autoptr (CmIdSet) ids = format == CM_INPUT_EPISODES ? cm_id_set_new () : NULL;
  guint first = 0;

  if (fixed_header)
    {
      g_autofree char *h = g_strdup (format == CM_INPUT_EPISODES
                                     ? EPISODE_HEADER : OPENDRG_HEADER);
      CmReject reject;
      FUZZ_CHECK (cm_episode_parser_set_header (parser, h, strlen (h), &reject,
                                                NULL), "good header rejected");
    }
  else if (lines->len > 0)
    {
      Line *l = &g_array_index (lines, Line, 0);
      g_autoptr (GError) error = NULL;
      g_autofree char *h = NULL;
      gsize len = l->len;
      CmReject reject;

      first = 1;
      memset (&reject, 0, sizeof reject);
      h = g_malloc (len + 1);  /* not g_strndup: the line may hold NULs */
      memcpy (h, l->p, len);
      h[len] = '\0';
      if (len >= 3 && memcmp (h, "\xEF\xBB\xBF", 3) == 0)
        {
          memmove (h, h + 3, len - 2);
          len -= 3;
        }
      if (l->too_long)
        {
          if (format == CM_INPUT_OPENDRG)
            {
              g_string_append (out, "ERROR\n");
              return;
            }
          g_string_append_printf (out, "REJECT 1: field_length: line 1 (the "
                                  "header) is longer than %d bytes\n",
                                  CM_MAX_LINE_LEN);
        }
      else if (!cm_episode_parser_set_header (parser, h, len, &reject, &error))
        {
          g_autoptr (GString) scratch = g_string_new (NULL);

          FUZZ_CHECK (error == NULL || format == CM_INPUT_OPENDRG,
                      "episode header: error %s", error->message);
          render_reject (scratch, &reject, 1);  /* well-formed all the same */
          if (format == CM_INPUT_OPENDRG)
            {
              /* the reader stops at once: no reject row for the header */
              FUZZ_CHECK (error != NULL, "OpenDRG header rejected without an error");
              g_string_append (out, "ERROR\n");
              return;
            }
          g_string_append (out, "REJECT ");
          render_reject (out, &reject, 1);
          g_string_append_c (out, '\n');
        }
      else
        FUZZ_CHECK (error == NULL, "header accepted with an error");
    }
  else if (format == CM_INPUT_OPENDRG)
    {
      g_string_append (out, "ERROR\n");
      return;
    }

  for (guint i = first; i < lines->len; i++)
    {
      Line *l = &g_array_index (lines, Line, i);
      guint64 line_no = (guint64) i + 1;
      guint64 hash = 0;
      gsize mark = out->len;

      if (l->too_long)
        {
          g_string_append_printf (out, "REJECT %" G_GUINT64_FORMAT
                                  ": field_length: line longer than %d bytes\n",
                                  line_no, CM_MAX_LINE_LEN);
          continue;
        }
      if (l->len == 0)
        continue;
      if (parse_one (parser, l->p, l->len, line_no, out, &hash) && ids != NULL
          && !cm_id_set_add_hash (ids, hash))
        {
          /* the reader's duplicate_id reject replaces the OK row */
          const char *id = out->str + mark + strlen ("OK id=[");
          const char *close = strstr (id, "] ");
          g_autofree char *idc = g_strndup (id, close ? (gsize) (close - id) : strlen (id));
          g_string_truncate (out, mark);
          g_string_append_printf (out, "REJECT %" G_GUINT64_FORMAT
                                  ": duplicate_id: episode_id %s is already "
                                  "used by an earlier record\n", line_no, idc);
        }
      if (l->len < 4096)
        check_quoted_twin (parser, l->p, l->len, line_no);
    }
}

/* The same text through CmEpisodeReader, into a transcript. */
static void
read_stream (CmInputFormat format, const char *text, gsize size, guint n_lines,
             GString *out)
{
  g_autoptr (CmEpisodeReader) reader = NULL;
  g_autofree CmEpisode *ep = g_new0 (CmEpisode, 1);
  FILE *f;

  /* glibc takes size 0 (not /dev/null: it need not be the null device) */
  f = fmemopen ((void *) (size > 0 ? text : ""), size, "r");
  FUZZ_CHECK (f != NULL, "fmemopen: %s", g_strerror (errno));
  reader = cm_episode_reader_new (f, format);
  for (guint calls = 0;; calls++)
    {
      g_autoptr (GError) error = NULL;
      CmReject reject;
      CmReadResult r;

      FUZZ_CHECK (calls <= n_lines + 1, "more results than lines");
      memset (&reject, 0, sizeof reject);
      r = cm_episode_reader_next (reader, ep, &reject, &error);
      if (r == CM_READ_EOF)
        {
          FUZZ_CHECK (error == NULL, "EOF with an error");
          break;
        }
      if (r == CM_READ_ERROR)
        {
          FUZZ_CHECK (error != NULL, "ERROR without an error");
          g_clear_error (&error);
          /* a failed reader stays failed */
          FUZZ_CHECK (cm_episode_reader_next (reader, ep, &reject, &error)
                      == CM_READ_ERROR && error != NULL, "failed reader recovered");
          g_string_append (out, "ERROR\n");
          break;
        }
      FUZZ_CHECK (error == NULL, "result %d with an error", r);
      if (r == CM_READ_EPISODE)
        {
          g_string_append (out, "OK ");
          render_episode (out, ep, format);
        }
      else
        {
          FUZZ_CHECK (r == CM_READ_REJECT, "result %d", r);
          FUZZ_CHECK (reject.line >= 1 && reject.line <= n_lines,
                      "reject names line %" G_GUINT64_FORMAT, reject.line);
          g_string_append (out, "REJECT ");
          render_reject (out, &reject, reject.line);
        }
      g_string_append_c (out, '\n');
    }
  fclose (f);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  CmInputFormat format;
  guint mode;
  const char *text;
  g_autoptr (GArray) lines = NULL;
  g_autoptr (GString) by_lines = g_string_new (NULL);
  g_autoptr (GString) padded = NULL;

  if (size < 1)
    return 0;
  format = (data[0] & 1) ? CM_INPUT_OPENDRG : CM_INPUT_EPISODES;
  mode = (data[0] >> 1) & 3;
  text = (const char *) data + 1;
  size--;

  if (mode == 3)
    {
      const char *nl;
      gsize first, pad;

      if (size < 1)
        return 0;
      nl = memchr (text + 1, '\n', size - 1);
      first = nl ? (gsize) (nl - (text + 1)) + 1 : size - 1;
      if (data[1] & 0x80)
        pad = CM_MAX_LINE_LEN + (data[1] & 0x3F) - 32;
      else
        pad = 64 * 1024 - MIN (first, (gsize) 60000) - (data[1] & 0x7F);
      padded = g_string_sized_new (size + pad + 2);
      g_string_append_len (padded, text + 1, (gssize) first);
      if (nl == NULL)
        g_string_append_c (padded, '\n');
      for (gsize i = 0; i < pad; i++)
        g_string_append_c (padded, 'X');
      g_string_append_c (padded, '\n');
      g_string_append_len (padded, text + 1 + first, (gssize) (size - 1 - first));
      text = padded->str;
      size = padded->len;
    }

  lines = split_lines (text, size);
  if (mode == 0)
    parse_lines (format, lines, TRUE, by_lines);
  else
    {
      parse_lines (format, lines, FALSE, by_lines);
      if (mode >= 2)
        {
          g_autoptr (GString) by_reader = g_string_new (NULL);
          read_stream (format, text, size, lines->len, by_reader);
          FUZZ_CHECK (strcmp (by_lines->str, by_reader->str) == 0,
                      "the reader and the parser disagree:\n--- parser\n%s"
                      "--- reader\n%s", by_lines->str, by_reader->str);
        }
    }
  return 0;
}
