/* cm-indicators.c — the indicator accumulator, low-risk groups, tables.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Design note. A case adds its integers to one cell per slot (see the
 * header). A table with dimensions D is computed by projecting every cell
 * of the slot onto D (fields outside D become wildcards) and adding the
 * cells of each projection; inside a row, sums are also kept per (group,
 * reference level), which is what the cost and time indices need:
 *
 *   CI_row = Σ_(g,l) C_row(g,l) · N_ref(g,l,p) / C_ref(g,l,p)  ÷  Σ n_row(g,l)
 *
 * with p the row's period and the reference the sums of all hospitals in
 * (g, p[, l]). That is indicators.md's Σ_i (e_i/E_i)·n_i ÷ Σ n_i with
 * e_i = C_i/n_i, rewritten so that nothing is divided before the end.
 * Every figure is a CmRational; only the printers round.
 *
 * Sums are checked: an overflow marks the accumulator, and finish() fails
 * with CM_INDICATORS_ERROR_LIMIT instead of printing a wrapped number. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cm-indicators.h"
#include "cm-money.h"
#include "cm-money-private.h"
#include "cm-timeline.h"
#include "cm-episode-reader.h"

G_DEFINE_QUARK (cm-indicators-error-quark, cm_indicators_error)

/* splitmix64's finalizer: spreads pointer and small-integer keys over all
 * bits (GLib's tables use the low bits). */
static inline guint
mix64 (guint64 x)
{
  x ^= x >> 30;
  x *= G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  x ^= x >> 27;
  x *= G_GUINT64_CONSTANT (0x94d049bb133111eb);
  x ^= x >> 31;
  return (guint) x;
}

#define WEIGHT_FROM_TABLE (-1)
#define WEIGHT_NONE (-2)

/* ---------------------------------------------------------------------- */
/* Options                                                                 */

void
cm_indicator_options_init (CmIndicatorOptions *o)
{
  g_return_if_fail (o != NULL);
  memset (o, 0, sizeof *o);
  o->min_group_cases = 1;
  o->reference = CM_IND_REFERENCE_ALL;
  o->include_per_diem = FALSE;
  o->lrm_sd = CM_IND_SD_POPULATION;
  o->lrm_period = CM_IND_LRM_PERIOD_ALL;
  o->lrm_exclude_hospice = TRUE;
  o->lrm_exclude_against_advice = FALSE;
  o->dip_cmi = CM_IND_DIP_CMI_REGION;
  o->dip_scale = 1000;
  o->count_persons = FALSE;
  o->day_surgery_los1 = FALSE;
}

static gboolean
parse_bool (const char *v, gboolean *out)
{
  if (strcmp (v, "1") == 0 || strcmp (v, "true") == 0 || strcmp (v, "yes") == 0)
    *out = TRUE;
  else if (strcmp (v, "0") == 0 || strcmp (v, "false") == 0 || strcmp (v, "no") == 0)
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_count (const char *v, gint64 min, gint64 max, gint64 *out)
{
  gint64 x = 0;
  const char *p = v;

  if (*p == '\0')
    return FALSE;
  for (; *p; p++)
    {
      if (!g_ascii_isdigit (*p) || x > (G_MAXINT64 - 9) / 10)
        return FALSE;
      x = x * 10 + (*p - '0');
    }
  if (x < min || x > max)
    return FALSE;
  *out = x;
  return TRUE;
}

gboolean
cm_indicator_options_set (CmIndicatorOptions *o, const char *key,
                          const char *value, char **problem)
{
  gint64 n;
  gboolean b;

  g_return_val_if_fail (o != NULL && key != NULL && value != NULL, FALSE);
  if (problem)
    *problem = NULL;
#define BAD(...) do { if (problem) *problem = g_strdup_printf (__VA_ARGS__); return FALSE; } while (0)
  if (strcmp (key, "groups.min_cases") == 0)
    {
      if (!parse_count (value, 1, G_MAXUINT32, &n))
        BAD ("'%s' is not a whole number of cases ≥ 1", value);
      o->min_group_cases = (guint) n;
    }
  else if (strcmp (key, "index.reference") == 0)
    {
      if (strcmp (value, "all") == 0)
        o->reference = CM_IND_REFERENCE_ALL;
      else if (strcmp (value, "level") == 0)
        o->reference = CM_IND_REFERENCE_LEVEL;
      else
        BAD ("'%s' is not all or level", value);
    }
  else if (strcmp (key, "per_diem.include") == 0)
    {
      if (!parse_bool (value, &b))
        BAD ("'%s' is not 0 or 1", value);
      o->include_per_diem = b;
    }
  else if (strcmp (key, "lrm.sd") == 0)
    {
      if (strcmp (value, "population") == 0)
        o->lrm_sd = CM_IND_SD_POPULATION;
      else if (strcmp (value, "sample") == 0)
        o->lrm_sd = CM_IND_SD_SAMPLE;
      else
        BAD ("'%s' is not population or sample", value);
    }
  else if (strcmp (key, "lrm.period") == 0)
    {
      if (strcmp (value, "all") == 0)
        o->lrm_period = CM_IND_LRM_PERIOD_ALL;
      else if (strcmp (value, "year") == 0)
        o->lrm_period = CM_IND_LRM_PERIOD_YEAR;
      else
        BAD ("'%s' is not all or year", value);
    }
  else if (strcmp (key, "lrm.exclude_hospice") == 0)
    {
      if (!parse_bool (value, &b))
        BAD ("'%s' is not 0 or 1", value);
      o->lrm_exclude_hospice = b;
    }
  else if (strcmp (key, "lrm.exclude_against_advice") == 0)
    {
      if (!parse_bool (value, &b))
        BAD ("'%s' is not 0 or 1", value);
      o->lrm_exclude_against_advice = b;
    }
  else if (strcmp (key, "dip.cmi") == 0)
    {
      if (strcmp (value, "region") == 0)
        o->dip_cmi = CM_IND_DIP_CMI_REGION;
      else if (strcmp (value, "scale") == 0)
        o->dip_cmi = CM_IND_DIP_CMI_SCALE;
      else
        BAD ("'%s' is not region or scale", value);
    }
  else if (strcmp (key, "dip.scale") == 0)
    {
      if (!parse_count (value, 1, 1000000000, &n))
        BAD ("'%s' is not a whole number from 1 to 10^9", value);
      o->dip_scale = n;
    }
  else if (strcmp (key, "kpi.hosp_rate.count") == 0)
    {
      if (strcmp (value, "admissions") == 0)
        o->count_persons = FALSE;
      else if (strcmp (value, "persons") == 0)
        o->count_persons = TRUE;
      else
        BAD ("'%s' is not admissions or persons", value);
    }
  else if (strcmp (key, "kpi.hosp_rate.day_surgery") == 0)
    {
      if (strcmp (value, "include") == 0)
        o->day_surgery_los1 = FALSE;
      else if (strcmp (value, "exclude") == 0)
        o->day_surgery_los1 = TRUE;
      else
        BAD ("'%s' is not include or exclude", value);
    }
  else
    return FALSE;
#undef BAD
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Weights                                                                 */

struct _CmWeightTable {
  gatomicrefcount ref;
  char *source;
  GHashTable *index;       /* code (owned) → index into values */
  GArray *values;          /* gint64 */
};

static CmWeightTable *
weight_table_new (const char *source)
{
  CmWeightTable *w = g_new0 (CmWeightTable, 1);
  g_atomic_ref_count_init (&w->ref);
  w->source = g_strdup (source);
  w->index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  w->values = g_array_new (FALSE, FALSE, sizeof (gint64));
  return w;
}

static gboolean
weight_table_add (CmWeightTable *w, const char *code, gint64 v)
{
  if (g_hash_table_contains (w->index, code))
    return FALSE;
  g_array_append_val (w->values, v);
  g_hash_table_insert (w->index, g_strdup (code), GUINT_TO_POINTER (w->values->len));
  return TRUE;
}

CmWeightTable *
cm_weight_table_new_empty (const char *source)
{
  g_return_val_if_fail (source != NULL, NULL);
  return weight_table_new (source);
}

CmWeightTable *
cm_weight_table_ref (CmWeightTable *w)
{
  g_return_val_if_fail (w != NULL, NULL);
  g_atomic_ref_count_inc (&w->ref);
  return w;
}

void
cm_weight_table_unref (CmWeightTable *w)
{
  if (w == NULL || !g_atomic_ref_count_dec (&w->ref))
    return;
  g_free (w->source);
  g_hash_table_unref (w->index);
  g_array_unref (w->values);
  g_free (w);
}

const char *
cm_weight_table_get_source (const CmWeightTable *w)
{
  g_return_val_if_fail (w != NULL, NULL);
  return w->source;
}

guint
cm_weight_table_get_n_entries (const CmWeightTable *w)
{
  g_return_val_if_fail (w != NULL, 0);
  return w->values->len;
}

gboolean
cm_weight_table_lookup (const CmWeightTable *w, const char *code,
                        gint64 *weight_e4)
{
  guint i;

  g_return_val_if_fail (w != NULL && code != NULL, FALSE);
  i = GPOINTER_TO_UINT (g_hash_table_lookup (w->index, code));
  if (i == 0)
    return FALSE;
  if (weight_e4)
    *weight_e4 = g_array_index (w->values, gint64, i - 1);
  return TRUE;
}

/* Byte column (1-based) of cell @k of @cells in its line. */
static gsize
cell_column (char **cells, guint k)
{
  gsize col = 1;
  for (guint i = 0; i < k; i++)
    col += strlen (cells[i]) + 1;
  return col;
}

/* Longest line of a weight table (a code and a few numbers). */
#define WEIGHT_MAX_LINE 4096

CmWeightTable *
cm_weight_table_load (const char *path, CmSchemeFamily family, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (CmWeightTable) w = NULL;
  gsize len;
  char *p, *end;
  guint line_no = 0;
  int code_col = -1, value_col = -1;
  guint n_cols = 0;
  gboolean have_header = FALSE, first = TRUE;
  const char *value_name = family == CM_SCHEME_FAMILY_DIP ? "score" : "weight";

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_WEIGHTS,
                   "%s", local->message);
      return NULL;
    }
  w = weight_table_new (path);
  p = text;
  end = text + len;
  if (len >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
    p += 3;
  while (p < end)
    {
      char *nl = memchr (p, '\n', (gsize) (end - p));
      char *lend = nl ? nl : end;
      gsize llen = (gsize) (lend - p);
      g_auto (GStrv) cells = NULL;
      guint nc;

      line_no++;
      if (llen > 0 && p[llen - 1] == '\r')
        llen--;
      p[llen] = '\0';
      if (llen > WEIGHT_MAX_LINE)
        {
          g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_WEIGHTS,
                       "%s:%u: line longer than %d bytes", path, line_no,
                       WEIGHT_MAX_LINE);
          return NULL;
        }
      if (llen == 0 || p[0] == '#')
        {
          p = lend + 1;
          continue;
        }
      cells = g_strsplit (p, "\t", -1);
      nc = g_strv_length (cells);
      if (first)
        {
          const char *problem = NULL;
          gint64 v;
          first = FALSE;
          /* a header unless the second cell is a number */
          if (!(nc >= 2 && cm_e4_parse (cells[1], &v, &problem)))
            {
              have_header = TRUE;
              n_cols = nc;
              for (guint i = 0; i < nc; i++)
                {
                  if (strcmp (cells[i], "drg") == 0 || strcmp (cells[i], "group_id") == 0
                      || strcmp (cells[i], "code") == 0)
                    {
                      if (code_col >= 0)
                        {
                          g_set_error (error, CM_INDICATORS_ERROR,
                                       CM_INDICATORS_ERROR_WEIGHTS,
                                       "%s:%u:%zu: column '%s': a second code column",
                                       path, line_no, cell_column (cells, i), cells[i]);
                          return NULL;
                        }
                      code_col = (int) i;
                    }
                  else if (strcmp (cells[i], "weight") == 0 || strcmp (cells[i], "score") == 0)
                    {
                      if (value_col >= 0)
                        {
                          g_set_error (error, CM_INDICATORS_ERROR,
                                       CM_INDICATORS_ERROR_WEIGHTS,
                                       "%s:%u:%zu: column '%s': a second weight column",
                                       path, line_no, cell_column (cells, i), cells[i]);
                          return NULL;
                        }
                      value_col = (int) i;
                    }
                }
              if (code_col < 0 || value_col < 0)
                {
                  g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_WEIGHTS,
                               "%s:%u: the header needs a code column (drg or group_id) "
                               "and a %s column", path, line_no, value_name);
                  return NULL;
                }
              p = lend + 1;
              continue;
            }
          code_col = 0;
          value_col = 1;
          n_cols = 2;
        }
      if (nc != n_cols)
        {
          g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_WEIGHTS,
                       "%s:%u: %u cells where the %s has %u", path, line_no, nc,
                       have_header ? "header" : "first row", n_cols);
          return NULL;
        }
      {
        const char *code = cells[code_col], *problem = NULL;
        gint64 v;
        if (*code == '\0')
          {
            g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_WEIGHTS,
                         "%s:%u:%zu: column 'drg': empty code", path, line_no,
                         cell_column (cells, (guint) code_col));
            return NULL;
          }
        if (!cm_e4_parse (cells[value_col], &v, &problem))
          {
            g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_WEIGHTS,
                         "%s:%u:%zu: column '%s': '%s': %s", path, line_no,
                         cell_column (cells, (guint) value_col), value_name,
                         cells[value_col], problem ? problem : "not a number");
            return NULL;
          }
        if (!weight_table_add (w, code, v))
          {
            g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_WEIGHTS,
                         "%s:%u:%zu: column 'drg': %s is listed twice", path,
                         line_no, cell_column (cells, (guint) code_col), code);
            return NULL;
          }
      }
      p = lend + 1;
    }
  if (w->values->len == 0)
    {
      g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_WEIGHTS,
                   "%s: no weights in the file", path);
      return NULL;
    }
  return g_steal_pointer (&w);
}

