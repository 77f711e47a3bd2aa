/* explain-cases.h — hand-picked episodes for the trace and why-not suites:
 * one per MDC family of chs-drg-1.1 and chs-drg-3.0 (real codes from the
 * scheme's own lists: the MDC entry list, the MDCA transplant lists, the
 * MDCZ site lists), the QY and FAIL paths, and the DIP worked examples of
 * schemes/dip-cn-national-3.0/GROUPING.md §11 that reach every stage.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Specs are test_episode() specs (test-common.h). Expected results were
 * checked against the shared reference results where the corpus has such
 * a case and are pinned here; a change is a grouping change. */
#pragma once

typedef struct {
  const char *scheme;
  const char *desc;
  const char *spec;
  const char *status, *mdc, *adrg, *drg;
} DrgCase;

#define ADULT "sex=2 age=45 "
#define MALE "sex=1 age=45 "
#define NEWBORN "sex=2 age=0 days=10 wt=3000 "

/* FORMAT.md §5.3: MDCs in mdc_order, each reached by its entry condition. */
G_GNUC_UNUSED static DrgCase drg_family_cases[] = {
  { "chs-drg-1.1", "MDCA transplant (ppx_in(SS_VALID), AA1)", ADULT "dx=J18.900 px=37.5100", "SUCCESS", "MDCA", "AA1", "AA19" },
  { "chs-drg-1.1", "MDCP newborn (age 0)", NEWBORN "dx=A04.000x001", "SUCCESS", "MDCP", "PU1", "PU15" },
  { "chs-drg-1.1", "MDCY HIV", ADULT "dx=B20.000x001", "SUCCESS", "MDCY", "YR1", "YR15" },
  { "chs-drg-1.1", "MDCZ multiple trauma (2 sites)", ADULT "dx=S01.800x011|S21.100x002|S31.800x003", "SUCCESS", "MDCZ", "ZZ1", "ZZ15" },
  { "chs-drg-1.1", "MDCM male genital (sex 1)", MALE "dx=A06.800x004+N51.2*", "SUCCESS", "MDCM", "MS1", "MS15" },
  { "chs-drg-1.1", "MDCN female genital (sex 2)", ADULT "dx=A18.100x019+N77.1*", "SUCCESS", "MDCN", "NS1", "NS19" },
  { "chs-drg-1.1", "MDCB nervous system", ADULT "dx=A01.002+G01*", "SUCCESS", "MDCB", "BT2", "BT25" },
  { "chs-drg-1.1", "MDCC eye", ADULT "dx=A06.801", "SUCCESS", "MDCC", "CU1", "CU19" },
  { "chs-drg-1.1", "MDCD ENT", ADULT "dx=A18.200x002", "SUCCESS", "MDCD", "DZ1", "DZ19" },
  { "chs-drg-1.1", "MDCE respiratory", ADULT "dx=A01.000x005+J17.0*", "SUCCESS", "MDCE", "ES3", "ES35" },
  { "chs-drg-1.1", "MDCF circulatory", ADULT "dx=A01.000x016+I41.0*", "SUCCESS", "MDCF", "FT1", "FT15" },
  { "chs-drg-1.1", "MDCG digestive", ADULT "dx=A04.100x001", "SUCCESS", "MDCG", "GW1", "GW19" },
  { "chs-drg-1.1", "MDCH hepatobiliary", ADULT "dx=A01.001+K77.0*", "SUCCESS", "MDCH", "HZ1", "HZ15" },
  { "chs-drg-1.1", "MDCI musculoskeletal", ADULT "dx=A02.202+M01.3*", "SUCCESS", "MDCI", "IT3", "IT39" },
  { "chs-drg-1.1", "MDCJ skin and breast", ADULT "dx=A18.400x001", "SUCCESS", "MDCJ", "JS1", "JS15" },
  { "chs-drg-1.1", "MDCK endocrine", ADULT "dx=C48.000x002", "SUCCESS", "MDCK", "KR1", "KR19" },
  { "chs-drg-1.1", "MDCL urinary", ADULT "dx=A02.205+N16.0*", "SUCCESS", "MDCL", "LU1", "LU15" },
  { "chs-drg-1.1", "MDCO pregnancy", ADULT "dx=A34.x00", "SUCCESS", "MDCO", "OZ1", "OZ19" },
  { "chs-drg-1.1", "MDCQ blood", ADULT "dx=C26.100", "SUCCESS", "MDCQ", "QR1", "QR15" },
  { "chs-drg-1.1", "MDCR myeloproliferative", ADULT "dx=C45.100x005", "SUCCESS", "MDCR", "RT1", "RT15" },
  { "chs-drg-1.1", "MDCS infections", ADULT "dx=A01.000", "SUCCESS", "MDCS", "SV1", "SV15" },
  { "chs-drg-1.1", "MDCT mental", ADULT "dx=F04.x00x001", "SUCCESS", "MDCT", "TW1", "TW15" },
  { "chs-drg-1.1", "MDCU substance use", ADULT "dx=F10.000", "SUCCESS", "MDCU", "UR1", "UR15" },
  { "chs-drg-1.1", "MDCV injuries and poisoning", ADULT "dx=F13.000", "SUCCESS", "MDCV", "VS2", "VS25" },
  { "chs-drg-1.1", "MDCW burns", ADULT "dx=T20.000", "SUCCESS", "MDCW", "WZ1", "WZ15" },
  { "chs-drg-1.1", "MDCX other contacts", ADULT "dx=B90.000", "SUCCESS", "MDCX", "XT3", "XT35" },

  { "chs-drg-3.0", "MDCA transplant (entry true, AA1)", ADULT "dx=J18.900 px=33.6x00", "SUCCESS", "MDCA", "AA1", "AA19" },
  { "chs-drg-3.0", "MDCP newborn (age 0, < 29 days)", NEWBORN "dx=A04.000x001", "SUCCESS", "MDCP", "PU3", "PU35" },
  { "chs-drg-3.0", "MDCZ multiple trauma (two regions)", ADULT "dx=S01.800x011|S31.800x003|S35.400x001", "SUCCESS", "MDCZ", "ZZ1", "ZZ15" },
  { "chs-drg-3.0", "MDCB nervous system", ADULT "dx=G91.000x002", "SUCCESS", "MDCB", "BR1", "BR15" },
  { "chs-drg-3.0", "MDCC eye", ADULT "dx=C43.100x001", "SUCCESS", "MDCC", "CR1", "CR19" },
  { "chs-drg-3.0", "MDCD ENT", ADULT "dx=C00.000", "SUCCESS", "MDCD", "DR1", "DR19" },
  { "chs-drg-3.0", "MDCE respiratory", ADULT "dx=C33.x00", "SUCCESS", "MDCE", "ER1", "ER15" },
  { "chs-drg-3.0", "MDCF circulatory", ADULT "dx=I21.000x005", "SUCCESS", "MDCF", "FR1", "FR19" },
  { "chs-drg-3.0", "MDCG digestive", ADULT "dx=C15.000", "SUCCESS", "MDCG", "GR1", "GR15" },
  { "chs-drg-3.0", "MDCH hepatobiliary", ADULT "dx=C22.000", "SUCCESS", "MDCH", "HR1", "HR15" },
  { "chs-drg-3.0", "MDCI musculoskeletal", ADULT "dx=M84.000x052", "SUCCESS", "MDCI", "IR1", "IR15" },
  { "chs-drg-3.0", "MDCJ skin and breast", ADULT "dx=C43.501", "SUCCESS", "MDCJ", "JR1", "JR19" },
  { "chs-drg-3.0", "MDCK endocrine", ADULT "dx=C48.000x002", "SUCCESS", "MDCK", "KR1", "KR19" },
  { "chs-drg-3.0", "MDCL urinary", ADULT "dx=I12.000x001", "SUCCESS", "MDCL", "LR1", "LR15" },
  { "chs-drg-3.0", "MDCM male genital (sex 1)", MALE "dx=C49.503", "SUCCESS", "MDCM", "MR1", "MR15" },
  { "chs-drg-3.0", "MDCN female genital (sex 2)", ADULT "dx=C46.700x001", "SUCCESS", "MDCN", "NR1", "NR15" },
  { "chs-drg-3.0", "MDCO pregnancy", ADULT "dx=O15.201", "SUCCESS", "MDCO", "OS1", "OS19" },
  { "chs-drg-3.0", "MDCQ blood", ADULT "dx=T86.000x003", "SUCCESS", "MDCQ", "QR1", "QR19" },
  { "chs-drg-3.0", "MDCR myeloproliferative", ADULT "dx=C91.000", "SUCCESS", "MDCR", "RR1", "RR15" },
  { "chs-drg-3.0", "MDCS infections", ADULT "dx=B54.x00", "SUCCESS", "MDCS", "SZ1", "SZ19" },
  { "chs-drg-3.0", "MDCT mental", ADULT "dx=F20.000", "SUCCESS", "MDCT", "TR1", "TR19" },
  { "chs-drg-3.0", "MDCU substance use", ADULT "dx=F10.000", "SUCCESS", "MDCU", "UR1", "UR19" },
  { "chs-drg-3.0", "MDCV injuries and poisoning", ADULT "dx=S00.102", "SUCCESS", "MDCV", "VR1", "VR15" },
  { "chs-drg-3.0", "MDCW burns", ADULT "dx=T20.000", "SUCCESS", "MDCW", "WR2", "WR25" },
  { "chs-drg-3.0", "MDCX other contacts", ADULT "dx=M25.500", "SUCCESS", "MDCX", "XR2", "XR25" },
  { "chs-drg-3.0", "MDCY HIV", ADULT "dx=B20.000x001", "SUCCESS", "MDCY", "YR1", "YR15" },
};

