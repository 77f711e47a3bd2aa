/* cm-episode-reader.h — the episode exchange CSV (episodes/FORMAT.md) and
 * the OpenDRG reference CSV, parsed and validated line by line.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The parser works on one physical line at a time and never allocates per
 * line: it rewrites the line buffer in place (unquoting fields,
 * NUL-terminating them, splitting code lists) and fills a CmEpisode whose
 * strings point into that buffer. That is what lets the batch pipeline hand
 * line-aligned chunks to worker threads: any thread can parse any line once
 * the header is known. The only check that needs the lines before it,
 * `duplicate_id`, is done afterwards in input order with CmIdSet. */
#pragma once

#include <stdio.h>
#include <glib.h>
#include "cm-episode.h"

G_BEGIN_DECLS

typedef enum {
  CM_INPUT_EPISODES = 0,  /* the 24-column exchange CSV, fully validated */
  CM_INPUT_OPENDRG,       /* Index,gender,age,ageDay,weight,dept,inHospitalTime,
                           * leavingType,zdList,ssList[,icuHours][,amount] */
} CmInputFormat;

#define CM_REJECT_MESSAGE_LEN 160

/* Why a physical line was rejected. key is a static string: the reason key
 * of episodes/FORMAT.md §4 (`encoding`, `bom`, `control_char`, `quote`,
 * `header`, `columns`, `field_length`, a column name, `money`,
 * `duplicate_id`). message says what is wrong without quoting patient data
 * (codes and ids only). Rendered as "<key>: <message>". */
typedef struct {
  guint64 line;  /* 1-based physical line number */
  const char *key;
  char message[CM_REJECT_MESSAGE_LEN];
} CmReject;

#define CM_EPISODE_READER_ERROR (cm_episode_reader_error_quark ())
typedef enum {
  CM_EPISODE_READER_ERROR_IO,      /* the input cannot be read */
  CM_EPISODE_READER_ERROR_HEADER,  /* OpenDRG input lacks a required column */
} CmEpisodeReaderError;

CM_API GQuark cm_episode_reader_error_quark (void);

typedef struct _CmEpisodeParser CmEpisodeParser;

/**
 * cm_episode_parser_new:
 * @format: the input format
 *
 * Returns: (transfer full): a parser that still needs its header line.
 */
CM_API CmEpisodeParser *cm_episode_parser_new (CmInputFormat format);
CM_API void cm_episode_parser_free (CmEpisodeParser *parser);
CM_API CmInputFormat cm_episode_parser_get_format (const CmEpisodeParser *parser);

/**
 * cm_episode_parser_set_header:
 * @parser: the parser
 * @line: (inout): the first line of the file, BOM and line end removed;
 *   rewritten in place
 * @len: its length in bytes
 * @reject: (out): filled when the line is rejected (key `header`, or an
 *   earlier line-level key)
 * @error: a CM_EPISODE_READER_ERROR_HEADER when an OpenDRG header lacks a
 *   required column (the file cannot be read at all)
 *
 * Episode format: a wrong header is a rejected line (returns FALSE, @error
 * unset, reject filled) and the data lines are still read by position.
 *
 * Returns: TRUE when the header is accepted.
 */
CM_API gboolean cm_episode_parser_set_header (CmEpisodeParser *parser,
                                               char *line, gsize len,
                                               CmReject *reject,
                                               GError **error);

/**
 * cm_episode_parser_parse_line:
 * @parser: the parser (read-only: many threads may share it)
 * @line: (inout): one non-empty physical line without its line end
 *   (a CR before the LF already removed), NUL-terminated at @len; rewritten
 *   in place and referenced by @episode afterwards
 * @len: its length in bytes
 * @line_no: its 1-based physical line number (for @reject)
 * @episode: (out): the episode, valid while @line is
 * @reject: (out): filled when the line is rejected
 *
 * Applies every check of episodes/FORMAT.md §4 except `duplicate_id`
 * (see CmIdSet), first failing check wins.
 *
 * Returns: TRUE when the line holds a good episode.
 */
CM_API gboolean cm_episode_parser_parse_line (const CmEpisodeParser *parser,
                                               char *line, gsize len,
                                               guint64 line_no,
                                               CmEpisode *episode,
                                               CmReject *reject);

/* CmIdSet: the episode ids accepted so far, for the `duplicate_id` check.
 * Holds a 64-bit hash per id (8 bytes per accepted record, the only state
 * that grows with the input; FORMAT.md §4.10 needs it). */
typedef struct _CmIdSet CmIdSet;
CM_API CmIdSet *cm_id_set_new (void);
CM_API void cm_id_set_free (CmIdSet *set);
CM_API guint64 cm_id_hash (const char *id);
/* Returns TRUE when @hash was new (and adds it), FALSE for a duplicate. */
CM_API gboolean cm_id_set_add_hash (CmIdSet *set, guint64 hash);
/* A hint: @hash will be added soon (starts loading its slot). */
CM_API void cm_id_set_prefetch (const CmIdSet *set, guint64 hash);

/**
 * cm_reject_format:
 * @reject: a reject
 * @buf: (out): where "<key>: <message>" goes
 * @size: its size
 */
CM_API void cm_reject_format (const CmReject *reject, char *buf, gsize size);

/* CmEpisodeReader: a simple streaming reader over a FILE (one episode at a
 * time, single-threaded) on top of the parser: BOM, CRLF, empty lines,
 * duplicate ids. The batch pipeline does the same with chunks. */
typedef struct _CmEpisodeReader CmEpisodeReader;

typedef enum {
  CM_READ_EPISODE,  /* *episode holds a good episode */
  CM_READ_REJECT,   /* *reject says why the line was rejected */
  CM_READ_EOF,
  CM_READ_ERROR,    /* error is set */
} CmReadResult;

/* Takes a FILE it does not close. */
CM_API CmEpisodeReader *cm_episode_reader_new (FILE *stream,
                                               CmInputFormat format);
CM_API void cm_episode_reader_free (CmEpisodeReader *reader);
/* The episode stays valid until the next call. */
CM_API CmReadResult cm_episode_reader_next (CmEpisodeReader *reader,
                                            CmEpisode *episode,
                                            CmReject *reject,
                                            GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmEpisodeParser, cm_episode_parser_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmIdSet, cm_id_set_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmEpisodeReader, cm_episode_reader_free)

G_END_DECLS
