/* cm-episode-input.h — one episode given by a person or a program: a JSON
 * object, or one line of the episode CSV (header optional).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Both forms end in the same validator as the batch reader
 * (cm-episode-reader.h, episodes/FORMAT.md §4): a JSON object is turned
 * into the 24-field CSV line it describes and parsed like any line of a
 * file, so an episode is accepted or refused for the same reasons whatever
 * the way it came in. docs/api.md §2 lists the JSON field names (the CSV
 * column names) and the value types each accepts. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "cm-episode.h"

G_BEGIN_DECLS

#define CM_EPISODE_INPUT_ERROR (cm_episode_input_error_quark ())
typedef enum {
  CM_EPISODE_INPUT_ERROR_SYNTAX,  /* not JSON / not an object / not one CSV line */
  CM_EPISODE_INPUT_ERROR_FIELD,   /* a field missing, unknown, of the wrong type
                                   * or refused by the validator; the message
                                   * and cm_episode_input_get_error_field()
                                   * name it */
} CmEpisodeInputError;

CM_API GQuark cm_episode_input_error_quark (void);

typedef struct _CmEpisodeInput CmEpisodeInput;

/* Returns: (transfer full): a holder for one episode at a time. */
CM_API CmEpisodeInput *cm_episode_input_new (void);
CM_API void cm_episode_input_free (CmEpisodeInput *input);

/**
 * cm_episode_input_parse_text:
 * @input: the holder
 * @text: a JSON object, or one CSV episode line with or without the header
 *   line before it (a UTF-8 BOM, CRLF and empty lines are accepted)
 * @len: its length, or -1 when NUL-terminated
 * @error: CM_EPISODE_INPUT_ERROR_*
 *
 * Returns: TRUE when @input now holds a valid episode.
 */
CM_API gboolean cm_episode_input_parse_text (CmEpisodeInput *input,
                                             const char *text, gssize len,
                                             GError **error);

/**
 * cm_episode_input_parse_json:
 * @input: the holder
 * @object: an episode object
 * @extra_keys: (nullable) (array zero-terminated=1): members that are not
 *   episode fields but allowed (e.g. "trace" in a service request); they
 *   are ignored here
 * @error: CM_EPISODE_INPUT_ERROR_FIELD naming the field
 *
 * Returns: TRUE when @input now holds a valid episode.
 */
CM_API gboolean cm_episode_input_parse_json (CmEpisodeInput *input,
                                             JsonObject *object,
                                             const char *const *extra_keys,
                                             GError **error);

/**
 * cm_episode_input_parse_csv_line:
 * @input: the holder
 * @line: one CSV line of 24 fields, without its line end
 * @len: its length in bytes
 * @error: CM_EPISODE_INPUT_ERROR_FIELD naming the field
 *
 * Returns: TRUE when @input now holds a valid episode.
 */
CM_API gboolean cm_episode_input_parse_csv_line (CmEpisodeInput *input,
                                                 const char *line, gsize len,
                                                 GError **error);

/* (transfer none): the episode of the last successful parse; its strings
 * live until the next parse. */
CM_API const CmEpisode *cm_episode_input_get_episode (const CmEpisodeInput *input);

/* The field named by the last error ("" when the error is about no single
 * field): a column name, or a JSON member name. */
CM_API const char *cm_episode_input_get_error_field (const CmEpisodeInput *input);

/* The 24 column names in order (static). */
CM_API const char *const *cm_episode_input_columns (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmEpisodeInput, cm_episode_input_free)

G_END_DECLS
