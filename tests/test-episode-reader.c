/* test-episode-reader.c — the episode CSV parser, CmIdSet and the reader.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Rows cite the rule they check: E§n is episodes/FORMAT.md section n,
 * S§3 is schemes/FORMAT.md section 3 (OpenDRG cell normalisation). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "cm-episode-reader.h"

/* ---- building lines ----------------------------------------------------- */

#define HDR_REST "hospital_id,hospital_level,county_id," \
  "insurance_type,insured_region,sex,age_years,age_days,birth_weight_g," \
  "admit_date,discharge_date,los_days,dept,discharge_status,icu_hours," \
  "diagnoses,procedures,total_cost,out_of_catalogue_cost,patient_copay," \
  "fund_paid_ffs,per_diem_category"
#define HDR "episode_id,patient_id," HDR_REST

/* A good line in five segments; a row changes one segment. */
#define IDS(id) id ",P1,H1,"                         /* columns 1-3 */
#define L_ORG "3,430102,employee,local,"              /* 4-7 */
#define L_PERSON "1,45,,,"                            /* 8-11 */
#define L_STAY "2024-03-01,2024-03-05,4,0304,1,0,"    /* 12-17 */
#define L_CODES "I21.000|I10.x00,36.0601,"            /* 18-19 */
#define L_MONEY "1000.00,10.00,200.00,700.00,"        /* 20-23, 24 empty */
#define GOOD_ID(id) IDS (id) L_ORG L_PERSON L_STAY L_CODES L_MONEY
#define GOOD GOOD_ID ("E1")

#define X10 "XXXXXXXXXX"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10
#define X1000 X100 X100 X100 X100 X100 X100 X100 X100 X100 X100
#define ZH5 "\xe5\xbf\x83\xe5\x86\x85\xe7\xa7\x91\xe4\xb8\x80\xe7\x97\x85"
#define ZH20 ZH5 ZH5 ZH5 ZH5
#define ZH100 ZH20 ZH20 ZH20 ZH20 ZH20
#define ZH1000 ZH100 ZH100 ZH100 ZH100 ZH100 ZH100 ZH100 ZH100 ZH100 ZH100
#define C10 "R1|R2|R3|R4|R5|R6|R7|R8|R9|R0|"
#define C50 C10 C10 C10 C10 C10
#define OD10 "A|A|A|A|A|A|A|A|A|A|"
#define OD100 OD10 OD10 OD10 OD10 OD10 OD10 OD10 OD10 OD10 OD10

#define OD_HDR "Index,gender,age,ageDay,weight,dept,inHospitalTime," \
  "leavingType,zdList,ssList"

/* Criterion runs every parameter in a fresh process. When it cannot turn
 * address-space randomisation off there, pointers inside a copied row
 * dangle, so the parameter is the row's index and the child looks the row
 * up in its own copy of the static table. */
#define MAX_ROWS 512

static struct criterion_test_params
row_indices (gsize n)
{
  static int idx[MAX_ROWS];

  g_assert (n <= MAX_ROWS);
  for (gsize i = 0; i < n; i++)
    idx[i] = (int) i;
  return cr_make_param_array (int, idx, n);
}

/* Parses @text (copied into *buf, which the episode then points into). */
static gboolean
parse_text (const CmEpisodeParser *parser, const char *text, gsize len,
            char **buf, CmEpisode *ep, CmReject *reject)
{
  *buf = g_malloc (len + 1);
  memcpy (*buf, text, len);
  (*buf)[len] = '\0';
  memset (reject, 0, sizeof *reject);
  return cm_episode_parser_parse_line (parser, *buf, len, 7, ep, reject);
}

static CmEpisodeParser *
opendrg_parser (const char *header)
{
  CmEpisodeParser *parser = cm_episode_parser_new (CM_INPUT_OPENDRG);
  g_autofree char *h = g_strdup (header);
  g_autoptr (GError) error = NULL;
  CmReject reject;

  cr_assert (cm_episode_parser_set_header (parser, h, strlen (h), &reject,
                                           &error),
             "header %s rejected", header);
  return parser;
}

/* "[A][B]" for a code list: [""] renders as "[]", the empty list as "". */
static char *
render_codes (const char *const *codes, guint n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "[%s]", codes[i]);
  return g_string_free (s, FALSE);
}

/* ---- episode format: one line, one expected key ------------------------ */

typedef struct {
  const char *desc;
  const char *line;
  const char *key;  /* NULL: accepted */
} LineCase;