/* ---------------------------------------------------------------------- */
/* Cases                                                                   */

/* Civil date of a day count (proleptic Gregorian; H. Hinnant's
 * days_from_civil inverse). */
static void
civil (gint32 days, int *year, int *month)
{
  gint64 z = (gint64) days + 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  gint64 m = mp < 10 ? mp + 3 : mp - 9;
  *year = (int) (yoe + era * 400 + (m <= 2));
  *month = (int) m;
}

int
cm_ind_date_year (gint32 days)
{
  int y, m;
  civil (days, &y, &m);
  return y;
}

int
cm_ind_date_month (gint32 days)
{
  int y, m;
  civil (days, &y, &m);
  return m;
}

void
cm_ind_case_set_episode (CmIndCase *c, const CmEpisode *ep)
{
  g_return_if_fail (c != NULL && ep != NULL);
  c->hospital_id = ep->hospital_id ? ep->hospital_id : "";
  c->hospital_level = ep->hospital_level;
  c->county_id = ep->county_id ? ep->county_id : "";
  c->insurance = ep->insurance_type;
  c->insured_region = ep->insured_region;
  c->admit_date = ep->admit_date;
  c->discharge_date = ep->discharge_date;
  c->los_days = ep->los_days.is_int ? (gint32) CLAMP (ep->los_days.value, 0, G_MAXINT32) : 0;
  c->discharge_status = ep->discharge.is_int ? (int) CLAMP (ep->discharge.value, 0, 99) : 0;
  c->per_diem = ep->per_diem_category;
  c->total_cost_fen = ep->total_cost_fen;
  c->out_of_catalogue_fen = ep->out_of_catalogue_cost_fen;
  c->patient_copay_fen = ep->patient_copay_fen;
  c->fund_ffs_fen = ep->fund_paid_ffs_fen;
  c->patient_hash = ep->patient_id && *ep->patient_id ? cm_id_hash (ep->patient_id) : 0;
}

void
cm_ind_slot_set_group (CmIndSlotResult *r, const CmGroupResult *res,
                       const CmEpisode *ep, gboolean include_per_diem)
{
  gboolean grouped;

  g_return_if_fail (r != NULL && res != NULL && ep != NULL);
  if (res->family == CM_SCHEME_FAMILY_DRG)
    grouped = strcmp (res->status, "SUCCESS") == 0 && res->drg[0] != '\0';
  else
    grouped = (strcmp (res->status, "GROUPED") == 0
               || strcmp (res->status, "COMPREHENSIVE") == 0)
              && res->group_id != NULL && res->group_id[0] != '\0';
  r->weight_e4 = WEIGHT_FROM_TABLE;
  r->fund_priced_fen = -1;
  if (ep->per_diem_category != CM_PER_DIEM_NONE && !include_per_diem)
    {
      r->cls = CM_IND_NOT_SETTLED;
      r->label = "per_diem";
    }
  else if (grouped)
    {
      r->cls = CM_IND_GROUPED;
      r->label = "grouped";
    }
  else
    {
      r->cls = CM_IND_UNGROUPED;
      r->label = "ungrouped";
    }
  if (grouped)
    r->group = res->family == CM_SCHEME_FAMILY_DRG ? res->drg : res->group_id;
  else
    r->group = "";
}

/* Record layout (native byte order, unaligned, never leaves the process):
 *   u32 total length
 *   i32 admit, discharge, los
 *   i64 total cost, out-of-catalogue, copay, fund FFS
 *   u64 patient hash
 *   u8  level, insurance, insured region, discharge status, per diem, n slots
 *   per slot: u8 class, i64 weight, i64 fund priced
 *   NUL-terminated: hospital, county, then per slot group, label */
#define REC_FIXED (4 + 3 * 4 + 4 * 8 + 8 + 6)
#define REC_SLOT (1 + 8 + 8)

static void
put (GString *out, const void *p, gsize n)
{
  g_string_append_len (out, p, (gssize) n);
}

static void
put_str (GString *out, const char *s)
{
  g_string_append (out, s ? s : "");
  g_string_append_c (out, '\0');
}

void
cm_ind_case_encode (const CmIndCase *c, GString *out)
{
  gsize start;
  guint32 len;
  guint8 b[6];

  g_return_if_fail (c != NULL && out != NULL);
  g_return_if_fail (c->n_slots >= 1 && c->n_slots <= CM_IND_MAX_SLOTS);
  start = out->len;
  len = 0;
  put (out, &len, 4);
  put (out, &c->admit_date, 4);
  put (out, &c->discharge_date, 4);
  put (out, &c->los_days, 4);
  put (out, &c->total_cost_fen, 8);
  put (out, &c->out_of_catalogue_fen, 8);
  put (out, &c->patient_copay_fen, 8);
  put (out, &c->fund_ffs_fen, 8);
  put (out, &c->patient_hash, 8);
  b[0] = (guint8) CLAMP (c->hospital_level, 0, 255);
  b[1] = (guint8) c->insurance;
  b[2] = (guint8) c->insured_region;
  b[3] = (guint8) CLAMP (c->discharge_status, 0, 255);
  b[4] = (guint8) c->per_diem;
  b[5] = (guint8) c->n_slots;
  put (out, b, 6);
  for (guint s = 0; s < c->n_slots; s++)
    {
      guint8 cls = (guint8) c->slot[s].cls;
      put (out, &cls, 1);
      put (out, &c->slot[s].weight_e4, 8);
      put (out, &c->slot[s].fund_priced_fen, 8);
    }
  put_str (out, c->hospital_id);
  put_str (out, c->county_id);
  for (guint s = 0; s < c->n_slots; s++)
    {
      put_str (out, c->slot[s].group);
      put_str (out, c->slot[s].label);
    }
  len = (guint32) (out->len - start);
  memcpy (out->str + start, &len, 4);
}

/* Decodes one record of @len bytes; FALSE when malformed. Strings point
 * into @p. */
static gboolean
decode_case (const char *p, gsize len, CmIndCase *c)
{
  const char *q = p + 4, *end = p + len;
  guint8 b[6];

  if (len < REC_FIXED)
    return FALSE;
  memset (c, 0, sizeof *c);
  memcpy (&c->admit_date, q, 4); q += 4;
  memcpy (&c->discharge_date, q, 4); q += 4;
  memcpy (&c->los_days, q, 4); q += 4;
  memcpy (&c->total_cost_fen, q, 8); q += 8;
  memcpy (&c->out_of_catalogue_fen, q, 8); q += 8;
  memcpy (&c->patient_copay_fen, q, 8); q += 8;
  memcpy (&c->fund_ffs_fen, q, 8); q += 8;
  memcpy (&c->patient_hash, q, 8); q += 8;
  memcpy (b, q, 6); q += 6;
  c->hospital_level = b[0];
  c->insurance = (CmInsuranceType) b[1];
  c->insured_region = (CmInsuredRegion) b[2];
  c->discharge_status = b[3];
  c->per_diem = (CmPerDiemCategory) b[4];
  c->n_slots = b[5];
  if (c->n_slots < 1 || c->n_slots > CM_IND_MAX_SLOTS
      || (gsize) (end - q) < c->n_slots * REC_SLOT)
    return FALSE;
  for (guint s = 0; s < c->n_slots; s++)
    {
      guint8 cls;
      memcpy (&cls, q, 1); q += 1;
      c->slot[s].cls = (CmIndClass) cls;
      memcpy (&c->slot[s].weight_e4, q, 8); q += 8;
      memcpy (&c->slot[s].fund_priced_fen, q, 8); q += 8;
    }
#define TAKE(dst) do {                                        \
      const char *z = memchr (q, '\0', (gsize) (end - q));     \
      if (z == NULL)                                           \
        return FALSE;                                          \
      (dst) = q;                                               \
      q = z + 1;                                               \
    } while (0)
  TAKE (c->hospital_id);
  TAKE (c->county_id);
  for (guint s = 0; s < c->n_slots; s++)
    {
      TAKE (c->slot[s].group);
      TAKE (c->slot[s].label);
    }
#undef TAKE
  return q == end;
}

/* ---------------------------------------------------------------------- */
/* The accumulator                                                         */

typedef struct {
  const char *group;       /* interned */
  const char *hospital;    /* interned */
  const char *county;      /* interned */
  const char *label;       /* interned; NULL in row keys */
  gint32 year;             /* 0 = wildcard */
  gint32 month;            /* 1..12, 0 = wildcard */
  guint8 level;
  guint8 insurance;
  guint8 region;
  guint8 cls;
} Key;

typedef struct {
  gint64 n, deaths, cost, ooc, copay, fund, los;
  gint64 fund_priced, n_fund_priced, n_day_surgery;
  gint64 lrm_n, lrm_deaths;
  /* case weights given by the slot (policy) */
  gint64 n_cw, cw_e4, cw_cost, cw_los, n_cw_none;
  /* the weighted population, set by finish() */
  gint64 n_w, w_e4, cost_w, los_w;
} Sums;

