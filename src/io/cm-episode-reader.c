/* cm-episode-reader.c — reads and validates episode CSV lines, in place.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Design note
 *
 * A line goes through fixed stages; the first stage that fails names the
 * reason key (episodes/FORMAT.md §4):
 *
 *   1. one pass over the bytes: strict UTF-8 (`encoding`, reported at once),
 *      noting the first U+FEFF (`bom`) and the first C0 control or DEL
 *      (`control_char`); those two are reported after the whole line is known
 *      to be valid UTF-8, in that order;
 *   2. RFC 4180 splitting (`quote`), which unquotes every field in place and
 *      NUL-terminates it (the write position never overtakes the read
 *      position, so the line buffer is enough);
 *   3. the header (set_header only), the field count (`columns`) and the
 *      field length in code points (`field_length`);
 *   4. the columns in file order, each with its own rule, cross-field rules
 *      attributed to the later column; then `money`.
 *
 * Stages 1 and 2 have a fast path for the usual line (scan_plain): eight
 * bytes at a time it proves that the line is printable ASCII, on which
 * stage 1 cannot fail, and when the line holds no `"` it splits it at the
 * commas in the same pass. It never rejects: any other line (a byte outside
 * 0x20-0x7E anywhere, short lines, too many fields) is handed unchanged to
 * the byte-by-byte stages, so the first failing check and its message are
 * the same either way. Later stages compare by length and parse with
 * straight-line code; a field holds no NUL by then, so its length is its
 * string length.
 *
 * Nothing here allocates per line: the CmEpisode points into the rewritten
 * line (code lists are split by overwriting `|` with NUL). The parser is
 * read-only once the header is set, so threads can share it. `duplicate_id`
 * needs the accepted lines before it and is left to CmIdSet, which stores an
 * 8-byte hash per accepted id.
 *
 * OpenDRG input (the reference grouper's CSV) is lenient by design: only the
 * line-level checks, the field count and the list lengths, and scalars are
 * normalised as in schemes/FORMAT.md §3 instead of validated. */
#include "config.h"

#include "cm-episode-reader.h"

#include <errno.h>
#include <string.h>

/* Bounds of the episode format (episodes/FORMAT.md §2). */
#define EPISODE_N_COLUMNS 24
#define EPISODE_MAX_ID_LEN 40
#define EPISODE_MAX_CODES 50
#define EPISODE_MAX_CODE_LEN 30
#define EPISODE_MAX_DEPT_CHARS 20
/* How much of a bad code a message may quote. */
#define QUOTE_CODE_CHARS 40
/* Read size of CmEpisodeReader. */
#define READ_CHUNK (64 * 1024)

G_STATIC_ASSERT (EPISODE_N_COLUMNS <= CM_MAX_CSV_FIELDS);
G_STATIC_ASSERT (EPISODE_MAX_CODES <= CM_MAX_CODES);

enum {
  COL_EPISODE_ID,
  COL_PATIENT_ID,
  COL_HOSPITAL_ID,
  COL_HOSPITAL_LEVEL,
  COL_COUNTY_ID,
  COL_INSURANCE_TYPE,
  COL_INSURED_REGION,
  COL_SEX,
  COL_AGE_YEARS,
  COL_AGE_DAYS,
  COL_BIRTH_WEIGHT_G,
  COL_ADMIT_DATE,
  COL_DISCHARGE_DATE,
  COL_LOS_DAYS,
  COL_DEPT,
  COL_DISCHARGE_STATUS,
  COL_ICU_HOURS,
  COL_DIAGNOSES,
  COL_PROCEDURES,
  COL_TOTAL_COST,
  COL_OUT_OF_CATALOGUE_COST,
  COL_PATIENT_COPAY,
  COL_FUND_PAID_FFS,
  COL_PER_DIEM_CATEGORY,
};

/* The header of the episode format, in order; also the reason keys of the
 * column rules. */
static const char *const episode_columns[EPISODE_N_COLUMNS] = {
  "episode_id", "patient_id", "hospital_id", "hospital_level", "county_id",
  "insurance_type", "insured_region", "sex", "age_years", "age_days",
  "birth_weight_g", "admit_date", "discharge_date", "los_days", "dept",
  "discharge_status", "icu_hours", "diagnoses", "procedures", "total_cost",
  "out_of_catalogue_cost", "patient_copay", "fund_paid_ffs",
  "per_diem_category",
};

enum {
  OD_INDEX,
  OD_GENDER,
  OD_AGE,
  OD_AGE_DAY,
  OD_WEIGHT,
  OD_DEPT,
  OD_IN_HOSPITAL_TIME,
  OD_LEAVING_TYPE,
  OD_ZD_LIST,
  OD_SS_LIST,
  OD_N_REQUIRED,
  OD_ICU_HOURS = OD_N_REQUIRED,
  OD_AMOUNT,
  OD_N_COLUMNS,
};

static const char *const opendrg_columns[OD_N_COLUMNS] = {
  "Index", "gender", "age", "ageDay", "weight", "dept", "inHospitalTime",
  "leavingType", "zdList", "ssList", "icuHours", "amount",
};

/* Reason keys that are not column names. */
static const char KEY_ENCODING[] = "encoding";
static const char KEY_BOM[] = "bom";
static const char KEY_CONTROL_CHAR[] = "control_char";
static const char KEY_QUOTE[] = "quote";
static const char KEY_HEADER[] = "header";
static const char KEY_COLUMNS[] = "columns";
static const char KEY_FIELD_LENGTH[] = "field_length";
static const char KEY_MONEY[] = "money";
static const char KEY_DUPLICATE_ID[] = "duplicate_id";

struct _CmEpisodeParser {
  CmInputFormat format;
  gboolean have_header;
  /* OpenDRG: number of header fields and where each known column is
   * (-1 when an optional column is missing). */
  guint n_header_fields;
  int od_col[OD_N_COLUMNS];
};

/* The fields of one line after splitting: unquoted, NUL-terminated, inside
 * the line buffer. n counts every field even past CM_MAX_CSV_FIELDS. */
typedef struct {
  guint n;
  char *value[CM_MAX_CSV_FIELDS];
  gsize len[CM_MAX_CSV_FIELDS];
} Fields;

struct _CmIdSet {
  guint64 *slots;  /* 0 marks a free slot */
  gsize mask;      /* capacity - 1, capacity a power of two */
  gsize n;         /* non-zero hashes stored */
  gboolean has_zero;
};

struct _CmEpisodeReader {
  FILE *stream;
  CmEpisodeParser *parser;
  CmIdSet *ids;
  guint64 line_no;
  gboolean header_done;
  gboolean failed;     /* the OpenDRG header was unusable */
  gboolean eof;
  char *in;            /* READ_CHUNK bytes read ahead */
  gsize in_pos;
  gsize in_end;
  char *line;          /* CM_MAX_LINE_LEN + 2: the line, one CR, the NUL */
};

G_DEFINE_QUARK (cm-episode-reader-error-quark, cm_episode_reader_error)

/* ---- rejects ---------------------------------------------------------- */

