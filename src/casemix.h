/* casemix.h — the umbrella header of libcasemix.
 * SPDX-License-Identifier: Apache-2.0 */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

#include "cm-version.h"
#include "cm-limits.h"
#include "cm-episode.h"
#include "cm-scheme.h"
#include "cm-drg.h"
#include "cm-dip.h"
#include "cm-trace.h"
#include "cm-explain.h"
#include "cm-episode-reader.h"
#include "cm-pipeline.h"
#include "cm-tables.h"
#include "cm-timeline.h"
#include "cm-sample.h"
#include "cm-money.h"
#include "cm-policy.h"
#include "cm-price.h"
#include "cm-catalogue.h"
#include "cm-rational.h"
#include "cm-indicators.h"
#include "cm-kpi.h"
#include "cm-report.h"
#include "cm-indicators-report.h"

#ifdef __cplusplus
}
#endif