typedef struct {
  Key k;
  Sums s;
} Cell;

typedef struct {
  const char *label;
  gint64 n;
} LabelCount;

typedef struct {
  gint32 year;
  guint8 insurance, region;
  guint64 hash;
} PersonRec;

struct _CmIndicators {
  CmIndicatorOptions opt;
  guint n_slots;
  char *slot_names[CM_IND_MAX_SLOTS];
  CmSchemeFamily families[CM_IND_MAX_SLOTS];
  CmWeightTable *weights[CM_IND_MAX_SLOTS];
  GArray *labels[CM_IND_MAX_SLOTS];     /* LabelCount */
  GHashTable *risk[CM_IND_MAX_SLOTS];   /* RiskEntry set */
  GStringChunk *strings;
  GHashTable *interned;                 /* str → str (in strings) */
  GHashTable *cells;                    /* Key* → Cell* (key inside the cell) */
  GPtrArray *slot_cells[CM_IND_MAX_SLOTS]; /* the cells of each slot, by finish() */
  GArray *persons;                      /* PersonRec, when count_persons */
  guint64 n_cases;
  gboolean overflow;
  gboolean finished;
  /* the sink */
  GByteArray *pending;
  gboolean sink_error;
};

static guint
key_hash (gconstpointer p)
{
  const Key *k = p;
  guint64 h = (guint64) (guintptr) k->group;
  h = h * 0x100000001b3 ^ (guint64) (guintptr) k->hospital;
  h = h * 0x100000001b3 ^ (guint64) (guintptr) k->county;
  h = h * 0x100000001b3 ^ (guint64) (guintptr) k->label;
  h = h * 0x100000001b3 ^ ((guint64) (guint32) k->year << 8 | (guint64) k->month);
  h = h * 0x100000001b3 ^ ((guint64) k->level << 24 | (guint64) k->insurance << 16
                           | (guint64) k->region << 8 | k->cls);
  return mix64 (h);
}

static gboolean
key_equal (gconstpointer a, gconstpointer b)
{
  const Key *x = a, *y = b;
  return x->group == y->group && x->hospital == y->hospital
         && x->county == y->county && x->label == y->label
         && x->year == y->year && x->month == y->month
         && x->level == y->level && x->insurance == y->insurance
         && x->region == y->region && x->cls == y->cls;
}

static const char *
intern (CmIndicators *ind, const char *s)
{
  const char *v;

  if (s == NULL)
    s = "";
  v = g_hash_table_lookup (ind->interned, s);
  if (v == NULL)
    {
      v = g_string_chunk_insert (ind->strings, s);
      g_hash_table_insert (ind->interned, (gpointer) v, (gpointer) v);
    }
  return v;
}

CmIndicators *
cm_indicators_new (const CmIndicatorOptions *options, guint n_slots,
                   const char *const *slot_names,
                   const CmSchemeFamily *families)
{
  CmIndicators *ind;

  g_return_val_if_fail (n_slots >= 1 && n_slots <= CM_IND_MAX_SLOTS, NULL);
  g_return_val_if_fail (slot_names != NULL && families != NULL, NULL);
  ind = g_new0 (CmIndicators, 1);
  if (options)
    ind->opt = *options;
  else
    cm_indicator_options_init (&ind->opt);
  ind->n_slots = n_slots;
  for (guint s = 0; s < n_slots; s++)
    {
      ind->slot_names[s] = g_strdup (slot_names[s]);
      ind->families[s] = families[s];
      ind->labels[s] = g_array_new (FALSE, FALSE, sizeof (LabelCount));
    }
  ind->strings = g_string_chunk_new (64 * 1024);
  ind->interned = g_hash_table_new (g_str_hash, g_str_equal);
  ind->cells = g_hash_table_new_full (key_hash, key_equal, NULL, g_free);
  ind->persons = g_array_new (FALSE, FALSE, sizeof (PersonRec));
  ind->pending = g_byte_array_new ();
  intern (ind, "");
  return ind;
}

void
cm_indicators_free (CmIndicators *ind)
{
  if (ind == NULL)
    return;
  for (guint s = 0; s < ind->n_slots; s++)
    {
      g_free (ind->slot_names[s]);
      g_clear_pointer (&ind->slot_cells[s], g_ptr_array_unref);
      g_clear_pointer (&ind->weights[s], cm_weight_table_unref);
      g_array_unref (ind->labels[s]);
      g_clear_pointer (&ind->risk[s], g_hash_table_unref);
    }
  g_hash_table_unref (ind->cells);
  g_hash_table_unref (ind->interned);
  g_string_chunk_free (ind->strings);
  g_array_unref (ind->persons);
  g_byte_array_unref (ind->pending);
  g_free (ind);
}

const CmIndicatorOptions *
cm_indicators_get_options (const CmIndicators *ind)
{
  g_return_val_if_fail (ind != NULL, NULL);
  return &ind->opt;
}

guint
cm_indicators_get_n_slots (const CmIndicators *ind)
{
  g_return_val_if_fail (ind != NULL, 0);
  return ind->n_slots;
}

const char *
cm_indicators_get_slot_name (const CmIndicators *ind, guint slot)
{
  g_return_val_if_fail (ind != NULL && slot < ind->n_slots, NULL);
  return ind->slot_names[slot];
}

CmSchemeFamily
cm_indicators_get_slot_family (const CmIndicators *ind, guint slot)
{
  g_return_val_if_fail (ind != NULL && slot < ind->n_slots, CM_SCHEME_FAMILY_DRG);
  return ind->families[slot];
}

guint64
cm_indicators_get_n_cases (const CmIndicators *ind)
{
  g_return_val_if_fail (ind != NULL, 0);
  return ind->n_cases;
}

/* a += b, marking overflow */
static inline void
add (CmIndicators *ind, gint64 *a, gint64 b)
{
  if (__builtin_add_overflow (*a, b, a))
    ind->overflow = TRUE;
}

static void
count_label (CmIndicators *ind, guint slot, const char *label)
{
  GArray *a = ind->labels[slot];
  LabelCount lc;

  for (guint i = 0; i < a->len; i++)
    if (g_array_index (a, LabelCount, i).label == label)
      {
        g_array_index (a, LabelCount, i).n++;
        return;
      }
  lc.label = label;
  lc.n = 1;
  g_array_append_val (a, lc);
}

void
cm_indicators_add_case (CmIndicators *ind, const CmIndCase *c)
{
  int year, month;
  gboolean died, day_surgery;

  g_return_if_fail (ind != NULL && c != NULL);
  g_return_if_fail (!ind->finished);
  g_return_if_fail (c->n_slots == ind->n_slots);

  civil (c->discharge_date, &year, &month);
  died = c->discharge_status == 5;
  day_surgery = ind->opt.day_surgery_los1
                && c->discharge_date - c->admit_date <= 1;
  ind->n_cases++;
  for (guint s = 0; s < ind->n_slots; s++)
    {
      const CmIndSlotResult *r = &c->slot[s];
      Key k = { 0 };
      Cell *cell;
      Sums *sm;

      k.group = intern (ind, r->cls == CM_IND_GROUPED ? r->group : "");
      k.hospital = intern (ind, c->hospital_id);
      k.county = intern (ind, c->county_id);
      k.label = intern (ind, r->label ? r->label : "");
      k.year = year;
      k.month = month;
      k.level = (guint8) CLAMP (c->hospital_level, 0, 255);
      k.insurance = (guint8) c->insurance;
      k.region = (guint8) c->insured_region;
      k.cls = (guint8) r->cls;
      /* slot is not part of Key: cells of different slots differ by label
       * pointer at least; keep them apart explicitly */
      k.cls |= (guint8) (s << 2);
      cell = g_hash_table_lookup (ind->cells, &k);
      if (cell == NULL)
        {
          cell = g_new0 (Cell, 1);
          cell->k = k;
          g_hash_table_insert (ind->cells, &cell->k, cell);
        }
      sm = &cell->s;
      sm->n++;
      add (ind, &sm->cost, c->total_cost_fen);
      add (ind, &sm->ooc, c->out_of_catalogue_fen);
      add (ind, &sm->copay, c->patient_copay_fen);
      add (ind, &sm->fund, c->fund_ffs_fen);
      add (ind, &sm->los, c->los_days);
      if (died)
        sm->deaths++;
      if (day_surgery)
        sm->n_day_surgery++;
      if (r->fund_priced_fen >= 0)
        {
          add (ind, &sm->fund_priced, r->fund_priced_fen);
          sm->n_fund_priced++;
        }
      if (r->cls == CM_IND_GROUPED)
        {
          gboolean excluded = (ind->opt.lrm_exclude_hospice
                               && c->per_diem == CM_PER_DIEM_HOSPICE)
                              || (ind->opt.lrm_exclude_against_advice
                                  && c->discharge_status == 4);
          if (!excluded)
            {
              sm->lrm_n++;
              if (died)
                sm->lrm_deaths++;
            }
          if (r->weight_e4 >= 0)
            {
              sm->n_cw++;
              add (ind, &sm->cw_e4, r->weight_e4);
              add (ind, &sm->cw_cost, c->total_cost_fen);
              add (ind, &sm->cw_los, c->los_days);
            }
          else if (r->weight_e4 == WEIGHT_NONE)
            sm->n_cw_none++;
        }
      count_label (ind, s, k.label);
    }
  if (ind->opt.count_persons && c->patient_hash != 0)
    {
      PersonRec pr = { year, (guint8) c->insurance, (guint8) c->insured_region,
                       c->patient_hash };
      g_array_append_val (ind->persons, pr);
    }
}

static inline guint
cell_slot (const Cell *c)
{
  return c->k.cls >> 2;
}

static inline CmIndClass
cell_class (const Cell *c)
{
  return (CmIndClass) (c->k.cls & 3);
}

/* ---- the sink ------------------------------------------------------------ */

static ssize_t
sink_write (void *cookie, const char *buf, size_t size)
{
  CmIndicators *ind = cookie;
  GByteArray *p = ind->pending;
  gsize off = 0;

  g_byte_array_append (p, (const guint8 *) buf, (guint) size);
  while (p->len - off >= 4)
    {
      guint32 len;
      CmIndCase c;
      memcpy (&len, p->data + off, 4);
      if (len < REC_FIXED)
        {
          ind->sink_error = TRUE;
          off = p->len;
          break;
        }
      if (p->len - off < len)
        break;
      if (decode_case ((const char *) p->data + off, len, &c)
          && c.n_slots == ind->n_slots)
        cm_indicators_add_case (ind, &c);
      else
        ind->sink_error = TRUE;
      off += len;
    }
  if (off > 0)
    g_byte_array_remove_range (p, 0, (guint) off);
  return (ssize_t) size;
}

static int
sink_close (void *cookie)
{
  CmIndicators *ind = cookie;
  if (ind->pending->len != 0)
    {
      ind->sink_error = TRUE;
      g_byte_array_set_size (ind->pending, 0);
    }
  if (ind->sink_error)
    {
      errno = EIO;
      return -1;
    }
  return 0;
}

FILE *
cm_indicators_open_sink (CmIndicators *ind)
{
  cookie_io_functions_t io = { NULL, sink_write, NULL, sink_close };

  g_return_val_if_fail (ind != NULL && !ind->finished, NULL);
  return fopencookie (ind, "w", io);
}

