/* cm-pipeline.h — the parallel batch pipeline: episodes in, one output row
 * per accepted episode and one reject row per broken line out, in input
 * order, whatever the number of threads.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The input is read in large blocks cut at line boundaries (chunks). Worker
 * threads parse, validate and process whole chunks; a writer puts the
 * chunks back in input order, does the one order-dependent check
 * (`duplicate_id`) and writes. The number of chunks in flight is bounded,
 * so memory does not grow with the input (except 8 bytes per accepted id
 * for the duplicate check). */
#pragma once

#include <stdio.h>
#include <glib.h>
#include "cm-episode-reader.h"

G_BEGIN_DECLS

/* What the caller does with each accepted episode, in a worker thread. */
typedef struct {
  /* Creates one worker's private state (e.g. a CmGroupContext). */
  gpointer (*worker_new) (gpointer user_data);
  void (*worker_free) (gpointer worker);
  /* Appends the output row(s) for @episode to @out (each ending in LF) and
   * returns a static or long-lived status label for the summary counts. */
  const char *(*process) (gpointer worker, const CmEpisode *episode,
                          GString *out);
  /* Optional, for figures that must count only what is written (a row
   * that the writer later rejects as a duplicate_id must not be summed):
   * with payload_size > 0, process_payload runs instead of process and may
   * fill @payload (payload_size bytes, zeroed); the writer thread then calls
   * written (in input order, once per row it writes) with that payload. */
  gsize payload_size;
  const char *(*process_payload) (gpointer worker, const CmEpisode *episode,
                                  GString *out, gpointer payload);
  void (*written) (gpointer user_data, gconstpointer payload);
} CmPipelineOps;

#define CM_PIPELINE_MAX_STATUSES 32

typedef struct {
  guint64 lines;       /* physical lines read, header included */
  guint64 empty;       /* empty lines skipped */
  guint64 accepted;    /* episodes processed (one output row each) */
  guint64 rejected;    /* lines written to the rejects */
  guint n_statuses;
  const char *status[CM_PIPELINE_MAX_STATUSES];
  guint64 status_count[CM_PIPELINE_MAX_STATUSES];
} CmPipelineStats;

typedef struct {
  CmInputFormat format;
  guint n_threads;       /* 0 = number of cores */
  gsize chunk_size;      /* 0 = default (1 MiB) */
  const char *input_name;  /* for messages */
} CmPipelineOptions;

/**
 * cm_pipeline_run:
 * @fd: the input, read to its end (not closed)
 * @options: format and threads
 * @ops: what to do per episode
 * @user_data: passed to ops->worker_new
 * @out: where output rows go (the caller writes the header)
 * @rejects: (nullable): where "line,reason" rows go (header written here)
 * @stats: (out): counts; lines = accepted + rejected + empty (+1 header)
 * @error: CM_EPISODE_READER_ERROR on unreadable input or a fatal header
 *
 * Returns: TRUE when the whole input was read.
 */
CM_API gboolean cm_pipeline_run (int fd, const CmPipelineOptions *options,
                                 const CmPipelineOps *ops, gpointer user_data,
                                 FILE *out, FILE *rejects,
                                 CmPipelineStats *stats, GError **error);

/* Appends @s as one CSV field, quoted when it holds , " CR or LF. */
CM_API void cm_csv_append_field (GString *out, const char *s);

G_END_DECLS
