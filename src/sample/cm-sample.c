/* cm-sample.c — synthetic episodes drawn from a scheme's own code tables.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include "cm-sample.h"
#include "cm-drg.h"
#include "cm-timeline.h"

static const char *const default_counties[] = {
  /* Zhuzhou (株洲) districts and counties, for the demo region */
  "430202", "430203", "430204", "430211", "430212", "430223", "430224",
  "430225", "430281", NULL
};

void
cm_sample_options_init (CmSampleOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->n = 1000;
  opt->seed = 1;
  opt->year = 2025;
  opt->n_hospitals = 12;
  opt->id_prefix = "S";
  opt->counties = default_counties;
}

typedef struct {
  const char *mdc;
  char letter;
  GPtrArray *pdx;    /* borrowed codes */
  GPtrArray *px;
  guint weight;
} MdcPool;

typedef struct {
  char id[48];
  char county[8];
  int level;
} Hospital;

/* Department (诊疗科目 code) by MDC letter: medical, surgical. */
static void
dept_for (char letter, gboolean surgical, char out[5])
{
  static const struct { char l; const char *med, *sur; } map[] = {
    { 'B', "0303", "0402" }, { 'C', "1000", "1000" }, { 'D', "1100", "1100" },
    { 'E', "0301", "0405" }, { 'F', "0304", "0406" }, { 'G', "0302", "0401" },
    { 'H', "0302", "0401" }, { 'I', "0403", "0403" }, { 'J', "1300", "0401" },
    { 'K', "0307", "0401" }, { 'L', "0306", "0404" }, { 'M', "0404", "0404" },
    { 'N', "0501", "0501" }, { 'O', "0502", "0502" }, { 'P', "0700", "0700" },
    { 'Q', "0305", "0305" }, { 'R', "1900", "1900" }, { 'S', "1600", "1600" },
    { 'T', "1500", "1500" }, { 'U', "1500", "1500" }, { 'V', "0401", "0401" },
    { 'W', "0401", "0401" }, { 'X', "0300", "0300" }, { 'Y', "1600", "1600" },
    { 'Z', "0403", "0403" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (map[i].l == letter)
      {
        g_strlcpy (out, surgical ? map[i].sur : map[i].med, 5);
        return;
      }
  g_strlcpy (out, "0300", 5);
}

static const char *
pick (GRand *r, GPtrArray *a)
{
  return a->pdata[g_rand_int_range (r, 0, (gint32) a->len)];
}

/* Appends fen as yuan with two decimals. */
static void
append_yuan (GString *s, gint64 fen)
{
  g_string_append_printf (s, "%" G_GINT64_FORMAT ".%02d", fen / 100, (int) (fen % 100));
}

static guint
isqrt (guint v)
{
  guint r = 0;
  while ((r + 1) * (r + 1) <= v)
    r++;
  return r;
}

gboolean
cm_sample_write (CmScheme *scheme, const CmSampleOptions *opt, FILE *out,
                 GError **error)
{
  CmDrgScheme *drg;
  g_autoptr (GRand) r = NULL;
  g_autoptr (GArray) pools = g_array_new (FALSE, TRUE, sizeof (MdcPool));
  g_autoptr (GPtrArray) mcc = NULL, cc = NULL, all_px = g_ptr_array_new ();
  g_autofree Hospital *hosp = NULL;
  g_autoptr (GString) line = g_string_sized_new (512);
  guint n_counties = 0, total_weight = 0;
  gint32 year_start, year_end;
  char date_buf[11];
  gboolean ok = TRUE;

  g_return_val_if_fail (scheme != NULL && opt != NULL && out != NULL, FALSE);
  drg = cm_scheme_get_drg (scheme);
  if (drg == NULL)
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_OPTION,
                   "%s: the sample generator draws codes from a DRG scheme",
                   cm_scheme_get_id (scheme));
      return FALSE;
    }
  if (opt->n_hospitals == 0 || opt->year < 1900 || opt->year > 9998
      || opt->month < 0 || opt->month > 12)
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_OPTION,
                   "sample: bad options (hospitals ≥ 1, year 1900–9998, month 0–12)");
      return FALSE;
    }
  while (opt->counties && opt->counties[n_counties])
    n_counties++;
  if (n_counties == 0)
    n_counties = G_N_ELEMENTS (default_counties) - 1;

  r = g_rand_new_with_seed (opt->seed);
  for (guint i = 0; i < cm_drg_scheme_get_n_mdcs (drg); i++)
    {
      MdcPool p = { 0 };
      p.mdc = cm_drg_scheme_get_mdc (drg, i);
      p.letter = p.mdc[3];
      p.pdx = cm_drg_scheme_dup_codes (drg, p.mdc, CM_DRG_CODES_PRINCIPAL_DX);
      p.px = cm_drg_scheme_dup_codes (drg, p.mdc, CM_DRG_CODES_PROCEDURES);
      for (guint k = 0; k < p.px->len; k++)
        g_ptr_array_add (all_px, p.px->pdata[k]);
      if (p.pdx->len == 0)
        {
          g_ptr_array_unref (p.pdx);
          g_ptr_array_unref (p.px);
          continue;
        }
      p.weight = isqrt (p.pdx->len) + 1;
      total_weight += p.weight;
      g_array_append_val (pools, p);
    }
  mcc = cm_drg_scheme_dup_codes (drg, NULL, CM_DRG_CODES_MCC);
  cc = cm_drg_scheme_dup_codes (drg, NULL, CM_DRG_CODES_CC);
  if (pools->len == 0 || mcc->len == 0 || cc->len == 0)
    {
      g_set_error (error, CM_SCHEME_ERROR, CM_SCHEME_ERROR_OPTION,
                   "%s: the scheme has no principal-diagnosis or CC lists to draw from",
                   cm_scheme_get_id (scheme));
      for (guint i = 0; i < pools->len; i++)
        {
          g_ptr_array_unref (g_array_index (pools, MdcPool, i).pdx);
          g_ptr_array_unref (g_array_index (pools, MdcPool, i).px);
        }
      return FALSE;
    }

  hosp = g_new0 (Hospital, opt->n_hospitals);
  for (guint h = 0; h < opt->n_hospitals; h++)
    {
      const char *county = opt->counties && opt->counties[0]
                           ? opt->counties[h % n_counties]
                           : default_counties[h % n_counties];
      hosp[h].level = h % 4 == 0 ? 3 : (h % 4 == 3 ? 1 : 2);
      g_strlcpy (hosp[h].county, county, sizeof hosp[h].county);
      g_snprintf (hosp[h].id, sizeof hosp[h].id, "H%s%d%03u", county,
                  hosp[h].level, h + 1);
    }

  {
    char first[11], last[11];
    int m0 = opt->month ? opt->month : 1, m1 = opt->month ? opt->month : 12;
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (opt->year % 4 == 0 && opt->year % 100 != 0) || opt->year % 400 == 0;
    g_snprintf (first, sizeof first, "%04d-%02d-01", opt->year, m0);
    g_snprintf (last, sizeof last, "%04d-%02d-%02d", opt->year, m1,
                mdays[m1 - 1] + (m1 == 2 ? leap : 0));
    cm_date_parse (first, &year_start);
    cm_date_parse (last, &year_end);
  }

  fputs ("episode_id,patient_id,hospital_id,hospital_level,county_id,"
         "insurance_type,insured_region,sex,age_years,age_days,birth_weight_g,"
         "admit_date,discharge_date,los_days,dept,discharge_status,icu_hours,"
         "diagnoses,procedures,total_cost,out_of_catalogue_cost,patient_copay,"
         "fund_paid_ffs,per_diem_category\n", out);

  for (guint64 e = 1; e <= opt->n; e++)
    {
      guint w = (guint) g_rand_int_range (r, 0, (gint32) total_weight);
      MdcPool *p = NULL;
      const Hospital *hp = &hosp[g_rand_int_range (r, 0, (gint32) opt->n_hospitals)];
      gboolean surgical, per_diem = g_rand_int_range (r, 0, 100) < 2;
      const char *per_diem_cat = "";
      int sex, age, age_days = -1, weight = -1, los, dstat, icu = 0, roll;
      gint32 discharge, admit;
      gint64 total, ooc, copay, fund, daily, rest;
      char dept[5];
      guint n_sec;

      for (guint i = 0; i < pools->len; i++)
        {
          p = &g_array_index (pools, MdcPool, i);
          if (w < p->weight)
            break;
          w -= p->weight;
        }
      surgical = p->px->len > 0 && g_rand_int_range (r, 0, 100) < 40 && !per_diem;

      /* who */
      sex = g_rand_int_range (r, 1, 3);
      age = 1 + g_rand_int_range (r, 0, 45) + g_rand_int_range (r, 0, 45);
      if (p->letter == 'M')
        sex = 1;
      else if (p->letter == 'N')
        sex = 2;
      else if (p->letter == 'O')
        {
          sex = 2;
          age = g_rand_int_range (r, 18, 43);
        }
      else if (p->letter == 'P')
        {
          age = 0;
          age_days = g_rand_int_range (r, 0, 29);
          weight = g_rand_int_range (r, 900, 4600);
        }
      else if (g_rand_int_range (r, 0, 100) < 6)
        {
          age = 0;  /* an infant outside the newborn MDC */
          age_days = g_rand_int_range (r, 29, 366);
        }

      /* stay */
      los = 1 + g_rand_int_range (r, 0, 6) + g_rand_int_range (r, 0, 6)
            + (surgical ? g_rand_int_range (r, 0, 8) : 0)
            + (g_rand_int_range (r, 0, 100) < 8 ? g_rand_int_range (r, 5, 40) : 0);
      if (per_diem)
        {
          static const char *const cats[] = { "rehab", "psych", "nursing", "hospice" };
          int c = g_rand_int_range (r, 0, 100);
          per_diem_cat = cats[c < 45 ? 0 : c < 75 ? 1 : c < 92 ? 2 : 3];
          los = g_rand_int_range (r, 15, 121);
        }
      discharge = year_start + g_rand_int_range (r, 0, year_end - year_start + 1);
      admit = discharge - los;
      if (los == 1 && g_rand_int_range (r, 0, 100) < 10)
        admit = discharge;  /* same-day stay counts one day */
      roll = g_rand_int_range (r, 0, 1000);
      dstat = roll < 930 ? 1 : roll < 950 ? 2 : roll < 960 ? 3 : roll < 980 ? 4
              : roll < 995 ? 5 : 9;
      if (surgical && g_rand_int_range (r, 0, 100) < 4)
        {
          int hours = g_rand_int_range (r, 6, 97);  /* not inside MIN(): drawn once */
          icu = MIN (hours, 24 * (los + 1));
        }
      dept_for (p->letter, surgical, dept);
      if (per_diem)
        g_strlcpy (dept, strcmp (per_diem_cat, "rehab") == 0 ? "2100"
                         : strcmp (per_diem_cat, "psych") == 0 ? "1500"
                         : strcmp (per_diem_cat, "hospice") == 0 ? "5000" : "0300",
                   sizeof dept);
      else if (icu > 48 && g_rand_int_range (r, 0, 2) == 0)
        g_strlcpy (dept, "2800", sizeof dept);

      /* money, in fen: a daily cost by level, a surgical fee, shares */
      daily = (hp->level == 3 ? 110000 : hp->level == 2 ? 70000 : 40000)
              * g_rand_int_range (r, 70, 131) / 100;
      if (per_diem)
        daily = daily * 45 / 100;
      total = daily * los;
      if (surgical)
        total += (gint64) g_rand_int_range (r, 300000, 4000000)
                 * (hp->level == 3 ? 130 : hp->level == 2 ? 100 : 80) / 100;
      ooc = total * g_rand_int_range (r, 0, 90) / 1000;
      rest = total - ooc;
      copay = rest * g_rand_int_range (r, 150, 360) / 1000;
      fund = rest - copay - rest * g_rand_int_range (r, 0, 30) / 1000;

      g_string_truncate (line, 0);
      g_string_append_printf (line, "%s%07" G_GUINT64_FORMAT ",P%08X%04X,%s,%d,%s,%s,%s,%d,%d,",
                              opt->id_prefix, e, g_rand_int (r),
                              (guint) g_rand_int_range (r, 0, 65536), hp->id,
                              hp->level, hp->county,
                              g_rand_int_range (r, 0, 100) < 40 ? "employee" : "resident",
                              g_rand_int_range (r, 0, 100) < 92 ? "local"
                              : g_rand_int_range (r, 0, 2) ? "province" : "other_province",
                              sex, age);
      if (age_days >= 0)
        g_string_append_printf (line, "%d", age_days);
      g_string_append_c (line, ',');
      if (weight >= 0)
        g_string_append_printf (line, "%d", weight);
      g_string_append_c (line, ',');
      cm_date_format (admit, date_buf);
      g_string_append_printf (line, "%s,", date_buf);
      cm_date_format (discharge, date_buf);
      g_string_append_printf (line, "%s,%d,%s,%d,%d,", date_buf, los, dept, dstat, icu);

      /* diagnoses: the principal, then secondaries (some CC/MCC) */
      g_string_append (line, pick (r, p->pdx));
      n_sec = (guint) (g_rand_int_range (r, 0, 3) + g_rand_int_range (r, 0, 3));
      for (guint k = 0; k < n_sec; k++)
        {
          int kind = g_rand_int_range (r, 0, 100);
          g_string_append_c (line, '|');
          if (kind < 15)
            g_string_append (line, pick (r, mcc));
          else if (kind < 45)
            g_string_append (line, pick (r, cc));
          else
            g_string_append (line, pick (r, g_array_index (pools, MdcPool,
                                        g_rand_int_range (r, 0, (gint32) pools->len)).pdx));
        }
      g_string_append_c (line, ',');
      if (surgical)
        {
          g_string_append (line, pick (r, p->px));
          if (g_rand_int_range (r, 0, 100) < 25 && all_px->len > 0)
            {
              g_string_append_c (line, '|');
              g_string_append (line, pick (r, all_px));
            }
        }
      g_string_append_c (line, ',');
      append_yuan (line, total);
      g_string_append_c (line, ',');
      append_yuan (line, ooc);
      g_string_append_c (line, ',');
      append_yuan (line, copay);
      g_string_append_c (line, ',');
      append_yuan (line, fund);
      g_string_append_c (line, ',');
      g_string_append (line, per_diem_cat);
      g_string_append_c (line, '\n');
      if (fwrite (line->str, 1, line->len, out) != line->len)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "write error: %s",
                       g_strerror (errno));
          ok = FALSE;
          break;
        }
    }
  for (guint i = 0; i < pools->len; i++)
    {
      g_ptr_array_unref (g_array_index (pools, MdcPool, i).pdx);
      g_ptr_array_unref (g_array_index (pools, MdcPool, i).px);
    }
  return ok;
}