static const LineCase episode_parser_line_checks_rows[] = {
  { "good line", GOOD, NULL },
  { "every field quoted", "\"E1\",\"P1\",\"H1\",\"3\",\"430102\",\"employee\","
    "\"local\",\"1\",\"45\",\"\",\"\",\"2024-03-01\",\"2024-03-05\",\"4\","
    "\"0304\",\"1\",\"0\",\"I21.000\",\"\",\"1.00\",\"0.00\",\"0.00\","
    "\"0.00\",\"\"", NULL },

  /* E§4.1 encoding */
  { "byte 0xFF", IDS ("E\xff") L_ORG L_PERSON L_STAY L_CODES L_MONEY, "encoding" },
  { "overlong slash C0 AF", GOOD "\xc0\xaf", "encoding" },
  { "UTF-16 surrogate ED A0 80", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,\xed\xa0\x80,1,0," L_CODES L_MONEY, "encoding" },
  { "above U+10FFFF", GOOD "\xf4\x90\x80\x80", "encoding" },
  { "truncated sequence at the end", GOOD "\xe5\xbf", "encoding" },
  { "lone continuation byte", "\x80" GOOD, "encoding" },
  { "encoding beats bom, control_char, quote", "\"\xef\xbb\xbf\t" GOOD "\xff", "encoding" },

  /* E§4.2 bom */
  { "BOM at the start of a data line", "\xef\xbb\xbf" GOOD, "bom" },
  { "BOM inside dept", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,03\xef\xbb\xbf" "04,1,0," L_CODES L_MONEY, "bom" },
  { "bom beats control_char", "\t" GOOD "\xef\xbb\xbf", "bom" },

  /* E§4.3 control_char */
  { "TAB", GOOD "\t", "control_char" },
  { "lone CR inside the line", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,03\r04,1,0," L_CODES L_MONEY, "control_char" },
  { "CR left at the end", GOOD "\r", "control_char" },
  { "DEL", GOOD "\x7f", "control_char" },
  { "ESC", "\x1b" GOOD, "control_char" },
  { "control_char beats quote", "\"" GOOD "\x01", "control_char" },

  /* E§4.4 quote (RFC 4180) */
  { "unterminated quoted field", GOOD "\"rehab", "quote" },
  { "quote inside an unquoted field", IDS ("E\"1") L_ORG L_PERSON L_STAY L_CODES L_MONEY, "quote" },
  { "text after the closing quote", IDS ("\"E1\"x") L_ORG L_PERSON L_STAY L_CODES L_MONEY, "quote" },
  { "space before an opening quote", IDS (" \"E1\"") L_ORG L_PERSON L_STAY L_CODES L_MONEY, "quote" },
  { "quote beats columns", "\"E1,P1", "quote" },
  { "doubled quote inside a quoted dept", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,\"Card, \"\"A\"\"\",1,0," L_CODES L_MONEY, NULL },
  { "comma inside quotes is not a separator", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,\"a,b\",1,0," L_CODES L_MONEY, NULL },

  /* E§4.6 columns */
  { "23 fields", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "1000.00,10.00,200.00,700.00", "columns" },
  { "25 fields", GOOD ",", "columns" },
  { "70 fields", GOOD ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,", "columns" },
  { "only spaces", "    ", "columns" },
  { "a single comma", ",", "columns" },
  { "columns beats field_length", X1000 "X", "columns" },

  /* E§4.7 field_length: code points of the unquoted value */
  { "dept of 1001 characters", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4," X1000 "X,1,0," L_CODES L_MONEY, "field_length" },
  { "field_length beats episode_id", IDS (X1000 "X") L_ORG L_PERSON L_STAY L_CODES L_MONEY, "field_length" },
  { "1000 CJK characters (3000 bytes) are not too long", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4," ZH1000 ",1,0," L_CODES L_MONEY, "dept" },
  { "1000 characters after unquoting \"\"", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,\"" X100 X100 X100 X100 X100 X100 X100 X100 X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 "XXXXXXXXX\"\"\",1,0," L_CODES L_MONEY, "dept" },
  { "1001 characters after unquoting \"\"", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,\"" X1000 "\"\"\",1,0," L_CODES L_MONEY, "field_length" },

  /* E§2 ids */
  { "episode_id empty", GOOD_ID (""), "episode_id" },
  { "episode_id with a space", GOOD_ID ("E 1"), "episode_id" },
  { "episode_id with a slash", GOOD_ID ("E/1"), "episode_id" },
  { "episode_id of 41 characters", GOOD_ID ("E1234567890123456789012345678901234567890"), "episode_id" },
  { "episode_id of 40 characters and . _ -", GOOD_ID ("E._-45678901234567890123456789012345678Z"), NULL },
  { "patient_id empty", "E1,,H1," L_ORG L_PERSON L_STAY L_CODES L_MONEY, "patient_id" },
  { "patient_id non-ASCII", "E1,P\xc3\xa9,H1," L_ORG L_PERSON L_STAY L_CODES L_MONEY, "patient_id" },
  { "hospital_id with a colon", "E1,P1,H:1," L_ORG L_PERSON L_STAY L_CODES L_MONEY, "hospital_id" },
  { "id rules in column order", ",,," L_ORG L_PERSON L_STAY L_CODES L_MONEY, "episode_id" },

  /* hospital_level, county_id, insurance_type, insured_region */
  { "hospital_level 0", IDS ("E1") "0,430102,employee,local," L_PERSON L_STAY L_CODES L_MONEY, "hospital_level" },
  { "hospital_level 4", IDS ("E1") "4,430102,employee,local," L_PERSON L_STAY L_CODES L_MONEY, "hospital_level" },
  { "hospital_level 03", IDS ("E1") "03,430102,employee,local," L_PERSON L_STAY L_CODES L_MONEY, "hospital_level" },
  { "hospital_level 1", IDS ("E1") "1,430102,employee,local," L_PERSON L_STAY L_CODES L_MONEY, NULL },
  { "county_id of 5 digits", IDS ("E1") "3,43010,employee,local," L_PERSON L_STAY L_CODES L_MONEY, "county_id" },
  { "county_id of 7 digits", IDS ("E1") "3,4301020,employee,local," L_PERSON L_STAY L_CODES L_MONEY, "county_id" },
  { "county_id with a letter", IDS ("E1") "3,43010X,employee,local," L_PERSON L_STAY L_CODES L_MONEY, "county_id" },
  { "insurance_type capitalised", IDS ("E1") "3,430102,Employee,local," L_PERSON L_STAY L_CODES L_MONEY, "insurance_type" },
  { "insurance_type empty", IDS ("E1") "3,430102,,local," L_PERSON L_STAY L_CODES L_MONEY, "insurance_type" },
  { "insured_region unknown", IDS ("E1") "3,430102,resident,abroad," L_PERSON L_STAY L_CODES L_MONEY, "insured_region" },
  { "insured_region other_province", IDS ("E1") "3,430102,resident,other_province," L_PERSON L_STAY L_CODES L_MONEY, NULL },
  { "insured_region province", IDS ("E1") "2,430102,resident,province," L_PERSON L_STAY L_CODES L_MONEY, NULL },

  /* sex, age_years, age_days, birth_weight_g */
  { "sex 0", IDS ("E1") L_ORG "0,45,,," L_STAY L_CODES L_MONEY, "sex" },
  { "sex 1.0", IDS ("E1") L_ORG "1.0,45,,," L_STAY L_CODES L_MONEY, "sex" },
  { "sex in Chinese", IDS ("E1") L_ORG "\xe7\x94\xb7,45,,," L_STAY L_CODES L_MONEY, "sex" },
  { "sex 2", IDS ("E1") L_ORG "2,45,,," L_STAY L_CODES L_MONEY, NULL },
  { "age_years 151", IDS ("E1") L_ORG "1,151,,," L_STAY L_CODES L_MONEY, "age_years" },
  { "age_years -1", IDS ("E1") L_ORG "1,-1,,," L_STAY L_CODES L_MONEY, "age_years" },
  { "age_years 4.5", IDS ("E1") L_ORG "1,4.5,,," L_STAY L_CODES L_MONEY, "age_years" },
  { "age_years empty", IDS ("E1") L_ORG "1,,,," L_STAY L_CODES L_MONEY, "age_years" },
  { "age_years huge", IDS ("E1") L_ORG "1,99999999999999999999999,,," L_STAY L_CODES L_MONEY, "age_years" },
  { "age_years 150", IDS ("E1") L_ORG "1,150,,," L_STAY L_CODES L_MONEY, NULL },
  { "age_years 0 without newborn fields", IDS ("E1") L_ORG "1,0,,," L_STAY L_CODES L_MONEY, NULL },
  { "age_days given at age 1 (cross-field)", IDS ("E1") L_ORG "1,1,0,," L_STAY L_CODES L_MONEY, "age_days" },
  { "age_days 366", IDS ("E1") L_ORG "1,0,366,," L_STAY L_CODES L_MONEY, "age_days" },
  { "age_days x", IDS ("E1") L_ORG "1,0,x,," L_STAY L_CODES L_MONEY, "age_days" },
  { "age_days 365", IDS ("E1") L_ORG "1,0,365,," L_STAY L_CODES L_MONEY, NULL },
  { "birth_weight_g given at age 45 (cross-field)", IDS ("E1") L_ORG "1,45,,3000," L_STAY L_CODES L_MONEY, "birth_weight_g" },
  { "birth_weight_g 99", IDS ("E1") L_ORG "1,0,3,99," L_STAY L_CODES L_MONEY, "birth_weight_g" },
  { "birth_weight_g 10000", IDS ("E1") L_ORG "1,0,3,10000," L_STAY L_CODES L_MONEY, "birth_weight_g" },
  { "birth_weight_g 100 and 9999 are the bounds", IDS ("E1") L_ORG "1,0,3,100," L_STAY L_CODES L_MONEY, NULL },
  { "birth_weight_g 9999", IDS ("E1") L_ORG "1,0,,9999," L_STAY L_CODES L_MONEY, NULL },
  { "age_days checked before birth_weight_g", IDS ("E1") L_ORG "1,2,1,1," L_STAY L_CODES L_MONEY, "age_days" },

  /* dates */
  { "admit_date 2023-02-29", IDS ("E1") L_ORG L_PERSON "2023-02-29,2023-03-05,4,0304,1,0," L_CODES L_MONEY, "admit_date" },
  { "admit_date 1900-02-29 (not leap)", IDS ("E1") L_ORG L_PERSON "1900-02-29,1900-03-05,4,0304,1,0," L_CODES L_MONEY, "admit_date" },
  { "admit_date 2024-04-31", IDS ("E1") L_ORG L_PERSON "2024-04-31,2024-05-05,4,0304,1,0," L_CODES L_MONEY, "admit_date" },
  { "admit_date month 13", IDS ("E1") L_ORG L_PERSON "2024-13-01,2024-03-05,4,0304,1,0," L_CODES L_MONEY, "admit_date" },
  { "admit_date day 00", IDS ("E1") L_ORG L_PERSON "2024-03-00,2024-03-05,4,0304,1,0," L_CODES L_MONEY, "admit_date" },
  { "admit_date year 0000", IDS ("E1") L_ORG L_PERSON "0000-03-01,2024-03-05,4,0304,1,0," L_CODES L_MONEY, "admit_date" },
  { "admit_date without leading zeros", IDS ("E1") L_ORG L_PERSON "2024-3-1,2024-03-05,4,0304,1,0," L_CODES L_MONEY, "admit_date" },
  { "admit_date with slashes", IDS ("E1") L_ORG L_PERSON "2024/03/01,2024-03-05,4,0304,1,0," L_CODES L_MONEY, "admit_date" },
  { "admit_date with a time", IDS ("E1") L_ORG L_PERSON "2024-03-01 08:00,2024-03-05,4,0304,1,0," L_CODES L_MONEY, "admit_date" },
  { "leap day 2000-02-29", IDS ("E1") L_ORG L_PERSON "2000-02-29,2000-03-01,1,0304,1,0," L_CODES L_MONEY, NULL },
  { "stay across the leap day", IDS ("E1") L_ORG L_PERSON "2024-02-28,2024-03-01,2,0304,1,0," L_CODES L_MONEY, NULL },
  { "stay across a year end", IDS ("E1") L_ORG L_PERSON "2023-12-30,2024-01-02,3,0304,1,0," L_CODES L_MONEY, NULL },
  { "discharge_date 2024-02-30", IDS ("E1") L_ORG L_PERSON "2024-02-01,2024-02-30,29,0304,1,0," L_CODES L_MONEY, "discharge_date" },
  { "discharge_date before admit_date (cross-field)", IDS ("E1") L_ORG L_PERSON "2024-03-05,2024-03-01,4,0304,1,0," L_CODES L_MONEY, "discharge_date" },

  /* los_days */
  { "los_days not matching the dates (cross-field)", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,5,0304,1,0," L_CODES L_MONEY, "los_days" },
  { "same-day stay with los_days 0", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-01,0,0304,1,0," L_CODES L_MONEY, "los_days" },
  { "same-day stay counts 1", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-01,1,0304,1,0," L_CODES L_MONEY, NULL },
  { "one-night stay is 1", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-02,1,0304,1,0," L_CODES L_MONEY, NULL },
  { "los_days empty", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,,0304,1,0," L_CODES L_MONEY, "los_days" },
  { "los_days -4", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,-4,0304,1,0," L_CODES L_MONEY, "los_days" },

  /* dept, discharge_status */
  { "dept empty", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,,1,0," L_CODES L_MONEY, "dept" },
  { "dept of 21 characters", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,123456789012345678901,1,0," L_CODES L_MONEY, "dept" },
  { "dept of 20 CJK characters", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4," ZH20 ",1,0," L_CODES L_MONEY, NULL },
  { "dept free text with spaces", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,Ward 3 east,1,0," L_CODES L_MONEY, NULL },
  { "discharge_status 6", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,0304,6,0," L_CODES L_MONEY, "discharge_status" },
  { "discharge_status empty", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,0304,,0," L_CODES L_MONEY, "discharge_status" },
  { "discharge_status 9", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,0304,9,0," L_CODES L_MONEY, NULL },
  { "discharge_status 5", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,0304,5,0," L_CODES L_MONEY, NULL },

  /* icu_hours: at most 24 x (los_days + 1) */
  { "icu_hours 121 for a 4-day stay (cross-field)", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,0304,1,121," L_CODES L_MONEY, "icu_hours" },
  { "icu_hours 120 for a 4-day stay", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,0304,1,120," L_CODES L_MONEY, NULL },
  { "icu_hours 48 for a same-day stay", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-01,1,0304,1,48," L_CODES L_MONEY, NULL },
  { "icu_hours -1", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,0304,1,-1," L_CODES L_MONEY, "icu_hours" },
  { "icu_hours empty", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,0304,1,," L_CODES L_MONEY, "icu_hours" },
  { "icu_hours 2.5", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4,0304,1,2.5," L_CODES L_MONEY, "icu_hours" },

  /* codes */
  { "diagnoses empty", IDS ("E1") L_ORG L_PERSON L_STAY ",36.0601," L_MONEY, "diagnoses" },
  { "diagnoses A||B", IDS ("E1") L_ORG L_PERSON L_STAY "A||B,," L_MONEY, "diagnoses" },
  { "diagnoses a lone |", IDS ("E1") L_ORG L_PERSON L_STAY "|,," L_MONEY, "diagnoses" },
  { "diagnoses with a trailing |", IDS ("E1") L_ORG L_PERSON L_STAY "I21.000|,," L_MONEY, "diagnoses" },
  { "diagnoses with a space", IDS ("E1") L_ORG L_PERSON L_STAY "I21 000,," L_MONEY, "diagnoses" },
  { "diagnoses with an apostrophe", IDS ("E1") L_ORG L_PERSON L_STAY "I21'0,," L_MONEY, "diagnoses" },
  { "diagnoses with a quoted comma", IDS ("E1") L_ORG L_PERSON L_STAY "\"I21,I10\",," L_MONEY, "diagnoses" },
  { "diagnoses with a doubled quote", IDS ("E1") L_ORG L_PERSON L_STAY "\"I21\"\"\",," L_MONEY, "diagnoses" },
  { "diagnoses non-ASCII", IDS ("E1") L_ORG L_PERSON L_STAY "I21\xc2\xb7" "0,," L_MONEY, "diagnoses" },
  { "diagnosis code of 31 characters", IDS ("E1") L_ORG L_PERSON L_STAY "A234567890123456789012345678901,," L_MONEY, "diagnoses" },
  { "diagnosis code of 30 characters", IDS ("E1") L_ORG L_PERSON L_STAY "A23456789012345678901234567890,," L_MONEY, NULL },
  { "dagger/asterisk pair is one code", IDS ("E1") L_ORG L_PERSON L_STAY "A18.000x064+M90.0*,," L_MONEY, NULL },
  { "51 diagnoses", IDS ("E1") L_ORG L_PERSON L_STAY C50 "R9,," L_MONEY, "diagnoses" },
  { "50 diagnoses exactly", IDS ("E1") L_ORG L_PERSON L_STAY C10 C10 C10 C10 "R1|R2|R3|R4|R5|R6|R7|R8|R9|R0,," L_MONEY, NULL },
  { "the same code twice is not a format error", IDS ("E1") L_ORG L_PERSON L_STAY "I21.000|I21.000,," L_MONEY, NULL },
  { "procedures a lone |", IDS ("E1") L_ORG L_PERSON L_STAY "I21.000,|," L_MONEY, "procedures" },
  { "procedures A||B", IDS ("E1") L_ORG L_PERSON L_STAY "I21.000,36.0601||88.5501," L_MONEY, "procedures" },
  { "51 procedures", IDS ("E1") L_ORG L_PERSON L_STAY "I21.000," C50 "R9," L_MONEY, "procedures" },
  { "procedures empty", IDS ("E1") L_ORG L_PERSON L_STAY "I21.000,," L_MONEY, NULL },
  { "diagnoses checked before procedures", IDS ("E1") L_ORG L_PERSON L_STAY "|,|," L_MONEY, "diagnoses" },

  /* money: [0-9]{1,12}\.[0-9]{2} */
  { "total_cost without decimals", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "1000,10.00,200.00,700.00,", "total_cost" },
  { "total_cost with one decimal", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "1000.0,10.00,200.00,700.00,", "total_cost" },
  { "total_cost with three decimals", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "1000.000,10.00,200.00,700.00,", "total_cost" },
  { "total_cost with a sign", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "+1000.00,10.00,200.00,700.00,", "total_cost" },
  { "total_cost with a currency symbol", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "\xc2\xa5" "1000.00,10.00,200.00,700.00,", "total_cost" },
  { "total_cost .50", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES ".50,0.00,0.00,0.00,", "total_cost" },
  { "total_cost of 13 digits", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "1234567890123.00,0.00,0.00,0.00,", "total_cost" },
  { "total_cost of 12 digits", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "999999999999.99,999999999999.99,0.00,0.00,", NULL },
  { "quoted thousands separator", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "\"1,000.00\",10.00,200.00,700.00,", "total_cost" },
  { "out_of_catalogue_cost negative", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "1000.00,-10.00,200.00,700.00,", "out_of_catalogue_cost" },
  { "patient_copay empty", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "1000.00,10.00,,700.00,", "patient_copay" },
  { "fund_paid_ffs with a space", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "1000.00,10.00,200.00,700.00 ,", "fund_paid_ffs" },
  { "per_diem_category unknown", GOOD "hotel", "per_diem_category" },
  { "per_diem_category Rehab", GOOD "Rehab", "per_diem_category" },
  { "per_diem_category psych", GOOD "psych", NULL },
  { "per_diem_category hospice", GOOD "hospice", NULL },
  { "per_diem_category nursing", GOOD "nursing", NULL },
  { "money: one fen too much", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "910.00,10.00,200.00,700.01,", "money" },
  { "money: equal to total_cost", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "910.00,10.00,200.00,700.00,", NULL },
  { "money: all zero", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "0.00,0.00,0.00,0.00,", NULL },
  { "column rules beat money", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "1.00,10.00,200.00,700.00,x", "per_diem_category" },
  { "column order: sex before money", IDS ("E1") L_ORG "3,45,,," L_STAY L_CODES "1.00,10.00,200.00,700.00,", "sex" },
};

ParameterizedTestParameters (episode_parser, line_checks)
{
  return row_indices (G_N_ELEMENTS (episode_parser_line_checks_rows));
}

ParameterizedTest (int *row, episode_parser, line_checks)
{
  const LineCase *c = &episode_parser_line_checks_rows[*row];
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autofree char *buf = NULL;
  CmEpisode ep;
  CmReject reject;
  gboolean ok = parse_text (parser, c->line, strlen (c->line), &buf, &ep,
                            &reject);

  if (c->key == NULL)
    {
      cr_assert (ok, "%s: rejected with %s: %s", c->desc, reject.key,
                 reject.message);
      return;
    }
  cr_assert (!ok, "%s: accepted, expected %s", c->desc, c->key);
  cr_assert_str_eq (reject.key, c->key, "%s: got %s: %s", c->desc,
                    reject.key, reject.message);
  cr_assert_eq (reject.line, 7, "%s: line number", c->desc);
  cr_assert (reject.message[0] != '\0', "%s: empty message", c->desc);
}

/* ---- messages ----------------------------------------------------------- */

typedef struct {
  const char *desc;
  const char *line;
  const char *rendered;  /* cm_reject_format */
} MessageCase;

static const MessageCase episode_parser_messages_rows[] = {
  { "columns", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "1000.00,10.00,200.00,700.00", "columns: 23 fields, expected 24" },
  { "admit_date calendar", IDS ("E1") L_ORG L_PERSON "2023-02-29,2023-03-05,4,0304,1,0," L_CODES L_MONEY, "admit_date: not a calendar date" },
  { "admit_date form", IDS ("E1") L_ORG L_PERSON "01.03.2024,2023-03-05,4,0304,1,0," L_CODES L_MONEY, "admit_date: not a date in YYYY-MM-DD form" },
  { "encoding names the byte", "E1\xff", "encoding: invalid UTF-8 at byte 3" },
  { "control_char names the character", "E\t1", "control_char: control character U+0009 at byte 2" },
  { "bom names the byte", "E1\xef\xbb\xbf", "bom: byte order mark (U+FEFF) at byte 3" },
  { "quote names the column", IDS ("E1") L_ORG L_PERSON L_STAY "\"I21,36.0601," L_MONEY, "quote: unterminated quoted field 18 (diagnoses)" },
  { "field_length names the column", IDS ("E1") L_ORG L_PERSON "2024-03-01,2024-03-05,4," X1000 "X,1,0," L_CODES L_MONEY, "field_length: field 15 (dept) is longer than 1000 characters" },
  { "bad code quoted", IDS ("E1") L_ORG L_PERSON L_STAY "I21.000|I21 0,," L_MONEY, "diagnoses: code 2 \"I21 0\" is not 1-30 printable ASCII characters without space , \" ' or |" },
  { "long bad code truncated to 40 characters", IDS ("E1") L_ORG L_PERSON L_STAY "I21.000," X100 "," L_MONEY, "procedures: code 1 \"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX...\" is not 1-30 printable ASCII characters without space , \" ' or |" },
  { "non-ASCII item not quoted", IDS ("E1") L_ORG L_PERSON L_STAY ZH5 ",," L_MONEY, "diagnoses: code 1 has a character that is not printable ASCII" },
  { "empty item", IDS ("E1") L_ORG L_PERSON L_STAY "A||B,," L_MONEY, "diagnoses: code 2 is empty (an empty item between separators)" },
  { "age value not quoted", IDS ("E1") L_ORG "1,151,,," L_STAY L_CODES L_MONEY, "age_years: not in 0-150" },
  { "money", IDS ("E1") L_ORG L_PERSON L_STAY L_CODES "910.00,10.00,200.00,700.01,", "money: out_of_catalogue_cost + patient_copay + fund_paid_ffs is more than total_cost" },
};

ParameterizedTestParameters (episode_parser, messages)
{
  return row_indices (G_N_ELEMENTS (episode_parser_messages_rows));
}

ParameterizedTest (int *row, episode_parser, messages)
{
  const MessageCase *c = &episode_parser_messages_rows[*row];
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autofree char *buf = NULL;
  CmEpisode ep;
  CmReject reject;
  char rendered[CM_REJECT_MESSAGE_LEN + 32];

  cr_assert (!parse_text (parser, c->line, strlen (c->line), &buf, &ep,
                          &reject), "%s: accepted", c->desc);
  cm_reject_format (&reject, rendered, sizeof rendered);
  cr_assert_str_eq (rendered, c->rendered, "%s", c->desc);
}

Test (episode_parser, messages_do_not_quote_free_text)
{
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autofree char *buf = NULL;
  const char *line = IDS ("E1") L_ORG L_PERSON
    "2024-03-01,2024-03-05,4,Zhang San ward twenty one,1,0," L_CODES L_MONEY;
  CmEpisode ep;
  CmReject reject;

  cr_assert (!parse_text (parser, line, strlen (line), &buf, &ep, &reject));
  cr_assert_str_eq (reject.key, "dept");
  cr_assert_null (strstr (reject.message, "Zhang"), "%s", reject.message);
}

Test (episode_parser, reject_format_truncates)
{
  CmReject reject = { .line = 3, .key = "columns" };
  char small[8];

  g_strlcpy (reject.message, "23 fields, expected 24", sizeof reject.message);
  cm_reject_format (&reject, small, sizeof small);
  cr_assert_str_eq (small, "columns");
}

/* ---- parsed values ------------------------------------------------------ */

Test (episode_parser, good_line_values)
{
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autofree char *buf = NULL;
  g_autofree char *dx = NULL;
  g_autofree char *px = NULL;
  const char *line = "\"E-77\",P9,H43,2,430121,resident,province,2,63,,,"
    "2024-02-27,2024-03-02,4,\"Card, \"\"B\"\"\",5,30,"
    "\"I21.000|A18.000x064+M90.0*|I10.x00\",36.0601|88.5501|99.2500x039,"
    "123456789012.34,0.01,1000.50,99.99,hospice";
  CmEpisode ep;
  CmReject reject;

  cr_assert (parse_text (parser, line, strlen (line), &buf, &ep, &reject),
             "%s: %s", reject.key, reject.message);
  cr_assert_str_eq (ep.episode_id, "E-77");
  cr_assert_str_eq (ep.patient_id, "P9");
  cr_assert_str_eq (ep.hospital_id, "H43");
  cr_assert_eq (ep.hospital_level, 2);
  cr_assert_str_eq (ep.county_id, "430121");
  cr_assert_eq (ep.insurance_type, CM_INSURANCE_RESIDENT);
  cr_assert_eq (ep.insured_region, CM_REGION_PROVINCE);

  cr_assert_str_eq (ep.sex.text, "2");
  cr_assert (ep.sex.is_int && ep.sex.value == 2);
  cr_assert_str_eq (ep.age_years.text, "63");
  cr_assert (ep.age_years.is_int && ep.age_years.value == 63);
  cr_assert_null (ep.age_days.text);
  cr_assert_not (ep.age_days.is_int);
  cr_assert_null (ep.weight_g.text);
  cr_assert_str_eq (ep.dept.text, "Card, \"B\"");
  cr_assert_not (ep.dept.is_int);
  cr_assert_str_eq (ep.discharge.text, "5");
  cr_assert_str_eq (ep.los_days.text, "4");
  cr_assert (ep.los_days.is_int && ep.los_days.value == 4);
  cr_assert (ep.icu_hours.is_int && ep.icu_hours.value == 30);
  cr_assert_null (ep.amount.text);

  /* 2024-02-27 is day 19780 since 1970-01-01; 2024 is a leap year */
  cr_assert_eq (ep.admit_date, 19780);
  cr_assert_eq (ep.discharge_date, 19784);

  dx = render_codes (ep.dx, ep.n_dx);
  px = render_codes (ep.px, ep.n_px);
  cr_assert_str_eq (dx, "[I21.000][A18.000x064+M90.0*][I10.x00]");
  cr_assert_str_eq (px, "[36.0601][88.5501][99.2500x039]");
  cr_assert_not (ep.px_text_empty);

  cr_assert_eq (ep.total_cost_fen, G_GINT64_CONSTANT (12345678901234));
  cr_assert_eq (ep.out_of_catalogue_cost_fen, 1);
  cr_assert_eq (ep.patient_copay_fen, 100050);
  cr_assert_eq (ep.fund_paid_ffs_fen, 9999);
  cr_assert_eq (ep.per_diem_category, CM_PER_DIEM_HOSPICE);
}

Test (episode_parser, newborn_and_empty_procedures)
{
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autofree char *buf = NULL;
  const char *line = "N1,P1,H1,1,430102,employee,other_province,1,0,0,3250,"
    "1970-01-01,1970-01-01,1,0502,1,0,P07.300,,0.01,0.00,0.00,0.01,rehab";
  CmEpisode ep;
  CmReject reject;

  cr_assert (parse_text (parser, line, strlen (line), &buf, &ep, &reject),
             "%s: %s", reject.key, reject.message);
  cr_assert (ep.age_years.is_int && ep.age_years.value == 0);
  cr_assert_str_eq (ep.age_days.text, "0");
  cr_assert (ep.age_days.is_int && ep.age_days.value == 0);
  cr_assert_str_eq (ep.weight_g.text, "3250");
  cr_assert (ep.weight_g.is_int && ep.weight_g.value == 3250);
  cr_assert_eq (ep.admit_date, 0);
  cr_assert_eq (ep.los_days.value, 1);
  cr_assert_eq (ep.n_dx, 1);
  cr_assert_eq (ep.n_px, 0);
  cr_assert (ep.px_text_empty);
  cr_assert_eq (ep.insured_region, CM_REGION_OTHER_PROVINCE);
  cr_assert_eq (ep.insurance_type, CM_INSURANCE_EMPLOYEE);
  cr_assert_eq (ep.per_diem_category, CM_PER_DIEM_REHAB);
  cr_assert_eq (ep.total_cost_fen, 1);
}

typedef struct {
  const char *desc;
  const char *date;
  gint32 days;
} DateCase;

static const DateCase episode_parser_dates_rows[] = {
  { "epoch", "1970-01-01", 0 },
  { "before the epoch", "1969-12-31", -1 },
  { "leap day 2000", "2000-02-29", 11016 },
  { "day after a leap day", "2024-03-01", 19783 },
  { "year 1", "0001-01-01", -719162 },
  { "year 9999", "9999-12-31", 2932896 },
};

ParameterizedTestParameters (episode_parser, dates)
{
  return row_indices (G_N_ELEMENTS (episode_parser_dates_rows));
}

ParameterizedTest (int *row, episode_parser, dates)
{
  const DateCase *c = &episode_parser_dates_rows[*row];
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autofree char *line = g_strdup_printf (IDS ("E1") L_ORG L_PERSON
                                           "%s,%s,1,0304,1,0," L_CODES L_MONEY,
                                           c->date, c->date);
  g_autofree char *buf = NULL;
  CmEpisode ep;
  CmReject reject;

  cr_assert (parse_text (parser, line, strlen (line), &buf, &ep, &reject),
             "%s: %s: %s", c->desc, reject.key, reject.message);
  cr_assert_eq (ep.admit_date, c->days, "%s: %d", c->desc, ep.admit_date);
}

Test (episode_parser, nul_byte_is_a_control_char)
{
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autofree char *buf = NULL;
  static const char line[] = "E1\0" "P1";
  CmEpisode ep;
  CmReject reject;

  cr_assert_not (parse_text (parser, line, sizeof line - 1, &buf, &ep,
                             &reject));
  cr_assert_str_eq (reject.key, "control_char");
  cr_assert_str_eq (reject.message, "control character U+0000 at byte 3");
}

/* ---- the word-at-a-time fast path -------------------------------------- */

/* These tests parse thousands of lines; a mismatch is noted (the first one
 * kept) and asserted once, which keeps them fast under sanitizers. */

/* Parses @line; the rendered reject ("" when accepted) goes to @out. */
static void
render_parse (const CmEpisodeParser *parser, const char *line, gsize len,
              char *out, gsize size)
{
  g_autofree char *buf = NULL;
  CmEpisode ep;
  CmReject reject;

  if (parse_text (parser, line, len, &buf, &ep, &reject))
    out[0] = '\0';
  else
    cm_reject_format (&reject, out, size);
}

static void note_mismatch (char **first, const char *got, const char *want,
                           const char *format, ...) G_GNUC_PRINTF (4, 5);

/* Keeps in *first a description of the first @got that is not @want. */
static void
note_mismatch (char **first, const char *got, const char *want,
               const char *format, ...)
{
  g_autofree char *where = NULL;
  va_list args;

  if (strcmp (got, want) == 0 || *first != NULL)
    return;
  va_start (args, format);
  where = g_strdup_vprintf (format, args);
  va_end (args);
  *first = g_strdup_printf ("%s: got \"%s\", expected \"%s\"", where, got,
                            want);
}

typedef struct {
  const char *bytes;
  const char *rendered;  /* then the 1-based byte */
} Insertion;

/* E§4.1-3 at every offset of a good line, so at every position in an
 * eight-byte word and in the final partial word: the message names the
 * exact byte. */
Test (episode_parser, bad_byte_at_every_offset)
{
  static const Insertion insertions[] = {
    { "\xff", "encoding: invalid UTF-8 at byte " },
    { "\x80", "encoding: invalid UTF-8 at byte " },
    { "\xe5\xbf", "encoding: invalid UTF-8 at byte " },
    { "\xef\xbb\xbf", "bom: byte order mark (U+FEFF) at byte " },
    { "\t", "control_char: control character U+0009 at byte " },
    { "\x01", "control_char: control character U+0001 at byte " },
    { "\x1f", "control_char: control character U+001F at byte " },
    { "\x7f", "control_char: control character U+007F at byte " },
  };
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  const char *good = GOOD;
  gsize good_len = strlen (good);
  g_autofree char *first = NULL;

  for (gsize k = 0; k < G_N_ELEMENTS (insertions); k++)
    for (gsize i = 0; i <= good_len; i++)
      {
        g_autofree char *line = g_strdup_printf ("%.*s%s%s", (int) i, good,
                                                 insertions[k].bytes, good + i);
        g_autofree char *want = g_strdup_printf ("%s%zu",
                                                 insertions[k].rendered, i + 1);
        char got[CM_REJECT_MESSAGE_LEN + 32];

        render_parse (parser, line, strlen (line), got, sizeof got);
        note_mismatch (&first, got, want, "insertion %zu at offset %zu", k, i);
      }
  cr_assert_null (first, "%s", first);
}

/* E§4: a `"` anywhere, then a later byte that fails an earlier check: the
 * earlier check wins wherever the quote is. */
Test (episode_parser, quote_then_later_bad_byte)
{
  static const Insertion suffixes[] = {
    { "\xff", "encoding: invalid UTF-8 at byte " },
    { "\x01", "control_char: control character U+0001 at byte " },
    { "\xef\xbb\xbf", "bom: byte order mark (U+FEFF) at byte " },
  };
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  const char *good = GOOD;
  gsize good_len = strlen (good);
  g_autofree char *first = NULL;

  for (gsize i = 0; i <= good_len; i++)
    {
      g_autofree char *utf8 = g_strdup_printf ("%.*s\"%s\xc3\xa9", (int) i,
                                               good, good + i);
      char got[CM_REJECT_MESSAGE_LEN + 32];

      for (gsize k = 0; k < G_N_ELEMENTS (suffixes); k++)
        {
          g_autofree char *line = g_strdup_printf ("%.*s\"%s%s", (int) i, good,
                                                   good + i, suffixes[k].bytes);
          g_autofree char *want = g_strdup_printf ("%s%zu", suffixes[k].rendered,
                                                   good_len + 2);

          render_parse (parser, line, strlen (line), got, sizeof got);
          note_mismatch (&first, got, want, "quote at %zu, suffix %zu", i, k);
        }
      /* valid UTF-8 after the quote: the quote is the first failure */
      render_parse (parser, utf8, strlen (utf8), got, sizeof got);
      note_mismatch (&first, g_str_has_prefix (got, "quote: ") ? "quote" : got,
                     "quote", "quote at %zu, then U+00E9", i);
    }
  cr_assert_null (first, "%s", first);
}

/* E§4.6: lines of 1-17 bytes (shorter than one word, one word and a part,
 * two words). */
Test (episode_parser, short_lines)
{
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  const char *good = GOOD;
  const char *commas = ",,,,,,,,,,,,,,,,,";
  g_autofree char *first = NULL;

  for (gsize n = 1; n <= 17; n++)
    {
      char got[CM_REJECT_MESSAGE_LEN + 32];
      char want[CM_REJECT_MESSAGE_LEN + 32];
      guint fields = 1;
      g_autofree char *tab = g_strdup_printf ("%.*s\t", (int) n - 1, good);

      for (gsize i = 0; i < n; i++)
        fields += good[i] == ',';
      render_parse (parser, good, n, got, sizeof got);
      g_snprintf (want, sizeof want, "columns: %u fields, expected 24", fields);
      note_mismatch (&first, got, want, "prefix of %zu bytes", n);

      render_parse (parser, commas, n, got, sizeof got);
      g_snprintf (want, sizeof want, "columns: %zu fields, expected 24", n + 1);
      note_mismatch (&first, got, want, "%zu commas", n);

      render_parse (parser, tab, n, got, sizeof got);
      g_snprintf (want, sizeof want,
                  "control_char: control character U+0009 at byte %zu", n);
      note_mismatch (&first, got, want, "tab at byte %zu", n);

      render_parse (parser, "\"abcdefghijklmnopq", n, got, sizeof got);
      note_mismatch (&first, got,
                     "quote: unterminated quoted field 1 (episode_id)",
                     "quote, %zu bytes", n);
    }
  cr_assert_null (first, "%s", first);
}

/* E§4.6 around CM_MAX_CSV_FIELDS (64), where the fast path hands over. */
Test (episode_parser, many_fields)
{
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autofree char *first = NULL;

  for (guint n = 60; n <= 70; n++)
    {
      g_autofree char *pad = g_strnfill (n - 24, ',');
      g_autofree char *line = g_strconcat (GOOD, pad, NULL);
      char got[CM_REJECT_MESSAGE_LEN + 32];
      char want[CM_REJECT_MESSAGE_LEN + 32];

      render_parse (parser, line, strlen (line), got, sizeof got);
      g_snprintf (want, sizeof want, "columns: %u fields, expected 24", n);
      note_mismatch (&first, got, want, "%u fields", n);
    }
  cr_assert_null (first, "%s", first);
}

/* Good lines with every field shifted through every offset in a word:
 * plain, with non-ASCII text, with a space and `!`, with quoted fields. */
Test (episode_parser, values_at_every_alignment)
{
  static const struct {
    const char *dept;
    const char *last;
    CmPerDiemCategory per_diem;
  } variants[] = {
    { "0304", "", CM_PER_DIEM_NONE },
    { "\xe5\xbf\x83\xe5\x86\x85", "nursing", CM_PER_DIEM_NURSING },
    { "Ward 3!", "psych", CM_PER_DIEM_PSYCH },
    { "0304", "\"rehab\"", CM_PER_DIEM_REHAB },
    { "\"a,\"\"b\"", "hospice", CM_PER_DIEM_HOSPICE },
  };
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autofree char *first = NULL;

  for (gsize k = 0; k < G_N_ELEMENTS (variants); k++)
    for (gsize n = 1; n <= 17; n++)
      {
        g_autofree char *id = g_strnfill (n, 'E');
        g_autofree char *line = g_strdup_printf (
          "%s,P1,H1," L_ORG L_PERSON "2024-03-01,2024-03-05,4,%s,1,0,"
          L_CODES "1000.00,10.00,200.00,700.00,%s", id, variants[k].dept,
          variants[k].last);
        g_autofree char *buf = NULL;
        g_autofree char *dx = NULL;
        g_autofree char *got = NULL;
        CmEpisode ep;
        CmReject reject;

        if (!parse_text (parser, line, strlen (line), &buf, &ep, &reject))
          got = g_strdup_printf ("%s: %s", reject.key, reject.message);
        else
          {
            dx = render_codes (ep.dx, ep.n_dx);
            got = g_strdup_printf (
              "%s %s %s %d %" G_GINT64_FORMAT " %d %" G_GINT64_FORMAT " %s %s "
              "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %d",
              ep.episode_id, ep.patient_id, ep.county_id, ep.insured_region,
              ep.age_years.value, ep.admit_date, ep.los_days.value, dx,
              ep.n_px == 1 ? ep.px[0] : "?", ep.total_cost_fen,
              ep.fund_paid_ffs_fen, ep.per_diem_category);
          }
        {
          g_autofree char *want = g_strdup_printf (
            "%s P1 430102 %d 45 19783 4 [I21.000][I10.x00] 36.0601 100000 "
            "70000 %d", id, CM_REGION_LOCAL, variants[k].per_diem);

          note_mismatch (&first, got, want, "variant %zu, id of %zu", k, n);
        }
      }
  cr_assert_null (first, "%s", first);
}

/* An OpenDRG file may use all CM_MAX_CSV_FIELDS columns. */
Test (opendrg, sixty_four_columns)
{
  g_autoptr (GString) header = g_string_new (OD_HDR);
  g_autoptr (CmEpisodeParser) parser = NULL;
  g_autofree char *pad = g_strnfill (64 - 10, ',');
  g_autofree char *line = g_strconcat ("1,1,45,,,0304,3,1,A01,", pad, NULL);
  g_autofree char *longer = g_strconcat (line, ",", NULL);
  char got[CM_REJECT_MESSAGE_LEN + 32];

  for (int i = 11; i <= 64; i++)
    g_string_append_printf (header, ",c%d", i);
  parser = opendrg_parser (header->str);
  render_parse (parser, line, strlen (line), got, sizeof got);
  cr_assert_str_eq (got, "");
  render_parse (parser, longer, strlen (longer), got, sizeof got);
  cr_assert_str_eq (got, "columns: 65 fields, expected 64");
}

Test (episode_parser, get_format)
{
  g_autoptr (CmEpisodeParser) a = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autoptr (CmEpisodeParser) b = cm_episode_parser_new (CM_INPUT_OPENDRG);

  cr_assert_eq (cm_episode_parser_get_format (a), CM_INPUT_EPISODES);
  cr_assert_eq (cm_episode_parser_get_format (b), CM_INPUT_OPENDRG);
}

/* ---- the episode header ------------------------------------------------- */

static const LineCase episode_parser_header_rows[] = {
  { "exact header", HDR, NULL },
  { "quoted names", "\"episode_id\",patient_id," HDR_REST, NULL },
  { "a data line", GOOD, "header" },
  { "23 names", "episode_id,patient_id", "header" },
  { "25 names", HDR ",extra", "header" },
  { "columns swapped", "patient_id,episode_id," HDR_REST, "header" },
  { "capitalised", "Episode_id,patient_id," HDR_REST, "header" },
  { "trailing space", HDR " ", "header" },
  { "a second BOM", "\xef\xbb\xbf" HDR, "bom" },
  { "TAB separated", "episode_id\tpatient_id", "control_char" },
  { "broken quote", "\"episode_id,patient_id," HDR_REST, "quote" },
  { "bad UTF-8", HDR "\xff", "encoding" },
  { "empty", "", "header" },
};

ParameterizedTestParameters (episode_parser, header)
{
  return row_indices (G_N_ELEMENTS (episode_parser_header_rows));
}

ParameterizedTest (int *row, episode_parser, header)
{
  const LineCase *c = &episode_parser_header_rows[*row];
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_EPISODES);
  g_autoptr (GError) error = NULL;
  g_autofree char *buf = g_strdup (c->line);
  g_autofree char *data = g_strdup (GOOD);
  CmReject reject;
  CmEpisode ep;
  gboolean ok = cm_episode_parser_set_header (parser, buf, strlen (buf),
                                              &reject, &error);

  cr_assert_null (error, "%s: episode headers never set a GError", c->desc);
  if (c->key == NULL)
    cr_assert (ok, "%s: %s: %s", c->desc, reject.key, reject.message);
  else
    {
      cr_assert_not (ok, "%s: accepted", c->desc);
      cr_assert_str_eq (reject.key, c->key, "%s: %s", c->desc, reject.message);
      cr_assert_eq (reject.line, 1);
    }
  /* data lines are read by position either way */
  cr_assert (cm_episode_parser_parse_line (parser, data, strlen (data), 2,
                                           &ep, &reject), "%s", c->desc);
}

/* ---- CmIdSet ------------------------------------------------------------ */

Test (id_set, adds_and_finds_duplicates)
{
  g_autoptr (CmIdSet) set = cm_id_set_new ();

  cr_assert (cm_id_set_add_hash (set, cm_id_hash ("E1")));
  cr_assert (cm_id_set_add_hash (set, cm_id_hash ("E2")));
  cr_assert_not (cm_id_set_add_hash (set, cm_id_hash ("E1")));
  cr_assert (cm_id_set_add_hash (set, 0), "hash 0 is a value like any other");
  cr_assert_not (cm_id_set_add_hash (set, 0));
  cr_assert_eq (cm_id_hash ("E1"), cm_id_hash ("E1"));
  cr_assert_neq (cm_id_hash ("E1"), cm_id_hash ("E2"));
  cr_assert_neq (cm_id_hash (""), cm_id_hash ("E1"));
}

Test (id_set, grows_past_many_ids)
{
  g_autoptr (CmIdSet) set = cm_id_set_new ();
  char id[32];

  for (int i = 0; i < 100000; i++)
    {
      g_snprintf (id, sizeof id, "E1-%07d", i);
      cr_assert (cm_id_set_add_hash (set, cm_id_hash (id)), "%s", id);
    }
  for (int i = 0; i < 100000; i += 997)
    {
      g_snprintf (id, sizeof id, "E1-%07d", i);
      cr_assert_not (cm_id_set_add_hash (set, cm_id_hash (id)), "%s", id);
    }
  /* sequential hashes collide on the low bits: linear probing copes */
  for (guint64 h = 1; h < 5000; h++)
    cr_assert (cm_id_set_add_hash (set, h << 40));
  cr_assert_not (cm_id_set_add_hash (set, G_GUINT64_CONSTANT (7) << 40));
}

/* ---- OpenDRG input ------------------------------------------------------ */

typedef struct {
  const char *desc;
  const char *cell;      /* the CSV cell of `age`, as written */
  const char *text;      /* NULL: absent */
  gboolean is_int;
  gint64 value;
} NormCase;

static const NormCase opendrg_normalisation_rows[] = {
  { "integer", "45", "45", TRUE, 45 },
  { "zero", "0", "0", TRUE, 0 },
  { "negative", "-3", "-3", TRUE, -3 },
  { "leading zeros", "007", "007", TRUE, 7 },
  { "trailing .0 dropped (S§3)", "45.0", "45", TRUE, 45 },
  { "negative with .0", "-3.0", "-3", TRUE, -3 },
  { "only one .0 dropped", "1.0.0", "1.0", FALSE, 0 },
  { ".00 is not .0", "45.00", "45.00", FALSE, 0 },
  { "a fraction stays non-integer", "4.5", "4.5", FALSE, 0 },
  { "spaces trimmed", "  45 ", "45", TRUE, 45 },
  { "spaces trimmed before .0 is dropped", " 45.0 ", "45", TRUE, 45 },
  { "ideographic space trimmed", "\xe3\x80\x80" "12\xe3\x80\x80", "12", TRUE, 12 },
  { "no-break space trimmed", "\xc2\xa0" "12", "12", TRUE, 12 },
  { "empty is absent", "", NULL, FALSE, 0 },
  { "spaces only is absent", "   ", NULL, FALSE, 0 },
  { "a lone .0 is absent", ".0", NULL, FALSE, 0 },
  { "quoted", "\" 45.0 \"", "45", TRUE, 45 },
  { "text", "\xe7\x94\xb7", "\xe7\x94\xb7", FALSE, 0 },
  { "too big for 64 bits", "99999999999999999999", "99999999999999999999", FALSE, 0 },
  { "plus sign", "+5", "+5", FALSE, 0 },
};

ParameterizedTestParameters (opendrg, normalisation)
{
  return row_indices (G_N_ELEMENTS (opendrg_normalisation_rows));
}

ParameterizedTest (int *row, opendrg, normalisation)
{
  const NormCase *c = &opendrg_normalisation_rows[*row];
  g_autoptr (CmEpisodeParser) parser = opendrg_parser (OD_HDR);
  g_autofree char *line = g_strdup_printf ("1,1,%s,,,0304,3,1,A01,", c->cell);
  g_autofree char *buf = NULL;
  CmEpisode ep;
  CmReject reject;

  cr_assert (parse_text (parser, line, strlen (line), &buf, &ep, &reject),
             "%s: %s: %s", c->desc, reject.key, reject.message);
  if (c->text == NULL)
    cr_assert_null (ep.age_years.text, "%s: got '%s'", c->desc,
                    ep.age_years.text);
  else
    cr_assert_str_eq (ep.age_years.text, c->text, "%s", c->desc);
  cr_assert_eq (ep.age_years.is_int, c->is_int, "%s", c->desc);
  if (c->is_int)
    cr_assert_eq (ep.age_years.value, c->value, "%s", c->desc);
}

typedef struct {
  const char *desc;
  const char *zd;  /* CSV cells as written */
  const char *ss;
  const char *dx;  /* render_codes */
  const char *px;
  gboolean px_text_empty;
} ListCase;

static const ListCase opendrg_code_lists_rows[] = {
  { "one code each", "A01", "36.0601", "[A01]", "[36.0601]", FALSE },
  { "empty zdList is one empty code, empty ssList none", "", "", "[]", "", TRUE },
  { "split at | and ,", "\"A01,B02|C03\"", "x|y", "[A01][B02][C03]", "[x][y]", FALSE },
  { "empty items kept", "A||B", "a||b", "[A][][B]", "[a][][b]", FALSE },
  { "a lone separator", "|", "\",\"", "[][]", "[][]", FALSE },
  { "raw text: no trimming", "\" A01 \"", " ", "[ A01 ]", "[ ]", FALSE },
  { "no .0 dropping in lists", "A01.0", "1.0", "[A01.0]", "[1.0]", FALSE },
  { "200 codes are allowed", OD100 OD10 OD10 OD10 OD10 OD10 OD10 OD10 OD10 OD10 "A|A|A|A|A|A|A|A|A|A", "", NULL, "", TRUE },
};

ParameterizedTestParameters (opendrg, code_lists)
{
  return row_indices (G_N_ELEMENTS (opendrg_code_lists_rows));
}

ParameterizedTest (int *row, opendrg, code_lists)
{
  const ListCase *c = &opendrg_code_lists_rows[*row];
  g_autoptr (CmEpisodeParser) parser = opendrg_parser (OD_HDR);
  g_autofree char *line = g_strdup_printf ("1,1,45,,,0304,3,1,%s,%s",
                                           c->zd, c->ss);
  g_autofree char *buf = NULL;
  g_autofree char *dx = NULL;
  g_autofree char *px = NULL;
  CmEpisode ep;
  CmReject reject;

  cr_assert (parse_text (parser, line, strlen (line), &buf, &ep, &reject),
             "%s: %s: %s", c->desc, reject.key, reject.message);
  dx = render_codes (ep.dx, ep.n_dx);
  px = render_codes (ep.px, ep.n_px);
  if (c->dx != NULL)
    cr_assert_str_eq (dx, c->dx, "%s", c->desc);
  else
    cr_assert_eq (ep.n_dx, 200, "%s", c->desc);
  cr_assert_str_eq (px, c->px, "%s", c->desc);
  cr_assert_eq (ep.px_text_empty, c->px_text_empty, "%s", c->desc);
}

static const LineCase opendrg_line_checks_rows[] = {
  { "good line", "1,1,45,,,0304,3,1,A01,", NULL },
  { "values the episode format rejects", "x y,\xe7\x94\xb7,abc,-5,0.5,,-1,7,A 1||,|", NULL },
  { "fields longer than 1000 characters", "1,1,45,,," X1000 X1000 ",3,1,A01,", NULL },
  { "encoding", "1,1,45,,,0304,3,1,A01,\xff", "encoding" },
  { "bom", "1,1,45,,,0304,3,1,A01,\xef\xbb\xbf", "bom" },
  { "control_char", "1,1,45,\t,,0304,3,1,A01,", "control_char" },
  { "quote", "1,1,45,,,\"0304,3,1,A01,", "quote" },
  { "too few fields", "1,1,45,,,0304,3,1,A01", "columns" },
  { "too many fields", "1,1,45,,,0304,3,1,A01,,", "columns" },
  { "only spaces", "   ", "columns" },
  { "empty Index", ",1,45,,,0304,3,1,A01,", "episode_id" },
  { "Index of spaces", " ,1,45,,,0304,3,1,A01,", "episode_id" },
  { "201 diagnoses", "1,1,45,,,0304,3,1," OD100 OD100 "A,", "diagnoses" },
  { "201 procedures", "1,1,45,,,0304,3,1,A01," OD100 OD100 "A", "procedures" },
};

ParameterizedTestParameters (opendrg, line_checks)
{
  return row_indices (G_N_ELEMENTS (opendrg_line_checks_rows));
}

ParameterizedTest (int *row, opendrg, line_checks)
{
  const LineCase *c = &opendrg_line_checks_rows[*row];
  g_autoptr (CmEpisodeParser) parser = opendrg_parser (OD_HDR);
  g_autofree char *buf = NULL;
  CmEpisode ep;
  CmReject reject;
  gboolean ok = parse_text (parser, c->line, strlen (c->line), &buf, &ep,
                            &reject);

  if (c->key == NULL)
    cr_assert (ok, "%s: %s: %s", c->desc, reject.key, reject.message);
  else
    {
      cr_assert_not (ok, "%s: accepted", c->desc);
      cr_assert_str_eq (reject.key, c->key, "%s: %s", c->desc,
                        reject.message);
    }
}

Test (opendrg, header_by_name)
{
  g_autoptr (CmEpisodeParser) parser = opendrg_parser (
    "ssList,zdList,note,leavingType,inHospitalTime,dept,weight,ageDay,age,"
    "gender,Index,icuHours,amount,age");
  const char *line = "99.0401,\"P07.300,P22.000\",free text,1,12.0,0502,"
    "3100,5,0,2,\"  E9 \",36,12345,77";
  g_autofree char *buf = NULL;
  CmEpisode ep;
  CmReject reject;

  cr_assert (parse_text (parser, line, strlen (line), &buf, &ep, &reject),
             "%s: %s", reject.key, reject.message);
  cr_assert_str_eq (ep.episode_id, "E9");
  cr_assert_str_eq (ep.sex.text, "2");
  cr_assert_str_eq (ep.age_years.text, "0", "the first `age` column wins");
  cr_assert (ep.age_days.is_int && ep.age_days.value == 5);
  cr_assert (ep.weight_g.is_int && ep.weight_g.value == 3100);
  cr_assert_str_eq (ep.dept.text, "0502");
  cr_assert (ep.los_days.is_int && ep.los_days.value == 12);
  cr_assert_str_eq (ep.discharge.text, "1");
  cr_assert (ep.icu_hours.is_int && ep.icu_hours.value == 36);
  cr_assert (ep.amount.is_int && ep.amount.value == 12345);
  cr_assert_eq (ep.n_dx, 2);
  cr_assert_str_eq (ep.dx[1], "P22.000");
  cr_assert_eq (ep.n_px, 1);
  cr_assert_str_eq (ep.px[0], "99.0401");
  /* the exchange-only columns stay zero */
  cr_assert_null (ep.patient_id);
  cr_assert_eq (ep.total_cost_fen, 0);
  cr_assert_eq (ep.admit_date, 0);
}

Test (opendrg, optional_columns_absent)
{
  g_autoptr (CmEpisodeParser) parser = opendrg_parser (OD_HDR);
  g_autofree char *buf = NULL;
  const char *line = "1,1,45,,,0304,3,1,A01,";
  CmEpisode ep;
  CmReject reject;

  cr_assert (parse_text (parser, line, strlen (line), &buf, &ep, &reject));
  cr_assert_null (ep.icu_hours.text);
  cr_assert_null (ep.amount.text);
  cr_assert_null (ep.age_days.text);
  cr_assert_null (ep.weight_g.text);
}

typedef struct {
  const char *desc;
  const char *header;
  const char *key;     /* reject key */
  const char *needle;  /* in the GError message */
} OdHeaderCase;

static const OdHeaderCase opendrg_bad_header_rows[] = {
  { "zdList missing", "Index,gender,age,ageDay,weight,dept,inHospitalTime,leavingType,ssList", "header", "zdList" },
  { "all missing", "a,b,c", "header", "Index, gender, age" },
  { "names are case sensitive", "index,gender,age,ageDay,weight,dept,inHospitalTime,leavingType,zdList,ssList", "header", "Index" },
  { "the episode header", HDR, "header", "gender" },
  { "broken quote", "\"Index,gender", "quote", "quote" },
  { "a second BOM", "\xef\xbb\xbf" OD_HDR, "bom", "bom" },
  { "empty", "", "header", "empty" },
};

ParameterizedTestParameters (opendrg, bad_header)
{
  return row_indices (G_N_ELEMENTS (opendrg_bad_header_rows));
}

ParameterizedTest (int *row, opendrg, bad_header)
{
  const OdHeaderCase *c = &opendrg_bad_header_rows[*row];
  g_autoptr (CmEpisodeParser) parser = cm_episode_parser_new (CM_INPUT_OPENDRG);
  g_autoptr (GError) error = NULL;
  g_autofree char *buf = g_strdup (c->header);
  CmReject reject;

  cr_assert_not (cm_episode_parser_set_header (parser, buf, strlen (buf),
                                               &reject, &error), "%s", c->desc);
  cr_assert (g_error_matches (error, CM_EPISODE_READER_ERROR,
                              CM_EPISODE_READER_ERROR_HEADER), "%s", c->desc);
  cr_assert_str_eq (reject.key, c->key, "%s", c->desc);
  cr_assert_not_null (strstr (error->message, c->needle), "%s: %s", c->desc,
                      error->message);
}

/* ---- CmEpisodeReader ---------------------------------------------------- */

/* Runs a reader over @len bytes and renders what it returns:
 * "ok:<episode_id>" or "<line>:<key>", space-separated, then "EOF" or
 * "ERROR:<code>". */
static char *
read_all (const char *bytes, gsize len, CmInputFormat format)
{
  FILE *f = fmemopen ((void *) bytes, len, "r");
  g_autoptr (CmEpisodeReader) reader = NULL;
  GString *out = g_string_new (NULL);

  cr_assert_not_null (f);
  reader = cm_episode_reader_new (f, format);
  for (int guard = 0; guard < 10000; guard++)
    {
      g_autoptr (GError) error = NULL;
      CmEpisode ep;
      CmReject reject;
      CmReadResult r = cm_episode_reader_next (reader, &ep, &reject, &error);

      if (r == CM_READ_EPISODE)
        g_string_append_printf (out, "ok:%s ", ep.episode_id);
      else if (r == CM_READ_REJECT)
        g_string_append_printf (out, "%" G_GUINT64_FORMAT ":%s ", reject.line,
                                reject.key);
      else if (r == CM_READ_EOF)
        {
          g_string_append (out, "EOF");
          break;
        }
      else
        {
          cr_assert_not_null (error);
          g_string_append_printf (out, "ERROR:%d", error->code);
          break;
        }
    }
  fclose (f);
  return g_string_free (out, FALSE);
}

typedef struct {
  const char *desc;
  const char *bytes;
  gsize len;             /* 0: strlen */
  CmInputFormat format;
  const char *expected;  /* read_all */
} ReaderCase;

static const char nul_line[] = HDR "\n" GOOD "\n" "E2\0" "x\n" GOOD_ID ("E3");
static const ReaderCase episode_reader_streams_rows[] = {
  { "plain", HDR "\n" GOOD "\n", 0, CM_INPUT_EPISODES, "ok:E1 EOF" },
  { "BOM, CRLF, empty lines, no LF at the end",
    "\xef\xbb\xbf" HDR "\r\n" GOOD "\r\n\r\n\n" GOOD_ID ("E2"), 0,
    CM_INPUT_EPISODES, "ok:E1 ok:E2 EOF" },
  { "empty lines still count for line numbers",
    HDR "\n\n\r\n\n" GOOD_ID ("E 2") "\n", 0, CM_INPUT_EPISODES,
    "5:episode_id EOF" },
  { "BOM on a data line", HDR "\n" GOOD "\n\xef\xbb\xbf" GOOD_ID ("E2") "\n",
    0, CM_INPUT_EPISODES, "ok:E1 3:bom EOF" },
  { "two BOMs at the start", "\xef\xbb\xbf\xef\xbb\xbf" HDR "\n" GOOD, 0,
    CM_INPUT_EPISODES, "1:bom ok:E1 EOF" },
  { "duplicate id", HDR "\n" GOOD "\n" GOOD "\n" GOOD_ID ("E2"), 0,
    CM_INPUT_EPISODES, "ok:E1 3:duplicate_id ok:E2 EOF" },
  { "duplicate of a rejected line is accepted",
    HDR "\n" GOOD "x\n" GOOD "\n", 0, CM_INPUT_EPISODES,
    "2:per_diem_category ok:E1 EOF" },
  { "wrong header, data read by position",
    "id,patient\n" GOOD "\n", 0, CM_INPUT_EPISODES, "1:header ok:E1 EOF" },
  { "no header at all: line 1 is rejected",
    GOOD "\n" GOOD_ID ("E2") "\n", 0, CM_INPUT_EPISODES, "1:header ok:E2 EOF" },
  { "empty line 1", "\n" HDR "\n" GOOD, 0, CM_INPUT_EPISODES,
    "1:header 2:hospital_level ok:E1 EOF" },
  { "empty input", "", 0, CM_INPUT_EPISODES, "EOF" },
  { "only a BOM: line 1 is empty", "\xef\xbb\xbf", 0, CM_INPUT_EPISODES,
    "1:header EOF" },
  { "header only", HDR, 0, CM_INPUT_EPISODES, "EOF" },
  { "header and an empty line", HDR "\n\n", 0, CM_INPUT_EPISODES, "EOF" },
  { "CR CR LF leaves a CR in the line", HDR "\n" GOOD "\r\r\n" GOOD_ID ("E2"),
    0, CM_INPUT_EPISODES, "2:control_char ok:E2 EOF" },
  { "CR at the end of the last line without LF",
    HDR "\n" GOOD "\n" GOOD_ID ("E2") "\r", 0, CM_INPUT_EPISODES,
    "ok:E1 3:control_char EOF" },
  { "lone CR is not a line end", HDR "\n" GOOD "\r" GOOD_ID ("E2") "\n", 0,
    CM_INPUT_EPISODES, "2:control_char EOF" },
  { "unterminated quote resumes at the next line",
    HDR "\n\"E1,P1\n" GOOD "\n", 0, CM_INPUT_EPISODES, "2:quote ok:E1 EOF" },
  { "line of spaces", HDR "\n  \n" GOOD, 0, CM_INPUT_EPISODES,
    "2:columns ok:E1 EOF" },
  { "NUL byte", nul_line, sizeof nul_line - 1, CM_INPUT_EPISODES,
    "ok:E1 3:control_char ok:E3 EOF" },
  { "OpenDRG: BOM, CRLF, header by name, no duplicate check",
    "\xef\xbb\xbf" "ssList,zdList,Index,gender,age,ageDay,weight,dept,"
    "inHospitalTime,leavingType\r\n,A01,7,1,45,,,0304,3,1\r\n\r\n"
    ",A01,7,1,45,,,0304,3,1\r\n,A01,,1,45,,,0304,3,1", 0, CM_INPUT_OPENDRG,
    "ok:7 ok:7 5:episode_id EOF" },
  { "OpenDRG: missing column", "Index,gender\n1,1\n", 0, CM_INPUT_OPENDRG,
    "ERROR:1" },
  { "OpenDRG: empty input", "", 0, CM_INPUT_OPENDRG, "ERROR:1" },
  { "OpenDRG: empty header line", "\n" OD_HDR "\n", 0, CM_INPUT_OPENDRG,
    "ERROR:1" },
};

ParameterizedTestParameters (episode_reader, streams)
{
  return row_indices (G_N_ELEMENTS (episode_reader_streams_rows));
}

ParameterizedTest (int *row, episode_reader, streams)
{
  const ReaderCase *c = &episode_reader_streams_rows[*row];
  gsize len = c->len != 0 ? c->len : strlen (c->bytes);
  g_autofree char *got = NULL;

  /* fmemopen may refuse a zero-sized buffer: use an empty temporary file. */
  if (len == 0)
    {
      FILE *f = tmpfile ();
      g_autoptr (CmEpisodeReader) reader = NULL;
      g_autoptr (GError) error = NULL;
      CmEpisode ep;
      CmReject reject;
      CmReadResult r;

      cr_assert_not_null (f);
      reader = cm_episode_reader_new (f, c->format);
      r = cm_episode_reader_next (reader, &ep, &reject, &error);
      got = r == CM_READ_EOF ? g_strdup ("EOF")
                             : g_strdup_printf ("ERROR:%d",
                                                error ? error->code : -1);
      fclose (f);
    }
  else
    got = read_all (c->bytes, len, c->format);
  cr_assert_str_eq (got, c->expected, "%s", c->desc);
}

Test (episode_reader, overlong_line_is_skipped)
{
  GString *in = g_string_new (HDR "\n" GOOD "\n");
  g_autofree char *bytes = NULL;
  g_autofree char *got = NULL;
  gsize len;

  g_string_append (in, "E9,");
  for (int i = 0; i < CM_MAX_LINE_LEN; i++)
    g_string_append_c (in, 'x');
  g_string_append (in, "\n" GOOD_ID ("E2") "\n");
  len = in->len;
  bytes = g_string_free (in, FALSE);
  got = read_all (bytes, len, CM_INPUT_EPISODES);
  cr_assert_str_eq (got, "ok:E1 3:field_length ok:E2 EOF");
}

Test (episode_reader, longest_line_fits)
{
  /* CM_MAX_LINE_LEN bytes plus CR LF: the CR is part of the line end. */
  GString *in = g_string_new (OD_HDR ",pad\n1,1,45,,,0304,3,1,A01,,");
  g_autofree char *bytes = NULL;
  g_autofree char *got = NULL;
  gsize len;
  gsize start = strlen (OD_HDR ",pad\n");

  while (in->len - start < CM_MAX_LINE_LEN)
    g_string_append_c (in, 'p');
  g_string_append (in, "\r\n2,1,45,,,0304,3,1,A01,,\n");
  len = in->len;
  bytes = g_string_free (in, FALSE);
  got = read_all (bytes, len, CM_INPUT_OPENDRG);
  cr_assert_str_eq (got, "ok:1 ok:2 EOF");
}

Test (episode_reader, reads_across_chunk_boundaries)
{
  GString *in = g_string_new (HDR "\r\n");
  g_autofree char *bytes = NULL;
  CmEpisode ep;
  CmReject reject;
  FILE *f;
  gsize len;
  int n = 0;

  for (int i = 0; i < 3000; i++)
    g_string_append_printf (in, GOOD_ID ("E%d") "\r\n", i);
  len = in->len;
  bytes = g_string_free (in, FALSE);
  f = fmemopen (bytes, len, "r");
  {
    g_autoptr (CmEpisodeReader) reader = cm_episode_reader_new (f, CM_INPUT_EPISODES);
    CmReadResult r;

    while ((r = cm_episode_reader_next (reader, &ep, &reject, NULL))
           == CM_READ_EPISODE)
      {
        char want[16];
        g_snprintf (want, sizeof want, "E%d", n);
        cr_assert_str_eq (ep.episode_id, want);
        cr_assert_eq (ep.n_dx, 2);
        n++;
      }
    cr_assert_eq (r, CM_READ_EOF, "%s: %s", reject.key, reject.message);
  }
  fclose (f);
  cr_assert_eq (n, 3000);
}

/* ---- the adversarial fixture ------------------------------------------- */

/* $CM_TEST_DATA (tests/data, set by tests/meson.build)/episodes/<name>;
 * without it, relative to this source file. */
static char *
data_path (const char *name)
{
  const char *dir = g_getenv ("CM_TEST_DATA");
  g_autofree char *src_dir = NULL;

  if (dir != NULL)
    return g_build_filename (dir, "episodes", name, NULL);
  src_dir = g_path_get_dirname (__FILE__);
  return g_build_filename (src_dir, "data", "episodes", name, NULL);
}

Test (episode_reader, adversarial_fixture)
{
  g_autofree char *csv_path = data_path ("adversarial.csv");
  g_autofree char *exp_path = data_path ("adversarial.expected-rejects.csv");
  g_autofree char *contents = NULL;
  g_autofree char *expected_text = NULL;
  g_auto (GStrv) expected = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (CmEpisodeReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  GString *got = g_string_new (NULL);
  GString *want = g_string_new (NULL);
  g_autofree char *got_s = NULL;
  g_autofree char *want_s = NULL;
  gsize size = 0;
  guint n_data = 0, n_good = 0, n_rejected = 0, n_lines;
  CmReadResult r;
  CmEpisode ep;
  CmReject reject;
  FILE *f;

  cr_assert (g_file_get_contents (csv_path, &contents, &size, &error),
             "%s (set CM_TEST_DATA to tests/data)", error ? error->message : "");
  cr_assert (g_file_get_contents (exp_path, &expected_text, NULL, &error),
             "%s", error ? error->message : "");

  /* non-empty data lines, counted independently of the reader */
  lines = g_strsplit (contents, "\n", -1);
  n_lines = g_strv_length (lines);
  if (n_lines > 0 && lines[n_lines - 1][0] == '\0')
    n_lines--;  /* the text after the final LF */
  for (guint i = 1; i < n_lines; i++)
    if (lines[i][0] != '\0' && strcmp (lines[i], "\r") != 0)
      n_data++;

  expected = g_strsplit (expected_text, "\n", -1);
  for (guint i = 0; expected[i] != NULL; i++)
    if (g_ascii_isdigit (expected[i][0]))
      g_string_append_printf (want, "%s\n", g_strstrip (expected[i]));

  f = fopen (csv_path, "rb");
  cr_assert_not_null (f);
  reader = cm_episode_reader_new (f, CM_INPUT_EPISODES);
  while ((r = cm_episode_reader_next (reader, &ep, &reject, &error))
         != CM_READ_EOF)
    {
      cr_assert_neq (r, CM_READ_ERROR, "%s", error ? error->message : "");
      if (r == CM_READ_EPISODE)
        n_good++;
      else
        {
          cr_assert (reject.message[0] != '\0');
          g_string_append_printf (got, "%" G_GUINT64_FORMAT ",%s\n",
                                  reject.line, reject.key);
          n_rejected++;
        }
    }
  fclose (f);

  got_s = g_string_free (got, FALSE);
  want_s = g_string_free (want, FALSE);
  cr_assert_str_eq (got_s, want_s);
  cr_assert_eq (n_good + n_rejected, n_data, "%u good + %u rejected != %u",
                n_good, n_rejected, n_data);
  cr_assert_gt (n_good, 5);
}

Test (episode_reader, adversarial_fixture_covers_every_key)
{
  static const char *const keys[] = {
    "encoding", "bom", "control_char", "quote", "columns", "field_length",
    "episode_id", "patient_id", "hospital_id", "hospital_level", "county_id",
    "insurance_type", "insured_region", "sex", "age_years", "age_days",
    "birth_weight_g", "admit_date", "discharge_date", "los_days", "dept",
    "discharge_status", "icu_hours", "diagnoses", "procedures", "total_cost",
    "out_of_catalogue_cost", "patient_copay", "fund_paid_ffs",
    "per_diem_category", "money", "duplicate_id",
  };
  g_autofree char *exp_path = data_path ("adversarial.expected-rejects.csv");
  g_autofree char *text = NULL;

  cr_assert (g_file_get_contents (exp_path, &text, NULL, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *needle = g_strdup_printf (",%s\n", keys[i]);
      cr_assert_not_null (strstr (text, needle), "no %s line", keys[i]);
    }
}
