/* cm-episode.c — the episode record: field helpers.
 * SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>
#include "cm-episode.h"

void
cm_episode_clear (CmEpisode *episode)
{
  g_return_if_fail (episode != NULL);
  /* The code arrays are large and need no clearing: n_dx/n_px say how many
   * entries are meaningful. */
  memset (episode, 0, G_STRUCT_OFFSET (CmEpisode, dx));
  episode->px_text_empty = TRUE;
  memset (&episode->patient_id, 0,
          sizeof (CmEpisode) - G_STRUCT_OFFSET (CmEpisode, patient_id));
}

/* Parses -?[0-9]+ into *out; FALSE when @s is not exactly that or the value
 * does not fit in 64 bits. */
static gboolean
parse_int (const char *s, gint64 *out)
{
  const char *p = s;
  gboolean neg = FALSE;
  guint64 v = 0;

  if (*p == '-')
    {
      neg = TRUE;
      p++;
    }
  if (*p == '\0')
    return FALSE;
  for (; *p; p++)
    {
      if (*p < '0' || *p > '9')
        return FALSE;
      if (v > (G_MAXINT64 - (guint64) (*p - '0')) / 10)
        return FALSE;
      v = v * 10 + (guint64) (*p - '0');
    }
  *out = neg ? -(gint64) v : (gint64) v;
  return TRUE;
}

void
cm_field_set_text (CmField *field, const char *text)
{
  g_return_if_fail (field != NULL);
  field->text = text;
  field->value = 0;
  field->is_int = text != NULL && parse_int (text, &field->value);
}

void
cm_field_set_int (CmField *field, const char *text, gint64 value)
{
  g_return_if_fail (field != NULL);
  field->text = text;
  field->value = value;
  field->is_int = TRUE;
}