/* ---------------------------------------------------------------------- */
/* Finishing: weights and low-risk groups                                  */

void
cm_indicators_set_weights (CmIndicators *ind, guint slot, CmWeightTable *weights)
{
  g_return_if_fail (ind != NULL && slot < ind->n_slots);
  g_clear_pointer (&ind->weights[slot], cm_weight_table_unref);
  if (weights)
    ind->weights[slot] = cm_weight_table_ref (weights);
}

CmWeightTable *
cm_indicators_get_weights (const CmIndicators *ind, guint slot)
{
  g_return_val_if_fail (ind != NULL && slot < ind->n_slots, NULL);
  return ind->weights[slot];
}

guint
cm_indicators_get_n_labels (const CmIndicators *ind, guint slot)
{
  g_return_val_if_fail (ind != NULL && slot < ind->n_slots, 0);
  return ind->labels[slot]->len;
}

const char *
cm_indicators_get_label (const CmIndicators *ind, guint slot, guint i,
                         gint64 *n_cases)
{
  const LabelCount *lc;

  g_return_val_if_fail (ind != NULL && slot < ind->n_slots, NULL);
  g_return_val_if_fail (i < ind->labels[slot]->len, NULL);
  lc = &g_array_index (ind->labels[slot], LabelCount, i);
  if (n_cases)
    *n_cases = lc->n;
  return lc->label;
}

static int
hash_cmp (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;
  return x < y ? -1 : x > y;
}

gint64
cm_indicators_count_persons (const CmIndicators *ind, int year, gboolean local_only)
{
  g_autoptr (GArray) h = NULL;
  gint64 n = 0;

  g_return_val_if_fail (ind != NULL, 0);
  h = g_array_new (FALSE, FALSE, sizeof (guint64));
  for (guint i = 0; i < ind->persons->len; i++)
    {
      const PersonRec *p = &g_array_index (ind->persons, PersonRec, i);
      if (p->year == year && (!local_only || p->region == CM_REGION_LOCAL))
        g_array_append_val (h, p->hash);
    }
  g_array_sort (h, hash_cmp);
  for (guint i = 0; i < h->len; i++)
    if (i == 0 || g_array_index (h, guint64, i) != g_array_index (h, guint64, i - 1))
      n++;
  return n;
}

typedef struct {
  gint64 n, cost;
} GroupCost;

/* Weights derived from the input: RW_g = round4 (m_g / M × scale) over the
 * grouped cases of the slot without a case weight (the research use: one
 * fixed set of weights for every year of the input, so that trends are
 * comparable). Rounded by the published-figure rule of cm-money. */
static gboolean
derive_weights (CmIndicators *ind, guint slot, GError **error)
{
  g_autoptr (GHashTable) groups = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                                         NULL, g_free);
  g_autoptr (CmWeightTable) w = weight_table_new ("self");
  gint64 N = 0, C = 0;
  gint64 scale = ind->families[slot] == CM_SCHEME_FAMILY_DIP ? 1000 : 1;
  g_autoptr (GPtrArray) codes = g_ptr_array_new ();

  for (guint i = 0; i < ind->slot_cells[slot]->len; i++)
    {
      Cell *c = ind->slot_cells[slot]->pdata[i];
      GroupCost *gc;
      if (cell_class (c) != CM_IND_GROUPED)
        continue;
      gc = g_hash_table_lookup (groups, c->k.group);
      if (gc == NULL)
        {
          gc = g_new0 (GroupCost, 1);
          g_hash_table_insert (groups, (gpointer) c->k.group, gc);
          g_ptr_array_add (codes, (gpointer) c->k.group);
        }
      add (ind, &gc->n, c->s.n);
      add (ind, &gc->cost, c->s.cost);
      add (ind, &N, c->s.n);
      add (ind, &C, c->s.cost);
    }
  if (C > 0)
    for (guint i = 0; i < codes->len; i++)
      {
        const GroupCost *gc = g_hash_table_lookup (groups, codes->pdata[i]);
        CmE4 rw;
        /* (C_g / n_g) / (C / N) × scale = C_g·N·scale / (n_g·C) */
        if (!cm_round_published_e4 ((CmWide) gc->cost * N * scale * CM_E4_ONE,
                                    (CmWide) gc->n * C, &rw))
          {
            g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_LIMIT,
                         "slot %s: weight of group %s does not fit",
                         ind->slot_names[slot], (const char *) codes->pdata[i]);
            return FALSE;
          }
        weight_table_add (w, codes->pdata[i], rw);
      }
  ind->weights[slot] = g_steal_pointer (&w);
  return TRUE;
}

const char *
cm_ind_risk_name (CmIndRisk risk)
{
  static const char *const names[] = { "", "low", "mid-low", "mid-high", "high" };
  g_return_val_if_fail ((guint) risk < G_N_ELEMENTS (names), "");
  return names[risk];
}

void
cm_ind_classify_risk (const gint64 *deaths, const gint64 *cases, guint n,
                      CmIndSd sd, CmIndRisk *bands, gint64 *z_e4)
{
  long double sum = 0, ss = 0, mu, sigma;
  guint k = 0;

  g_return_if_fail (n == 0 || (deaths != NULL && cases != NULL && bands != NULL));
  for (guint i = 0; i < n; i++)
    if (deaths[i] > 0 && cases[i] > 0)
      {
        sum += logl ((long double) deaths[i] / (long double) cases[i]);
        k++;
      }
  mu = k ? sum / k : 0;
  for (guint i = 0; i < n; i++)
    if (deaths[i] > 0 && cases[i] > 0)
      {
        long double d = logl ((long double) deaths[i] / (long double) cases[i]) - mu;
        ss += d * d;
      }
  if (sd == CM_IND_SD_SAMPLE)
    sigma = k > 1 ? sqrtl (ss / (k - 1)) : 0;
  else
    sigma = k > 0 ? sqrtl (ss / k) : 0;
  for (guint i = 0; i < n; i++)
    {
      long double z;
      if (cases[i] <= 0)
        {
          bands[i] = CM_IND_RISK_NONE;
          if (z_e4)
            z_e4[i] = 0;
          continue;
        }
      if (deaths[i] <= 0)
        {
          /* indicators.md §2.4: m_g = 0 is low risk [A] */
          bands[i] = CM_IND_RISK_LOW;
          if (z_e4)
            z_e4[i] = 0;
          continue;
        }
      /* σ = 0 (one group with deaths, or all alike): z = 0 */
      z = sigma > 0 ? (logl ((long double) deaths[i] / (long double) cases[i]) - mu) / sigma
                    : 0;
      if (z < -1)
        bands[i] = CM_IND_RISK_LOW;
      else if (z < 0)
        bands[i] = CM_IND_RISK_MID_LOW;
      else if (z < 1)
        bands[i] = CM_IND_RISK_MID_HIGH;
      else
        bands[i] = CM_IND_RISK_HIGH;
      if (z_e4)
        z_e4[i] = (gint64) llroundl (z * 10000);
    }
}

/* Risk bands are kept by (interned group, year); year 0 when the
 * reference period is the whole input. */
typedef struct {
  const char *group;
  gint32 year;
  gint64 deaths, cases;
  CmIndRisk band;
} RiskEntry;

static guint
risk_hash (gconstpointer p)
{
  const RiskEntry *e = p;
  return mix64 ((guint64) (guintptr) e->group ^ ((guint64) (guint32) e->year << 40));
}

static gboolean
risk_equal (gconstpointer a, gconstpointer b)
{
  const RiskEntry *x = a, *y = b;
  return x->group == y->group && x->year == y->year;
}

/* Classifies the groups of @slot over the reference period(s). */
static void
classify_slot (CmIndicators *ind, guint slot)
{
  g_autoptr (GPtrArray) entries = g_ptr_array_new ();
  g_autoptr (GArray) years = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree gint64 *d = NULL, *n = NULL;
  g_autofree CmIndRisk *bands = NULL;
  g_autofree RiskEntry **sel = NULL;
  gboolean per_year = ind->opt.lrm_period == CM_IND_LRM_PERIOD_YEAR;

  ind->risk[slot] = g_hash_table_new_full (risk_hash, risk_equal, g_free, NULL);
  for (guint i = 0; i < ind->slot_cells[slot]->len; i++)
    {
      Cell *c = ind->slot_cells[slot]->pdata[i];
      RiskEntry key = { c->k.group, per_year ? c->k.year : 0, 0, 0, CM_IND_RISK_NONE };
      RiskEntry *e;
      if (cell_class (c) != CM_IND_GROUPED)
        continue;
      e = g_hash_table_lookup (ind->risk[slot], &key);
      if (e == NULL)
        {
          gboolean seen = FALSE;
          e = g_memdup2 (&key, sizeof key);
          g_hash_table_add (ind->risk[slot], e);
          g_ptr_array_add (entries, e);
          for (guint y = 0; y < years->len; y++)
            seen |= g_array_index (years, gint32, y) == key.year;
          if (!seen)
            g_array_append_val (years, key.year);
        }
      add (ind, &e->deaths, c->s.lrm_deaths);
      add (ind, &e->cases, c->s.lrm_n);
    }
  /* one classification per period */
  d = g_new0 (gint64, entries->len + 1);
  n = g_new0 (gint64, entries->len + 1);
  bands = g_new0 (CmIndRisk, entries->len + 1);
  sel = g_new0 (RiskEntry *, entries->len + 1);
  for (guint y = 0; y < years->len; y++)
    {
      gint32 year = g_array_index (years, gint32, y);
      guint m = 0;
      for (guint i = 0; i < entries->len; i++)
        {
          RiskEntry *e = entries->pdata[i];
          if (e->year != year)
            continue;
          d[m] = e->deaths;
          n[m] = e->cases;
          sel[m++] = e;
        }
      cm_ind_classify_risk (d, n, m, ind->opt.lrm_sd, bands, NULL);
      for (guint j = 0; j < m; j++)
        sel[j]->band = bands[j];
    }
}

/* The band of an interned group. */
static CmIndRisk
risk_of (const CmIndicators *ind, guint slot, const char *group, int year)
{
  RiskEntry key = { group, ind->opt.lrm_period == CM_IND_LRM_PERIOD_YEAR ? year : 0,
                    0, 0, CM_IND_RISK_NONE };
  const RiskEntry *e;

  if (ind->risk[slot] == NULL)
    return CM_IND_RISK_NONE;
  e = g_hash_table_lookup (ind->risk[slot], &key);
  return e ? e->band : CM_IND_RISK_NONE;
}

CmIndRisk
cm_indicators_get_risk (const CmIndicators *ind, guint slot, const char *group,
                        int year)
{
  const char *interned;

  g_return_val_if_fail (ind != NULL && slot < ind->n_slots, CM_IND_RISK_NONE);
  if (group == NULL || *group == '\0')
    return CM_IND_RISK_NONE;
  interned = g_hash_table_lookup (ind->interned, group);
  return interned ? risk_of (ind, slot, interned, year) : CM_IND_RISK_NONE;
}