static gboolean reject_set (CmReject *reject, guint64 line_no,
                            const char *key, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

/* Fills @reject; returns FALSE so callers can `return reject_set (…)`. */
static gboolean
reject_set (CmReject *reject, guint64 line_no, const char *key,
            const char *format, ...)
{
  va_list args;

  reject->line = line_no;
  reject->key = key;
  va_start (args, format);
  g_vsnprintf (reject->message, sizeof reject->message, format, args);
  va_end (args);
  return FALSE;
}

/* ---- small parsers ---------------------------------------------------- */

/* Number of code points in valid UTF-8. */
static gsize
utf8_chars (const char *s, gsize len)
{
  gsize n = 0;

  for (gsize i = 0; i < len; i++)
    n += ((guchar) s[i] & 0xC0) != 0x80;
  return n;
}

/* ---- eight bytes at a time ------------------------------------------- */

#define BYTES_01 G_GUINT64_CONSTANT (0x0101010101010101)
#define BYTES_7F (BYTES_01 * 0x7F)
#define BYTES_80 (BYTES_01 * 0x80)

/* The eight bytes at @p (any alignment), byte k in bits 8k..8k+7 on every
 * host. */
static inline guint64
load_word (const char *p)
{
  guint64 w;

  memcpy (&w, p, sizeof w);
  return GUINT64_FROM_LE (w);
}

/* 0x80 in every byte of @w that is not printable ASCII (below 0x20, 0x7F,
 * or 0x80 and above), 0 in the others. Exact: no carry crosses a byte. */
static inline guint64
nonprint_bytes (guint64 w)
{
  guint64 low = w & BYTES_7F;

  return (w | ~(low + BYTES_01 * 0x60) | (low + BYTES_01)) & BYTES_80;
}

/* 0x80 in every byte of @w equal to the ASCII character @c, 0 in the
 * others. Exact only when no byte of @w is 0x80 or above. */
static inline guint64
ascii_bytes_equal (guint64 w, guchar c)
{
  return ~((w ^ (BYTES_01 * c)) + BYTES_7F) & BYTES_80;
}

/* Whether line[from..len) is printable ASCII; len >= 8. */
static gboolean
is_printable_from (const char *line, gsize from, gsize len)
{
  gsize i;

  for (i = from; i + 8 <= len; i += 8)
    if (nonprint_bytes (load_word (line + i)) != 0)
      return FALSE;
  /* the last bytes: the final word, without those already seen */
  return i == len
         || (nonprint_bytes (load_word (line + len - 8))
             & (BYTES_80 << (8 * (i + 8 - len)))) == 0;
}

/* Stage 1: encoding, then bom, then control_char. NUL bytes are allowed
 * through the UTF-8 check (U+0000 is a control character, not bad UTF-8). */
static gboolean
check_bytes (const char *line, gsize len, guint64 line_no, CmReject *reject)
{
  const guchar *s = (const guchar *) line;
  gsize bom_at = G_MAXSIZE;
  gsize ctrl_at = G_MAXSIZE;
  guint ctrl = 0;
  gsize i = 0;

  while (i < len)
    {
      guchar c = s[i];
      gunichar cp;
      gsize n;
      gunichar min;

      /* eight printable ASCII bytes change nothing below */
      if (len - i >= 8 && nonprint_bytes (load_word (line + i)) == 0)
        {
          i += 8;
          continue;
        }
      if (c < 0x80)
        {
          if ((c < 0x20 || c == 0x7F) && ctrl_at == G_MAXSIZE)
            {
              ctrl_at = i;
              ctrl = c;
            }
          i++;
          continue;
        }
      /* lead byte: sequence length, its payload bits, the smallest code
       * point that needs this length (anything below is overlong) */
      if (c >= 0xC2 && c <= 0xDF)
        {
          n = 2;
          cp = c & 0x1F;
          min = 0x80;
        }
      else if (c >= 0xE0 && c <= 0xEF)
        {
          n = 3;
          cp = c & 0x0F;
          min = 0x800;
        }
      else if (c >= 0xF0 && c <= 0xF4)
        {
          n = 4;
          cp = c & 0x07;
          min = 0x10000;
        }
      else
        return reject_set (reject, line_no, KEY_ENCODING,
                           "invalid UTF-8 at byte %" G_GSIZE_FORMAT, i + 1);
      if (len - i < n)
        return reject_set (reject, line_no, KEY_ENCODING,
                           "invalid UTF-8 at byte %" G_GSIZE_FORMAT, i + 1);
      for (gsize k = 1; k < n; k++)
        {
          if ((s[i + k] & 0xC0) != 0x80)
            return reject_set (reject, line_no, KEY_ENCODING,
                               "invalid UTF-8 at byte %" G_GSIZE_FORMAT,
                               i + 1);
          cp = (cp << 6) | (s[i + k] & 0x3F);
        }
      if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return reject_set (reject, line_no, KEY_ENCODING,
                           "invalid UTF-8 at byte %" G_GSIZE_FORMAT, i + 1);
      if (cp == 0xFEFF && bom_at == G_MAXSIZE)
        bom_at = i;
      i += n;
    }

  if (bom_at != G_MAXSIZE)
    return reject_set (reject, line_no, KEY_BOM,
                       "byte order mark (U+FEFF) at byte %" G_GSIZE_FORMAT,
                       bom_at + 1);
  if (ctrl_at != G_MAXSIZE)
    return reject_set (reject, line_no, KEY_CONTROL_CHAR,
                       "control character U+%04X at byte %" G_GSIZE_FORMAT,
                       ctrl, ctrl_at + 1);
  return TRUE;
}

/* " (column)" for a field number of the episode format, "" otherwise. */
static const char *
field_name (CmInputFormat format, guint idx, char *buf, gsize size)
{
  if (format == CM_INPUT_EPISODES && idx < EPISODE_N_COLUMNS)
    g_snprintf (buf, size, " (%s)", episode_columns[idx]);
  else
    buf[0] = '\0';
  return buf;
}

/* Stage 2: RFC 4180 splitting in place. line[len] must be writable (it is
 * the terminating NUL). */
static gboolean
split_fields (char *line, gsize len, CmInputFormat format, Fields *f,
              guint64 line_no, CmReject *reject)
{
  char *p = line;
  char *end = line + len;
  char name[48];

  f->n = 0;
  for (;;)
    {
      char *start = p;
      char *w;
      guint idx = f->n++;

      if (p < end && *p == '"')
        {
          w = start;
          p++;
          for (;;)
            {
              if (p == end)
                return reject_set (reject, line_no, KEY_QUOTE,
                                   "unterminated quoted field %u%s", idx + 1,
                                   field_name (format, idx, name, sizeof name));
              if (*p == '"')
                {
                  if (p + 1 < end && p[1] == '"')
                    {
                      *w++ = '"';
                      p += 2;
                      continue;
                    }
                  p++;
                  break;
                }
              *w++ = *p++;
            }
          if (p < end && *p != ',')
            return reject_set (reject, line_no, KEY_QUOTE,
                               "text after the closing quote of field %u%s",
                               idx + 1,
                               field_name (format, idx, name, sizeof name));
        }
      else
        {
          while (p < end && *p != ',')
            {
              if (*p == '"')
                return reject_set (reject, line_no, KEY_QUOTE,
                                   "quote character inside unquoted field %u%s",
                                   idx + 1,
                                   field_name (format, idx, name, sizeof name));
              p++;
            }
          w = p;
        }

      if (idx < CM_MAX_CSV_FIELDS)
        {
          f->value[idx] = start;
          f->len[idx] = (gsize) (w - start);
        }
      *w = '\0';  /* w <= p: overwrites the comma, the quote or line[len] */
      if (p == end)
        break;
      p++;  /* the comma */
    }
  return TRUE;
}

typedef enum {
  SCAN_SPLIT,   /* printable ASCII without `"`: stages 1 and 2 done */
  SCAN_QUOTED,  /* printable ASCII with a `"`: stage 1 passes, split it */
  SCAN_SLOW,    /* anything else: both stages, byte by byte */
} ScanResult;

/* Where scan_plain is: the current field starts at start, n fields are
 * done (their commas overwritten). */
typedef struct {
  char *start;
  gsize n;
} Scan;

/* One word of scan_plain: the eight bytes at line + base, of which only
 * those with 0x80 in @keep are new. SCAN_SPLIT when they were all printable
 * ASCII without a quote and their commas are done. */
static G_ALWAYS_INLINE inline ScanResult
scan_word (char *line, gsize base, guint64 keep, Fields *f, Scan *sc)
{
  guint64 w = load_word (line + base);
  guint64 low = w & BYTES_7F;
  guint64 commas;

  /* Bytes outside 0x23-0x7E: what ends the fast path (not printable ASCII,
   * or `"`), plus space and `!`, which only cost the exact test. */
  if (G_UNLIKELY (((w | (low + BYTES_01) | ~(low + BYTES_01 * (0x80 - 0x23)))
                   & keep) != 0))
    {
      if ((nonprint_bytes (w) & keep) != 0)
        return SCAN_SLOW;
      if ((ascii_bytes_equal (w, '"') & keep) != 0)
        return SCAN_QUOTED;
    }
  for (commas = ascii_bytes_equal (w, ',') & keep; commas != 0;
       commas &= commas - 1)
    {
      char *at = line + base + ((guint) __builtin_ctzll (commas) >> 3);

      if (G_UNLIKELY (sc->n == CM_MAX_CSV_FIELDS - 1))
        return SCAN_SLOW;
      f->value[sc->n] = sc->start;
      f->len[sc->n] = (gsize) (at - sc->start);
      sc->n++;
      *at = '\0';
      sc->start = at + 1;
    }
  return SCAN_SPLIT;
}

/* The fast path of stages 1 and 2, eight bytes at a time. A line of
 * printable ASCII (0x20-0x7E) is valid UTF-8 with no BOM and no control
 * character, so stage 1 cannot fail on it; without a `"` stage 2 is a split
 * at every comma. Anything else (short lines, other bytes, more than
 * CM_MAX_CSV_FIELDS fields) goes to check_bytes and split_fields with the
 * line unchanged. */
static ScanResult
scan_plain (char *line, gsize len, Fields *f)
{
  Scan sc = { line, 0 };
  ScanResult r = SCAN_SPLIT;
  gsize base;

  if (len < 8)
    return SCAN_SLOW;
  for (base = 0; base <= len - 8; base += 8)
    {
      r = scan_word (line, base, BYTES_80, f, &sc);
      if (G_UNLIKELY (r != SCAN_SPLIT))
        goto stopped;
    }
  if (base != len)
    {
      /* the final word, without the bytes already seen */
      r = scan_word (line, len - 8, BYTES_80 << (8 * (8 - (len - base))), f,
                     &sc);
      base = len - 8;
      if (G_UNLIKELY (r != SCAN_SPLIT))
        goto stopped;
    }
  f->value[sc.n] = sc.start;
  f->len[sc.n] = (gsize) (line + len - sc.start);
  f->n = (guint) sc.n + 1;
  return SCAN_SPLIT;

stopped:
  for (gsize k = 0; k < sc.n; k++)
    f->value[k][f->len[k]] = ',';
  /* a quote, all bytes so far printable ASCII: the rest decides */
  if (r == SCAN_QUOTED && !is_printable_from (line, base + 8, len))
    r = SCAN_SLOW;
  return r;
}

/* Stages 1 and 2 together: the checks every line of both formats gets. */
static gboolean
check_line (char *line, gsize len, CmInputFormat format, Fields *f,
            guint64 line_no, CmReject *reject)
{
  switch (scan_plain (line, len, f))
    {
    case SCAN_SPLIT:
      return TRUE;
    case SCAN_QUOTED:
      return split_fields (line, len, format, f, line_no, reject);
    case SCAN_SLOW:
    default:
      return check_bytes (line, len, line_no, reject)
             && split_fields (line, len, format, f, line_no, reject);
    }
}

/* The characters of an id: [A-Za-z0-9_.-]. */
static const guint8 id_char[256] = {
  ['-'] = 1, ['.'] = 1, ['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['_'] = 1,
  ['a' ... 'z'] = 1,
};

/* [A-Za-z0-9_.-]{1,40} */
static G_ALWAYS_INLINE inline gboolean
is_id (const char *s, gsize len)
{
  const guchar *p = (const guchar *) s;
  guint ok = 1;
  gsize i = 0;

  if (len == 0 || len > EPISODE_MAX_ID_LEN)
    return FALSE;
  for (; i + 4 <= len; i += 4)
    ok &= id_char[p[i]] & id_char[p[i + 1]] & id_char[p[i + 2]]
          & id_char[p[i + 3]];
  for (; i < len; i++)
    ok &= id_char[p[i]];
  return ok != 0;
}

/* Whether @c is an ASCII digit. */
static inline gboolean
is_digit (char c)
{
  return (guchar) (c - '0') <= 9;
}

typedef enum {
  INT_OK,
  INT_NOT_INT,   /* not -?[0-9]+ */
  INT_NEGATIVE,  /* a minus sign: below every range we check */
} IntStatus;

/* -?[0-9]+ (@len bytes) into a non-negative value, saturating at
 * G_MAXINT64 (leading zeros allowed). */
static G_ALWAYS_INLINE inline IntStatus
parse_count (const char *s, gsize len, gint64 *out)
{
  const char *end = s + len;
  gboolean neg = FALSE;
  guint64 v = 0;

  if (len > 0 && *s == '-')
    {
      neg = TRUE;
      s++;
    }
  if (s == end)
    return INT_NOT_INT;
  if (end - s <= 18)
    {
      /* below 10^18: nothing to saturate */
      for (; s < end; s++)
        {
          guint digit = (guchar) (*s - '0');

          if (digit > 9)
            return INT_NOT_INT;
          v = v * 10 + digit;
        }
    }
  else
    {
      for (; s < end; s++)
        {
          if (*s < '0' || *s > '9')
            return INT_NOT_INT;
          if (v <= (guint64) G_MAXINT64 / 10)
            v = v * 10 + (guint64) (*s - '0');
          if (v > (guint64) G_MAXINT64)
            v = G_MAXINT64;
        }
    }
  *out = (gint64) v;
  return neg ? INT_NEGATIVE : INT_OK;
}

static gboolean
is_leap (guint y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date from year 1 on
 * (H. Hinnant's days_from_civil, for non-negative years). */
static gint32
days_from_civil (guint y, guint m, guint d)
{
  /* days from 1 March to the first of each month, January first */
  static const guint16 march_doy[12] = {
    306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275,
  };
  guint era, yoe, doe;

  y -= m <= 2;
  era = y / 400;
  yoe = y - era * 400;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + march_doy[m - 1] + d - 1;
  return (gint32) (era * 146097 + doe) - 719468;
}

typedef enum {
  DATE_OK,
  DATE_FORM,      /* not YYYY-MM-DD */
  DATE_CALENDAR,  /* e.g. 2023-02-29 */
} DateStatus;

/* YYYY-MM-DD, years 0001–9999. */
static G_ALWAYS_INLINE inline DateStatus
parse_date (const char *s, gsize len, gint32 *out)
{
  static const guint8 mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  guint y, m, d;

  if (len != 10 || s[4] != '-' || s[7] != '-'
      || !(is_digit (s[0]) & is_digit (s[1]) & is_digit (s[2])
           & is_digit (s[3]) & is_digit (s[5]) & is_digit (s[6])
           & is_digit (s[8]) & is_digit (s[9])))
    return DATE_FORM;
  y = (guint) (s[0] - '0') * 1000 + (guint) (s[1] - '0') * 100
      + (guint) (s[2] - '0') * 10 + (guint) (s[3] - '0');
  m = (guint) (s[5] - '0') * 10 + (guint) (s[6] - '0');
  d = (guint) (s[8] - '0') * 10 + (guint) (s[9] - '0');
  if (y < 1 || m < 1 || m > 12 || d < 1)
    return DATE_CALENDAR;
  if (d > mdays[m - 1] + (guint) (m == 2 && is_leap (y)))
    return DATE_CALENDAR;
  *out = days_from_civil (y, m, d);
  return DATE_OK;
}

/* [0-9]{1,12}\.[0-9]{2} into fen, digit by digit. */
static G_ALWAYS_INLINE inline gboolean
parse_money (const char *s, gsize len, CmFen *out)
{
  const char *dot;
  guint d1, d2;
  guint64 v = 0;

  if (len < 4 || len > 15 || s[len - 3] != '.')
    return FALSE;
  dot = s + len - 3;
  d1 = (guchar) (dot[1] - '0');
  d2 = (guchar) (dot[2] - '0');
  if (d1 > 9 || d2 > 9)
    return FALSE;
  for (; s < dot; s++)
    {
      guint digit = (guchar) (*s - '0');

      if (digit > 9)
        return FALSE;
      v = v * 10 + digit;
    }
  *out = (CmFen) (v * 100 + d1 * 10 + d2);
  return TRUE;
}

/* What a byte means inside a code list of the episode format. A code is
 * 1–30 printable ASCII characters with no space , " ' or |. */
enum {
  CODE_CHAR = 0,
  CODE_END = 1,       /* the NUL after the list */
  CODE_SEP = 2,       /* | */
  CODE_BAD = 4,       /* printable ASCII that a code may not hold */
  CODE_NONPRINT = 8,  /* not printable ASCII */
};

static const guint8 code_class[256] = {
  [0x00] = CODE_END,
  [0x01 ... 0x1F] = CODE_NONPRINT,
  [' '] = CODE_BAD,
  ['"'] = CODE_BAD,
  ['\''] = CODE_BAD,
  [','] = CODE_BAD,
  ['|'] = CODE_SEP,
  [0x7F ... 0xFF] = CODE_NONPRINT,
};

/* Splits a `|`-joined code list of the episode format in place and checks
 * every code. A message quotes a bad code (at most 40 characters) only when
 * it is printable ASCII: anything else may be free text. For each item, in
 * this order: the count, emptiness, printable ASCII, the characters and the
 * length. */
static gboolean
split_episode_codes (char *text, gsize len, gboolean may_be_empty,
                     const char *key, const char **codes, guint *n_codes,
                     guint64 line_no, CmReject *reject)
{
  char *p = text;
  guint n = 0;

  *n_codes = 0;
  if (len == 0)
    {
      if (may_be_empty)
        return TRUE;
      return reject_set (reject, line_no, key, "empty, at least one code is needed");
    }

  for (;;)
    {
      char *item = p;
      gsize item_len;
      guint seen = 0;
      guint k;

      /* one table look-up per byte; the classes other than CODE_CHAR stop */
      for (;;)
        {
          while ((k = code_class[(guchar) *p]) == CODE_CHAR)
            p++;
          if (k & (CODE_END | CODE_SEP))
            break;
          seen |= k;
          p++;
        }
      *p = '\0';
      item_len = (gsize) (p - item);

      if (n == EPISODE_MAX_CODES)
        return reject_set (reject, line_no, key, "more than %d codes",
                           EPISODE_MAX_CODES);
      if (item_len == 0)
        return reject_set (reject, line_no, key,
                           "code %u is empty (an empty item between separators)",
                           n + 1);
      if (seen & CODE_NONPRINT)
        return reject_set (reject, line_no, key,
                           "code %u has a character that is not printable ASCII",
                           n + 1);
      if ((seen & CODE_BAD) || item_len > EPISODE_MAX_CODE_LEN)
        return reject_set (reject, line_no, key,
                           "code %u \"%.*s%s\" is not 1-30 printable ASCII "
                           "characters without space , \" ' or |",
                           n + 1, QUOTE_CODE_CHARS, item,
                           item_len > QUOTE_CODE_CHARS ? "..." : "");
      codes[n++] = item;
      if (k == CODE_END)
        break;
      p++;
    }
  *n_codes = n;
  return TRUE;
}

/* ---- the episode format ---------------------------------------------- */

#define REJECT_COL(col, ...) \
  reject_set (reject, line_no, episode_columns[col], __VA_ARGS__)
/* Whether column @col of f is exactly the string literal @lit (4 to 16
 * characters). */
#define TEXT_IS(col, lit) \
  (G_STATIC_ASSERT_EXPR (sizeof lit - 1 >= 4 && sizeof lit - 1 <= 16), \
   text_is (f->value[col], f->len[col], lit, sizeof lit - 1))

/* Whether @s (@len bytes) is @lit (@lit_len bytes, 4 to 16, a constant):
 * two overlapping loads instead of a memcmp() call. */
static inline gboolean
text_is (const char *s, gsize len, const char *lit, gsize lit_len)
{
  if (len != lit_len)
    return FALSE;
  if (lit_len >= 8)
    {
      guint64 a0, a1, b0, b1;

      memcpy (&a0, s, 8);
      memcpy (&a1, s + lit_len - 8, 8);
      memcpy (&b0, lit, 8);
      memcpy (&b1, lit + lit_len - 8, 8);
      return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
  else
    {
      guint32 a0, a1, b0, b1;

      memcpy (&a0, s, 4);
      memcpy (&a1, s + lit_len - 4, 4);
      memcpy (&b0, lit, 4);
      memcpy (&b1, lit + lit_len - 4, 4);
      return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
}

/* cm_field_set_text() for a text of one ASCII digit, which is an integer. */
static inline void
set_digit (CmField *field, const char *s)
{
  cm_field_set_int (field, s, s[0] - '0');
}

/* An integer column in [lo, hi]; fills *out. */
static G_ALWAYS_INLINE inline gboolean
check_range (const Fields *f, int col, gint64 lo, gint64 hi, gint64 *out,
             guint64 line_no, CmReject *reject)
{
  switch (parse_count (f->value[col], f->len[col], out))
    {
    case INT_NOT_INT:
      return REJECT_COL (col, "not an integer");
    case INT_NEGATIVE:
      return REJECT_COL (col, "not in %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                         lo, hi);
    case INT_OK:
    default:
      break;
    }
  if (*out < lo || *out > hi)
    return REJECT_COL (col, "not in %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                       lo, hi);
  return TRUE;
}

/* An optional newborn column (age_days, birth_weight_g). */
static gboolean
check_newborn (const Fields *f, int col, gint64 age_years, gint64 lo,
               gint64 hi, CmField *field, guint64 line_no, CmReject *reject)
{
  gint64 v = 0;

  if (f->len[col] == 0)
    return TRUE;  /* absent */
  if (age_years >= 1)
    return REJECT_COL (col, "must be empty when age_years is 1 or more");
  if (!check_range (f, col, lo, hi, &v, line_no, reject))
    return FALSE;
  cm_field_set_int (field, f->value[col], v);
  return TRUE;
}

static G_ALWAYS_INLINE inline gboolean
check_date (const Fields *f, int col, gint32 *out, guint64 line_no,
            CmReject *reject)
{
  switch (parse_date (f->value[col], f->len[col], out))
    {
    case DATE_FORM:
      return REJECT_COL (col, "not a date in YYYY-MM-DD form");
    case DATE_CALENDAR:
      return REJECT_COL (col, "not a calendar date");
    case DATE_OK:
    default:
      return TRUE;
    }
}

static G_ALWAYS_INLINE inline gboolean
check_money (const Fields *f, int col, CmFen *out, guint64 line_no,
             CmReject *reject)
{
  if (!parse_money (f->value[col], f->len[col], out))
    return REJECT_COL (col, "not an amount of 1-12 digits, a dot and 2 decimals");
  return TRUE;
}

static G_ALWAYS_INLINE inline gboolean
check_id (const Fields *f, int col, const char **out, guint64 line_no,
          CmReject *reject)
{
  if (!is_id (f->value[col], f->len[col]))
    return REJECT_COL (col, "not 1-%d characters of A-Z a-z 0-9 _ . -",
                       EPISODE_MAX_ID_LEN);
  *out = f->value[col];
  return TRUE;
}

/* Stage 3 and 4 of the episode format. */
static gboolean
parse_episode (const Fields *f, guint64 line_no, CmEpisode *ep,
               CmReject *reject)
{
  char *const *v = f->value;
  const gsize *len = f->len;
  gint64 age_years = 0, los_days = 0, icu_hours = 0, expected_los;
  CmFen paid;
  const char *s;

  if (f->n != EPISODE_N_COLUMNS)
    return reject_set (reject, line_no, KEY_COLUMNS,
                       "%u fields, expected %d", f->n, EPISODE_N_COLUMNS);
  /* the fields lie in order inside the line: when all of them span at most
   * CM_MAX_FIELD_CHARS bytes, none is longer */
  if ((gsize) (v[EPISODE_N_COLUMNS - 1] + len[EPISODE_N_COLUMNS - 1] - v[0])
      > CM_MAX_FIELD_CHARS)
    for (guint i = 0; i < EPISODE_N_COLUMNS; i++)
      if (len[i] > CM_MAX_FIELD_CHARS
          && utf8_chars (v[i], len[i]) > CM_MAX_FIELD_CHARS)
        return reject_set (reject, line_no, KEY_FIELD_LENGTH,
                           "field %u (%s) is longer than %d characters", i + 1,
                           episode_columns[i], CM_MAX_FIELD_CHARS);

  if (!check_id (f, COL_EPISODE_ID, &ep->episode_id, line_no, reject)
      || !check_id (f, COL_PATIENT_ID, &ep->patient_id, line_no, reject)
      || !check_id (f, COL_HOSPITAL_ID, &ep->hospital_id, line_no, reject))
    return FALSE;

  s = v[COL_HOSPITAL_LEVEL];
  if (len[COL_HOSPITAL_LEVEL] != 1 || s[0] < '1' || s[0] > '3')
    return REJECT_COL (COL_HOSPITAL_LEVEL, "not 1, 2 or 3");
  ep->hospital_level = s[0] - '0';

  s = v[COL_COUNTY_ID];
  if (len[COL_COUNTY_ID] != 6)
    return REJECT_COL (COL_COUNTY_ID, "not 6 digits");
  if (!(is_digit (s[0]) & is_digit (s[1]) & is_digit (s[2])
        & is_digit (s[3]) & is_digit (s[4]) & is_digit (s[5])))
    return REJECT_COL (COL_COUNTY_ID, "not 6 digits");
  ep->county_id = s;

  /* A field holds no NUL (control_char): comparing the length and the
   * bytes compares the whole text. */
  if (TEXT_IS (COL_INSURANCE_TYPE, "employee"))
    ep->insurance_type = CM_INSURANCE_EMPLOYEE;
  else if (TEXT_IS (COL_INSURANCE_TYPE, "resident"))
    ep->insurance_type = CM_INSURANCE_RESIDENT;
  else
    return REJECT_COL (COL_INSURANCE_TYPE, "not employee or resident");

  if (TEXT_IS (COL_INSURED_REGION, "local"))
    ep->insured_region = CM_REGION_LOCAL;
  else if (TEXT_IS (COL_INSURED_REGION, "province"))
    ep->insured_region = CM_REGION_PROVINCE;
  else if (TEXT_IS (COL_INSURED_REGION, "other_province"))
    ep->insured_region = CM_REGION_OTHER_PROVINCE;
  else
    return REJECT_COL (COL_INSURED_REGION,
                       "not local, province or other_province");

  s = v[COL_SEX];
  if (len[COL_SEX] != 1 || (s[0] != '1' && s[0] != '2'))
    return REJECT_COL (COL_SEX, "not 1 or 2");
  set_digit (&ep->sex, s);

  if (!check_range (f, COL_AGE_YEARS, 0, 150, &age_years, line_no, reject))
    return FALSE;
  cm_field_set_int (&ep->age_years, v[COL_AGE_YEARS], age_years);
  if (!check_newborn (f, COL_AGE_DAYS, age_years, 0, 365, &ep->age_days,
                      line_no, reject)
      || !check_newborn (f, COL_BIRTH_WEIGHT_G, age_years, 100, 9999,
                         &ep->weight_g, line_no, reject))
    return FALSE;

  if (!check_date (f, COL_ADMIT_DATE, &ep->admit_date, line_no, reject)
      || !check_date (f, COL_DISCHARGE_DATE, &ep->discharge_date, line_no,
                      reject))
    return FALSE;
  if (ep->discharge_date < ep->admit_date)
    return REJECT_COL (COL_DISCHARGE_DATE, "before admit_date");

  switch (parse_count (v[COL_LOS_DAYS], len[COL_LOS_DAYS], &los_days))
    {
    case INT_NOT_INT:
      return REJECT_COL (COL_LOS_DAYS, "not an integer");
    case INT_NEGATIVE:
      return REJECT_COL (COL_LOS_DAYS, "negative");
    case INT_OK:
    default:
      break;
    }
  /* A same-day stay counts as one day (episodes/FORMAT.md §2, los_days). */
  expected_los = MAX (1, (gint64) ep->discharge_date - ep->admit_date);
  if (los_days != expected_los)
    return REJECT_COL (COL_LOS_DAYS,
                       "does not match admit_date and discharge_date "
                       "(a same-day stay counts 1)");
  cm_field_set_int (&ep->los_days, v[COL_LOS_DAYS], los_days);

  if (len[COL_DEPT] == 0)
    return REJECT_COL (COL_DEPT, "empty");
  if (len[COL_DEPT] > EPISODE_MAX_DEPT_CHARS
      && utf8_chars (v[COL_DEPT], len[COL_DEPT]) > EPISODE_MAX_DEPT_CHARS)
    return REJECT_COL (COL_DEPT, "longer than %d characters",
                       EPISODE_MAX_DEPT_CHARS);
  cm_field_set_text (&ep->dept, v[COL_DEPT]);

  s = v[COL_DISCHARGE_STATUS];
  if (len[COL_DISCHARGE_STATUS] != 1
      || !((s[0] >= '1' && s[0] <= '5') || s[0] == '9'))
    return REJECT_COL (COL_DISCHARGE_STATUS, "not 1, 2, 3, 4, 5 or 9");
  set_digit (&ep->discharge, s);

  switch (parse_count (v[COL_ICU_HOURS], len[COL_ICU_HOURS], &icu_hours))
    {
    case INT_NOT_INT:
      return REJECT_COL (COL_ICU_HOURS, "not an integer");
    case INT_NEGATIVE:
      return REJECT_COL (COL_ICU_HOURS, "negative");
    case INT_OK:
    default:
      break;
    }
  if (icu_hours > 24 * (los_days + 1))
    return REJECT_COL (COL_ICU_HOURS, "more than 24 x (los_days + 1)");
  cm_field_set_int (&ep->icu_hours, v[COL_ICU_HOURS], icu_hours);

  if (!split_episode_codes (v[COL_DIAGNOSES], len[COL_DIAGNOSES], FALSE,
                            episode_columns[COL_DIAGNOSES], ep->dx, &ep->n_dx,
                            line_no, reject)
      || !split_episode_codes (v[COL_PROCEDURES], len[COL_PROCEDURES], TRUE,
                               episode_columns[COL_PROCEDURES], ep->px,
                               &ep->n_px, line_no, reject))
    return FALSE;
  ep->px_text_empty = len[COL_PROCEDURES] == 0;

  if (!check_money (f, COL_TOTAL_COST, &ep->total_cost_fen, line_no, reject)
      || !check_money (f, COL_OUT_OF_CATALOGUE_COST,
                       &ep->out_of_catalogue_cost_fen, line_no, reject)
      || !check_money (f, COL_PATIENT_COPAY, &ep->patient_copay_fen, line_no,
                       reject)
      || !check_money (f, COL_FUND_PAID_FFS, &ep->fund_paid_ffs_fen, line_no,
                       reject))
    return FALSE;

  if (len[COL_PER_DIEM_CATEGORY] == 0)
    ep->per_diem_category = CM_PER_DIEM_NONE;
  else if (TEXT_IS (COL_PER_DIEM_CATEGORY, "rehab"))
    ep->per_diem_category = CM_PER_DIEM_REHAB;
  else if (TEXT_IS (COL_PER_DIEM_CATEGORY, "nursing"))
    ep->per_diem_category = CM_PER_DIEM_NURSING;
  else if (TEXT_IS (COL_PER_DIEM_CATEGORY, "hospice"))
    ep->per_diem_category = CM_PER_DIEM_HOSPICE;
  else if (TEXT_IS (COL_PER_DIEM_CATEGORY, "psych"))
    ep->per_diem_category = CM_PER_DIEM_PSYCH;
  else
    return REJECT_COL (COL_PER_DIEM_CATEGORY,
                       "not empty, rehab, nursing, hospice or psych");

  /* Each amount is below 10^14 fen, so the sum cannot overflow. */
  paid = ep->out_of_catalogue_cost_fen + ep->patient_copay_fen
         + ep->fund_paid_ffs_fen;
  if (paid > ep->total_cost_fen)
    return reject_set (reject, line_no, KEY_MONEY,
                       "out_of_catalogue_cost + patient_copay + fund_paid_ffs "
                       "is more than total_cost");
  return TRUE;
}

#undef TEXT_IS
#undef REJECT_COL

/* ---- the OpenDRG format ---------------------------------------------- */

/* White space as Python's str.strip() sees it, minus the control
 * characters that were already rejected. */
static gboolean
is_space (gunichar c)
{
  return c == ' ' || c == 0x85 || g_unichar_isspace (c);
}

/* schemes/FORMAT.md §3: trim white space, drop one trailing ".0"; NULL when
 * nothing is left. Rewrites @s in place. */
static char *
normalise_scalar (char *s)
{
  char *end = s + strlen (s);

  while (*s && is_space (g_utf8_get_char (s)))
    s = g_utf8_next_char (s);
  while (end > s)
    {
      char *prev = g_utf8_prev_char (end);
      if (!is_space (g_utf8_get_char (prev)))
        break;
      end = prev;
    }
  if (end - s >= 2 && end[-2] == '.' && end[-1] == '0')
    end -= 2;
  *end = '\0';
  return *s ? s : NULL;
}

/* Splits an OpenDRG code list at every `,` and `|`, empty items kept. */
static gboolean
split_opendrg_codes (char *text, const char *key, const char **codes,
                     guint *n_codes, guint64 line_no, CmReject *reject)
{
  guint n = 1;
  char *p;

  for (p = text; *p; p++)
    n += *p == ',' || *p == '|';
  if (n > CM_MAX_CODES)
    return reject_set (reject, line_no, key, "more than %d codes",
                       CM_MAX_CODES);

  n = 0;
  codes[n++] = text;
  for (p = text; *p; p++)
    if (*p == ',' || *p == '|')
      {
        *p = '\0';
        codes[n++] = p + 1;
      }
  *n_codes = n;
  return TRUE;
}

static void
set_opendrg_scalar (const CmEpisodeParser *parser, const Fields *f, int od,
                    CmField *field)
{
  int col = parser->od_col[od];

  if (col < 0)
    cm_field_set_text (field, NULL);
  else
    cm_field_set_text (field, normalise_scalar (f->value[col]));
}

static gboolean
parse_opendrg (const CmEpisodeParser *parser, const Fields *f,
               guint64 line_no, CmEpisode *ep, CmReject *reject)
{
  char *zd, *ss;

  if (f->n != parser->n_header_fields)
    return reject_set (reject, line_no, KEY_COLUMNS, "%u fields, expected %u",
                       f->n, parser->n_header_fields);

  ep->episode_id = normalise_scalar (f->value[parser->od_col[OD_INDEX]]);
  if (ep->episode_id == NULL)
    return reject_set (reject, line_no, episode_columns[COL_EPISODE_ID],
                       "Index is empty");

  zd = f->value[parser->od_col[OD_ZD_LIST]];
  if (!split_opendrg_codes (zd, episode_columns[COL_DIAGNOSES], ep->dx,
                            &ep->n_dx, line_no, reject))
    return FALSE;
  ss = f->value[parser->od_col[OD_SS_LIST]];
  ep->px_text_empty = *ss == '\0';
  if (ep->px_text_empty)
    ep->n_px = 0;
  else if (!split_opendrg_codes (ss, episode_columns[COL_PROCEDURES], ep->px,
                                 &ep->n_px, line_no, reject))
    return FALSE;

  set_opendrg_scalar (parser, f, OD_GENDER, &ep->sex);
  set_opendrg_scalar (parser, f, OD_AGE, &ep->age_years);
  set_opendrg_scalar (parser, f, OD_AGE_DAY, &ep->age_days);
  set_opendrg_scalar (parser, f, OD_WEIGHT, &ep->weight_g);
  set_opendrg_scalar (parser, f, OD_DEPT, &ep->dept);
  set_opendrg_scalar (parser, f, OD_IN_HOSPITAL_TIME, &ep->los_days);
  set_opendrg_scalar (parser, f, OD_LEAVING_TYPE, &ep->discharge);
  set_opendrg_scalar (parser, f, OD_ICU_HOURS, &ep->icu_hours);
  set_opendrg_scalar (parser, f, OD_AMOUNT, &ep->amount);
  return TRUE;
}

/* ---- CmEpisodeParser -------------------------------------------------- */

CmEpisodeParser *
cm_episode_parser_new (CmInputFormat format)
{
  CmEpisodeParser *parser;

  g_return_val_if_fail (format == CM_INPUT_EPISODES
                        || format == CM_INPUT_OPENDRG, NULL);

  parser = g_new0 (CmEpisodeParser, 1);
  parser->format = format;
  for (int i = 0; i < OD_N_COLUMNS; i++)
    parser->od_col[i] = -1;
  return parser;
}

void
cm_episode_parser_free (CmEpisodeParser *parser)
{
  g_free (parser);
}

CmInputFormat
cm_episode_parser_get_format (const CmEpisodeParser *parser)
{
  g_return_val_if_fail (parser != NULL, CM_INPUT_EPISODES);
  return parser->format;
}

static gboolean
set_episode_header (CmEpisodeParser *parser, const Fields *f,
                    CmReject *reject)
{
  /* Data lines are read by position whatever the header says. */
  parser->have_header = TRUE;
  if (f->n != EPISODE_N_COLUMNS)
    return reject_set (reject, 1, KEY_HEADER,
                       "%u fields, expected the %d episode column names",
                       f->n, EPISODE_N_COLUMNS);
  for (guint i = 0; i < EPISODE_N_COLUMNS; i++)
    if (strcmp (f->value[i], episode_columns[i]) != 0)
      return reject_set (reject, 1, KEY_HEADER, "field %u is not %s", i + 1,
                         episode_columns[i]);
  return TRUE;
}

static gboolean
set_opendrg_header (CmEpisodeParser *parser, const Fields *f,
                    CmReject *reject, GError **error)
{
  g_autoptr (GString) missing = NULL;

  if (f->n > CM_MAX_CSV_FIELDS)
    {
      reject_set (reject, 1, KEY_HEADER, "%u columns, at most %d supported",
                  f->n, CM_MAX_CSV_FIELDS);
      g_set_error (error, CM_EPISODE_READER_ERROR,
                   CM_EPISODE_READER_ERROR_HEADER,
                   "OpenDRG header has %u columns, at most %d supported",
                   f->n, CM_MAX_CSV_FIELDS);
      return FALSE;
    }

  for (int c = 0; c < OD_N_COLUMNS; c++)
    parser->od_col[c] = -1;
  /* The first column of a name wins; unknown names are ignored. */
  for (guint i = 0; i < f->n; i++)
    for (int c = 0; c < OD_N_COLUMNS; c++)
      if (parser->od_col[c] < 0 && strcmp (f->value[i], opendrg_columns[c]) == 0)
        parser->od_col[c] = (int) i;

  for (int c = 0; c < OD_N_REQUIRED; c++)
    if (parser->od_col[c] < 0)
      {
        if (missing == NULL)
          missing = g_string_new (opendrg_columns[c]);
        else
          g_string_append_printf (missing, ", %s", opendrg_columns[c]);
      }
  if (missing != NULL)
    {
      reject_set (reject, 1, KEY_HEADER, "required columns missing: %s",
                  missing->str);
      g_set_error (error, CM_EPISODE_READER_ERROR,
                   CM_EPISODE_READER_ERROR_HEADER,
                   "OpenDRG header lacks required columns: %s", missing->str);
      return FALSE;
    }

  parser->n_header_fields = f->n;
  parser->have_header = TRUE;
  return TRUE;
}

gboolean
cm_episode_parser_set_header (CmEpisodeParser *parser, char *line, gsize len,
                              CmReject *reject, GError **error)
{
  Fields f;

  g_return_val_if_fail (parser != NULL, FALSE);
  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (line[len] == '\0', FALSE);
  g_return_val_if_fail (reject != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (len == 0)
    {
      reject_set (reject, 1, KEY_HEADER, "line 1 (the header) is empty");
      if (parser->format == CM_INPUT_EPISODES)
        {
          parser->have_header = TRUE;
          return FALSE;
        }
      parser->have_header = FALSE;
      g_set_error (error, CM_EPISODE_READER_ERROR,
                   CM_EPISODE_READER_ERROR_HEADER,
                   "OpenDRG header line is empty");
      return FALSE;
    }
  if (!check_line (line, len, CM_INPUT_OPENDRG, &f, 1, reject))
    {
      if (parser->format == CM_INPUT_EPISODES)
        {
          parser->have_header = TRUE;
          return FALSE;
        }
      parser->have_header = FALSE;
      g_set_error (error, CM_EPISODE_READER_ERROR,
                   CM_EPISODE_READER_ERROR_HEADER,
                   "OpenDRG header rejected: %s: %s", reject->key,
                   reject->message);
      return FALSE;
    }

  if (parser->format == CM_INPUT_EPISODES)
    return set_episode_header (parser, &f, reject);
  return set_opendrg_header (parser, &f, reject, error);
}

gboolean
cm_episode_parser_parse_line (const CmEpisodeParser *parser, char *line,
                              gsize len, guint64 line_no, CmEpisode *episode,
                              CmReject *reject)
{
  Fields f;

  g_return_val_if_fail (parser != NULL, FALSE);
  g_return_val_if_fail (parser->format == CM_INPUT_EPISODES
                        || parser->have_header, FALSE);
  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (line[len] == '\0', FALSE);
  g_return_val_if_fail (episode != NULL, FALSE);
  g_return_val_if_fail (reject != NULL, FALSE);

  cm_episode_clear (episode);
  if (!check_line (line, len, parser->format, &f, line_no, reject))
    return FALSE;
  if (parser->format == CM_INPUT_EPISODES)
    return parse_episode (&f, line_no, episode, reject);
  return parse_opendrg (parser, &f, line_no, episode, reject);
}

/* ---- CmIdSet ---------------------------------------------------------- */

#define ID_SET_INITIAL 1024

CmIdSet *
cm_id_set_new (void)
{
  CmIdSet *set = g_new0 (CmIdSet, 1);

  set->slots = g_new0 (guint64, ID_SET_INITIAL);
  set->mask = ID_SET_INITIAL - 1;
  return set;
}

void
cm_id_set_free (CmIdSet *set)
{
  if (set == NULL)
    return;
  g_free (set->slots);
  g_free (set);
}

/* FNV-1a over the bytes, then the MurmurHash3 64-bit finaliser so that the
 * low bits (the probe start) depend on every input byte. */
guint64
cm_id_hash (const char *id)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  g_return_val_if_fail (id != NULL, 0);

  for (const guchar *p = (const guchar *) id; *p; p++)
    {
      h ^= *p;
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
  h ^= h >> 33;
  return h;
}

static void
id_set_insert (guint64 *slots, gsize mask, guint64 hash)
{
  gsize i = (gsize) hash & mask;

  while (slots[i] != 0)
    i = (i + 1) & mask;
  slots[i] = hash;
}

static void
id_set_grow (CmIdSet *set)
{
  gsize old_cap = set->mask + 1;
  gsize new_mask = old_cap * 2 - 1;
  g_autofree guint64 *old = g_steal_pointer (&set->slots);

  set->slots = g_new0 (guint64, new_mask + 1);
  set->mask = new_mask;
  for (gsize i = 0; i < old_cap; i++)
    if (old[i] != 0)
      id_set_insert (set->slots, new_mask, old[i]);
}

void
cm_id_set_prefetch (const CmIdSet *set, guint64 hash)
{
  __builtin_prefetch (&set->slots[(gsize) hash & set->mask], 1);
}

gboolean
cm_id_set_add_hash (CmIdSet *set, guint64 hash)
{
  gsize i;

  g_return_val_if_fail (set != NULL, FALSE);

  if (hash == 0)
    {
      gboolean was_new = !set->has_zero;
      set->has_zero = TRUE;
      return was_new;
    }
  /* Keep the load factor at most 3/4: this set is the one structure that
   * grows with the input (8 bytes a slot), so memory matters more than the
   * slightly longer probes, which stay within a cache line or two. */
  if ((set->n + 1) * 4 > (set->mask + 1) * 3)
    id_set_grow (set);
  for (i = (gsize) hash & set->mask; set->slots[i] != 0;
       i = (i + 1) & set->mask)
    if (set->slots[i] == hash)
      return FALSE;
  set->slots[i] = hash;
  set->n++;
  return TRUE;
}

void
cm_reject_format (const CmReject *reject, char *buf, gsize size)
{
  g_return_if_fail (reject != NULL);
  g_return_if_fail (buf != NULL || size == 0);

  if (size > 0)
    g_snprintf (buf, size, "%s: %s", reject->key ? reject->key : "(none)",
                reject->message);
}

/* ---- CmEpisodeReader -------------------------------------------------- */

CmEpisodeReader *
cm_episode_reader_new (FILE *stream, CmInputFormat format)
{
  CmEpisodeReader *reader;

  g_return_val_if_fail (stream != NULL, NULL);
  g_return_val_if_fail (format == CM_INPUT_EPISODES
                        || format == CM_INPUT_OPENDRG, NULL);

  reader = g_new0 (CmEpisodeReader, 1);
  reader->stream = stream;
  reader->parser = cm_episode_parser_new (format);
  if (format == CM_INPUT_EPISODES)
    reader->ids = cm_id_set_new ();
  reader->in = g_malloc (READ_CHUNK);
  reader->line = g_malloc (CM_MAX_LINE_LEN + 2);
  return reader;
}

void
cm_episode_reader_free (CmEpisodeReader *reader)
{
  if (reader == NULL)
    return;
  cm_episode_parser_free (reader->parser);
  cm_id_set_free (reader->ids);
  g_free (reader->in);
  g_free (reader->line);
  g_free (reader);
}

typedef enum {
  LINE_OK,
  LINE_EOF,
  LINE_ERROR,
} LineStatus;

/* Reads the next physical line into reader->line without its line end (one
 * CR directly before the LF is part of the line end). A line longer than
 * CM_MAX_LINE_LEN is consumed to its LF and flagged *too_long. */
static LineStatus
read_line (CmEpisodeReader *reader, gsize *len_out, gboolean *too_long,
           GError **error)
{
  const gsize cap = CM_MAX_LINE_LEN + 1;  /* the line and one CR */
  gsize len = 0;
  gboolean over = FALSE;
  gboolean any = FALSE;
  gboolean lf = FALSE;

  for (;;)
    {
      char *p, *nl;
      gsize avail, take;

      if (reader->in_pos == reader->in_end)
        {
          size_t n;

          if (reader->eof)
            break;
          n = fread (reader->in, 1, READ_CHUNK, reader->stream);
          if (n == 0)
            {
              if (ferror (reader->stream))
                {
                  int saved = errno;
                  g_set_error (error, CM_EPISODE_READER_ERROR,
                               CM_EPISODE_READER_ERROR_IO,
                               "cannot read line %" G_GUINT64_FORMAT ": %s",
                               reader->line_no + 1, g_strerror (saved));
                  return LINE_ERROR;
                }
              reader->eof = TRUE;
              break;
            }
          reader->in_pos = 0;
          reader->in_end = n;
        }

      any = TRUE;
      p = reader->in + reader->in_pos;
      avail = reader->in_end - reader->in_pos;
      nl = memchr (p, '\n', avail);
      take = nl != NULL ? (gsize) (nl - p) : avail;
      if (!over)
        {
          if (take > cap - len)
            over = TRUE;
          else
            {
              memcpy (reader->line + len, p, take);
              len += take;
            }
        }
      reader->in_pos += take + (nl != NULL);
      if (nl != NULL)
        {
          lf = TRUE;
          break;
        }
    }

  if (!any)
    return LINE_EOF;
  /* only a CR directly before the LF is part of the line end: on a last
   * line without LF it stays (and is a control_char) */
  if (lf && !over && len > 0 && reader->line[len - 1] == '\r')
    len--;
  if (len > CM_MAX_LINE_LEN)
    over = TRUE;
  if (over)
    len = 0;
  reader->line[len] = '\0';
  *len_out = len;
  *too_long = over;
  return LINE_OK;
}

CmReadResult
cm_episode_reader_next (CmEpisodeReader *reader, CmEpisode *episode,
                        CmReject *reject, GError **error)
{
  CmInputFormat format;

  g_return_val_if_fail (reader != NULL, CM_READ_ERROR);
  g_return_val_if_fail (episode != NULL, CM_READ_ERROR);
  g_return_val_if_fail (reject != NULL, CM_READ_ERROR);
  g_return_val_if_fail (error == NULL || *error == NULL, CM_READ_ERROR);

  format = reader->parser->format;
  if (reader->failed)
    {
      g_set_error (error, CM_EPISODE_READER_ERROR,
                   CM_EPISODE_READER_ERROR_HEADER,
                   "the OpenDRG header was rejected, no line can be read");
      return CM_READ_ERROR;
    }

  for (;;)
    {
      gsize len = 0;
      gboolean too_long = FALSE;
      char *line = reader->line;

      switch (read_line (reader, &len, &too_long, error))
        {
        case LINE_ERROR:
          return CM_READ_ERROR;
        case LINE_EOF:
          if (!reader->header_done && format == CM_INPUT_OPENDRG)
            {
              reader->failed = TRUE;
              g_set_error (error, CM_EPISODE_READER_ERROR,
                           CM_EPISODE_READER_ERROR_HEADER,
                           "OpenDRG input has no header line");
              return CM_READ_ERROR;
            }
          return CM_READ_EOF;
        case LINE_OK:
        default:
          break;
        }
      reader->line_no++;

      if (!reader->header_done)
        {
          g_autoptr (GError) local_error = NULL;

          reader->header_done = TRUE;
          if (len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0)
            {
              line += 3;
              len -= 3;
            }
          if (too_long)
            {
              if (format == CM_INPUT_OPENDRG)
                {
                  reader->failed = TRUE;
                  g_set_error (error, CM_EPISODE_READER_ERROR,
                               CM_EPISODE_READER_ERROR_HEADER,
                               "OpenDRG header line is longer than %d bytes",
                               CM_MAX_LINE_LEN);
                  return CM_READ_ERROR;
                }
              /* episode data lines are read by position all the same */
              reader->parser->have_header = TRUE;
              reject_set (reject, reader->line_no, KEY_FIELD_LENGTH,
                          "line 1 (the header) is longer than %d bytes",
                          CM_MAX_LINE_LEN);
              return CM_READ_REJECT;
            }
          if (cm_episode_parser_set_header (reader->parser, line, len, reject,
                                            &local_error))
            continue;
          if (local_error != NULL)
            {
              reader->failed = TRUE;
              g_propagate_error (error, g_steal_pointer (&local_error));
              return CM_READ_ERROR;
            }
          return CM_READ_REJECT;
        }

      if (too_long)
        {
          reject_set (reject, reader->line_no, KEY_FIELD_LENGTH,
                      "line longer than %d bytes", CM_MAX_LINE_LEN);
          return CM_READ_REJECT;
        }
      if (len == 0)
        continue;  /* empty lines are ignored, but counted */

      if (!cm_episode_parser_parse_line (reader->parser, line, len,
                                         reader->line_no, episode, reject))
        return CM_READ_REJECT;
      if (reader->ids != NULL
          && !cm_id_set_add_hash (reader->ids, cm_id_hash (episode->episode_id)))
        {
          reject_set (reject, reader->line_no, KEY_DUPLICATE_ID,
                      "episode_id %s is already used by an earlier record",
                      episode->episode_id);
          return CM_READ_REJECT;
        }
      return CM_READ_EPISODE;
    }
}
