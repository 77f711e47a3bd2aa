/* fuzz-dip-tiny.h — the tiny DIP scheme of tests/test-dip.c, as texts:
 * the base of fuzz-dip-tables and the DIP scheme of fuzz-policy's pack.
 * SPDX-License-Identifier: Apache-2.0 */
#pragma once

#define GROUPS_HEADER \
  "group_id\trule_stage\tstage_rank\tseq\tdx_code\tprocedure_combination\t" \
  "principal_procs\trelated_procs\tsecondary_dx\textra_condition\n"

/* tests/test-dip.c's tiny scheme */
static const char *const dip_tiny_names[] = {
  "meta.tsv", "groups.tsv", "excluded_dx.tsv", "excluded_px.tsv",
  "tb_resistant_dx.tsv", "primary_care.tsv", "or_procedures.tsv",
};
static const char *const dip_tiny_texts[] = {
  "key\tvalue\n"
  "scheme_id\tdip-tiny\n",

  GROUPS_HEADER
  "T-1\tpre\t1\t1\t*\t11.1100\t11.1100\t\t\t\n"
  "T-10\tmerge\t2\t10\tK80\t\t\t\t\t\n"
  "T-11\tmerge\t2\t11\tK80.1\t\t\t\t\t\n"
  "T-12\tmerge\t2\t12\tC00-C75\t22.2200\t22.2200\t\t\t\n"
  "T-13\tmerge\t2\t13\tD10\t33.3300+44.4400&55.5500\t33.3300\t44.4400&55.5500\t\t\n"
  "T-20\tbase\t6\t20\tR1\t\t\t\t\t\n"
  "T-21\tbase\t6\t21\tD10\t33.3300\t33.3300\t\t\t\n"
  "T-30\taux_tb\t5\t30\tA15\t\t\t\t\t"
  "drug_resistant=Y; resistant if any other dx is U84.300\n"
  "T-31\taux_tb\t5\t31\tA15\t\t\t\t\t"
  "drug_resistant=N; resistant if any other dx is U84.300\n",

  "code\tname\tsource_row\n"
  "X00.000\texcluded\t1\n",

  "code\tname\tnote\tprincipal_allowed_if_dx\tsource_row\n"
  "87.4100\tx\t按保守治疗入组\t\t1\n"
  "17.4200\tx\t不可作为主要手术操作\t\t2\n"
  "45.1300\tx\tK20-K93作为主要诊断，可作为主要手术操作\tK20-K93\t3\n",

  "code\tname\n"
  "A15.000x010\tx\n",

  "seq\tdx_code\tprocedure_combination\n"
  "1\tK80.1\t\n"
  "2\tD10\t33.3300\n",

  "code\tname\n"
  "22.2200\tx\n",
};

/* the first FUZZ_N_EXPLAINED are also explained */