gboolean
cm_indicators_finish (CmIndicators *ind, GError **error)
{
  GHashTableIter it;
  gpointer kp, vp;

  g_return_val_if_fail (ind != NULL && !ind->finished, FALSE);
  ind->finished = TRUE;
  for (guint s = 0; s < ind->n_slots; s++)
    ind->slot_cells[s] = g_ptr_array_new ();
  g_hash_table_iter_init (&it, ind->cells);
  while (g_hash_table_iter_next (&it, &kp, &vp))
    g_ptr_array_add (ind->slot_cells[cell_slot (vp)], vp);
  for (guint s = 0; s < ind->n_slots; s++)
    if (ind->weights[s] == NULL && !derive_weights (ind, s, error))
      return FALSE;
  g_hash_table_iter_init (&it, ind->cells);
  while (g_hash_table_iter_next (&it, &kp, &vp))
    {
      Cell *c = vp;
      Sums *sm = &c->s;
      gint64 rw, n_table, prod;
      if (cell_class (c) != CM_IND_GROUPED)
        continue;
      /* cases with their own weight */
      sm->n_w = sm->n_cw;
      sm->w_e4 = sm->cw_e4;
      sm->cost_w = sm->cw_cost;
      sm->los_w = sm->cw_los;
      /* the rest take the table's weight, when the group has one; the
       * cost and LOS of a cell with mixed cases cannot be split, so such
       * a cell (impossible with the shipped front ends) uses the table
       * only when no case carried its own weight */
      n_table = sm->n - sm->n_cw - sm->n_cw_none;
      if (n_table > 0 && sm->n_cw == 0 && sm->n_cw_none == 0
          && cm_weight_table_lookup (ind->weights[cell_slot (c)], c->k.group, &rw))
        {
          if (__builtin_mul_overflow (n_table, rw, &prod))
            ind->overflow = TRUE;
          sm->n_w = n_table;
          sm->w_e4 = prod;
          sm->cost_w = sm->cost;
          sm->los_w = sm->los;
        }
    }
  for (guint s = 0; s < ind->n_slots; s++)
    classify_slot (ind, s);
  /* every figure is a sum of non-negative cell sums: when the slot totals
   * fit, every partial sum of a table fits too */
  {
    Sums tot[CM_IND_MAX_SLOTS] = { { 0 } };
    g_hash_table_iter_init (&it, ind->cells);
    while (g_hash_table_iter_next (&it, &kp, &vp))
      {
        const Cell *c = vp;
        Sums *t = &tot[cell_slot (c)];
        add (ind, &t->cost, c->s.cost);
        add (ind, &t->ooc, c->s.ooc);
        add (ind, &t->copay, c->s.copay);
        add (ind, &t->fund, c->s.fund);
        add (ind, &t->fund_priced, c->s.fund_priced);
        add (ind, &t->los, c->s.los);
        add (ind, &t->w_e4, c->s.w_e4);
        if (c->s.cost < 0 || c->s.los < 0 || c->s.w_e4 < 0 || c->s.fund < 0
            || c->s.ooc < 0)
          ind->overflow = TRUE;
      }
  }
  if (ind->overflow)
    {
      g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_LIMIT,
                   "a sum of costs, days or weights does not fit in 64 bits");
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Tables                                                                  */

typedef struct {
  const char *group;
  guint8 level;
} SubKey;

typedef struct {
  SubKey k;
  gint64 n_grouped, n_w, cost_w, los_w;
} Sub;

typedef struct {
  CmIndRow row;
  Key key;
  Sub one;             /* the only sub-sum while there is one */
  gboolean has_one;
  GHashTable *subs;    /* SubKey → Sub, once there are several */
} RowAcc;

struct _CmIndTable {
  guint dims;
  guint slot;
  CmSchemeFamily family;
  GPtrArray *rows;     /* RowAcc, sorted */
  GHashTable *index;   /* Key* → RowAcc* */
};

static guint
sub_hash (gconstpointer p)
{
  const SubKey *k = p;
  return mix64 ((guint64) (guintptr) k->group ^ ((guint64) k->level << 56));
}

static gboolean
sub_equal (gconstpointer a, gconstpointer b)
{
  const SubKey *x = a, *y = b;
  return x->group == y->group && x->level == y->level;
}

/* The sub-sum of (group, level) in @ra. Rows of one group (most rows of a
 * table by group) never allocate a hash table. */
static Sub *
row_sub (RowAcc *ra, const SubKey *sk)
{
  Sub *sub;

  if (ra->subs == NULL)
    {
      if (!ra->has_one)
        {
          memset (&ra->one, 0, sizeof ra->one);
          ra->one.k = *sk;
          ra->has_one = TRUE;
          return &ra->one;
        }
      if (sub_equal (&ra->one.k, sk))
        return &ra->one;
      ra->subs = g_hash_table_new_full (sub_hash, sub_equal, NULL, g_free);
      sub = g_memdup2 (&ra->one, sizeof (Sub));
      g_hash_table_insert (ra->subs, &sub->k, sub);
      ra->has_one = FALSE;
    }
  sub = g_hash_table_lookup (ra->subs, sk);
  if (sub == NULL)
    {
      sub = g_new0 (Sub, 1);
      sub->k = *sk;
      g_hash_table_insert (ra->subs, &sub->k, sub);
    }
  return sub;
}

static void
row_clear_figures (CmIndRow *r)
{
  g_clear_pointer (&r->grouping_rate, cm_rational_free);
  g_clear_pointer (&r->cmi, cm_rational_free);
  g_clear_pointer (&r->cost_per_case_fen, cm_rational_free);
  g_clear_pointer (&r->adjusted_cost_fen, cm_rational_free);
  g_clear_pointer (&r->cost_index, cm_rational_free);
  g_clear_pointer (&r->time_index, cm_rational_free);
  g_clear_pointer (&r->avg_los_days, cm_rational_free);
  g_clear_pointer (&r->mortality, cm_rational_free);
  g_clear_pointer (&r->lowrisk_mortality, cm_rational_free);
  g_clear_pointer (&r->ooc_share, cm_rational_free);
  g_clear_pointer (&r->reimbursement, cm_rational_free);
  g_clear_pointer (&r->yoy_cost_per_case, cm_rational_free);
  g_clear_pointer (&r->yoy_adjusted_cost, cm_rational_free);
  g_clear_pointer (&r->yoy_cmi, cm_rational_free);
}

static void
row_acc_free (gpointer p)
{
  RowAcc *ra = p;
  row_clear_figures (&ra->row);
  g_clear_pointer (&ra->subs, g_hash_table_unref);
  g_free (ra);
}

void
cm_ind_table_free (CmIndTable *t)
{
  if (t == NULL)
    return;
  g_hash_table_unref (t->index);
  g_ptr_array_unref (t->rows);
  g_free (t);
}

guint
cm_ind_table_get_n_rows (const CmIndTable *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->rows->len;
}

const CmIndRow *
cm_ind_table_get_row (const CmIndTable *t, guint i)
{
  g_return_val_if_fail (t != NULL && i < t->rows->len, NULL);
  return &((RowAcc *) t->rows->pdata[i])->row;
}

guint
cm_ind_table_get_dims (const CmIndTable *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->dims;
}

/* The projection of a cell key onto @dims (row key: no class, no label). */
static Key
project (const Key *k, guint dims, const char *empty)
{
  Key r = { 0 };

  r.group = empty;
  r.hospital = empty;
  r.county = empty;
  r.label = NULL;
  if (dims & CM_IND_DIM_HOSPITAL)
    {
      r.hospital = k->hospital;
      r.level = k->level;
      r.county = k->county;
    }
  if (dims & CM_IND_DIM_LEVEL)
    r.level = k->level;
  if (dims & CM_IND_DIM_COUNTY)
    r.county = k->county;
  if (dims & (CM_IND_DIM_YEAR | CM_IND_DIM_MONTH))
    r.year = k->year;
  if (dims & CM_IND_DIM_MONTH)
    r.month = k->month;
  if (dims & CM_IND_DIM_GROUP)
    r.group = k->group;
  if (dims & CM_IND_DIM_INSURANCE)
    r.insurance = k->insurance;
  if (dims & CM_IND_DIM_INSURED_REGION)
    r.region = k->region;
  return r;
}

/* Reference sums of (group, level, period). */
typedef struct {
  const char *group;
  gint32 year, month;
  guint8 level;
} RefKey;

typedef struct {
  RefKey k;
  gint64 n_w, cost_w, los_w, w_e4;
} Ref;

static guint
ref_hash (gconstpointer p)
{
  const RefKey *k = p;
  return mix64 ((guint64) (guintptr) k->group
                ^ ((guint64) (guint32) k->year << 40 | (guint64) k->month << 32
                   | (guint64) k->level << 56));
}

static gboolean
ref_equal (gconstpointer a, gconstpointer b)
{
  const RefKey *x = a, *y = b;
  return x->group == y->group && x->year == y->year && x->month == y->month
         && x->level == y->level;
}

static int
row_compare (gconstpointer a, gconstpointer b)
{
  const RowAcc *x = *(RowAcc *const *) a, *y = *(RowAcc *const *) b;
  int c;

  if (x->key.year != y->key.year)
    return x->key.year < y->key.year ? -1 : 1;
  if (x->key.month != y->key.month)
    return x->key.month < y->key.month ? -1 : 1;
  if ((c = strcmp (x->key.hospital, y->key.hospital)) != 0)
    return c;
  if (x->key.level != y->key.level)
    return x->key.level < y->key.level ? -1 : 1;
  if ((c = strcmp (x->key.county, y->key.county)) != 0)
    return c;
  /* the ungrouped row ("") after the groups */
  if (*x->key.group == '\0' || *y->key.group == '\0')
    {
      if (*x->key.group != *y->key.group)
        return *x->key.group == '\0' ? 1 : -1;
    }
  else if ((c = strcmp (x->key.group, y->key.group)) != 0)
    return c;
  if (x->key.insurance != y->key.insurance)
    return x->key.insurance < y->key.insurance ? -1 : 1;
  if (x->key.region != y->key.region)
    return x->key.region < y->key.region ? -1 : 1;
  return 0;
}

/* ratio − 1 of (a_num / a_den) over (b_num / b_den); NULL when a
 * denominator or the base is 0. */
static CmRational *
change (gint64 a_num, gint64 a_den, gint64 b_num, gint64 b_den)
{
  CmRational *r;
  if (a_den == 0 || b_den == 0 || b_num == 0)
    return NULL;
  r = cm_rational_new (a_num, a_den);
  cm_rational_mul_ratio (r, b_den, b_num);
  cm_rational_add_product_ratio (r, -1, 1, 1);
  return r;
}

static CmRational *
ratio_or_null (gint64 num, gint64 den)
{
  return den != 0 ? cm_rational_new (num, den) : NULL;
}

/* Adds one (group, level) of a row to the cost and time index sums:
 * e_i/E_i · n_i = C_hi · N_i / C_i. A group whose region cost (or LOS) is
 * 0 has no index and drops out of both sums. */
static void
add_sub_index (const Sub *sub, GHashTable *refs, const Key *row_key,
               CmRational *ci, CmRational *ti, gint64 *ci_n, gint64 *ti_n)
{
  RefKey fk = { sub->k.group, row_key->year, row_key->month, sub->k.level };
  const Ref *ref;

  if (sub->n_w == 0)
    return;
  ref = g_hash_table_lookup (refs, &fk);
  if (ref == NULL)
    return;
  if (ref->cost_w > 0)
    {
      cm_rational_add_product_ratio (ci, sub->cost_w, ref->n_w, ref->cost_w);
      *ci_n += sub->n_w;
    }
  if (ref->los_w > 0)
    {
      cm_rational_add_product_ratio (ti, sub->los_w, ref->n_w, ref->los_w);
      *ti_n += sub->n_w;
    }
}

CmIndTable *
cm_indicators_table (const CmIndicators *ind_c, guint slot, guint dims)
{
  CmIndicators *ind = (CmIndicators *) ind_c;   /* interning only */
  CmIndTable *t;
  g_autoptr (GHashTable) refs = NULL;
  g_autoptr (GHashTable) region = NULL;   /* period → Ref (group NULL) */
  const char *empty;
  gboolean by_level = ind->opt.reference == CM_IND_REFERENCE_LEVEL;

  g_return_val_if_fail (ind != NULL && slot < ind->n_slots, NULL);
  g_return_val_if_fail (ind->finished, NULL);
  if (dims & CM_IND_DIM_MONTH)
    dims |= CM_IND_DIM_YEAR;
  empty = intern (ind, "");
  t = g_new0 (CmIndTable, 1);
  t->dims = dims;
  t->slot = slot;
  t->family = ind->families[slot];
  t->rows = g_ptr_array_new_with_free_func (row_acc_free);
  t->index = g_hash_table_new (key_hash, key_equal);
  refs = g_hash_table_new_full (ref_hash, ref_equal, NULL, g_free);
  region = g_hash_table_new_full (ref_hash, ref_equal, NULL, g_free);

  for (guint ci = 0; ci < ind->slot_cells[slot]->len; ci++)
    {
      const Cell *c = ind->slot_cells[slot]->pdata[ci];
      const Sums *sm = &c->s;
      Key rk;
      RowAcc *ra;
      CmIndRow *r;
      CmIndClass cls = cell_class (c);

      rk = project (&c->k, dims, empty);
      ra = g_hash_table_lookup (t->index, &rk);
      if (ra == NULL)
        {
          ra = g_new0 (RowAcc, 1);
          ra->key = rk;
          r = &ra->row;
          r->hospital_id = (dims & CM_IND_DIM_HOSPITAL) ? rk.hospital : NULL;
          r->hospital_level = rk.level;
          r->county_id = (dims & (CM_IND_DIM_HOSPITAL | CM_IND_DIM_COUNTY)) ? rk.county : NULL;
          r->year = rk.year;
          r->month = rk.month;
          r->group = (dims & CM_IND_DIM_GROUP) ? rk.group : NULL;
          r->insurance = (CmInsuranceType) rk.insurance;
          r->insured_region = (CmInsuredRegion) rk.region;
          r->weight_e4 = -1;
          g_ptr_array_add (t->rows, ra);
          g_hash_table_insert (t->index, &ra->key, ra);
        }
      r = &ra->row;
      r->n_cases += sm->n;
      add (ind, &r->deaths, sm->deaths);
      add (ind, &r->total_cost_fen, sm->cost);
      add (ind, &r->total_los_days, sm->los);
      add (ind, &r->out_of_catalogue_fen, sm->ooc);
      add (ind, &r->patient_copay_fen, sm->copay);
      add (ind, &r->fund_ffs_fen, sm->fund);
      add (ind, &r->fund_priced_fen, sm->fund_priced);
      r->n_fund_priced += sm->n_fund_priced;
      r->n_day_surgery += sm->n_day_surgery;
      if (cls != CM_IND_NOT_SETTLED)
        r->n_settled += sm->n;
      if (cls == CM_IND_GROUPED)
        {
          SubKey sk = { c->k.group, by_level ? c->k.level : 0 };
          Sub *sub = row_sub (ra, &sk);
          RefKey fk = { c->k.group, rk.year, rk.month, by_level ? c->k.level : 0 };
          RefKey pk = { NULL, rk.year, rk.month, 0 };
          Ref *ref;

          r->n_grouped += sm->n;
          r->n_weighted += sm->n_w;
          r->n_no_weight += sm->n - sm->n_w;
          add (ind, &r->total_weight_e4, sm->w_e4);
          add (ind, &r->weighted_cost_fen, sm->cost_w);
          add (ind, &r->weighted_los_days, sm->los_w);
          if (risk_of (ind, slot, c->k.group, c->k.year) == CM_IND_RISK_LOW)
            {
              r->lowrisk_cases += sm->lrm_n;
              r->lowrisk_deaths += sm->lrm_deaths;
            }
          sub->n_grouped += sm->n;
          sub->n_w += sm->n_w;
          add (ind, &sub->cost_w, sm->cost_w);
          add (ind, &sub->los_w, sm->los_w);

          /* the reference: all hospitals of the row's period */
          ref = g_hash_table_lookup (refs, &fk);
          if (ref == NULL)
            {
              ref = g_new0 (Ref, 1);
              ref->k = fk;
              g_hash_table_insert (refs, &ref->k, ref);
            }
          ref->n_w += sm->n_w;
          add (ind, &ref->cost_w, sm->cost_w);
          add (ind, &ref->los_w, sm->los_w);
          add (ind, &ref->w_e4, sm->w_e4);
          ref = g_hash_table_lookup (region, &pk);
          if (ref == NULL)
            {
              ref = g_new0 (Ref, 1);
              ref->k = pk;
              g_hash_table_insert (region, &ref->k, ref);
            }
          ref->n_w += sm->n_w;
          add (ind, &ref->w_e4, sm->w_e4);
        }
    }

  /* figures */
  for (guint i = 0; i < t->rows->len; i++)
    {
      RowAcc *ra = t->rows->pdata[i];
      CmIndRow *r = &ra->row;
      g_autoptr (CmRational) ci = cm_rational_new (0, 1);
      g_autoptr (CmRational) ti = cm_rational_new (0, 1);
      gint64 ci_n = 0, ti_n = 0;

      if (ra->subs == NULL)
        {
          if (ra->has_one)
            {
              add_sub_index (&ra->one, refs, &ra->key, ci, ti, &ci_n, &ti_n);
              if (ra->one.n_grouped >= (gint64) ind->opt.min_group_cases)
                r->n_groups = 1;
            }
        }
      else
        {
          g_autoptr (GHashTable) per_group = g_hash_table_new (g_direct_hash,
                                                               g_direct_equal);
          GHashTableIter si;
          gpointer sp;

          g_hash_table_iter_init (&si, ra->subs);
          while (g_hash_table_iter_next (&si, NULL, &sp))
            {
              const Sub *sub = sp;
              gint64 ng = GPOINTER_TO_SIZE (g_hash_table_lookup (per_group, sub->k.group));
              g_hash_table_insert (per_group, (gpointer) sub->k.group,
                                   GSIZE_TO_POINTER ((gsize) (ng + sub->n_grouped)));
              add_sub_index (sub, refs, &ra->key, ci, ti, &ci_n, &ti_n);
            }
          g_hash_table_iter_init (&si, per_group);
          while (g_hash_table_iter_next (&si, NULL, &sp))
            if ((gint64) GPOINTER_TO_SIZE (sp) >= (gint64) ind->opt.min_group_cases)
              r->n_groups++;
        }
      if (ci_n > 0)
        {
          cm_rational_mul_ratio (ci, 1, ci_n);
          r->cost_index = g_steal_pointer (&ci);
        }
      if (ti_n > 0)
        {
          cm_rational_mul_ratio (ti, 1, ti_n);
          r->time_index = g_steal_pointer (&ti);
        }
      r->grouping_rate = ratio_or_null (r->n_grouped, r->n_settled);
      if (r->n_weighted > 0)
        {
          if (t->family == CM_SCHEME_FAMILY_DIP)
            {
              RefKey pk = { NULL, ra->key.year, ra->key.month, 0 };
              const Ref *reg = g_hash_table_lookup (region, &pk);
              if (ind->opt.dip_cmi == CM_IND_DIP_CMI_SCALE)
                r->cmi = cm_rational_new (r->total_weight_e4,
                                          r->n_weighted * 10000 * ind->opt.dip_scale);
              else if (reg != NULL && reg->w_e4 > 0)
                {
                  /* (W_h / n_h) ÷ (W_r / n_r) */
                  r->cmi = cm_rational_new (r->total_weight_e4, r->n_weighted);
                  cm_rational_mul_ratio (r->cmi, reg->n_w, reg->w_e4);
                }
            }
          else
            r->cmi = cm_rational_new (r->total_weight_e4, r->n_weighted * 10000);
          r->cost_per_case_fen = cm_rational_new (r->weighted_cost_fen, r->n_weighted);
          r->avg_los_days = cm_rational_new (r->weighted_los_days, r->n_weighted);
        }
      if (r->total_weight_e4 > 0)
        {
          /* cost per 1.0 of weight: C / (W_e4 / 10^4) */
          r->adjusted_cost_fen = cm_rational_new (r->weighted_cost_fen, r->total_weight_e4);
          cm_rational_mul_ratio (r->adjusted_cost_fen, 10000, 1);
        }
      r->mortality = ratio_or_null (r->deaths, r->n_cases);
      r->lowrisk_mortality = ratio_or_null (r->lowrisk_deaths, r->lowrisk_cases);
      r->ooc_share = ratio_or_null (r->out_of_catalogue_fen, r->total_cost_fen);
      r->reimbursement = ratio_or_null (r->fund_ffs_fen, r->total_cost_fen);
      if (dims & CM_IND_DIM_GROUP)
        {
          gint64 rw;
          if (*ra->key.group && cm_weight_table_lookup (ind->weights[slot],
                                                       ra->key.group, &rw))
            r->weight_e4 = rw;
          else if (*ra->key.group && r->n_weighted > 0
                   && r->total_weight_e4 % r->n_weighted == 0)
            r->weight_e4 = r->total_weight_e4 / r->n_weighted;
          r->risk = risk_of (ind, slot, ra->key.group, ra->key.year);
        }
    }

  /* year on year */
  if (dims & CM_IND_DIM_YEAR)
    for (guint i = 0; i < t->rows->len; i++)
      {
        RowAcc *ra = t->rows->pdata[i];
        Key prev = ra->key;
        const RowAcc *pa;
        CmIndRow *r = &ra->row;
        prev.year--;
        pa = g_hash_table_lookup (t->index, &prev);
        if (pa == NULL)
          continue;
        r->yoy_cost_per_case = change (r->weighted_cost_fen, r->n_weighted,
                                       pa->row.weighted_cost_fen, pa->row.n_weighted);
        r->yoy_adjusted_cost = change (r->weighted_cost_fen, r->total_weight_e4,
                                       pa->row.weighted_cost_fen, pa->row.total_weight_e4);
        r->yoy_cmi = change (r->total_weight_e4, r->n_weighted,
                             pa->row.total_weight_e4, pa->row.n_weighted);
      }

  g_ptr_array_sort (t->rows, row_compare);
  return t;
}

const CmIndRow *
cm_ind_table_lookup (const CmIndTable *t, const CmIndRow *key)
{
  Key k = { 0 };
  const RowAcc *ra;
  GHashTableIter it;
  gpointer vp;

  g_return_val_if_fail (t != NULL && key != NULL, NULL);
  /* keys hold interned pointers; compare by text through a scan of the
   * (small) candidates instead of interning the caller's strings */
  g_hash_table_iter_init (&it, t->index);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &vp))
    {
      ra = vp;
      k = ra->key;
      if (k.year != key->year || k.month != key->month
          || ((t->dims & (CM_IND_DIM_LEVEL | CM_IND_DIM_HOSPITAL))
              && k.level != key->hospital_level)
          || ((t->dims & CM_IND_DIM_INSURANCE) && k.insurance != (guint8) key->insurance)
          || ((t->dims & CM_IND_DIM_INSURED_REGION)
              && k.region != (guint8) key->insured_region))
        continue;
      if ((t->dims & CM_IND_DIM_HOSPITAL)
          && g_strcmp0 (k.hospital, key->hospital_id) != 0)
        continue;
      if ((t->dims & (CM_IND_DIM_COUNTY | CM_IND_DIM_HOSPITAL))
          && g_strcmp0 (k.county, key->county_id) != 0)
        continue;
      if ((t->dims & CM_IND_DIM_GROUP) && g_strcmp0 (k.group, key->group) != 0)
        continue;
      return &ra->row;
    }
  return NULL;
}