/* The other outcomes of FORMAT.md §5 and §9.2. */
G_GNUC_UNUSED static DrgCase drg_path_cases[] = {
  { "chs-drg-3.0", "QY: MDCB diagnosis with an OR procedure of no MDCB ADRG",
    ADULT "dx=G91.000x002 px=00.0102", "QY", "MDCB", "QY", "BQY" },
  { "chs-drg-3.0", "FAIL: the fail rule closing MDCP (§9.2)",
    NEWBORN "dx=Q89.002", "FAIL", "MDCP", "P00", "P000" },
  { "chs-drg-3.0", "FAIL: no MDC gives a code (ungroupable 0000)",
    ADULT "dx=Z99.999x999", "FAIL", "0000", "00", "0000" },
  { "chs-drg-1.1", "FAIL: no MDC gives a code (ungroupable 0000)",
    ADULT "dx=Z99.999x999", "FAIL", "0000", "00", "0000" },
  { "chs-drg-1.1", "CHECK_FAILED: newborn of <= 28 days without birth weight",
    "sex=2 age=0 days=10 dx=P22.000", "CHECK_FAILED", "0000", "00", "0000" },
  { "chs-drg-3.0", "CC counted: I48.301 (EX_45) with principal A40.000 (EX_4)",
    ADULT "dx=A40.000|I48.301", "SUCCESS", "MDCS", "SR1", "SR13" },
  { "chs-drg-3.0", "MCC and CC of the principal's own exclusion id EX_4 excluded",
    ADULT "dx=A40.000|A32.700|A30.000x001", "SUCCESS", "MDCS", "SR1", "SR15" },
};

