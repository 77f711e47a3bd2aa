/* fuzz-episode-input.c — libFuzzer target: one episode as the service and
 * `casemix explain` receive it (cm_episode_input_parse_text: a JSON object,
 * or a CSV line with or without its header line).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: the request body, untrusted. Checks: a refused input sets one
 * CM_EPISODE_INPUT_ERROR with a message; an accepted one holds an episode
 * whose id and code lists are within the format's bounds; parsing again
 * into the same holder (as the service does, one request after another)
 * gives the same answer. GLib criticals and warnings abort (fuzz-common.h). */
#include "config.h"

#include "fuzz-common.h"
#include "cm-episode-input.h"

static CmEpisodeInput *holder;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  holder = cm_episode_input_new ();
  return 0;
}

static gboolean
parse_once (const char *text, gsize len, char **id_out)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = cm_episode_input_parse_text (holder, text, (gssize) len, &error);

  if (!ok)
    {
      if (error == NULL || error->domain != CM_EPISODE_INPUT_ERROR
          || error->message == NULL || *error->message == '\0')
        abort ();
      *id_out = NULL;
      return FALSE;
    }
  if (error != NULL)
    abort ();
  {
    const CmEpisode *ep = cm_episode_input_get_episode (holder);
    if (ep == NULL || ep->episode_id == NULL || *ep->episode_id == '\0'
        || strlen (ep->episode_id) > 40 || ep->n_dx > CM_MAX_CODES
        || ep->n_px > CM_MAX_CODES)
      abort ();
    for (guint i = 0; i < ep->n_dx; i++)
      if (ep->dx[i] == NULL)
        abort ();
    *id_out = g_strdup (ep->episode_id);
  }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_malloc (size + 1);
  g_autofree char *id1 = NULL, *id2 = NULL;
  gboolean ok1, ok2;

  memcpy (text, data, size);
  text[size] = '\0';
  ok1 = parse_once (text, size, &id1);
  ok2 = parse_once (text, size, &id2);
  if (ok1 != ok2 || (ok1 && strcmp (id1, id2) != 0))
    abort ();
  return 0;
}