gboolean
cm_ind_dims_parse (const char *text, guint *dims, char **problem)
{
  g_auto (GStrv) parts = NULL;
  guint d = 0;

  g_return_val_if_fail (text != NULL && dims != NULL, FALSE);
  if (problem)
    *problem = NULL;
  parts = g_strsplit (text, ",", -1);
  for (guint i = 0; parts[i]; i++)
    {
      const char *p = g_strstrip (parts[i]);
      if (strcmp (p, "region") == 0 || strcmp (p, "all") == 0)
        ;
      else if (strcmp (p, "hospital") == 0)
        d |= CM_IND_DIM_HOSPITAL;
      else if (strcmp (p, "level") == 0)
        d |= CM_IND_DIM_LEVEL;
      else if (strcmp (p, "county") == 0)
        d |= CM_IND_DIM_COUNTY;
      else if (strcmp (p, "year") == 0)
        d |= CM_IND_DIM_YEAR;
      else if (strcmp (p, "month") == 0)
        d |= CM_IND_DIM_MONTH | CM_IND_DIM_YEAR;
      else if (strcmp (p, "group") == 0 || strcmp (p, "drg") == 0 || strcmp (p, "dip") == 0)
        d |= CM_IND_DIM_GROUP;
      else if (strcmp (p, "insurance") == 0)
        d |= CM_IND_DIM_INSURANCE;
      else if (strcmp (p, "insured_region") == 0)
        d |= CM_IND_DIM_INSURED_REGION;
      else
        {
          if (problem)
            *problem = g_strdup_printf ("unknown dimension '%s' (region, hospital, level, "
                                        "county, year, month, group, insurance, "
                                        "insured_region)", p);
          return FALSE;
        }
    }
  *dims = d;
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                  */

static const char *
insurance_name (CmInsuranceType t)
{
  switch (t)
    {
    case CM_INSURANCE_EMPLOYEE: return "employee";
    case CM_INSURANCE_RESIDENT: return "resident";
    case CM_INSURANCE_UNKNOWN:
    default: return "";
    }
}

static const char *
region_name (CmInsuredRegion r)
{
  switch (r)
    {
    case CM_REGION_LOCAL: return "local";
    case CM_REGION_PROVINCE: return "province";
    case CM_REGION_OTHER_PROVINCE: return "other_province";
    case CM_REGION_UNKNOWN:
    default: return "";
    }
}

/* Formatted figure: @r × 10^@shift rounded to @decimals ("" when NULL). */
static char *
fmt_rat (const CmRational *r, guint shift, guint decimals)
{
  g_autoptr (CmRational) x = NULL;
  gint64 p = 1;

  if (r == NULL)
    return g_strdup ("");
  for (guint i = 0; i < shift; i++)
    p *= 10;
  x = cm_rational_copy (r);
  cm_rational_mul_ratio (x, p, 1);
  return cm_rational_to_string (x, decimals);
}

static char *
fmt_int (gint64 v)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, v);
}