typedef struct {
  const char *desc;
  const char *spec;
  const char *status, *group_id, *rule_stage;
  gboolean primary_care;
} DipCase;

/* GROUPING.md §11 worked examples (number in the description). */
G_GNUC_UNUSED static DipCase dip_stage_cases[] = {
  { "#1 no principal diagnosis: CHECK_FAILED (§5.1)", "dx=", "CHECK_FAILED", "", "", FALSE },
  { "#2 excluded principal diagnosis (§5.1)", "dx=A00.000", "EXCLUDED_DX", "", "", FALSE },
  { "#9 pre: heart transplant as principal procedure", "dx=I21.000x001 px=37.5100|36.0601", "GROUPED", "XQ-2", "pre", FALSE },
  { "#7 pre: ECMO in any position", "dx=J18.900 px=31.1x00x005|39.6500", "GROUPED", "XQ-11", "pre", FALSE },
  { "#12 pre: P07 in any position, age and weight bands", "dx=P22.000|P07.100 days=3 wt=999", "GROUPED", "XQ-16", "pre", FALSE },
  { "#19 merge: partial related match (tier B) beats plain", "dx=C02.000 px=25.2x00|25.5905", "GROUPED", "BX-51", "merge", FALSE },
  { "#22 merge: full match with 2 codes wins", "dx=C34.101 px=32.4100|32.2001|40.5905", "GROUPED", "BX-139", "merge", FALSE },
  { "#31 aux_burn: degree II, area < 10 %", "dx=T21.200|T31.000", "GROUPED", "FZ-1745", "aux_burn", FALSE },
  { "#35 aux_tumor: chemotherapy + immunotherapy", "dx=Z51.101|C34.100 px=99.2503|99.2800x005", "GROUPED", "FZ-1771", "aux_tumor", FALSE },
  { "#40 aux_tb: resistance by U84.300", "dx=A15.001|U84.300", "GROUPED", "FZ-1836", "aux_tb", FALSE },
  { "#41 aux_tb: not resistant", "dx=A15.001", "GROUPED", "FZ-1837", "aux_tb", FALSE },
  { "#24 base: plain row, primary-care flag", "dx=K35.300 px=47.0100", "GROUPED", "JC-3625", "base", TRUE },
  { "#28 base: conservative row (ignored procedure)", "dx=K35.300 px=87.4100", "GROUPED", "JC-3629", "base", FALSE },
  { "#3 comprehensive class M", "dx=A00.000x001", "COMPREHENSIVE", "ZH-A00-M", "comprehensive", FALSE },
  { "#4 comprehensive class P", "dx=A00.000x001 px=88.4100", "COMPREHENSIVE", "ZH-A00-P", "comprehensive", FALSE },
  { "#6 comprehensive class S (not-principal OR code)", "dx=A00.000x001 px=17.4200", "COMPREHENSIVE", "ZH-A00-S", "comprehensive", FALSE },
  { "#46 ungrouped: r10 is not a category (§7.3)", "dx=r10.4", "UNGROUPED", "", "", FALSE },
};
