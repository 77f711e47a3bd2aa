/* cm-limits.h — every bound on what comes from outside, in one place.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Raising a limit costs memory in every per-worker context (code arrays are
 * fixed-size so that grouping allocates nothing once warm) or lets a hostile
 * input make a single record more expensive. */
#pragma once

/* Longest physical input line (bytes, without the line end). 24 fields of at
 * most 1,000 characters plus separators and quotes fit well inside. */
#define CM_MAX_LINE_LEN (64 * 1024)

/* Longest field of the episode CSV, in characters (episodes/FORMAT.md §1). */
#define CM_MAX_FIELD_CHARS 1000

/* Fields of one CSV record we keep track of (more make a `columns` error). */
#define CM_MAX_CSV_FIELDS 64

/* Codes in one diagnosis or procedure list. The episode format allows 50;
 * the OpenDRG input format has no bound of its own, so we cap it here. */
#define CM_MAX_CODES 200

/* Longest code (episode format allows 30 characters). */
#define CM_MAX_CODE_LEN 64

/* Longest TSV line in a scheme table, and deepest condition nesting. */
#define CM_MAX_TSV_LINE (1024 * 1024)
#define CM_MAX_COND_DEPTH 64