static char *
fmt_fen (CmFen v)
{
  char buf[CM_MONEY_BUF];
  cm_fen_format (v, buf);
  return g_strdup (buf);
}

static char *
fmt_e4 (gint64 v)
{
  char buf[CM_MONEY_BUF];
  cm_e4_format (v, buf);
  return g_strdup (buf);
}

/* A money figure (an exact rational in fen) in yuan, half-up to the fen. */
static char *
fmt_rat_fen (const CmRational *r)
{
  gint64 v;
  if (r == NULL)
    return g_strdup ("");
  if (!cm_rational_round (r, 0, &v))
    return g_strdup ("overflow");
  return fmt_fen (v);
}

guint
cm_ind_table_columns (const CmIndTable *t, const char *slot_name,
                      const char **h, char *kinds)
{
  guint n = 0;

  g_return_val_if_fail (t != NULL && h != NULL && kinds != NULL, 0);
#define COL(name, kind) do { h[n] = (name); kinds[n] = (kind); n++; } while (0)
  if (slot_name)
    COL ("scheme", 't');
  if (t->dims & CM_IND_DIM_YEAR)
    COL ("year", 'n');
  if (t->dims & CM_IND_DIM_MONTH)
    COL ("month", 't');
  if (t->dims & CM_IND_DIM_HOSPITAL)
    COL ("hospital_id", 't');
  if (t->dims & (CM_IND_DIM_HOSPITAL | CM_IND_DIM_LEVEL))
    COL ("hospital_level", 'n');
  if (t->dims & (CM_IND_DIM_HOSPITAL | CM_IND_DIM_COUNTY))
    COL ("county_id", 't');
  if (t->dims & CM_IND_DIM_GROUP)
    {
      COL ("group", 't');
      COL ("group_weight", 'n');
      COL ("risk_band", 't');
    }
  if (t->dims & CM_IND_DIM_INSURANCE)
    COL ("insurance", 't');
  if (t->dims & CM_IND_DIM_INSURED_REGION)
    COL ("insured_region", 't');
  COL ("n_cases", 'n');
  COL ("n_settled", 'n');
  COL ("n_grouped", 'n');
  COL ("grouping_rate_pct", 'n');
  COL ("n_groups", 'n');
  COL ("n_weighted", 'n');
  COL ("n_no_weight", 'n');
  COL ("total_weight", 'n');
  COL ("cmi", 'n');
  COL ("cost_per_case", 'n');
  COL ("adjusted_cost_per_case", 'n');
  COL ("cost_index", 'n');
  COL ("time_index", 'n');
  COL ("avg_los", 'n');
  COL ("deaths", 'n');
  COL ("mortality_pct", 'n');
  COL ("lowrisk_cases", 'n');
  COL ("lowrisk_deaths", 'n');
  COL ("lowrisk_mortality_pct", 'n');
  COL ("total_cost", 'n');
  COL ("ooc_share_pct", 'n');
  COL ("reimbursement_pct", 'n');
  COL ("yoy_cost_per_case_pct", 'n');
  COL ("yoy_adjusted_cost_pct", 'n');
  COL ("yoy_cmi_pct", 'n');
#undef COL
  g_assert (n <= CM_IND_TABLE_MAX_COLS);
  kinds[n] = '\0';
  return n;
}

GStrv
cm_ind_table_format_row (const CmIndTable *t, const char *slot_name, guint i)
{
  const CmIndRow *r;
  GStrvBuilder *b;

  g_return_val_if_fail (t != NULL && i < t->rows->len, NULL);
  r = cm_ind_table_get_row (t, i);
  b = g_strv_builder_new ();
#define ADD(expr) do { char *v_ = (expr); g_strv_builder_add (b, v_); g_free (v_); } while (0)
  if (slot_name)
    g_strv_builder_add (b, slot_name);
  if (t->dims & CM_IND_DIM_YEAR)
    ADD (fmt_int (r->year));
  if (t->dims & CM_IND_DIM_MONTH)
    ADD (g_strdup_printf ("%04d-%02d", r->year, r->month));
  if (t->dims & CM_IND_DIM_HOSPITAL)
    g_strv_builder_add (b, r->hospital_id);
  if (t->dims & (CM_IND_DIM_HOSPITAL | CM_IND_DIM_LEVEL))
    ADD (r->hospital_level ? fmt_int (r->hospital_level) : g_strdup (""));
  if (t->dims & (CM_IND_DIM_HOSPITAL | CM_IND_DIM_COUNTY))
    g_strv_builder_add (b, r->county_id);
  if (t->dims & CM_IND_DIM_GROUP)
    {
      g_strv_builder_add (b, r->group);
      ADD (r->weight_e4 >= 0 ? fmt_e4 (r->weight_e4) : g_strdup (""));
      g_strv_builder_add (b, cm_ind_risk_name (r->risk));
    }
  if (t->dims & CM_IND_DIM_INSURANCE)
    g_strv_builder_add (b, insurance_name (r->insurance));
  if (t->dims & CM_IND_DIM_INSURED_REGION)
    g_strv_builder_add (b, region_name (r->insured_region));
  ADD (fmt_int (r->n_cases));
  ADD (fmt_int (r->n_settled));
  ADD (fmt_int (r->n_grouped));
  ADD (fmt_rat (r->grouping_rate, 2, 2));
  ADD (fmt_int (r->n_groups));
  ADD (fmt_int (r->n_weighted));
  ADD (fmt_int (r->n_no_weight));
  ADD (fmt_e4 (r->total_weight_e4));
  ADD (fmt_rat (r->cmi, 0, 4));
  ADD (fmt_rat_fen (r->cost_per_case_fen));
  ADD (fmt_rat_fen (r->adjusted_cost_fen));
  ADD (fmt_rat (r->cost_index, 0, 4));
  ADD (fmt_rat (r->time_index, 0, 4));
  ADD (fmt_rat (r->avg_los_days, 0, 2));
  ADD (fmt_int (r->deaths));
  ADD (fmt_rat (r->mortality, 2, 2));
  ADD (fmt_int (r->lowrisk_cases));
  ADD (fmt_int (r->lowrisk_deaths));
  ADD (fmt_rat (r->lowrisk_mortality, 2, 2));
  ADD (fmt_fen (r->total_cost_fen));
  ADD (fmt_rat (r->ooc_share, 2, 2));
  ADD (fmt_rat (r->reimbursement, 2, 2));
  ADD (fmt_rat (r->yoy_cost_per_case, 2, 2));
  ADD (fmt_rat (r->yoy_adjusted_cost, 2, 2));
  ADD (fmt_rat (r->yoy_cmi, 2, 2));
#undef ADD
  {
    GStrv v = g_strv_builder_end (b);
    g_strv_builder_unref (b);
    return v;
  }
}

static void
csv_field (GString *out, const char *s)
{
  if (strpbrk (s, ",\"\r\n") == NULL)
    {
      g_string_append (out, s);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = s; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
csv_row (GString *out, const char *const *cells, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      if (i)
        g_string_append_c (out, ',');
      csv_field (out, cells[i] ? cells[i] : "");
    }
  g_string_append_c (out, '\n');
}

static gboolean
flush_out (GString *buf, FILE *out, GError **error)
{
  if (buf->len && fwrite (buf->str, 1, buf->len, out) != buf->len)
    {
      g_set_error (error, CM_INDICATORS_ERROR, CM_INDICATORS_ERROR_IO,
                   "write error: %s", g_strerror (errno));
      return FALSE;
    }
  g_string_truncate (buf, 0);
  return TRUE;
}

gboolean
cm_ind_table_write_csv (const CmIndTable *t, const char *slot_name,
                        gboolean header, FILE *out, GError **error)
{
  const char *h[CM_IND_TABLE_MAX_COLS];
  char kinds[CM_IND_TABLE_MAX_COLS + 1];
  guint n;
  g_autoptr (GString) buf = g_string_sized_new (1 << 16);

  g_return_val_if_fail (t != NULL && out != NULL, FALSE);
  n = cm_ind_table_columns (t, slot_name, h, kinds);
  if (header)
    csv_row (buf, h, n);
  for (guint i = 0; i < t->rows->len; i++)
    {
      g_auto (GStrv) cells = cm_ind_table_format_row (t, slot_name, i);
      csv_row (buf, (const char *const *) cells, n);
      if (buf->len > (1 << 16) && !flush_out (buf, out, error))
        return FALSE;
    }
  return flush_out (buf, out, error);
}

/* ---- the tidy file: streamed from the sorted cells ----------------------- */

typedef struct {
  const Cell *c;
  gint32 year, month;
  guint32 hospital, county, group;   /* ranks of the strings */
  guint8 level;
} TidyItem;

static int
tidy_cmp (gconstpointer a, gconstpointer b)
{
  const TidyItem *x = a, *y = b;
#define CMP(f) if (x->f != y->f) return x->f < y->f ? -1 : 1
  CMP (year);
  CMP (month);
  CMP (hospital);
  CMP (level);
  CMP (county);
  CMP (group);
#undef CMP
  return 0;
}

static int
str_ptr_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Rank of every interned string in strcmp order; "" ranks last. */
static GHashTable *
string_ranks (const CmIndicators *ind)
{
  GHashTable *rank = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  GHashTableIter it;
  gpointer k;

  g_hash_table_iter_init (&it, ind->interned);
  while (g_hash_table_iter_next (&it, &k, NULL))
    g_ptr_array_add (all, k);

  g_ptr_array_sort (all, str_ptr_cmp);
  for (guint i = 0; i < all->len; i++)
    {
      const char *str = all->pdata[i];
      g_hash_table_insert (rank, (gpointer) str,
                           GUINT_TO_POINTER (*str ? i + 1 : G_MAXUINT32));
    }
  return rank;
}

static void
append_int (GString *out, gint64 v)
{
  g_string_append_printf (out, "%" G_GINT64_FORMAT, v);
}

/* num/den × 10^decimals rounded half-up, written with @decimals digits;
 * exact through 128 bits, a rational when that does not fit. */
static void
append_ratio (GString *out, gint64 num_a, gint64 num_b, gint64 den_a, gint64 den_b,
              guint decimals)
{
  CmWide num, den, scale = 1;
  gint64 v;

  for (guint i = 0; i < decimals; i++)
    scale *= 10;
  if (!__builtin_mul_overflow ((CmWide) num_a, (CmWide) num_b, &num)
      && !__builtin_mul_overflow (num, scale, &num)
      && !__builtin_mul_overflow ((CmWide) den_a, (CmWide) den_b, &den)
      && cm_wide_div_half_up (num, den, &v))
    {
      guint64 mag = v < 0 ? (guint64) 0 - (guint64) v : (guint64) v;
      guint64 p = (guint64) scale;
      if (v < 0)
        g_string_append_c (out, '-');
      g_string_append_printf (out, "%" G_GUINT64_FORMAT, mag / p);
      if (decimals)
        g_string_append_printf (out, ".%0*" G_GUINT64_FORMAT, (int) decimals, mag % p);
      return;
    }
  {
    g_autoptr (CmRational) r = cm_rational_new (num_a, den_a);
    g_autofree char *t = NULL;
    cm_rational_mul_ratio (r, num_b, den_b);
    t = cm_rational_to_string (r, decimals);
    g_string_append (out, t);
  }
}

typedef struct {
  gint64 n, settled, grouped, n_w, deaths, cost, los, w_e4, cost_w, los_w;
  gint64 lr_n, lr_d, ooc, fund;
  const char *group_grouped;   /* the group when the row has grouped cases */
} TidyAcc;

static void
tidy_emit (const CmIndicators *ind, guint s, const TidyItem *it, const TidyAcc *a,
           GHashTable *refs, GString *out)
{
  const Cell *c = it->c;
  gboolean by_level = ind->opt.reference == CM_IND_REFERENCE_LEVEL;
  gint64 rw;
  gboolean have_rw = FALSE;

  csv_field (out, ind->slot_names[s]);
  g_string_append_c (out, ',');
  csv_field (out, c->k.group);
  g_string_append_c (out, ',');
  csv_field (out, c->k.hospital);
  g_string_append_c (out, ',');
  if (c->k.level)
    append_int (out, c->k.level);
  g_string_append_c (out, ',');
  csv_field (out, c->k.county);
  g_string_append_printf (out, ",%d,%04d-%02d,", it->year, it->year, it->month);
  append_int (out, a->n);
  g_string_append_c (out, ',');
  append_int (out, a->settled);
  g_string_append_c (out, ',');
  append_int (out, a->grouped);
  g_string_append_c (out, ',');
  append_int (out, a->n_w);
  g_string_append_c (out, ',');
  append_int (out, a->deaths);
  g_string_append_c (out, ',');
  cm_fen_append (out, a->cost);
  g_string_append_c (out, ',');
  append_int (out, a->los);
  g_string_append_c (out, ',');
  if (*c->k.group)
    {
      if (cm_weight_table_lookup (ind->weights[s], c->k.group, &rw))
        have_rw = TRUE;
      else if (a->n_w > 0 && a->w_e4 % a->n_w == 0)
        {
          rw = a->w_e4 / a->n_w;
          have_rw = TRUE;
        }
    }
  if (have_rw)
    cm_e4_append (out, rw);
  g_string_append_c (out, ',');
  if (a->n_w)
    cm_e4_append (out, a->w_e4);
  g_string_append_c (out, ',');
  cm_fen_append (out, a->cost_w);
  g_string_append_c (out, ',');
  append_int (out, a->los_w);
  g_string_append_c (out, ',');
  if (a->n_w > 0)
    {
      gint64 fen = 0;
      if (cm_wide_div_half_up (a->cost_w, a->n_w, &fen))
        cm_fen_append (out, fen);
      g_string_append_c (out, ',');
      append_ratio (out, a->los_w, 1, a->n_w, 1, 2);
      g_string_append_c (out, ',');
    }
  else
    g_string_append (out, ",,");
  if (a->n_w > 0 && *c->k.group)
    {
      RefKey fk = { c->k.group, it->year, it->month, by_level ? it->level : 0 };
      const Ref *ref = g_hash_table_lookup (refs, &fk);
      if (ref && ref->cost_w > 0)
        append_ratio (out, a->cost_w, ref->n_w, ref->cost_w, a->n_w, 4);
      g_string_append_c (out, ',');
      if (ref && ref->los_w > 0)
        append_ratio (out, a->los_w, ref->n_w, ref->los_w, a->n_w, 4);
      g_string_append_c (out, ',');
    }
  else
    g_string_append (out, ",,");
  g_string_append (out, cm_ind_risk_name (*c->k.group ? risk_of (ind, s, c->k.group, it->year)
                                                       : CM_IND_RISK_NONE));
  g_string_append_c (out, ',');
  append_int (out, a->lr_n);
  g_string_append_c (out, ',');
  append_int (out, a->lr_d);
  g_string_append_c (out, ',');
  cm_fen_append (out, a->ooc);
  g_string_append_c (out, ',');
  cm_fen_append (out, a->fund);
  g_string_append_c (out, '\n');
}

gboolean
cm_indicators_write_tidy (const CmIndicators *ind, FILE *out, GError **error)
{
  static const char *const cols[] = {
    "scheme", "group", "hospital_id", "hospital_level", "county_id", "year",
    "month", "n_cases", "n_settled", "n_grouped", "n_weighted", "deaths",
    "total_cost", "total_los_days", "weight", "total_weight", "weighted_cost",
    "weighted_los_days", "cost_per_case", "avg_los", "cost_index",
    "time_index", "risk_band", "lowrisk_cases", "lowrisk_deaths",
    "out_of_catalogue_cost", "fund_paid_ffs",
  };
  g_autoptr (GString) buf = g_string_sized_new (1 << 17);
  g_autoptr (GHashTable) rank = NULL;
  gboolean by_level;

  g_return_val_if_fail (ind != NULL && out != NULL, FALSE);
  g_return_val_if_fail (ind->finished, FALSE);
  by_level = ind->opt.reference == CM_IND_REFERENCE_LEVEL;
  rank = string_ranks (ind);
  csv_row (buf, cols, G_N_ELEMENTS (cols));
  for (guint s = 0; s < ind->n_slots; s++)
    {
      g_autoptr (GArray) items = g_array_new (FALSE, FALSE, sizeof (TidyItem));
      g_autoptr (GHashTable) refs = g_hash_table_new_full (ref_hash, ref_equal, NULL, g_free);
      TidyAcc acc = { 0 };

      for (guint ci = 0; ci < ind->slot_cells[s]->len; ci++)
        {
          const Cell *c = ind->slot_cells[s]->pdata[ci];
          TidyItem it;
          it.c = c;
          it.year = c->k.year;
          it.month = c->k.month;
          it.hospital = GPOINTER_TO_UINT (g_hash_table_lookup (rank, c->k.hospital));
          it.county = GPOINTER_TO_UINT (g_hash_table_lookup (rank, c->k.county));
          it.group = GPOINTER_TO_UINT (g_hash_table_lookup (rank, c->k.group));
          it.level = c->k.level;
          g_array_append_val (items, it);
          if (cell_class (c) == CM_IND_GROUPED)
            {
              RefKey fk = { c->k.group, c->k.year, c->k.month, by_level ? c->k.level : 0 };
              Ref *ref = g_hash_table_lookup (refs, &fk);
              if (ref == NULL)
                {
                  ref = g_new0 (Ref, 1);
                  ref->k = fk;
                  g_hash_table_insert (refs, &ref->k, ref);
                }
              ref->n_w += c->s.n_w;
              ref->cost_w += c->s.cost_w;
              ref->los_w += c->s.los_w;
            }
        }
      g_array_sort (items, tidy_cmp);
      for (guint i = 0; i < items->len; i++)
        {
          const TidyItem *it = &g_array_index (items, TidyItem, i);
          const Cell *c = it->c;
          const Sums *sm = &c->s;
          CmIndClass cls = cell_class (c);

          acc.n += sm->n;
          acc.deaths += sm->deaths;
          acc.cost += sm->cost;
          acc.los += sm->los;
          acc.ooc += sm->ooc;
          acc.fund += sm->fund;
          if (cls != CM_IND_NOT_SETTLED)
            acc.settled += sm->n;
          if (cls == CM_IND_GROUPED)
            {
              acc.grouped += sm->n;
              acc.n_w += sm->n_w;
              acc.w_e4 += sm->w_e4;
              acc.cost_w += sm->cost_w;
              acc.los_w += sm->los_w;
              if (risk_of (ind, s, c->k.group, c->k.year) == CM_IND_RISK_LOW)
                {
                  acc.lr_n += sm->lrm_n;
                  acc.lr_d += sm->lrm_deaths;
                }
            }
          if (i + 1 == items->len
              || tidy_cmp (it, &g_array_index (items, TidyItem, i + 1)) != 0)
            {
              tidy_emit (ind, s, it, &acc, refs, buf);
              memset (&acc, 0, sizeof acc);
              if (buf->len > (1 << 16) && !flush_out (buf, out, error))
                return FALSE;
            }
        }
    }
  return flush_out (buf, out, error);
}
